package openai

import (
	"strconv"

	"github.com/switchyard/switchyard/internal/wire"
)

// StreamEncoder turns canonical events into the Chat Completions stream an
// OpenAI client expects; it implements wire.StreamEncoder. Every frame is a
// complete "data: {…}\n\n" chunk shaped as OpenAI sends it: object
// chat.completion.chunk, the same id, created and model on every chunk, a
// first chunk whose delta has role "assistant", tool calls numbered from 0 in
// the order they start with id, type and name on their first delta and
// argument fragments after, a chunk with the finish_reason and an empty
// delta, then (when the client asked for include_usage) a chunk with no
// choices and the usage, then "data: [DONE]". Earlier chunks carry no "usage"
// key at all, and no chunk ever carries "error": null (openai-go aborts on any
// "error" key). Reasoning deltas go out as delta.reasoning_content, as vLLM
// sends them.
type StreamEncoder struct {
	head         []byte // `data: {"id":…,"object":…,"created":…,"model":…,` shared by every chunk
	includeUsage bool
	started      bool // the role chunk is out
	finished     bool // the finish chunk is out
	ended        bool // End or Fail ran
	sawTools     bool
	usage        wire.Usage
	calls        []int // block index of each tool call, by OpenAI tool call index
}

// NewStreamEncoder returns an encoder for one answer. id is the chunk id the
// client sees (a "chatcmpl-…" id is made up when empty), model the name it
// asked for, created the Unix time shared by every chunk, includeUsage the
// client's stream_options.include_usage.
func NewStreamEncoder(id, model string, created int64, includeUsage bool) *StreamEncoder {
	if id == "" {
		id = newID()
	}
	h := make([]byte, 0, 96+len(id)+len(model))
	h = append(h, `data: {"id":`...)
	h = appendJSONString(h, id)
	h = append(h, `,"object":"chat.completion.chunk","created":`...)
	h = strconv.AppendInt(h, created, 10)
	h = append(h, `,"model":`...)
	h = appendJSONString(h, model)
	h = append(h, ',')
	return &StreamEncoder{head: h, includeUsage: includeUsage}
}

var _ wire.StreamEncoder = (*StreamEncoder)(nil)

const (
	choiceOpen  = `"choices":[{"index":0,"delta":`
	choiceClose = `,"logprobs":null,"finish_reason":null}]}` + "\n\n"
)

// Append appends the frames for ev to dst.
func (e *StreamEncoder) Append(dst []byte, ev *wire.Event) []byte {
	if e.ended {
		return dst
	}
	switch ev.Kind {
	case wire.EventStart:
		if ev.Usage != (wire.Usage{}) {
			e.usage = ev.Usage
		}
		return e.start(dst)
	case wire.EventText:
		if ev.Text == "" {
			return dst
		}
		dst = e.start(dst)
		dst = e.open(dst)
		dst = append(dst, `{"content":`...)
		dst = appendJSONString(dst, ev.Text)
		dst = append(dst, '}')
		return e.close(dst)
	case wire.EventThinking:
		if ev.Text == "" {
			return dst // a signature-only delta: nothing an OpenAI client can use
		}
		dst = e.start(dst)
		dst = e.open(dst)
		dst = append(dst, `{"reasoning_content":`...)
		dst = appendJSONString(dst, ev.Text)
		dst = append(dst, '}')
		return e.close(dst)
	case wire.EventToolStart:
		dst = e.start(dst)
		k := len(e.calls)
		e.calls = append(e.calls, ev.Index)
		e.sawTools = true
		dst = e.open(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(k), 10)
		dst = append(dst, `,"id":`...)
		dst = appendJSONString(dst, ev.ID)
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = appendJSONString(dst, ev.Name)
		dst = append(dst, `,"arguments":""}}]}`...)
		return e.close(dst)
	case wire.EventToolArgs:
		k := e.call(ev.Index)
		if k < 0 || ev.Text == "" {
			return dst // fragments of a call that never started have nowhere to go
		}
		dst = e.open(dst)
		dst = append(dst, `{"tool_calls":[{"index":`...)
		dst = strconv.AppendInt(dst, int64(k), 10)
		dst = append(dst, `,"function":{"arguments":`...)
		dst = appendJSONString(dst, ev.Text)
		dst = append(dst, "}}]}"...)
		return e.close(dst)
	case wire.EventFinish:
		return e.finish(dst, ev.Finish)
	case wire.EventUsage:
		e.usage = ev.Usage // sent by End, after the finish chunk, as OpenAI does
	}
	return dst
}

// call returns the OpenAI tool call index of the call in block, or -1.
func (e *StreamEncoder) call(block int) int {
	for k := len(e.calls) - 1; k >= 0; k-- {
		if e.calls[k] == block {
			return k
		}
	}
	return -1
}

func (e *StreamEncoder) start(dst []byte) []byte {
	if e.started {
		return dst
	}
	e.started = true
	dst = e.open(dst)
	dst = append(dst, `{"role":"assistant","content":"","refusal":null}`...)
	return e.close(dst)
}

func (e *StreamEncoder) open(dst []byte) []byte {
	dst = append(dst, e.head...)
	return append(dst, choiceOpen...)
}

func (e *StreamEncoder) close(dst []byte) []byte { return append(dst, choiceClose...) }

func (e *StreamEncoder) finish(dst []byte, f wire.Finish) []byte {
	if e.finished {
		return dst
	}
	dst = e.start(dst)
	e.finished = true
	dst = e.open(dst)
	dst = append(dst, `{},"logprobs":null,"finish_reason":`...)
	dst = appendFinish(dst, f, e.sawTools)
	return append(dst, "}]}\n\n"...)
}

// End appends what closes a complete stream: the finish chunk if no
// EventFinish came, the usage chunk when the client asked for it, then
// "data: [DONE]".
func (e *StreamEncoder) End(dst []byte) []byte {
	if e.ended {
		return dst
	}
	dst = e.finish(dst, 0)
	e.ended = true
	if e.includeUsage {
		dst = append(dst, e.head...)
		dst = append(dst, `"choices":[],"usage":`...)
		dst = appendUsage(dst, e.usage)
		dst = append(dst, "}\n\n"...)
	}
	return append(dst, "data: [DONE]\n\n"...)
}

// Fail appends an error chunk {"error":{…}} (the envelope of EncodeError) and
// "data: [DONE]", ending a stream the provider broke off. openai-go reports
// the chunk as a streaming error; the npm SDK throws on it.
func (e *StreamEncoder) Fail(dst []byte, err *wire.Error) []byte {
	if e.ended {
		return dst
	}
	e.ended = true
	dst = append(dst, "data: "...)
	dst = append(dst, EncodeError(err)...)
	dst = append(dst, "\n\ndata: [DONE]\n\n"...)
	return dst
}
