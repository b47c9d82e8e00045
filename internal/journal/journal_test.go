package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

func event(id string) *usage.Event {
	return &usage.Event{
		RequestID: id, Attempt: 1,
		Time:  time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC),
		KeyID: "k_1", KeyName: "acme", Model: "gpt-oss-120b", Deployment: "bedrock-east", Provider: "bedrock",
		Op: "chat", Stream: true, Outcome: usage.Completed, Status: 200,
		Usage:  wire.Usage{Prompt: 1200, Completion: 300, Cached: 1000},
		Source: usage.Reported, Cost: money.Nanos(1_500_000), PriceVersion: "v1",
		TTFT: 300 * time.Millisecond, Duration: 2 * time.Second,
	}
}

// logs collects what the journal logs at warning level and above.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		l.mu.Lock()
		l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
		l.mu.Unlock()
	}
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }
func (l *logs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

func open(t *testing.T, o Options) (*Journal, *logs) {
	t.Helper()
	l := &logs{}
	o.Log = slog.New(l)
	j, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return j, l
}

// store is a fake store counting how many times each event id was applied.
type store struct {
	mu     sync.Mutex
	counts map[string]int
	calls  int
	failN  int // fail this many calls first
	failed int
}

func newStore() *store { return &store{counts: map[string]int{}} }

func (s *store) apply(_ context.Context, evs []usage.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failed < s.failN {
		s.failed++
		return errors.New("store down")
	}
	for i := range evs {
		s.counts[evs[i].ID()]++
	}
	return nil
}

func (s *store) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		m[k] = v
	}
	return m
}

// replay runs the applier with a context that is already done: it applies
// everything journaled so far and returns.
func replay(t *testing.T, j *Journal, s *store, batch int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return j.Run(ctx, s.apply, batch, time.Hour)
}

