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
// tool names and arguments, unescaped), so that its tokens can be counted
// with the tokenizer when the provider reports none. Counting waits until
// then: most answers carry their usage, and tokenizing every answer on the
// hot path would be waste.
//
// A stream's chunks are held as they came (hold), not parsed: finding the
// text in a chunk's JSON cost more than relaying the chunk, on every chunk
// of every stream, for an estimate that most streams never need. They are
// parsed when the count is asked for, or once more than maxHeldRaw of them
// is held, from when on each is parsed as it comes.
//
// The text is held in a pooled buffer; past maxHeldText it is counted in
// pieces as it comes (tokens.Counter), so a very long answer does not pin
// its whole text.
type textCounter struct {
	buf   *[]byte
	over  *tokens.Counter
	raw   *[]byte // held chunks: kind, 4-byte length (little-endian), bytes
	eager bool    // past maxHeldRaw: chunks are parsed as they come
}

// What a held chunk is, which says where its text is.
const (
	chunkOpenAI         byte = iota + 1 // an OpenAI chunk: choices.0.delta
	chunkAnthropicDelta                 // content_block_delta: delta.text, partial_json, thinking
	chunkAnthropicStart                 // content_block_start: content_block.name
)

const (
	maxHeldText = 256 << 10
	maxHeldRaw  = 512 << 10
)

var textPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// hold keeps chunk, of kind, to be parsed if its text is ever counted.
func (t *textCounter) hold(kind byte, chunk []byte) {
	if t.eager {
		t.parse(kind, chunk)
		return
	}
	if t.raw == nil {
		t.raw = textPool.Get().(*[]byte)
	}
	r := *t.raw
	if len(r)+5+len(chunk) > maxHeldRaw {
		t.parseHeld()
		t.eager = true
		t.parse(kind, chunk)
		return
	}
	n := len(chunk)
	r = append(r, kind, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	*t.raw = append(r, chunk...)
}

// parseHeld parses the held chunks, in order, and empties the hold.
func (t *textCounter) parseHeld() {
	if t.raw == nil {
		return
	}
	r := *t.raw
	for len(r) >= 5 {
		kind, n := r[0], int(r[1])|int(r[2])<<8|int(r[3])<<16|int(r[4])<<24
		t.parse(kind, r[5:5+n])
		r = r[5+n:]
	}
	*t.raw = (*t.raw)[:0]
}

// parse keeps the text of one chunk of kind.
func (t *textCounter) parse(kind byte, chunk []byte) {
	switch kind {
	case chunkOpenAI:
		d := gjson.GetBytes(chunk, "choices.0.delta")
		if !d.IsObject() {
			return
		}
		if v := d.Get("content"); v.Type == gjson.String {
			t.write(v.Str)
		}
		if f := d.Get("tool_calls.0.function"); f.IsObject() {
			for _, k := range [...]string{"name", "arguments"} {
				if v := f.Get(k); v.Type == gjson.String {
					t.write(v.Str)
				}
			}
		}
	case chunkAnthropicDelta:
		d := gjson.GetBytes(chunk, "delta")
		for _, k := range [...]string{"text", "partial_json", "thinking"} {
			if v := d.Get(k); v.Type == gjson.String {
				t.write(v.Str)
			}
		}
	case chunkAnthropicStart:
		if v := gjson.GetBytes(chunk, "content_block.name"); v.Type == gjson.String {
			t.write(v.Str) // a tool call's name is output too
		}
	}
}

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
	t.parseHeld()
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
	if t.raw != nil && cap(*t.raw) <= maxHeldRaw {
		*t.raw = (*t.raw)[:0]
		textPool.Put(t.raw)
	}
	if t.over != nil {
		t.over.Release()
	}
	*t = textCounter{}
}
