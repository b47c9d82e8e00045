package api

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/switchyard/switchyard/internal/tokens"
	"github.com/switchyard/switchyard/internal/wire"
)

// estimate guesses usage from sizes: about four bytes of text per token. It
// is the routing engine's prompt estimate, made before the body is decoded.
func estimate(promptBytes, completionBytes int) wire.Usage {
	return wire.Usage{Prompt: int64(promptBytes+3) / 4, Completion: int64(completionBytes+3) / 4}
}

// promptEstimate estimates the prompt tokens of the request when a provider
// reported none (a stream that broke before its usage): with the tokenizer
// over the decoded request, by the rule the clouds are emulated with
// (tokens.Prompt), where it decodes; else from the body's size. It runs
// only on that path.
//
// Tool definitions count as the compact JSON of the tools the cloud was
// sent, in its own shape: an OpenAI tool wraps its schema in more keys than
// an Anthropic one, a few tokens a tool that would otherwise be missed on
// every estimate.
//
// Anthropic, Bedrock and Gemini are sent consecutive messages of one role
// merged into one turn (their encoders do it), and a turn is counted once.
func (c *call) promptEstimate() int64 {
	req, err := c.canonical()
	if err != nil {
		return estimate(len(c.body), 0).Prompt
	}
	if c.sentFormat != wire.OpenAI {
		req = mergeTurns(req)
	}
	if len(req.Tools) == 0 || len(c.sent) == 0 {
		return int64(tokens.Prompt(req))
	}
	path := "tools"
	if c.sentFormat == wire.Bedrock {
		path = "toolConfig.tools"
	}
	raw := gjson.GetBytes(c.sent, path)
	var compact bytes.Buffer
	if !raw.IsArray() || json.Compact(&compact, []byte(raw.Raw)) != nil {
		return int64(tokens.Prompt(req))
	}
	bare := *req
	bare.Tools = nil
	return int64(tokens.Prompt(&bare) + tokens.Count(compact.String()))
}

// mergeTurns returns r with consecutive messages of one role merged into
// one, as the clouds that take turns are sent them; r itself when there are
// none to merge.
func mergeTurns(r *wire.Request) *wire.Request {
	merge := false
	for i := 1; i < len(r.Messages); i++ {
		merge = merge || r.Messages[i].Role == r.Messages[i-1].Role
	}
	if !merge {
		return r
	}
	m := *r
	m.Messages = make([]wire.Message, 0, len(r.Messages))
	for _, msg := range r.Messages {
		if n := len(m.Messages); n > 0 && m.Messages[n-1].Role == msg.Role {
			last := &m.Messages[n-1]
			last.Parts = append(last.Parts[:len(last.Parts):len(last.Parts)], msg.Parts...)
			continue
		}
		m.Messages = append(m.Messages, msg)
	}
	return &m
}

// textCounter keeps the content delivered to the client (text, reasoning,
// tool names and arguments, unescaped), fed as it goes out, so that its
// tokens can be counted with the tokenizer when the provider reports none.
// Counting waits until then: most answers carry their usage, and
// tokenizing every answer on the hot path would be waste. The text is held
// in a pooled buffer; past maxHeldText it is counted in pieces as it comes
// (tokens.Counter), so a very long answer does not pin its whole text.
type textCounter struct {
	buf  *[]byte
	over *tokens.Counter
}

const maxHeldText = 256 << 10

var textPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (t *textCounter) write(s string) {
	if s == "" {
		return
	}
	if t.over != nil {
		t.over.WriteString(s)
		return
	}
	if t.buf == nil {
		t.buf = textPool.Get().(*[]byte)
	}
	if len(*t.buf)+len(s) > maxHeldText {
		t.over = tokens.NewCounter()
		t.over.Write(*t.buf)
		t.over.WriteString(s)
		*t.buf = (*t.buf)[:0]
		return
	}
	*t.buf = append(*t.buf, s...)
}

func (t *textCounter) writeBytes(b []byte) { t.write(string(b)) }

// tokens counts the text delivered so far.
func (t *textCounter) tokens() int64 {
	switch {
	case t.over != nil:
		return int64(t.over.Tokens())
	case t.buf == nil:
		return 0
	}
	return int64(tokens.Count(string(*t.buf)))
}

// release returns the buffers to their pools and empties t.
func (t *textCounter) release() {
	if t.buf != nil && cap(*t.buf) <= maxHeldText {
		*t.buf = (*t.buf)[:0]
		textPool.Put(t.buf)
	}
	if t.over != nil {
		t.over.Release()
	}
	*t = textCounter{}
}
