package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// The relay copies an upstream answer to the client through a frame codec,
// as httputil.ReverseProxy has one copy path for every kind of body. The
// codec knows the formats (an OpenAI stream passed through, an Anthropic one,
// a translated one, or a whole answer of any of them); the relay knows the
// rules every answer follows:
//
//   - nothing is written until the answer has started (the first frame with
//     content), so an upstream that fails before that still fails over;
//   - once written, silence is bounded by the idle timeout, and a break ends
//     the answer with an error in the client's format, never a silent cut;
//   - the attempt is recorded before the final bytes go out, so an answer the
//     client saw whole is always in the books;
//   - after a complete stream the upstream body is read to its end, so its
//     connection goes back to the pool.

// frame says what a codec's step produced.
type frame uint8

const (
	// frameContent: the answer has started; the relay commits to it.
	frameContent frame = 1 << iota
	// frameDone: the answer is whole. The bytes of this step are the last of
	// the answer and are written only after the attempt is recorded.
	frameDone
)

// A frameCodec turns what one upstream sends into what the client gets.
// Errors: a *wire.Error is an error the provider sent (an error event or
// chunk); a *badAnswer is an answer that could not be read or re-expressed;
// anything else is the transport's.
type frameCodec interface {
	// next appends to out the client's bytes for the upstream's next frame.
	next(out []byte) ([]byte, frame, error)
	// end appends what closes a complete answer.
	end(out []byte) []byte
	// fail appends an error that ends a broken answer.
	fail(out []byte, we *wire.Error) []byte
	// usage is the usage the provider reported so far, and which parts of it
	// are final: a stream may report its prompt at the start and its
	// completion only at the end.
	usage() (u wire.Usage, prompt, completion bool)
	// delivered estimates the completion tokens of the content the client
	// was sent, for when the provider reported none.
	delivered() int64
	// release returns the codec to its pool.
	release()
}

// badAnswer is an answer that arrived but could not be used: it fails over
// like a server error.
type badAnswer struct{ reason string }

func (b *badAnswer) Error() string { return b.reason }

// After a complete stream, how much of the upstream body is read and for how
// long, so the connection can be reused (see relay).
const (
	drainLimit = 64 << 10
	drainGrace = 250 * time.Millisecond
)

// errIdleTimeout ends a stream whose upstream went silent.
var errIdleTimeout = errors.New("the provider sent nothing for longer than the deployment's idle timeout")

// outPool holds the relay's output buffers.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// relay relays resp through fc: a stream when stream is set, else a whole
// answer. fr is the flushing reader the codec reads a stream through (nil for
// a whole answer). done reports that the call is over; otherwise f says why
// this attempt failed and the next may be tried.
func (c *call) relay(ctx context.Context, ev *usage.Event, d *route.Deployment, resp *http.Response, timer *time.Timer,
	fc frameCodec, fr *flushingReader, stream bool) (f *failure, done bool) {
	defer resp.Body.Close()
	defer timer.Stop()
	ev.Status = resp.StatusCode
	bp := outPool.Get().(*[]byte)
	out := (*bp)[:0]
	defer func() { *bp = out[:0]; outPool.Put(bp) }()

	var (
		committed bool
		step      frame
		err       error
	)
	for {
		out, step, err = fc.next(out)
		if err != nil {
			break
		}
		if !committed {
			if step&frameContent == 0 {
				continue // held until the answer starts
			}
			if stream && !c.commitStream(ev, d, fr, timer) {
				return c.transportFailure(ctx, ev, d, errFirstByteTimeout)
			}
			committed = true
		}
		if step&frameDone != 0 {
			break
		}
		if stream && len(out) > 0 {
			c.w.Write(out)
			out = out[:0]
			fr.dirty = true
		}
	}

	var we *wire.Error
	upstreamErr := errors.As(err, &we)
	if !committed {
		if !upstreamErr {
			// The cloud accepted the request (2xx) and broke off before any
			// content: it bills the prompt all the same, so the attempt
			// carries what it reported (Anthropic's message_start) or an
			// estimate, not zero.
			c.settleUsage(ev, fc)
		}
		var bad *badAnswer
		switch {
		case upstreamErr:
			return c.streamErrorBeforeAnswer(ev, d, we)
		case errors.As(err, &bad):
			return c.failed(ev, d, &failure{deployment: d.Name, status: resp.StatusCode, reason: bad.reason}), false
		case err == nil || err == io.EOF:
			err = errors.New("stream ended before any answer")
		}
		return c.transportFailure(ctx, ev, d, err)
	}

	// Committed: the answer ends here, whole or not.
	if stream && context.Cause(ctx) == errFirstByteTimeout {
		err, upstreamErr = errIdleTimeout, false
	}
	switch {
	case err == nil:
		ev.Outcome = usage.Completed
		out = fc.end(out)
	case c.r.Context().Err() != nil:
		ev.Outcome = usage.ClientAborted
	default:
		ev.Outcome = usage.Interrupted
		if !upstreamErr {
			msg := "the provider's stream broke off before the answer was complete"
			if err != io.EOF {
				msg += ": " + scrub(err)
			}
			we = &wire.Error{Kind: wire.ErrServer, Status: http.StatusBadGateway, Code: "upstream_interrupted", Message: msg}
		}
		out = fc.fail(out, we)
	}
	c.settleUsage(ev, fc)
	c.record(ev, d) // in the books before the client sees the end

	if !stream {
		c.served, c.status = d.Name, http.StatusOK
		c.headers(d.Name)
		writeJSON(c.w, http.StatusOK, out)
		return nil, true
	}
	if len(out) > 0 && ev.Outcome != usage.ClientAborted {
		c.w.Write(out)
	}
	fr.f.Flush()
	if ev.Outcome == usage.Completed {
		timer.Reset(drainGrace)
		io.CopyN(io.Discard, resp.Body, drainLimit)
		timer.Stop()
	}
	return nil, true
}

// settleUsage fills in the event's usage: the provider's report where it
// made one (always believed), else an estimate, marked as such: the prompt
// from the request, the completion from the content actually delivered.
func (c *call) settleUsage(ev *usage.Event, fc frameCodec) {
	u, prompt, completion := fc.usage()
	if !prompt {
		u.Prompt, u.Cached, u.CacheWrite = c.promptEstimate(), 0, 0
	}
	if !completion {
		u.Completion, u.Reasoning = fc.delivered(), 0
	}
	ev.Usage, ev.Source = u, usage.Reported
	if !prompt || !completion {
		ev.Source = usage.Estimated
	}
}

// readAnswer reads a whole (non-stream) answer into buf, within the size
// cap and the attempt's response timeout, and fills in the event's status
// and time to answer. The whole answer is read before anything is written,
// so a failure while reading still fails over.
func readAnswer(buf *bytes.Buffer, ev *usage.Event, resp *http.Response, timer *time.Timer) error {
	if resp.ContentLength > 0 && resp.ContentLength <= maxUpstreamBody {
		buf.Grow(int(resp.ContentLength))
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxUpstreamBody+1))
	resp.Body.Close()
	fired := !timer.Stop()
	ev.Status = resp.StatusCode
	ev.TTFT = time.Since(ev.Time)
	switch {
	case err == nil && buf.Len() > maxUpstreamBody:
		err = errors.New("answer larger than " + strconv.Itoa(maxUpstreamBody) + " bytes")
	case err == nil && fired:
		err = errFirstByteTimeout
	}
	return err
}

// maxUpstreamBody caps a non-stream answer the gateway will buffer: a
// misbehaving upstream must not exhaust memory.
const maxUpstreamBody = 64 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readLimited reads at most n bytes of r.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}