func appendN(t *testing.T, j *Journal, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := j.Append(event(fmt.Sprintf("%s-%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// wantOnce checks that the store saw exactly the ids prefix-0..n-1 of each prefix, once each.
func wantOnce(t *testing.T, got map[string]int, prefixes map[string]int) {
	t.Helper()
	total := 0
	for p, n := range prefixes {
		total += n
		for i := range n {
			id := usage.ID(fmt.Sprintf("%s-%d", p, i), 1)
			if got[id] != 1 {
				t.Errorf("event %s applied %d times, want 1", id, got[id])
			}
		}
	}
	if len(got) != total {
		t.Errorf("store holds %d distinct events, want %d", len(got), total)
	}
}

func TestAppendReopenReplay(t *testing.T) {
	for _, pol := range []Sync{SyncInterval, SyncAlways, SyncNone} {
		t.Run(pol.String(), func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, Options{Dir: dir, Sync: pol})
			appendN(t, j, "a", 100)
			if got := j.Lag(); got != 100 {
				t.Errorf("Lag = %d after 100 appends, want 100", got)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			if err := j.Append(event("late")); !errors.Is(err, ErrClosed) {
				t.Errorf("Append after Close: %v, want ErrClosed", err)
			}

			s := newStore()
			j, _ = open(t, Options{Dir: dir, Sync: pol})
			if got := j.Lag(); got != 100 {
				t.Errorf("Lag = %d after reopening, want 100", got)
			}
			if err := replay(t, j, s, 7); err != nil {
				t.Fatal(err)
			}
			if got := j.Lag(); got != 0 {
				t.Errorf("Lag = %d after replay, want 0", got)
			}
			wantOnce(t, s.snapshot(), map[string]int{"a": 100})
			j.Close()
		})
	}
}

func TestReplayedEventIsWhole(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir})
	in := event("whole")
	in.Error = "upstream: reset"
	if err := j.Append(in); err != nil {
		t.Fatal(err)
	}
	var got []usage.Event
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := j.Run(ctx, func(_ context.Context, evs []usage.Event) error {
		got = append(got, evs...)
		return nil
	}, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != *in {
		t.Fatalf("replayed %+v, want %+v", got, *in)
	}
	j.Close()
}

func TestCheckpointSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := newStore()
	j, _ := open(t, Options{Dir: dir})
	appendN(t, j, "first", 50)
	if err := replay(t, j, s, 16); err != nil {
		t.Fatal(err)
	}
	j.Close()

	j, _ = open(t, Options{Dir: dir})
	if got := j.Lag(); got != 0 {
		t.Errorf("Lag = %d after restart with everything applied, want 0", got)
	}
	appendN(t, j, "second", 30)
	if err := replay(t, j, s, 16); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// A third start applies nothing.
	j, _ = open(t, Options{Dir: dir})
	calls := s.calls
	if err := replay(t, j, s, 16); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if s.calls != calls {
		t.Errorf("a restart with nothing new called apply %d more times", s.calls-calls)
	}
	wantOnce(t, s.snapshot(), map[string]int{"first": 50, "second": 30})
}

func TestTornTail(t *testing.T) {
	// hurt damages the segment whose last record ("torn") starts at last.
	// keepsTorn says whether that record is still whole afterwards.
	tests := []struct {
		name      string
		hurt      func(t *testing.T, path string, last int64)
		keepsTorn bool
	}{
		{"cut inside the header", func(t *testing.T, p string, last int64) { truncate(t, p, last+3) }, false},
		{"cut inside the payload", func(t *testing.T, p string, last int64) { truncate(t, p, last+headerSize+10) }, false},
		{"cut one byte short", func(t *testing.T, p string, _ int64) { truncate(t, p, size(t, p)-1) }, false},
		{"flipped byte in the last record", func(t *testing.T, p string, last int64) { flip(t, p, last+headerSize+5) }, false},
		{"random garbage after", func(t *testing.T, p string, _ int64) { appendBytes(t, p, randomBytes(300)) }, true},
		{"zeros after", func(t *testing.T, p string, _ int64) { appendBytes(t, p, make([]byte, 4096)) }, true},
		{"huge length after", func(t *testing.T, p string, _ int64) {
			appendBytes(t, p, []byte{0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j, _ := open(t, Options{Dir: dir})
			appendN(t, j, "ok", 20)
			j.Close()
			path := segmentPath(dir, 1)
			last := size(t, path)
			j, _ = open(t, Options{Dir: dir})
			if err := j.Append(event("torn")); err != nil {
				t.Fatal(err)
			}
			j.Close()
			tt.hurt(t, path, last)

			j, l := open(t, Options{Dir: dir})
			if len(l.all()) == 0 {
				t.Error("the damaged tail was repaired without a word in the log")
			}
			appendN(t, j, "after", 5)
			j.Close()
			j, _ = open(t, Options{Dir: dir})
			s := newStore()
			if err := replay(t, j, s, 100); err != nil {
				t.Fatal(err)
			}
			j.Close()
			got := s.snapshot()
			if n := got["torn/1"]; (n == 1) != tt.keepsTorn {
				t.Errorf("the last record was applied %d times; whole after the damage: %v", n, tt.keepsTorn)
			}
			delete(got, "torn/1")
			wantOnce(t, got, map[string]int{"ok": 20, "after": 5})
		})
	}
}

func TestCorruptSealedSegmentSkipsOnlyItsRest(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir, SegmentBytes: 2048})
	appendN(t, j, "e", 100)
	j.Close()
	firsts, _ := listSegments(dir)
	if len(firsts) < 3 {
		t.Fatalf("want several segments, got %d", len(firsts))
	}
	flip(t, segmentPath(dir, firsts[0]), headerSize+3) // damage the very first record

	j, l := open(t, Options{Dir: dir, SegmentBytes: 2048})
	s := newStore()
	if err := replay(t, j, s, 100); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if len(l.all()) == 0 {
		t.Error("damage in a sealed segment was not logged")
	}
	got := s.snapshot()
	lost := int(firsts[1] - firsts[0])
	if len(got) != 100-lost {
		t.Errorf("applied %d events, want the %d outside the damaged segment", len(got), 100-lost)
	}
	for i := lost; i < 100; i++ {
		if id := usage.ID(fmt.Sprintf("e-%d", i), 1); got[id] != 1 {
			t.Errorf("%s applied %d times, want 1", id, got[id])
		}
	}
}

func TestApplyFailureKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir})
	appendN(t, j, "e", 40)
	down := newStore()
	down.failN = 1 << 30
	if err := replay(t, j, down, 10); err == nil {
		t.Error("Run reported success although the store refused every batch")
	}
	if got := j.Lag(); got != 40 {
		t.Errorf("Lag = %d while the store is down, want 40", got)
	}
	j.Close()

	j, _ = open(t, Options{Dir: dir})
	if got := j.Lag(); got != 40 {
		t.Errorf("Lag = %d after restart, want 40: the checkpoint moved past unapplied events", got)
	}
	s := newStore()
	if err := replay(t, j, s, 10); err != nil {
		t.Fatal(err)
	}
	j.Close()
	wantOnce(t, s.snapshot(), map[string]int{"e": 40})
}

