package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsonw"
	"github.com/switchyard/switchyard/internal/wire/openai"
	"github.com/switchyard/switchyard/internal/wire/sse"
)

// maxEventLine caps one SSE line from an upstream (a single chunk's JSON).
const maxEventLine = 8 << 20

// After [DONE], how much of the upstream body is read and for how long, so
// the connection can be reused (see relayStream).
const (
	drainLimit = 64 << 10
	drainGrace = 250 * time.Millisecond
)

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	doneEvent  = []byte("data: [DONE]\n\n")
	doneData   = []byte("[DONE]")
	errorKey   = []byte(`"error"`)
)

// flushingReader sits between the upstream body and the SSE reader and flushes
// the client's pending output whenever the reader is about to wait for more
// upstream bytes. Events that arrive together leave together in one write;
// an event is never held back waiting for the next one.
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

// errIdleTimeout ends a stream whose upstream went silent.
var errIdleTimeout = errors.New("the provider sent nothing for longer than the deployment's idle timeout")

// streamRelay is the per-stream state, pooled: its SSE buffer is the largest
// allocation a stream would otherwise make.
type streamRelay struct {
	fr   flushingReader
	rd   *sse.Reader
	name []byte // the public model name as a JSON string, for rewriting chunks
}

var relayPool = sync.Pool{New: func() any {
	sr := &streamRelay{}
	sr.rd = sse.NewReader(&sr.fr, maxEventLine)
	return sr
}}

// relayStream relays an SSE answer event by event. Until the first event worth
// sending has arrived nothing is written, so an upstream that accepts and then
// breaks off (or stays silent past the first-byte timeout) still fails over.
// After that, a failure ends the stream with an error event in OpenAI's format.
func (c *call) relayStream(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, forceUsage bool, timer *time.Timer) (*failure, bool) {
	defer resp.Body.Close()
	flusher, ok := c.w.(http.Flusher)
	if !ok {
		flusher = nopFlusher{}
	}
	sr := relayPool.Get().(*streamRelay)
	defer relayPool.Put(sr)
	sr.fr = flushingReader{r: resp.Body, f: flusher}
	defer timer.Stop()
	sr.rd.Reset(&sr.fr)
	ev.Status = resp.StatusCode
	cleaner, _ := d.Provider.(provider.Cleaner)

	var (
		committed bool
		usage     wire.Usage
		gotUsage  bool
		chunks    int
		sawError  bool
		w         = c.w
	)
	for {
		e, err := sr.rd.Next()
		if err != nil {
			if !committed {
				timer.Stop()
				if err == io.EOF {
					err = io.ErrUnexpectedEOF // the stream ended before any answer
				}
				return c.transportFailure(ctx, ev, d, err)
			}
			if context.Cause(ctx) == errFirstByteTimeout {
				err = errIdleTimeout
			}
			return c.endStream(ev, d, err, usage, gotUsage, chunks, sawError)
		}
		data := e.Data
		if bytes.HasPrefix(data, doneData) {
			if !committed {
				timer.Stop()
				return c.transportFailure(ctx, ev, d, errors.New("stream ended before any answer"))
			}
			f, done := c.endStream(ev, d, nil, usage, gotUsage, chunks, sawError)
			// Read on to the end of the upstream body so its connection goes
			// back to the pool: closing it at [DONE], before the chunked
			// terminator arrived, discards the connection and the next
			// request pays for a new one. A server that holds the stream open
			// after [DONE] gets a short grace before the attempt is cancelled.
			timer.Reset(drainGrace)
			io.CopyN(io.Discard, resp.Body, drainLimit)
			timer.Stop()
			return f, done
		}
		if cleaner != nil {
			if data, ok = cleaner.CleanChunk(data); !ok {
				continue
			}
		}
		if bytes.Contains(data, errorKey) && isErrorChunk(data) {
			if !committed {
				timer.Stop()
				f := &failure{deployment: d.Name, status: http.StatusBadGateway, reason: "provider sent an error event before any answer",
					upstream: openai.NormalizeError(http.StatusBadGateway, data)}
				return c.failed(ev, d, f), false
			}
			sawError = true // forwarded as is: it is already an OpenAI error chunk
		}
		if openai.MayHaveUsage(data) {
			if ch := openai.ScanChunk(data); ch.HasUsage {
				usage, gotUsage = ch.Usage, true
				if forceUsage && ch.NoChoices {
					continue // the client did not ask for a usage chunk
				}
			}
		}
		if !committed {
			if !c.commitStream(ev, d, &sr.fr, timer) {
				return c.transportFailure(ctx, ev, d, errFirstByteTimeout)
			}
			committed = true
		}
		w.Write(dataPrefix)
		if head, tail, ok := splitModel(data, "model", d.Model); ok {
			w.Write(head)
			sr.name = jsonw.String(sr.name[:0], d.Model)
			w.Write(sr.name)
			w.Write(tail)
		} else {
			w.Write(data)
		}
		w.Write(eventEnd)
		sr.fr.dirty = true
		chunks++
	}
}

