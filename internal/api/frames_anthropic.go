package api

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/sse"
	"github.com/tidwall/gjson"
)

// The Anthropic pass-through: an Anthropic client served by an Anthropic
// deployment gets the cloud's bytes, so that prompt-cache breakpoints,
// thinking, beta fields and whatever the canonical form does not carry work
// end to end. Usage is read on the way past.

// anthropicStream passes an Anthropic event stream through event by event.
// message_start and ping are not content: they are held until the answer
// starts, so a cloud that fails before its answer still fails over.
type anthropicStream struct {
	rd    *sse.Reader
	model string
	tally anthropic.Tally
	// The prompt is final in message_start; the completion only in
	// message_delta (message_start's output count is provisional).
	prompt, completion bool
	text               textCounter
}

var anthropicStreamPool = sync.Pool{New: func() any { return &anthropicStream{rd: sse.NewReader(nil, maxEventLine)} }}

func newAnthropicStream(r io.Reader, model string) *anthropicStream {
	a := anthropicStreamPool.Get().(*anthropicStream)
	rd := a.rd
	rd.Reset(r)
	*a = anthropicStream{rd: rd, model: model}
	return a
}

func (a *anthropicStream) release() { a.text.release(); anthropicStreamPool.Put(a) }

var (
	eventMessageStart = []byte("message_start")
	eventMessageDelta = []byte("message_delta")
	eventBlockDelta   = []byte("content_block_delta")
	eventBlockStart   = []byte("content_block_start")
)

func (a *anthropicStream) next(out []byte) ([]byte, frame, error) {
	e, err := a.rd.Next()
	if err != nil {
		return out, 0, err
	}
	name, data := e.Name, e.Data
	a.tally.Event(name, data)
	switch {
	case bytes.Equal(name, anthropic.EventError):
		return out, 0, anthropic.DecodeError(http.StatusOK, nil, data)
	case bytes.Equal(name, eventMessageStart):
		a.prompt = gjson.GetBytes(data, "message.usage.input_tokens").Exists()
		out = appendEvent(out, name, nil)
		out = withModel(out, data, "message.model", a.model)
		return append(out, eventEnd...), 0, nil
	case bytes.Equal(name, anthropic.EventPing):
		return appendFrame(out, name, data), 0, nil
	case bytes.Equal(name, eventMessageDelta):
		a.completion = a.completion || gjson.GetBytes(data, "usage.output_tokens").Exists()
	case bytes.Equal(name, eventBlockStart):
		a.text.hold(chunkAnthropicStart, data)
	case bytes.Equal(name, eventBlockDelta):
		a.text.hold(chunkAnthropicDelta, data)
	case bytes.Equal(name, anthropic.EventMessageStop):
		return appendFrame(out, name, data), frameContent | frameDone, nil
	}
	return appendFrame(out, name, data), frameContent, nil
}

// end adds nothing: message_stop, the last event, came with the answer.
func (a *anthropicStream) end(out []byte) []byte { return out }

func (a *anthropicStream) fail(out []byte, we *wire.Error) []byte {
	out = appendEvent(out, anthropic.EventError, nil)
	out = append(out, anthropic.EncodeError(we)...)
	return append(out, eventEnd...)
}

func (a *anthropicStream) usage() (wire.Usage, bool, bool) {
	u, _ := a.tally.Usage()
	return u, a.prompt, a.completion
}

func (a *anthropicStream) delivered() int64 { return a.text.tokens() }

// appendEvent appends "event: NAME\ndata: " (the name line only when name is
// not nil) and data.
func appendEvent(dst, name, data []byte) []byte {
	if name != nil {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	dst = append(dst, dataPrefix...)
	return append(dst, data...)
}

// appendFrame appends a whole SSE frame: "event: NAME\ndata: DATA\n\n".
func appendFrame(dst, name, data []byte) []byte {
	return append(appendEvent(dst, name, data), eventEnd...)
}

// anthropicWhole passes a whole Anthropic message through, naming the
// public model.
type anthropicWhole struct {
	wholeAnswer
	model string
}

func (a *anthropicWhole) next(out []byte) ([]byte, frame, error) {
	body, err := a.read()
	if err != nil {
		return out, 0, err
	}
	var t anthropic.Tally
	t.Message(body)
	if u, ok := t.Usage(); ok {
		a.u, a.reported = u, true
	} else {
		for _, c := range gjson.GetBytes(body, "content").Array() {
			a.text.write(c.Get("text").String())
			if c.Get("type").Str == "tool_use" {
				a.text.write(c.Get("name").String())
				a.text.write(c.Get("input").Raw)
			}
		}
	}
	return withModel(out, body, "model", a.model), frameContent | frameDone, nil
}
