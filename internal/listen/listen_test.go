package listen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const slack = 10 * time.Second

// serve runs h behind Limit(max, spare, probation) and Bodies(timeout).
func serve(t *testing.T, h http.Handler, max, spare int, timeout time.Duration) (*Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Limit(ln, max, spare, 500*time.Millisecond)
	srv := &http.Server{Handler: Bodies(h, timeout), ConnContext: ConnContext, ReadHeaderTimeout: slack}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l, ln.Addr().String()
}

// exchange writes raw on a new connection and reads one answer, then
// reports whether the server closed the connection after it: for an answer
// that says Connection: close, by waiting for the close; for one that does
// not, by sending a second request on the connection.
func exchange(addr, raw string) (*http.Response, bool, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(slack))
	io.WriteString(c, raw)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, false, err
	}
	io.Copy(io.Discard, resp.Body)
	if !resp.Close {
		// Kept alive: prove it by using it again.
		io.WriteString(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(br, nil); err != nil {
			return resp, true, nil
		}
		return resp, false, nil
	}
	_, err = br.ReadByte()
	return resp, err != nil && !errors.Is(err, os.ErrDeadlineExceeded), nil
}

func TestConnBodiesGuard(t *testing.T) {
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read" {
			io.Copy(io.Discard, r.Body)
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	_, addr := serve(t, answer, 0, 0, 300*time.Millisecond)
	tests := []struct {
		name, raw  string
		wantClose  bool
		wantStatus int
	}{
		{"unread body, stalled", "POST /skip HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{", true, 401},
		{"unread body, chunked, stalled", "POST /skip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", true, 401},
		{"body read to its end", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", false, 401},
		{"no body", "GET /skip HTTP/1.1\r\nHost: x\r\n\r\n", false, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, closed, err := exchange(addr, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Close != tt.wantClose || closed != tt.wantClose {
				t.Errorf("status %d, Connection: close %v, closed %v; want %d, %v, %v",
					resp.StatusCode, resp.Close, closed, tt.wantStatus, tt.wantClose, tt.wantClose)
			}
		})
	}
}

func TestConnCapProbation(t *testing.T) {
	hold := make(chan struct{})
	h := Shed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			<-hold
		}
	}), 0)
	l, addr := serve(t, h, 2, 1, slack)
	defer close(hold)
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	for deadline := time.Now().Add(slack); l.Open() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	resp, closed, err := exchange(addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !closed {
		t.Errorf("past the cap: %d Retry-After %q closed %v, want 503, 1, closed", resp.StatusCode, resp.Header.Get("Retry-After"), closed)
	}
	resp, _, err = exchange(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz past the cap: %v %v, want 200", resp, err)
	}

	// A slowloris in the spare slot is evicted by the probation deadline,
	// and while it sits there a further connection is closed at once.
	squat, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()
	io.WriteString(squat, "GET /healthz HTTP/1.1\r\n")
	for deadline := time.Now().Add(slack); l.Probation() < 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := exchange(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err == nil {
		t.Error("a connection past the spare slots was answered, want closed at accept")
	}
	squat.SetReadDeadline(time.Now().Add(slack))
	if _, err := io.Copy(io.Discard, squat); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("a slowloris on probation was held past the probation")
	}
	if l.Refused() < 1 {
		t.Errorf("Refused() = %d, want at least 1", l.Refused())
	}
}

func TestShedInFlight(t *testing.T) {
	hold, in := make(chan struct{}), make(chan struct{}, 1)
	s := Shed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in <- struct{}{}
		<-hold
	}), 1)
	_, addr := serve(t, s, 0, 0, slack)
	go exchange(addr, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
	<-in
	defer close(hold)
	for _, tt := range []struct{ path, want string }{
		{"/v1/chat/completions", `"type":"service_unavailable_error"`},
		{"/v1/messages", `{"type":"error","error":{"type":"overloaded_error"`},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", tt.path)
		c.SetDeadline(time.Now().Add(slack))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d Retry-After %q %s; want 503, 1, %s", tt.path, resp.StatusCode, resp.Header.Get("Retry-After"), body, tt.want)
		}
	}
	if s.InFlight() != 1 || s.Shed() != 2 {
		t.Errorf("InFlight %d Shed %d, want 1 and 2", s.InFlight(), s.Shed())
	}
}