// commitStream sends a stream's status and headers once its first event
// worth sending has arrived: from here on there is no failover, and the
// upstream's silence is bounded by the idle timeout instead of the
// first-byte one. It reports false when the first-byte timeout fired first.
func (c *call) commitStream(ev *books.Event, d *route.Deployment, fr *flushingReader, timer *time.Timer) bool {
	if !timer.Stop() {
		return false
	}
	c.committed()
	fr.watchIdle(d.Timeouts.Idle.D(), timer)
	ev.FirstByte = time.Since(ev.Start)
	h := c.w.Header()
	h["Content-Type"] = sseType
	h["Cache-Control"] = noCache
	h["X-Accel-Buffering"] = noBuffering
	c.headers(d.Name)
	c.w.WriteHeader(http.StatusOK)
	c.served, c.status = d.Name, http.StatusOK
	return true
}

// endStream closes a committed stream: cleanly after [DONE], or, when the
// upstream broke off, with an error event so the client knows the answer is
// incomplete. Usage is the provider's when it sent it, else an estimate. The
// attempt is recorded before the final bytes go out, so an answer the client
// saw whole is always in the books.
func (c *call) endStream(ev *books.Event, d *route.Deployment, err error, usage wire.Usage, gotUsage bool, chunks int, sawError bool) (*failure, bool) {
	var tail []byte
	switch {
	case err == nil && !sawError:
		ev.Outcome, tail = books.Completed, doneEvent
	case err == io.EOF && gotUsage && !sawError:
		// Some servers omit [DONE] after the usage chunk: the answer is whole.
		ev.Outcome, tail = books.Completed, doneEvent
	case c.r.Context().Err() != nil:
		ev.Outcome = books.ClientAborted
	default:
		ev.Outcome, tail = books.Interrupted, doneEvent
		if !sawError {
			msg := "the provider's stream broke off before the answer was complete"
			if err != nil && err != io.EOF {
				msg += ": " + scrub(err)
			}
			e := &openai.Error{Type: "server_error", Code: "upstream_interrupted", Message: msg}
			tail = append(append(append(append([]byte(nil), dataPrefix...), e.Body()...), eventEnd...), doneEvent...)
		}
	}
	if gotUsage {
		ev.Usage = usage
	} else {
		// Each content chunk carries about one token.
		ev.Usage, ev.Estimated = wire.Usage{Prompt: estimate(len(c.body), 0).Prompt, Completion: int64(chunks)}, true
	}
	c.record(ev, d)
	if tail != nil {
		c.w.Write(tail)
		if f, ok := c.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	return nil, true
}

func isErrorChunk(data []byte) bool { return openai.IsErrorChunk(data) }

type nopFlusher struct{}

func (nopFlusher) Flush() {}
