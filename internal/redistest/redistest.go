// Package redistest gives tests Redis: the server the suites share, or a private redis-server to stop and start.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Shared connects to the Redis the suites share: SWITCHYARD_TEST_REDIS
// (host:port), default 127.0.0.1:6379. Without one the test is skipped
// with a line that says how to run it, or fails when
// SWITCHYARD_REQUIRE_SERVICES=1 (as .ci/run sets).
func Shared(t testing.TB) *redis.Client {
	t.Helper()
	addr := Addr()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		missing(t, fmt.Sprintf("no Redis at %s (%v): run redis-server on 127.0.0.1:6379 or set SWITCHYARD_TEST_REDIS=host:port", addr, err))
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Addr is the shared Redis's address.
func Addr() string {
	if a := os.Getenv("SWITCHYARD_TEST_REDIS"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Prefix returns a fresh key prefix (a hash tag of its own, so a script
// may touch all its keys), whose keys are deleted when the test ends.
func Prefix(t testing.TB, c *redis.Client) string {
	b := make([]byte, 8)
	rand.Read(b)
	p := "sytest:{" + hex.EncodeToString(b) + "}:"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := c.Keys(ctx, p+"*").Result(); len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return p
}

// Server is a private redis-server, for tests that stop it.
type Server struct {
	port int
	cmd  *exec.Cmd
}

// Start runs a private redis-server on 127.0.0.1:port (0: a free port),
// without persistence, and waits until it answers. It is stopped when the
// test ends. Without redis-server on PATH the test is skipped, or fails
// when SWITCHYARD_REQUIRE_SERVICES=1.
func Start(t testing.TB, port int) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		missing(t, "redis-server not on PATH: install Redis to run this fault test")
	}
	if port == 0 {
		port = FreePort(t)
	}
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	s := &Server{port: port, cmd: cmd}
	t.Cleanup(s.Stop)
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 200 {
			t.Fatal("redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the server's port, to start it again on.
func (s *Server) Port() int { return s.port }

// Stop kills the server (at once, as a crash would); stopping it twice is
// harmless.
func (s *Server) Stop() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// FreePort returns a loopback port nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
