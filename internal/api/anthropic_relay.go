package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
)

// The Anthropic pass-through: an Anthropic client served by an Anthropic
// deployment gets the cloud's bytes, so that prompt-cache breakpoints,
// thinking, beta fields and whatever the canonical form does not carry work
// end to end. Usage is read on the way past.

// relayAnthropicBody relays a whole Anthropic message as it came.
func (c *call) relayAnthropicBody(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, timer *time.Timer) (*failure, bool) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := readAnswer(buf, ev, resp, timer); err != nil {
		return c.transportFailure(ctx, ev, d, err)
	}
	var t anthropic.Tally
	t.Message(buf.Bytes())
	if u, ok := t.Usage(); ok {
		ev.Usage = u
	} else {
		ev.Usage, ev.Estimated = estimate(len(c.body), buf.Len()), true
	}
	ev.Outcome = books.Completed
	c.record(ev, d)
	c.served, c.status = d.Name, http.StatusOK
	c.headers(d.Name)
	body := buf.Bytes()
	if _, _, ok := splitModel(body, "model", d.Model); ok {
		body = withModel(make([]byte, 0, len(body)+len(d.Model)), body, "model", d.Model)
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil, true
}

// relayAnthropicStream relays an Anthropic event stream event by event. As
// with the other relays, nothing is written until the first event past
// message_start and ping, so a cloud that fails before its answer starts
// still fails over; after that a break ends the stream with an error event.
func (c *call) relayAnthropicStream(ctx context.Context, ev *books.Event, d *route.Deployment, resp *http.Response, timer *time.Timer) (*failure, bool) {
	defer resp.Body.Close()
	defer timer.Stop()
	flusher, ok := c.w.(http.Flusher)
	if !ok {
		flusher = nopFlusher{}
	}
	sr := relayPool.Get().(*streamRelay)
	defer relayPool.Put(sr)
	t := translationPool.Get().(*translation)
	defer translationPool.Put(t)
	sr.fr = flushingReader{r: resp.Body, f: flusher}
	sr.rd.Reset(&sr.fr)
	ev.Status = resp.StatusCode

	var (
		tally     anthropic.Tally
		committed bool
		stopped   bool // message_stop arrived: the answer is whole
		sawError  bool
		textBytes int
		held      = t.out[:0] // events held until the answer starts, then each frame
		err       error
	)
	for {
		var e sseEvent
		if e, err = sr.next(); err != nil {
			break
		}
		tally.Event(e.name, e.data)
		switch {
		case bytes.Equal(e.name, anthropic.EventError):
			if !committed {
				timer.Stop()
				return c.streamErrorBeforeAnswer(ev, d, anthropic.DecodeError(http.StatusOK, nil, e.data))
			}
			sawError = true
		case bytes.Equal(e.name, anthropic.EventMessageStop):
			stopped = true
		}
		textBytes += len(e.data)
		if committed {
			held = held[:0]
		}
		if bytes.Equal(e.name, eventMessageStart) {
			held = appendFrameModel(held, e, d.Model)
		} else {
			held = appendFrame(held, e)
		}
		if !committed {
			if bytes.Equal(e.name, anthropic.EventPing) || bytes.Equal(e.name, eventMessageStart) {
				continue
			}
			if !c.commitStream(ev, d, &sr.fr, timer) {
				return c.transportFailure(ctx, ev, d, errFirstByteTimeout)
			}
			committed = true
		}
		c.w.Write(held)
		sr.fr.dirty = true
		if stopped {
			break
		}
	}
	if !committed {
		timer.Stop()
		if err == nil || err == io.EOF {
			err = errors.New("stream ended before any answer")
		}
		return c.transportFailure(ctx, ev, d, err)
	}
	t.out = held[:0]
	if context.Cause(ctx) == errFirstByteTimeout {
		err = errIdleTimeout
	}

	if u, ok := tally.Usage(); ok {
		ev.Usage = u
	} else {
		ev.Usage, ev.Estimated = estimate(len(c.body), textBytes), true
	}
	var tail []byte
	switch {
	case stopped && !sawError:
		ev.Outcome = books.Completed
	case c.r.Context().Err() != nil:
		ev.Outcome = books.ClientAborted
	default:
		ev.Outcome = books.Interrupted
		if !sawError {
			msg := "the provider's stream broke off before the answer was complete"
			if err != nil && err != io.EOF {
				msg += ": " + scrub(err)
			}
			we := &wire.Error{Kind: wire.ErrServer, Status: http.StatusBadGateway, Code: "upstream_interrupted", Message: msg}
			tail = append(append([]byte("event: error\ndata: "), anthropic.EncodeError(we)...), "\n\n"...)
		}
	}
	c.record(ev, d) // in the books before the client sees the end
	if tail != nil {
		c.w.Write(tail)
	}
	flusher.Flush()
	if ev.Outcome == books.Completed {
		timer.Reset(drainGrace) // let the connection go back to the pool (see relayStream)
		io.CopyN(io.Discard, resp.Body, drainLimit)
		timer.Stop()
	}
	return nil, true
}

// sseEvent is one event of a relayed stream; its slices are valid until the
// next read.
type sseEvent struct{ name, data []byte }

func (sr *streamRelay) next() (sseEvent, error) {
	e, err := sr.rd.Next()
	return sseEvent{name: e.Name, data: e.Data}, err
}

// appendFrame appends e as an SSE frame: "event: NAME\ndata: DATA\n\n".
func appendFrame(dst []byte, e sseEvent) []byte {
	if e.name != nil {
		dst = append(dst, "event: "...)
		dst = append(dst, e.name...)
		dst = append(dst, '\n')
	}
	dst = append(dst, "data: "...)
	dst = append(dst, e.data...)
	return append(dst, "\n\n"...)
}

var eventMessageStart = []byte("message_start")

// appendFrameModel appends message_start as a frame, naming the public model
// in its message.
func appendFrameModel(dst []byte, e sseEvent, model string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, e.name...)
	dst = append(dst, "\ndata: "...)
	dst = withModel(dst, e.data, "message.model", model)
	return append(dst, "\n\n"...)
}
