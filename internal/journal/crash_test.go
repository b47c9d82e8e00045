//go:build unix

package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/usage"
)

// The crash test re-executes this test binary as a helper process that
// journals events as fast as it can, printing each event's id once Append
// has returned, while its own Run applies them to a file standing in for
// the store. The parent kills it with SIGKILL at random moments.
const (
	crashDirEnv   = "JOURNAL_CRASH_DIR"
	crashRoundEnv = "JOURNAL_CRASH_ROUND"
	crashBatch    = 50
)

// TestCrashHelper is the helper process; it does nothing in a normal run.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashKill9")
	}
	round := os.Getenv(crashRoundEnv)
	j, err := Open(Options{Dir: filepath.Join(dir, "journal"), SegmentBytes: 16 << 10, CheckpointEvery: 2 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	applied, err := os.OpenFile(filepath.Join(dir, "applied.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	go j.Run(context.Background(), func(_ context.Context, evs []usage.Event) error {
		var b bytes.Buffer
		for i := range evs {
			b.WriteString(evs[i].ID() + "\n")
		}
		_, err := applied.Write(b.Bytes())
		return err
	}, crashBatch, 2*time.Millisecond)
	for i := 0; ; i++ {
		e := event(fmt.Sprintf("r%s-%d", round, i))
		if err := j.Append(e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Stdout.WriteString(e.ID() + "\n")
	}
}

var crashID = regexp.MustCompile(`^r\d+-\d+/1$`)

func TestCrashKill9(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("inside the helper")
	}
	rounds := 24
	if n, err := strconv.Atoi(os.Getenv("JOURNAL_CRASH_ROUNDS")); err == nil {
		rounds = n
	}
	dir := t.TempDir()
	jdir := filepath.Join(dir, "journal")
	acked := map[string]bool{}  // ids the helper printed after Append returned
	applied := map[string]int{} // raw apply count per id, helper's and ours
	parentStore := newStore()

	for round := 1; round <= rounds; round++ {
		var out, errOut lockedBuffer
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most kills land while events flow; every fifth, anywhere in the
		// helper's start (opening and repairing the journal included).
		if round%5 != 0 {
			waitFor(t, func() bool { return bytes.Contains(out.Bytes(), []byte("\n")) })
		}
		time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: helper ended on its own (%v): %s", round, err, errOut.String())
		}
		lines := strings.Split(out.String(), "\n")
		for _, id := range lines[:len(lines)-1] { // the last piece is a line cut short, or empty
			if !crashID.MatchString(id) {
				t.Fatalf("round %d: helper printed %q", round, id)
			}
			acked[id] = true
		}

		// Restart: open (repairing a torn tail), check every record, and
		// apply what the helper had not.
		checkSegments(t, jdir)
		j, l := open(t, Options{Dir: jdir, SegmentBytes: 16 << 10})
		if err := replay(t, j, parentStore, crashBatch); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		for _, m := range l.all() {
			if !strings.Contains(m, "torn or corrupt tail of the last segment") {
				t.Errorf("round %d: journal logged %q", round, m)
			}
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "applied.log"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, id := range strings.Split(string(b), "\n") {
		// A kill inside the helper's write may leave a piece of a line; the
		// store is what is being imitated here, not tested.
		if crashID.MatchString(id) {
			applied[id]++
		}
	}
	for id, n := range parentStore.snapshot() {
		applied[id] += n
	}

	if len(acked) < rounds {
		t.Fatalf("only %d events acknowledged over %d rounds: the helper barely ran", len(acked), rounds)
	}
	missing, dups := 0, 0
	for id := range acked {
		if applied[id] == 0 {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged event %s never reached the store", id)
			}
		}
	}
	for _, n := range applied {
		dups += n - 1
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged events lost", missing, len(acked))
	}
	// At-least-once: what was applied but not yet checkpointed when the kill
	// came is applied again after the restart; one checkpoint interval's
	// worth per kill. A checkpoint that never reached the disk would instead
	// have the restart re-apply everything the helper applied.
	if dups > len(acked)/2 {
		t.Errorf("%d duplicate applies for %d events over %d kills: the checkpoint is not holding", dups, len(acked), rounds)
	}
	t.Logf("%d kills, %d events acknowledged, %d applied (%d acknowledged-but-unprinted extra), %d re-applied",
		rounds, len(acked), len(applied), len(applied)-len(acked), dups)
}

// checkSegments asserts every record in every segment is whole and
// decodes, except for a torn tail of the last segment.
func checkSegments(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return // killed before it opened the journal
	}
	firsts, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, first := range firsts {
		path := segmentPath(dir, first)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		r := frameReader{f: f}
		for {
			p, err := r.next(st.Size())
			if err != nil {
				if !errors.Is(err, io.EOF) && i < len(firsts)-1 {
					t.Errorf("sealed segment %s: %v", path, err)
				}
				if !errors.Is(err, io.EOF) {
					t.Logf("torn tail in %s: %v", path, err)
				}
				break
			}
			var e usage.Event
			if err := e.UnmarshalBinary(p); err != nil || !crashID.MatchString(e.ID()) {
				t.Errorf("segment %s offset %d: record %q does not decode: %v", path, r.off, e.ID(), err)
			}
		}
		f.Close()
	}
}

// lockedBuffer is a bytes.Buffer the helper's output is copied into while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

func (l *lockedBuffer) String() string { return string(l.Bytes()) }