func TestApplyErrorThenRecovery(t *testing.T) {
	dir := t.TempDir()
	j, l := open(t, Options{Dir: dir})
	s := newStore()
	s.failN = 3
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, s.apply, 10, 5*time.Millisecond) }()
	appendN(t, j, "e", 25)
	waitFor(t, func() bool { return len(s.snapshot()) == 25 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j.Close()
	if s.failed != 3 {
		t.Errorf("store failed %d times, want 3", s.failed)
	}
	warned := 0
	for _, m := range l.all() {
		if bytes.Contains([]byte(m), []byte("retried")) {
			warned++
		}
	}
	if warned != 3 {
		t.Errorf("logged %d warnings for 3 failed applies: %q", warned, l.all())
	}
	if got := j.Lag(); got != 0 {
		t.Errorf("Lag = %d after recovery, want 0", got)
	}
	wantOnce(t, s.snapshot(), map[string]int{"e": 25})
}

func TestSegmentRollAndCleanup(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, SegmentBytes: 1024}
	j, _ := open(t, o)
	appendN(t, j, "e", 200)
	firsts, _ := listSegments(dir)
	if len(firsts) < 10 {
		t.Fatalf("200 events in 1 KiB segments made %d segments", len(firsts))
	}
	for _, f := range firsts {
		if st, _ := os.Stat(segmentPath(dir, f)); st.Size() > o.SegmentBytes {
			t.Errorf("segment %d is %d bytes, over the %d limit", f, st.Size(), o.SegmentBytes)
		}
	}
	s := newStore()
	if err := replay(t, j, s, 33); err != nil {
		t.Fatal(err)
	}
	after, _ := listSegments(dir)
	if len(after) != 1 || after[0] != firsts[len(firsts)-1] {
		t.Errorf("after applying everything the segments left are %v, want only the active %d", after, firsts[len(firsts)-1])
	}
	appendN(t, j, "more", 50)
	j.Close()
	j, _ = open(t, o)
	if err := replay(t, j, s, 33); err != nil {
		t.Fatal(err)
	}
	j.Close()
	wantOnce(t, s.snapshot(), map[string]int{"e": 200, "more": 50})
}

func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir, SegmentBytes: 8 << 10})
	s := newStore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, s.apply, 50, time.Millisecond) }()
	const writers, each = 8, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := j.Append(event(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
				_ = j.Lag()
			}
		})
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j.Close()
	want := map[string]int{}
	for w := range writers {
		want[fmt.Sprintf("w%d", w)] = each
	}
	wantOnce(t, s.snapshot(), want)
}

func TestRunOnlyOnce(t *testing.T) {
	j, _ := open(t, Options{Dir: t.TempDir()})
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- j.Run(ctx, func(context.Context, []usage.Event) error { close(started); return nil }, 1, time.Millisecond)
	}()
	if err := j.Append(event("x")); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := j.Run(ctx, newStore().apply, 1, time.Millisecond); err == nil {
		t.Error("a second Run started beside the first")
	}
	cancel()
	<-done
}

