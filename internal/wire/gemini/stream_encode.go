package gemini

import (
	"github.com/switchyard/switchyard/internal/wire"
)

// StreamEncoder writes canonical events as a streamGenerateContent?alt=sse
// body, the way Google sends it: "data: {GenerateContentResponse}\r\n\r\n"
// per chunk, each chunk a delta, no terminator. It implements
// wire.StreamEncoder.
//
// Gemini sends a function call whole, so the encoder buffers a call's
// argument fragments and writes the call once it is complete (at its
// EventBlockEnd, the start of the next block, or the end). The finish
// reason and the usage go in one last chunk written by End, so they may
// arrive in either order; a call still open then goes in that chunk too,
// as Google does.
type StreamEncoder struct {
	model string
	id    string

	call struct {
		open     bool
		index    int
		id, name string
		sig      string
		args     []byte
	}
	finish     wire.Finish
	usage      wire.Usage
	haveUsage  bool
	startUsage wire.Usage // the prompt counts EventStart knew, for the first chunk
	wrote      bool       // a chunk has been written
	ended      bool
}

// NewStreamEncoder returns an encoder that shows model as the modelVersion
// (the EventStart's Model when model is empty).
func NewStreamEncoder(model string) *StreamEncoder {
	return &StreamEncoder{model: model}
}

// Append appends the bytes for ev to dst.
func (e *StreamEncoder) Append(dst []byte, ev *wire.Event) []byte {
	if e.ended {
		return dst
	}
	switch ev.Kind {
	case wire.EventStart:
		if e.id == "" {
			e.id = ev.ID
		}
		if e.model == "" {
			e.model = ev.Model
		}
		e.startUsage = ev.Usage
	case wire.EventText, wire.EventThinking:
		if ev.Text == "" && ev.Signature == "" {
			return dst
		}
		dst = e.flushCall(dst)
		dst = e.chunkStart(dst)
		dst = append(dst, `{"text":`...)
		dst = appendString(dst, ev.Text)
		if ev.Kind == wire.EventThinking {
			dst = append(dst, `,"thought":true`...)
		}
		dst = appendSignature(dst, ev.Signature)
		dst = append(dst, '}')
		dst = e.chunkEnd(dst, false)
	case wire.EventToolStart:
		dst = e.flushCall(dst)
		c := &e.call
		c.open, c.index, c.id, c.name, c.sig = true, ev.Index, ev.ID, ev.Name, ev.Signature
		c.args = c.args[:0]
	case wire.EventToolArgs:
		if e.call.open && e.call.index == ev.Index {
			e.call.args = append(e.call.args, ev.Text...)
		}
	case wire.EventBlockEnd:
		if e.call.open && e.call.index == ev.Index {
			dst = e.flushCall(dst)
		}
	case wire.EventFinish:
		e.finish = ev.Finish
	case wire.EventUsage:
		e.usage, e.haveUsage = ev.Usage, true
	}
	return dst
}

// End appends the last chunk: the finish reason, the usage, and a function
// call still open.
func (e *StreamEncoder) End(dst []byte) []byte {
	if e.ended {
		return dst
	}
	dst = e.chunkStart(dst)
	if e.call.open {
		dst = e.appendOpenCall(dst)
	} else {
		dst = append(dst, `{"text":""}`...)
	}
	dst = e.chunkEnd(dst, true)
	e.ended = true
	return dst
}

// Fail appends an error chunk, which the genai SDKs raise as an APIError.
func (e *StreamEncoder) Fail(dst []byte, err *wire.Error) []byte {
	if e.ended {
		return dst
	}
	e.ended = true
	if err == nil {
		err = &wire.Error{Kind: wire.ErrServer, Message: "the stream broke off"}
	}
	dst = append(dst, "data: "...)
	dst = appendError(dst, err)
	return append(dst, "\r\n\r\n"...)
}

func (e *StreamEncoder) flushCall(dst []byte) []byte {
	if !e.call.open {
		return dst
	}
	dst = e.chunkStart(dst)
	dst = e.appendOpenCall(dst)
	return e.chunkEnd(dst, false)
}

func (e *StreamEncoder) appendOpenCall(dst []byte) []byte {
	c := &e.call
	dst = appendCall(dst, c.id, c.name, c.args)
	dst = appendSignature(dst, c.sig)
	c.open = false
	return append(dst, '}')
}

func (e *StreamEncoder) chunkStart(dst []byte) []byte {
	return append(dst, `data: {"candidates":[{"content":{"parts":[`...)
}

// chunkEnd closes a chunk. The last one carries the finish reason and the
// final usage; the first one the prompt counts known at the start, as
// Google's chunks carry running counts.
func (e *StreamEncoder) chunkEnd(dst []byte, last bool) []byte {
	dst = append(dst, `],"role":"model"}`...)
	if last {
		dst = append(dst, `,"finishReason":"`...)
		dst = append(dst, finishReason(e.finish)...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"index":0}]`...)
	switch {
	case last && e.haveUsage:
		dst = append(dst, ',')
		dst = appendUsage(dst, e.usage)
	case !e.wrote && e.startUsage != (wire.Usage{}):
		dst = append(dst, ',')
		dst = appendUsage(dst, e.startUsage)
	}
	e.wrote = true
	if e.id == "" {
		e.id = newResponseID()
	}
	dst = append(dst, `,"modelVersion":`...)
	dst = appendString(dst, e.model)
	dst = append(dst, `,"responseId":`...)
	dst = appendString(dst, e.id)
	return append(dst, "}\r\n\r\n"...)
}
