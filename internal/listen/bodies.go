package listen

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Bodies bounds every read of a request body, including the ones net/http
// makes itself, and closes the connection when an answer goes out before
// the body was read to its end.
//
// Why both: when a handler answers without reading the body (401, 404, 405,
// 413, a parse error mid-body, a shed), net/http reads what is left, to
// reuse the connection: before writing the answer, or, when the answer says
// Connection: close, after it (up to 256 KiB, in finishRequest). The server
// has no ReadTimeout (it would cut streams), so without a deadline of our
// own a client that declared 1000 bytes and sent one holds the connection
// and its goroutine forever. So the deadline is set when the request starts
// and stays until the body has been read to EOF; only then is it cleared,
// because after EOF net/http's background read watches the connection for
// the client going away, and a deadline there would cancel a long stream.
// An answer written before EOF carries Connection: close, so net/http skips
// the pre-answer drain, and the post-answer drain ends at the deadline.
func Bodies(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || timeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(timeout))
		g := &guard{ResponseWriter: w}
		r2 := r.WithContext(r.Context())
		r2.Body = &tracked{ReadCloser: r.Body, g: g, rc: rc}
		next.ServeHTTP(g, r2)
	})
}

// tracked notes when the body reaches EOF and lifts the deadline then.
type tracked struct {
	io.ReadCloser
	g  *guard
	rc *http.ResponseController
}

func (t *tracked) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !t.g.eof.Swap(true) {
		t.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// guard adds Connection: close to an answer that starts before the body's
// EOF. Flush and Unwrap keep streaming and ResponseController working.
type guard struct {
	http.ResponseWriter
	eof   atomic.Bool
	wrote bool
}

func (g *guard) before() {
	if g.wrote {
		return
	}
	g.wrote = true
	if !g.eof.Load() {
		g.ResponseWriter.Header().Set("Connection", "close")
	}
}

func (g *guard) WriteHeader(code int) {
	if code >= 200 {
		g.before()
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *guard) Write(p []byte) (int, error) {
	g.before()
	return g.ResponseWriter.Write(p)
}

func (g *guard) Flush() {
	g.before()
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *guard) Unwrap() http.ResponseWriter { return g.ResponseWriter }