func TestParseSync(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Sync
		ok   bool
	}{{"always", SyncAlways, true}, {"interval", SyncInterval, true}, {"none", SyncNone, true}, {"", 0, false}, {"Always", 0, false}} {
		got, err := ParseSync(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSync(%q) = %v, %v", tt.in, got, err)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func size(t *testing.T, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}

func appendBytes(t *testing.T, p string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, p string, off int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x5a
	if err := os.WriteFile(filepath.Clean(p), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return b
}

// A power loss under SyncNone can leave the checkpoint (fsynced) ahead of
// the segment's data (not). New events must not land where the checkpoint
// says everything is already applied.
func TestCheckpointAheadOfLostData(t *testing.T) {
	dir := t.TempDir()
	s := newStore()
	j, _ := open(t, Options{Dir: dir, Sync: SyncNone})
	appendN(t, j, "before", 10)
	if err := replay(t, j, s, 100); err != nil {
		t.Fatal(err)
	}
	j.Close()
	truncate(t, segmentPath(dir, 1), 0) // the page cache never reached the disk

	j, l := open(t, Options{Dir: dir, Sync: SyncNone})
	if len(l.all()) == 0 {
		t.Error("losing journaled data went unmentioned")
	}
	appendN(t, j, "after", 5)
	j.Close()
	j, _ = open(t, Options{Dir: dir, Sync: SyncNone})
	if got := j.Lag(); got != 5 {
		t.Errorf("Lag = %d, want the 5 new events", got)
	}
	if err := replay(t, j, s, 100); err != nil {
		t.Fatal(err)
	}
	j.Close()
	wantOnce(t, s.snapshot(), map[string]int{"before": 10, "after": 5})
}

func TestOpenRemovesAppliedSegmentsLeftByACrash(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, SegmentBytes: 1024}
	j, _ := open(t, o)
	appendN(t, j, "e", 50)
	j.Close()
	firsts, _ := listSegments(dir)
	// Applied up to the start of the last segment; the older files are what
	// a crash between checkpoint and removal leaves behind.
	last := firsts[len(firsts)-1]
	if err := writeCheckpoint(dir, checkpoint{Seq: last, Segment: last}); err != nil {
		t.Fatal(err)
	}
	j, _ = open(t, o)
	defer j.Close()
	if left, _ := listSegments(dir); len(left) != 1 || left[0] != last {
		t.Errorf("segments after open: %v, want only %d", left, last)
	}
	if got, want := j.Lag(), int64(50)-(last-1); got != want {
		t.Errorf("Lag = %d, want %d", got, want)
	}
}

func TestSecondRunResumes(t *testing.T) {
	j, _ := open(t, Options{Dir: t.TempDir()})
	defer j.Close()
	s := newStore()
	appendN(t, j, "a", 10)
	if err := replay(t, j, s, 4); err != nil {
		t.Fatal(err)
	}
	appendN(t, j, "b", 10)
	if err := replay(t, j, s, 4); err != nil {
		t.Fatal(err)
	}
	wantOnce(t, s.snapshot(), map[string]int{"a": 10, "b": 10})
}

// Under steady traffic Run catches up after every batch; it must not save
// a checkpoint (two fsyncs and a rename) each time, only once per
// CheckpointEvery. The old rule saved one per batch here: about 60.
func TestCheckpointPacedUnderTraffic(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir, Sync: SyncNone, CheckpointEvery: 250 * time.Millisecond})
	s := newStore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, s.apply, 1000, 5*time.Millisecond) }()
	start := time.Now()
	n := 0
	for time.Since(start) < 600*time.Millisecond {
		if err := j.Append(event(fmt.Sprintf("p-%d", n))); err != nil {
			t.Fatal(err)
		}
		n++
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	eventually(t, "caught up", func() bool { return j.Lag() == 0 })
	saves := j.saves.Load()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	calls := s.calls
	s.mu.Unlock()
	if max := int64(elapsed/(250*time.Millisecond)) + 2; saves > max {
		t.Errorf("%d checkpoints in %v of traffic (%d batches), want at most %d: one per CheckpointEvery", saves, elapsed.Round(time.Millisecond), calls, max)
	}
	if calls < 10 {
		t.Errorf("only %d batches applied: the test did not exercise steady traffic", calls)
	}
	j.Close()
	wantOnce(t, s.snapshot(), map[string]int{"p": n})
}

// When traffic stops, the deferred checkpoint is still saved: a restart
// after an idle period replays nothing.
func TestCheckpointSavedWhenIdle(t *testing.T) {
	dir := t.TempDir()
	j, _ := open(t, Options{Dir: dir, CheckpointEvery: 100 * time.Millisecond})
	s := newStore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, s.apply, 1000, 5*time.Millisecond) }()
	appendN(t, j, "i", 30)
	eventually(t, "the checkpoint covers every event", func() bool {
		cp, err := readCheckpoint(dir)
		return err == nil && cp.Seq == 31
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, _ = open(t, Options{Dir: dir})
	if got := j.Lag(); got != 0 {
		t.Errorf("Lag = %d after an idle restart, want 0", got)
	}
	j.Close()
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
