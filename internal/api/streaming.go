package api

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/usage"
)

// flushingReader sits between the upstream body and a stream codec and
// flushes the client's pending output whenever the codec is about to wait
// for more upstream bytes. Events that arrive together leave together in one
// write; an event is never held back waiting for the next one.
//
// Once the answer has started, it also re-arms the idle timer before each
// read, so an upstream that goes silent mid-stream is cut after the
// deployment's idle timeout instead of holding the client forever.
type flushingReader struct {
	r     io.Reader
	f     http.Flusher
	dirty bool // output written since the last flush

	idle  time.Duration // 0: no idle timeout (yet)
	timer *time.Timer
}

func (fr *flushingReader) Read(p []byte) (int, error) {
	if fr.dirty {
		fr.f.Flush()
		fr.dirty = false
	}
	if fr.idle > 0 {
		fr.timer.Reset(fr.idle)
	}
	return fr.r.Read(p)
}

// watchIdle arms the idle timeout for the rest of a committed stream.
func (fr *flushingReader) watchIdle(d time.Duration, timer *time.Timer) {
	fr.idle, fr.timer = d, timer
}

// flushingReaders are pooled: one per stream.
var flushingReaderPool = sync.Pool{New: func() any { return new(flushingReader) }}

func newFlushingReader(r io.Reader, w http.ResponseWriter) *flushingReader {
	f, ok := w.(http.Flusher)
	if !ok {
		f = nopFlusher{}
	}
	fr := flushingReaderPool.Get().(*flushingReader)
	*fr = flushingReader{r: r, f: f}
	return fr
}

func (fr *flushingReader) release() {
	*fr = flushingReader{}
	flushingReaderPool.Put(fr)
}

// commitStream sends a stream's status and headers once its first event
// worth sending has arrived: from here on there is no failover, and the
// upstream's silence is bounded by the idle timeout instead of the
// first-byte one. It reports false when the first-byte timeout fired first.
func (c *call) commitStream(ev *usage.Event, d *route.Deployment, fr *flushingReader, timer *time.Timer) bool {
	if !timer.Stop() {
		return false
	}
	c.committed()
	fr.watchIdle(d.Timeouts.Idle.D(), timer)
	ev.TTFT = time.Since(ev.Time)
	h := c.w.Header()
	h["Content-Type"] = sseType
	h["Cache-Control"] = noCache
	h["X-Accel-Buffering"] = noBuffering
	c.headers(d.Name)
	c.w.WriteHeader(http.StatusOK)
	c.served, c.status = d.Name, http.StatusOK
	return true
}

type nopFlusher struct{}

func (nopFlusher) Flush() {}
