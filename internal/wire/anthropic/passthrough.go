package anthropic

import (
	"bytes"
	"errors"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// When the client and the cloud both speak Anthropic's format the gateway
// forwards bytes rather than translating: everything the canonical form does
// not carry (cache_control breakpoints, thinking settings, top_k, server
// tools, beta fields) reaches the cloud untouched. These helpers are what
// that path needs: the model rewritten, and the usage read on the way past.

// RewriteModel returns body with its top-level "model" set to model. body
// must be a JSON object (the request was decoded before).
func RewriteModel(body []byte, model string) ([]byte, error) {
	out, err := sjson.SetBytes(body, "model", model)
	if err != nil {
		return nil, errors.New("anthropic: rewrite model: " + err.Error())
	}
	return out, nil
}

// Tally accumulates the usage an answer reports: from a whole message, or
// from a stream's message_start and message_delta events (the latter may
// resend some counts; the last value of each wins).
type Tally struct {
	u    usage
	seen bool
}

// Message reads the usage of a whole message body.
func (t *Tally) Message(body []byte) {
	if v := gjson.GetBytes(body, "usage"); v.IsObject() {
		readUsage(v, &t.u)
		t.seen = true
	}
}

// Event reads the usage a stream event carries, if any.
func (t *Tally) Event(name, data []byte) {
	var v gjson.Result
	switch {
	case bytes.Equal(name, eventMessageStart):
		v = gjson.GetBytes(data, "message.usage")
	case bytes.Equal(name, eventMessageDelta):
		v = gjson.GetBytes(data, "usage")
	default:
		return
	}
	if v.IsObject() {
		readUsage(v, &t.u)
		t.seen = true
	}
}

// Usage returns the usage read so far, in the canonical convention, and
// whether any was reported.
func (t *Tally) Usage() (wire.Usage, bool) { return t.u.canonical(), t.seen }

// Whether a stream has reached its end, and the names the pass-through relay
// looks for.
var (
	eventMessageStart = []byte("message_start")
	eventMessageDelta = []byte("message_delta")
	EventMessageStop  = []byte("message_stop")
	EventError        = []byte("error")
	EventPing         = []byte("ping")
)
