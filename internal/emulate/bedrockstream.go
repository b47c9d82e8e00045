package emulate

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// eventstreamContent is the Content-Type of ConverseStream's body.
var eventstreamContent = []string{"application/vnd.amazon.eventstream"}

// ConverseStream's event types.
const (
	csMessageStart      = "messageStart"
	csContentBlockStart = "contentBlockStart"
	csContentBlockDelta = "contentBlockDelta"
	csContentBlockStop  = "contentBlockStop"
	csMessageStop       = "messageStop"
	csMetadata          = "metadata"
)

// frameHeaders are the headers of each event type's messages, built once:
// the encoder only reads them.
var frameHeaders = func() map[string]eventstream.Headers {
	m := map[string]eventstream.Headers{}
	for _, ev := range []string{csMessageStart, csContentBlockStart, csContentBlockDelta, csContentBlockStop,
		csMessageStop, csMetadata} {
		m[ev] = eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(ev)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		}
	}
	return m
}()

// eventPadding is what Bedrock pads events with, in a member "p" of a length that
// varies so that the sizes of encrypted events tell nothing of their text.
const eventPadding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// frameWriter writes one ConverseStream response, an event a message, each
// flushed at once.
type frameWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *eventstream.Encoder
	buf []byte // the payload being built
	pad rng
}

// send encodes the payload in buf as an event of type ev, padding it first
// unless it is the metadata, and reports whether the client is still reading.
func (s *frameWriter) send(ev string) bool {
	if ev != csMetadata {
		n := 1 + s.pad.intn(uint64(len(eventPadding)))
		s.buf = append(s.buf[:len(s.buf)-1], `,"p":"`...) // in place of the closing brace
		s.buf = append(s.buf, eventPadding[:n]...)
		s.buf = append(s.buf, `"}`...)
	}
	if err := s.enc.Encode(s.w, eventstream.Message{Headers: frameHeaders[ev], Payload: s.buf}); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

// The methods below send one event each and report whether the client is
// still reading.

func (s *frameWriter) messageStart() bool {
	s.buf = append(s.buf[:0], `{"role":"assistant"}`...)
	return s.send(csMessageStart)
}

func (s *frameWriter) toolStart(a *answer) bool {
	s.buf = append(s.buf[:0], `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"`...)
	s.buf = append(s.buf, a.callID...)
	s.buf = append(s.buf, `","name":`...)
	s.buf = appendString(s.buf, a.name)
	s.buf = append(s.buf, "}}}"...)
	return s.send(csContentBlockStart)
}

// delta sends piece i of the answer: text, or a fragment of a tool's input.
func (s *frameWriter) delta(a *answer, i int) bool {
	s.buf = append(s.buf[:0], `{"contentBlockIndex":0,"delta":{`...)
	if a.kind == answerTool {
		s.buf = append(s.buf, `"toolUse":{"input":`...)
		s.buf = appendString(s.buf, a.piece(i))
		s.buf = append(s.buf, '}')
	} else {
		s.buf = append(s.buf, `"text":`...)
		s.buf = appendString(s.buf, a.piece(i))
	}
	s.buf = append(s.buf, "}}"...)
	return s.send(csContentBlockDelta)
}

func (s *frameWriter) blockStop() bool {
	s.buf = append(s.buf[:0], `{"contentBlockIndex":0}`...)
	return s.send(csContentBlockStop)
}

func (s *frameWriter) messageStop(reason string) bool {
	s.buf = append(s.buf[:0], `{"stopReason":"`...)
	s.buf = append(s.buf, reason...)
	s.buf = append(s.buf, `"}`...)
	return s.send(csMessageStop)
}

func (s *frameWriter) metadata(in, out int, latency time.Duration) bool {
	s.buf = append(s.buf[:0], `{"usage":`...)
	s.buf = appendBedrockUsage(s.buf, in, out)
	s.buf = append(s.buf, `,"metrics":{"latencyMs":`...)
	s.buf = strconv.AppendInt(s.buf, latency.Milliseconds(), 10)
	s.buf = append(s.buf, "}}"...)
	return s.send(csMetadata)
}

// streamConverse answers ConverseStream, paced by the knobs. When cut is set
// it drops the connection after about half of the answer, as a cloud's
// connection dies mid-stream, and bills what was sent.
func (c *bedrockCall) streamConverse(cv *converse, job *chatJob, reason string, cut bool) {
	a := &job.answers[0]
	pace := newPacer(c.r.Context(), c.start, c.k)
	defer pace.stop()
	if !pace.wait(0) {
		return // gone before the first token: nothing sent, nothing billed
	}
	h := c.w.Header()
	h["Content-Type"] = eventstreamContent
	c.w.WriteHeader(http.StatusOK)

	s := &frameWriter{w: c.w, rc: http.NewResponseController(c.w), enc: eventstream.NewEncoder(),
		buf: job.out[:0], pad: rng{cv.seed ^ 0x70616464696e67}}
	defer func() { job.out = s.buf }() // hand the grown buffer back to the pool

	steps := a.steps()
	cutAt := -1
	if cut {
		cutAt = steps / 2
	}
	ok := s.messageStart()
	sent := 0
	for step := 0; ok && step < steps && step != cutAt; step++ {
		if step > 0 && !pace.wait(a.tokensSent(step)) {
			ok = false
			break
		}
		switch {
		case a.kind != answerTool:
			ok = s.delta(a, step)
		case step == 0:
			ok = s.toolStart(a)
		default:
			ok = s.delta(a, step-1)
		}
		if ok {
			sent = step + 1
		}
	}
	if cut && ok {
		c.e.books.billUnreported(c.model, cv.tokens, a.tokensSent(sent))
		c.e.books.disconnect()
		resetConnection(c.w)
		return
	}
	if !ok {
		c.e.books.billUnreported(c.model, cv.tokens, a.tokensSent(sent)) // the client left mid-way
		return
	}
	c.e.books.bill(c.model, cv.tokens, a.tokens) // every token is generated; bill before the end goes out
	if !((steps == 0 || s.blockStop()) && s.messageStop(reason) && s.metadata(cv.tokens, a.tokens, time.Since(c.start))) {
		c.e.books.unreport(c.model, cv.tokens, a.tokens) // the metadata event, the usage report, never went out
	}
}

// resetConnection drops the client's connection with a TCP reset, the way a
// load balancer or a dying host drops it. A plain close would not do: the
// SDK's event stream reader takes an unexpected EOF, even in the middle of a
// frame, for the stream's end, so the client would see a stream that ended
// early without any error. Where the connection cannot be taken over
// (HTTP/2), the handler aborts, which resets the stream.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = tc.NetConn() // TLS: reset the TCP connection under it
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST rather than FIN
	}
	_ = raw.Close()
}
