package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// translation is the per-stream scratch space of a translated stream, pooled.
type translation struct {
	evs []wire.Event
	out []byte
}

var translationPool = sync.Pool{New: func() any { return &translation{evs: make([]wire.Event, 0, 8), out: make([]byte, 0, 4096)} }}

// newStreamEncoder returns the encoder of the client's stream format, naming
// model, the public name of the model that answers.
func (c *call) newStreamEncoder(model string) wire.StreamEncoder {
	if c.in == wire.Anthropic {
		return anthropic.NewStreamEncoder("msg_"+c.id[len("req_"):], model)
	}
	return openai.NewStreamEncoder("chatcmpl-"+c.id[len("req_"):], model, time.Now().Unix(), c.req.IncludeUsage)
}

// relayTranslatedStream relays a stream from another format event by event:
// each upstream frame is decoded to canonical events, encoded in the client's
// format and written; output is flushed whenever the decoder is about to wait
// for the upstream. As with same-format streams, nothing is written until the
// first event with content, so an upstream that fails before it still fails
// over; after it, a failure ends the stream with an error in the client's
// format.
func (c *call) relayTranslatedStream(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, timer *time.Timer) (*failure, bool) {
	defer resp.Body.Close()
	flusher, ok := c.w.(http.Flusher)
	if !ok {
		flusher = nopFlusher{}
	}
	fr := &flushingReader{r: resp.Body, f: flusher}
	defer timer.Stop()
	dec := codecFor(d.Provider.Format()).newDecoder(fr)
	enc := c.newStreamEncoder(d.Model)
	t := translationPool.Get().(*translation)
	defer translationPool.Put(t)
	ev.Status = resp.StatusCode

	var (
		committed, content, finished bool
		usage                        wire.Usage
		gotUsage                     bool
		textBytes                    int
		err                          error
	)
	out := t.out[:0]
	for {
		t.evs, err = dec.Next(t.evs[:0])
		for i := range t.evs {
			e := &t.evs[i]
			switch e.Kind {
			case wire.EventStart:
				if e.Usage != (wire.Usage{}) && !gotUsage {
					usage = e.Usage
				}
			case wire.EventUsage:
				usage, gotUsage = e.Usage, true
			case wire.EventText, wire.EventThinking, wire.EventToolArgs:
				textBytes += len(e.Text)
				content = true
			case wire.EventToolStart:
				content = true
			case wire.EventFinish:
				finished, content = true, true
			}
			out = enc.Append(out, e)
		}
		if err != nil {
			break
		}
		if !committed && content {
			if !c.commitStream(ev, d, fr, timer) {
				return c.transportFailure(ctx, ev, d, errFirstByteTimeout)
			}
			committed = true
		}
		if committed && len(out) > 0 {
			c.w.Write(out)
			out = out[:0]
			fr.dirty = true
		}
	}
	t.out = out[:0]

	if committed && context.Cause(ctx) == errFirstByteTimeout {
		err = errIdleTimeout
	}
	var we *wire.Error
	upstreamErr := errors.As(err, &we)
	if !committed {
		timer.Stop()
		switch {
		case upstreamErr:
			return c.streamErrorBeforeAnswer(ev, d, we)
		case err == io.EOF:
			err = errors.New("stream ended before any answer")
		}
		return c.transportFailure(ctx, ev, d, err)
	}

	// Committed: the answer ends here, whole or not.
	if gotUsage {
		ev.Usage = usage
	} else {
		est := estimate(len(c.body), textBytes)
		if usage.Prompt > 0 {
			est.Prompt = usage.Prompt
		}
		ev.Usage, ev.Estimated = est, true
	}
	switch {
	case err == io.EOF && finished:
		ev.Outcome = books.Completed
		out = enc.End(out)
	case c.r.Context().Err() != nil:
		ev.Outcome = books.ClientAborted
	default:
		ev.Outcome = books.Interrupted
		if !upstreamErr {
			msg := "the provider's stream broke off before the answer was complete"
			if err != io.EOF {
				msg += ": " + scrub(err)
			}
			we = &wire.Error{Kind: wire.ErrServer, Status: http.StatusBadGateway, Code: "upstream_interrupted", Message: msg}
		}
		out = enc.Fail(out, we)
	}
	// In the books before the client sees the end.
	c.record(ev, d)
	if len(out) > 0 {
		c.w.Write(out)
		flusher.Flush()
	}
	t.out = out[:0]
	if ev.Outcome == books.Completed {
		// Let the upstream connection go back to the pool (see relayStream).
		timer.Reset(drainGrace)
		io.CopyN(io.Discard, resp.Body, drainLimit)
		timer.Stop()
	}
	return nil, true
}

// streamErrorBeforeAnswer handles an error event that arrived before any
// content: like an error status, it fails over, and a throttle cools d down.
func (c *call) streamErrorBeforeAnswer(ev *books.Event, d *route.Deployment, we *wire.Error) (*failure, bool) {
	f := &failure{deployment: d.Name, status: we.HTTPStatus(), reason: "provider sent an error event before any answer: " + clip(we.Message, 200)}
	if we.Kind == wire.ErrRateLimit {
		wait := we.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		f.throttled, f.retryAfter = true, wait
	}
	return c.failed(ev, d, f), false
}
