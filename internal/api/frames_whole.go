package api

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// wholeAnswer is what the whole-answer codecs share: the answer is read
// entirely (within the size cap and the response timeout) before anything is
// written, so that a failure while reading still fails over, and it is one
// frame, content and done at once.
type wholeAnswer struct {
	ev    *usage.Event
	resp  *http.Response
	timer *time.Timer
	buf   *bytes.Buffer

	u        wire.Usage
	reported bool
	text     textCounter
}

func (w *wholeAnswer) init(ev *usage.Event, resp *http.Response, timer *time.Timer) {
	*w = wholeAnswer{ev: ev, resp: resp, timer: timer}
}

// read reads the answer; its bytes are valid until release.
func (w *wholeAnswer) read() ([]byte, error) {
	w.buf = bufPool.Get().(*bytes.Buffer)
	w.buf.Reset()
	if err := readAnswer(w.buf, w.ev, w.resp, w.timer); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

func (w *wholeAnswer) releaseBuf() {
	if w.buf != nil {
		bufPool.Put(w.buf)
	}
	w.text.release()
	*w = wholeAnswer{}
}

func (w *wholeAnswer) end(out []byte) []byte { return out }

// fail is never needed: a whole answer is written at once, after it is
// known to be whole.
func (w *wholeAnswer) fail(out []byte, _ *wire.Error) []byte { return out }

func (w *wholeAnswer) usage() (wire.Usage, bool, bool) { return w.u, w.reported, w.reported }
func (w *wholeAnswer) delivered() int64                { return w.text.tokens() }

// The whole-answer codecs are pooled like the stream ones: a request
// allocates none.
var (
	openaiWholePool     = sync.Pool{New: func() any { return new(openaiWhole) }}
	anthropicWholePool  = sync.Pool{New: func() any { return new(anthropicWhole) }}
	translatedWholePool = sync.Pool{New: func() any { return new(translatedWhole) }}
)

func newOpenAIWhole(ev *usage.Event, resp *http.Response, timer *time.Timer, cl provider.Cleaner, model string) *openaiWhole {
	o := openaiWholePool.Get().(*openaiWhole)
	o.init(ev, resp, timer)
	o.cleaner, o.model = cl, model
	return o
}

func (o *openaiWhole) release() {
	o.releaseBuf()
	o.cleaner = nil
	openaiWholePool.Put(o)
}

func newAnthropicWhole(ev *usage.Event, resp *http.Response, timer *time.Timer, model string) *anthropicWhole {
	a := anthropicWholePool.Get().(*anthropicWhole)
	a.init(ev, resp, timer)
	a.model = model
	return a
}

func (a *anthropicWhole) release() {
	a.releaseBuf()
	anthropicWholePool.Put(a)
}

func newTranslatedWhole(ev *usage.Event, resp *http.Response, timer *time.Timer, from, to *codec, model string) *translatedWhole {
	t := translatedWholePool.Get().(*translatedWhole)
	t.init(ev, resp, timer)
	t.decode, t.encode, t.model = from.decodeResponse, to.encodeResponse, model
	return t
}

func (t *translatedWhole) release() {
	t.releaseBuf()
	t.decode, t.encode = nil, nil
	translatedWholePool.Put(t)
}
