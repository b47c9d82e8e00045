package emulate

import (
	"bytes"
	"net/http"
	"strconv"
)

// anthropicReply is the answer to a Messages request, ready to render whole
// or as a stream.
type anthropicReply struct {
	job     *chatJob // pooled; holds the one answer
	a       *answer
	stop    string // stop_reason
	stopSeq string // the stop sequence that cut the text, if stop is "stop_sequence"
	toolID  string // the tool_use block's id
	usage   anthropicCacheUsage
	input   int // usage.input_tokens: the prompt less what the cache read or wrote
}

// reply generates the answer to p and splits its prompt with the cache.
func (c *anthropicCall) reply(p *anthropicPrompt) *anthropicReply {
	rep := &anthropicReply{job: getJob(1), stop: "end_turn"}
	a := &rep.job.answers[0]
	rep.a = a
	natural := c.k.OutputTokens
	p.max = 0
	if p.maxTokens < natural {
		p.max = p.maxTokens // the answer is cut short: stop_reason max_tokens
	}
	p.generate(a, 0, natural)
	switch {
	case a.kind == answerTool:
		rep.stop = "tool_use"
		rep.toolID = string(appendAnthropicID(make([]byte, 0, 32), "toolu_01", fnvString(fnvOffset, a.callID)))
	case a.kind == answerWords && a.finish == "length":
		rep.stop = "max_tokens"
	}
	if a.kind == answerWords {
		if s, ok := cutAnthropicStop(a, p.stops); ok {
			rep.stop, rep.stopSeq = "stop_sequence", s
		}
	}
	rep.usage = c.a.cache.lookup(&p.cache, c.start, c.e.books.anthropicEpoch())
	rep.input = p.tokens - rep.usage.read - rep.usage.written()
	return rep
}

// cutAnthropicStop cuts a text answer before the earliest stop sequence it
// contains, the first listed winning a tie, and returns that sequence.
func cutAnthropicStop(a *answer, stops []string) (string, bool) {
	best, at := "", -1
	for _, s := range stops {
		if s == "" {
			continue
		}
		if i := bytes.Index(a.body, []byte(s)); i >= 0 && (at < 0 || i < at) {
			best, at = s, i
		}
	}
	if at < 0 {
		return "", false
	}
	a.cutAtStop([]string{best})
	a.tokens = len(a.ends)
	return best, true
}

// anthropicBase62 is the alphabet of Anthropic's ids.
const anthropicBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendAnthropicID appends prefix and 22 base-62 characters derived from
// id, the shape of Anthropic's message, tool-use and request ids.
func appendAnthropicID(b []byte, prefix string, id uint64) []byte {
	b = append(b, prefix...)
	for _, v := range [2]uint64{mix64(id), mix64(^id)} {
		for range 11 {
			b = append(b, anthropicBase62[v%62])
			v /= 62
		}
	}
	return b
}

// appendAnthropicUsage appends a usage object. The whole form is a
// message's; the short one is message_delta's, whose counts are cumulative.
func appendAnthropicUsage(b []byte, rep *anthropicReply, out int, whole bool) []byte {
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, rep.input)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = appendInt(b, rep.usage.written())
	b = append(b, `,"cache_read_input_tokens":`...)
	b = appendInt(b, rep.usage.read)
	if whole {
		b = append(b, `,"cache_creation":{"ephemeral_5m_input_tokens":`...)
		b = appendInt(b, rep.usage.write5m)
		b = append(b, `,"ephemeral_1h_input_tokens":`...)
		b = appendInt(b, rep.usage.write1h)
		b = append(b, '}')
	}
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, out)
	if whole {
		b = append(b, `,"service_tier":"standard"`...)
	}
	return append(b, '}')
}

// appendMessageHead appends a message object up to its content.
func (c *anthropicCall) appendMessageHead(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = appendAnthropicID(b, "msg_01", c.id)
	b = append(b, `","type":"message","role":"assistant","model":`...)
	b = appendString(b, c.model)
	return append(b, `,"content":[`...)
}

// appendAnthropicStop appends stop_reason, stop_sequence and stop_details.
func appendAnthropicStop(b []byte, rep *anthropicReply) []byte {
	b = append(b, `"stop_reason":"`...)
	b = append(b, rep.stop...)
	b = append(b, `","stop_sequence":`...)
	if rep.stop == "stop_sequence" {
		b = appendString(b, rep.stopSeq)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"stop_details":null`...)
}

// appendAnthropicToolUse appends a tool_use block with the given input.
func appendAnthropicToolUse(b []byte, rep *anthropicReply, input []byte) []byte {
	b = append(b, `{"type":"tool_use","id":"`...)
	b = append(b, rep.toolID...)
	b = append(b, `","name":`...)
	b = appendString(b, rep.a.name)
	b = append(b, `,"input":`...)
	b = append(b, input...)
	return append(b, '}')
}

// complete answers in one piece, once the whole answer would have been
// generated. A client that leaves before then gets, and is billed, nothing.
func (c *anthropicCall) complete(p *anthropicPrompt, rep *anthropicReply) {
	a := rep.a
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(a.tokens) {
		return
	}
	b := c.appendMessageHead(rep.job.out[:0])
	switch {
	case a.kind == answerTool:
		b = appendAnthropicToolUse(b, rep, a.body)
	case len(a.body) > 0:
		b = append(b, `{"type":"text","text":`...)
		b = appendString(b, a.body)
		b = append(b, '}')
	}
	b = append(b, "],"...)
	b = appendAnthropicStop(b, rep)
	b = append(b, `,"usage":`...)
	b = appendAnthropicUsage(b, rep, a.tokens, true)
	b = append(b, '}')
	rep.job.out = b
	h := c.w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.bill(p, a.tokens) // before the answer goes out, so that a client that reads it finds it billed
	c.w.WriteHeader(http.StatusOK)
	if _, err := c.w.Write(b); err != nil {
		c.e.books.unreport(c.model, p.tokens, a.tokens)
	}
}

// anthropicCountBody renders a count_tokens answer.
func anthropicCountBody(p *anthropicPrompt) []byte {
	b := append(make([]byte, 0, 32), `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(p.tokens), 10)
	return append(b, '}')
}
