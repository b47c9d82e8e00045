package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/store"
	_ "modernc.org/sqlite"
)

// TestCrashKeepsEveryAnsweredRequest kills `switchyard serve` with SIGKILL at
// random moments under load (20 times; SWITCHYARD_CRASH_ROUNDS for more),
// restarting it on the same data directory each time. Afterwards every
// request whose answer the client received in full is in the store exactly
// once, and nothing is counted twice: the rollups agree with the raw events.
func TestCrashKeepsEveryAnsweredRequest(t *testing.T) {
	rounds := 20
	if n, err := strconv.Atoi(os.Getenv("SWITCHYARD_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	if testing.Short() {
		rounds = 5
	}
	emu, err := emulate.Listen(emulate.OpenAI, "127.0.0.1:0", emulate.Knobs{TTFT: 5 * time.Millisecond, TPS: 2000})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "switchyard.yaml")
	listen := freeAddr(t)
	const key = "sk-sy-crash-0123456789abcdef"
	conf := `listen: ` + listen + `
data_dir: ` + data + `
admin: {listen: "127.0.0.1:0", token: crash-admin-token}
log: {level: warn}
keys:
  - {name: load, key: ` + key + `}
providers:
  - {name: emu, type: openai, base_url: "` + emu.URL + `/v1", api_key: emu-key}
models:
  - name: chat
    deployments:
      - {provider: emu, model: m, price: {input: "1", output: "2"}}
`
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	received := map[string]bool{} // request ids answered in full
	for round := 0; round < rounds; round++ {
		cmd := startServe(t, file, listen)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					if id, ok := oneRequest(ctx, listen, key, (w+i)%2 == 0); ok {
						mu.Lock()
						received[id] = true
						mu.Unlock()
					}
				}
			}(w)
		}
		// Kill while requests are in flight: anywhere from just after
		// start-up to well into the load.
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		stop()
		wg.Wait()
	}
	// A last, graceful run applies whatever the kills left in the journal.
	cmd := startServe(t, file, listen)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final graceful stop: %v", err)
	}
	if len(received) < rounds {
		t.Fatalf("only %d answers received over %d rounds: the load did not run", len(received), rounds)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id := range received {
		es, err := st.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Outcome.String() != "completed" {
			t.Errorf("request %s, answered in full, has %d events in the store (want exactly one, completed)", id, len(es))
		}
	}
	// Nothing counted twice: the hourly rollups add up to the raw events.
	db, err := sql.Open("sqlite", filepath.Join(data, "switchyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var events, distinct int64
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT request_id || '/' || attempt) FROM usage_events`).Scan(&events, &distinct); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Usage(ctx, store.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var attempts int64
	for _, r := range rows {
		attempts += r.Attempts
	}
	if events != distinct || attempts != events {
		t.Errorf("store has %d events (%d distinct) and rollups count %d attempts: something was counted twice", events, distinct, attempts)
	}
	t.Logf("%d rounds, %d answers received in full, %d events stored", rounds, len(received), events)
}

// freeAddr returns a loopback address with a port free right now; serve
// binds it again after each kill.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe starts serve and waits until it is ready.
func startServe(t *testing.T, file, listen string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("serve never became ready:\n%s", stderr.String())
	return nil
}

// oneRequest sends one chat request and reports its request id and whether
// its answer arrived whole: a parsed JSON answer, or a stream through its
// [DONE].
func oneRequest(ctx context.Context, listen, key string, stream bool) (string, bool) {
	body := fmt.Sprintf(`{"model":"chat","max_tokens":30,"stream":%v,"messages":[{"role":"user","content":"Count the wagons in the yard."}]}`, stream)
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+listen+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		time.Sleep(5 * time.Millisecond) // the gateway is down: wait for the next one
		return "", false
	}
	defer resp.Body.Close()
	id := resp.Header.Get("x-switchyard-request-id")
	if resp.StatusCode != 200 || id == "" {
		io.Copy(io.Discard, resp.Body)
		return "", false
	}
	if !stream {
		var v struct{ Choices []any }
		return id, json.NewDecoder(resp.Body).Decode(&v) == nil && len(v.Choices) == 1
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "data: [DONE]" {
			return id, true
		}
	}
	return id, false
}
