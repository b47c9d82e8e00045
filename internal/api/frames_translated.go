package api

import (
	"io"
	"sync"

	"github.com/switchyard/switchyard/internal/wire"
)

// translatedStream relays a stream from another format: each upstream frame
// is decoded to canonical events and encoded in the client's format.
type translatedStream struct {
	dec wire.StreamDecoder
	enc wire.StreamEncoder
	evs []wire.Event

	u                  wire.Usage
	prompt, completion bool
	finished           bool
	text               textCounter
}

var translatedStreamPool = sync.Pool{New: func() any { return &translatedStream{evs: make([]wire.Event, 0, 8)} }}

func newTranslatedStream(dec wire.StreamDecoder, enc wire.StreamEncoder) *translatedStream {
	t := translatedStreamPool.Get().(*translatedStream)
	*t = translatedStream{dec: dec, enc: enc, evs: t.evs[:0]}
	return t
}

func (t *translatedStream) release() {
	t.dec, t.enc = nil, nil
	t.text.release()
	translatedStreamPool.Put(t)
}

func (t *translatedStream) next(out []byte) ([]byte, frame, error) {
	var err error
	var f frame
	t.evs, err = t.dec.Next(t.evs[:0])
	for i := range t.evs {
		e := &t.evs[i]
		switch e.Kind {
		case wire.EventStart:
			if e.Usage.Prompt > 0 && !t.completion {
				t.u.Prompt, t.u.Cached, t.u.CacheWrite = e.Usage.Prompt, e.Usage.Cached, e.Usage.CacheWrite
				t.prompt = true
			}
		case wire.EventUsage:
			t.u, t.prompt, t.completion = e.Usage, true, true
		case wire.EventText, wire.EventThinking, wire.EventToolArgs:
			t.text.write(e.Text)
			f |= frameContent
		case wire.EventToolStart:
			t.text.write(e.Name) // a tool call's name is output too
			f |= frameContent
		case wire.EventFinish:
			t.finished = true
			f |= frameContent
		}
		out = t.enc.Append(out, e)
	}
	if err == io.EOF && t.finished {
		return out, f | frameDone, nil
	}
	return out, f, err
}

func (t *translatedStream) end(out []byte) []byte                  { return t.enc.End(out) }
func (t *translatedStream) fail(out []byte, we *wire.Error) []byte { return t.enc.Fail(out, we) }
func (t *translatedStream) usage() (wire.Usage, bool, bool)        { return t.u, t.prompt, t.completion }
func (t *translatedStream) delivered() int64                       { return t.text.tokens() }

// translatedWhole relays a whole answer from another format: decoded to the
// canonical form, encoded in the client's, naming the public model.
type translatedWhole struct {
	wholeAnswer
	decode func([]byte) (*wire.Response, error)
	encode func(*wire.Response) ([]byte, error)
	model  string
}

func (t *translatedWhole) next(out []byte) ([]byte, frame, error) {
	body, err := t.read()
	if err != nil {
		return out, 0, err
	}
	answer, err := t.decode(body)
	if err != nil {
		return out, 0, &badAnswer{"could not read the provider's answer: " + err.Error()}
	}
	if answer.Estimated || answer.Usage == (wire.Usage{}) {
		for _, p := range answer.Parts {
			t.text.write(p.Text)
			t.text.write(p.Name)
			t.text.writeBytes(p.Args)
		}
	} else {
		t.u, t.reported = answer.Usage, true
	}
	answer.Model = t.model // the public name (see model.go)
	enc, err := t.encode(answer)
	if err != nil {
		return out, 0, &badAnswer{"could not express the provider's answer: " + err.Error()}
	}
	return append(out, enc...), frameContent | frameDone, nil
}
