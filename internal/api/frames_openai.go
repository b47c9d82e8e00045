package api

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsonw"
	"github.com/switchyard/switchyard/internal/wire/openai"
	"github.com/switchyard/switchyard/internal/wire/sse"
	"github.com/tidwall/gjson"
)

// openaiStream passes an OpenAI-format stream through: each chunk goes out as
// it came, cleaned of the cloud's dialect (Azure's filter chunks) and naming
// the public model. The usage chunk the gateway asked for on the client's
// behalf (forceUsage) is read and not forwarded.
type openaiStream struct {
	rd         *sse.Reader
	cleaner    provider.Cleaner
	forceUsage bool
	model      string

	u        wire.Usage
	gotUsage bool
	sent     bool // a chunk has been forwarded
	text     textCounter
	models   modelPrefix
}

var openaiStreamPool = sync.Pool{New: func() any { return &openaiStream{rd: sse.NewReader(nil, maxEventLine)} }}

// maxEventLine caps one SSE line from an upstream (a single chunk's JSON).
const maxEventLine = 8 << 20

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	doneEvent  = []byte("data: [DONE]\n\n")
	doneData   = []byte("[DONE]")
	errorKey   = []byte(`"error"`)
)

func newOpenAIStream(r io.Reader, cl provider.Cleaner, forceUsage bool, model string) *openaiStream {
	o := openaiStreamPool.Get().(*openaiStream)
	rd := o.rd
	rd.Reset(r)
	prefix := o.models.prefix[:0]
	*o = openaiStream{rd: rd, cleaner: cl, forceUsage: forceUsage, model: model}
	o.models.prefix = prefix // the pooled buffer is kept
	return o
}

func (o *openaiStream) release() { o.cleaner = nil; o.text.release(); openaiStreamPool.Put(o) }

func (o *openaiStream) next(out []byte) ([]byte, frame, error) {
	for {
		e, err := o.rd.Next()
		if err != nil {
			if err == io.EOF && o.gotUsage && o.sent {
				// Some servers omit [DONE] after the usage chunk: the answer is whole.
				return out, frameDone, nil
			}
			return out, 0, err
		}
		data := e.Data
		if bytes.HasPrefix(data, doneData) {
			if !o.sent {
				return out, 0, io.EOF // [DONE] before any answer
			}
			return out, frameDone, nil
		}
		if o.cleaner != nil {
			var ok bool
			if data, ok = o.cleaner.CleanChunk(data); !ok {
				continue
			}
		}
		if bytes.Contains(data, errorKey) && openai.IsErrorChunk(data) {
			return out, 0, openai.DecodeError(http.StatusOK, nil, data)
		}
		if openai.MayHaveUsage(data) {
			if ch := openai.ScanChunk(data); ch.HasUsage {
				o.u, o.gotUsage = ch.Usage, true
				if o.forceUsage && ch.NoChoices {
					continue // the client did not ask for a usage chunk
				}
			}
		}
		o.text.hold(chunkOpenAI, data)
		out = append(out, dataPrefix...)
		if head, tail, ok := o.models.split(data, o.model); ok {
			out = append(out, head...)
			out = jsonw.String(out, o.model)
			out = append(out, tail...)
		} else {
			out = append(out, data...)
		}
		out = append(out, eventEnd...)
		o.sent = true
		return out, frameContent, nil
	}
}

func (o *openaiStream) end(out []byte) []byte { return append(out, doneEvent...) }

func (o *openaiStream) fail(out []byte, we *wire.Error) []byte {
	e := &openai.Error{Type: "server_error", Code: we.Code, Message: we.Message}
	if e.Code == "" {
		e.Code = "upstream_error"
	}
	out = append(out, dataPrefix...)
	out = append(out, e.Body()...)
	out = append(out, eventEnd...)
	return append(out, doneEvent...)
}

func (o *openaiStream) usage() (wire.Usage, bool, bool) { return o.u, o.gotUsage, o.gotUsage }
func (o *openaiStream) delivered() int64                { return o.text.tokens() }

// openaiWhole passes a whole OpenAI-format answer through, cleaned and naming
// the public model.
type openaiWhole struct {
	wholeAnswer
	cleaner provider.Cleaner
	model   string
}

func (o *openaiWhole) next(out []byte) ([]byte, frame, error) {
	body, err := o.read()
	if err != nil {
		return out, 0, err
	}
	if u, ok := openai.UsageOf(body); ok {
		o.u, o.reported = u, true
	} else {
		m := gjson.GetBytes(body, "choices.0.message")
		o.text.write(m.Get("content").String())
		for _, f := range m.Get("tool_calls.#.function").Array() {
			o.text.write(f.Get("name").String())
			o.text.write(f.Get("arguments").String())
		}
	}
	if o.cleaner != nil {
		body = o.cleaner.CleanBody(body)
	}
	return withModel(out, body, "model", o.model), frameContent | frameDone, nil
}
