package emulate

import (
	"net/http"
)

// anthropicPing is the keep-alive event Anthropic sends after the first
// content block starts, byte for byte (note the space).
const anthropicPing = "event: ping\ndata: {\"type\": \"ping\"}\n\n"

// anthropicStream writes one Messages stream: events named on an event:
// line with the same type in their data, each flushed at once.
type anthropicStream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	rep *anthropicReply
}

// open starts an event of the given type; its data follows.
func (s *anthropicStream) open(typ string) {
	s.buf = append(s.buf[:0], "event: "...)
	s.buf = append(s.buf, typ...)
	s.buf = append(s.buf, "\ndata: {\"type\":\""...)
	s.buf = append(s.buf, typ...)
	s.buf = append(s.buf, '"')
}

// send ends the event in buf and flushes it, reporting whether the client
// is still reading.
func (s *anthropicStream) send() bool {
	s.buf = append(s.buf, "}\n\n"...)
	if _, err := s.w.Write(s.buf); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func (s *anthropicStream) ping() bool {
	s.buf = append(s.buf[:0], anthropicPing...)
	if _, err := s.w.Write(s.buf); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// start sends message_start: the message without content, with the input
// usage and, as Anthropic does, an output count of 1.
func (s *anthropicStream) start(c *anthropicCall) bool {
	s.open("message_start")
	s.buf = append(s.buf, `,"message":`...)
	s.buf = c.appendMessageHead(s.buf)
	s.buf = append(s.buf, `],"stop_reason":null,"stop_sequence":null,"stop_details":null,"usage":`...)
	s.buf = appendAnthropicUsage(s.buf, s.rep, 1, true)
	s.buf = append(s.buf, '}')
	return s.send()
}

// blockStart opens content block 0: text, or the tool_use with empty input.
func (s *anthropicStream) blockStart() bool {
	s.open("content_block_start")
	s.buf = append(s.buf, `,"index":0,"content_block":`...)
	if s.rep.a.kind == answerTool {
		s.buf = appendAnthropicToolUse(s.buf, s.rep, []byte("{}"))
	} else {
		s.buf = append(s.buf, `{"type":"text","text":""}`...)
	}
	return s.send()
}

// delta sends one piece of block 0: a word or a fragment of JSON text, or a
// fragment of the tool's input.
func (s *anthropicStream) delta(piece []byte) bool {
	s.open("content_block_delta")
	if s.rep.a.kind == answerTool {
		s.buf = append(s.buf, `,"index":0,"delta":{"type":"input_json_delta","partial_json":`...)
	} else {
		s.buf = append(s.buf, `,"index":0,"delta":{"type":"text_delta","text":`...)
	}
	s.buf = appendString(s.buf, piece)
	s.buf = append(s.buf, '}')
	return s.send()
}

// step sends stream step i of the answer. A tool call's first step opens its
// block with an empty input fragment, as Anthropic does; a text's first
// step opens its block and carries its first piece.
func (s *anthropicStream) step(i int) bool {
	a := s.rep.a
	if i == 0 && !(s.blockStart() && s.ping()) {
		return false
	}
	if a.kind == answerTool {
		if i == 0 {
			return s.delta(nil)
		}
		return s.delta(a.piece(i - 1))
	}
	return s.delta(a.piece(i))
}

func (s *anthropicStream) finish(out int) bool {
	if s.rep.a.steps() > 0 {
		s.open("content_block_stop")
		s.buf = append(s.buf, `,"index":0`...)
		if !s.send() {
			return false
		}
	}
	s.open("message_delta")
	s.buf = append(s.buf, `,"delta":{`...)
	s.buf = appendAnthropicStop(s.buf, s.rep)
	s.buf = append(s.buf, `},"usage":`...)
	s.buf = appendAnthropicUsage(s.buf, s.rep, out, false)
	if !s.send() {
		return false
	}
	s.open("message_stop")
	_ = s.send()
	return true // message_delta, the usage report, went out
}

// stream answers as server-sent events, paced by the knobs. When cut is set
// it drops the connection after about half of the answer's steps, the way a
// connection dies mid-stream, and bills what was sent.
func (c *anthropicCall) stream(p *anthropicPrompt, rep *anthropicReply, cut bool) {
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(0) {
		return // gone before the first token: nothing sent, nothing billed
	}
	h := c.w.Header()
	h["Content-Type"] = sseContent
	h["Cache-Control"] = noCache
	c.w.WriteHeader(http.StatusOK)

	a := rep.a
	s := &anthropicStream{w: c.w, rc: http.NewResponseController(c.w), buf: rep.job.out[:0], rep: rep}
	defer func() { rep.job.out = s.buf }() // hand the grown buffer back to the pool
	steps := a.steps()
	cutAt := -1
	if cut {
		cutAt = steps / 2
	}
	ok := s.start(c) && (steps > 0 || s.ping())
	sent := 0
	for i := 0; ok && i < steps && i != cutAt; i++ {
		if i > 0 && !pace.wait(a.tokensSent(i)) {
			ok = false
			break
		}
		if ok = s.step(i); ok {
			sent = i + 1
		}
	}
	if cut && ok {
		c.billUnreported(p, a.tokensSent(sent))
		c.e.books.disconnect()
		// net/http drops the connection without ending the chunked body,
		// so the client sees the stream break with no message_stop.
		panic(http.ErrAbortHandler)
	}
	if !ok {
		c.billUnreported(p, a.tokensSent(sent)) // the client left mid-way
		return
	}
	c.bill(p, a.tokens) // every token is generated; bill before the last events go out
	if !s.finish(a.tokens) {
		c.e.books.unreport(c.model, p.tokens, a.tokens)
	}
}
