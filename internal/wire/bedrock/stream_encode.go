package bedrock

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/switchyard/switchyard/internal/wire"
)

// StreamEncoder turns canonical events into ConverseStream eventstream
// frames as Bedrock sends them: messageStart, then per block an optional
// contentBlockStart (tool calls only: Bedrock never starts text or reasoning
// blocks), contentBlockDeltas and a contentBlockStop, then messageStop, then
// metadata with the usage. Blocks are sent one after another: a block still
// open when an event for another index arrives is stopped first, because
// some Bedrock clients track only the current block. Usage is held until End
// so that metadata always follows messageStop, whichever order the canonical
// events came in. Frames carry no "p" padding field (Bedrock's defence
// against length side channels); clients ignore it either way.
//
// metrics.latencyMs is 0: the canonical stream does not carry the upstream
// latency.
type StreamEncoder struct {
	enc     *eventstream.Encoder
	w       sliceWriter
	payload []byte

	started  bool
	finished bool
	ended    bool
	open     int // index of the open block, or -1

	usage wire.Usage
}

var _ wire.StreamEncoder = (*StreamEncoder)(nil)

// NewStreamEncoder returns an encoder for one ConverseStream answer. Bedrock
// streams do not name the model, so it takes none.
func NewStreamEncoder() *StreamEncoder {
	return &StreamEncoder{enc: eventstream.NewEncoder(), open: -1, payload: make([]byte, 0, 512)}
}

// sliceWriter lets the SDK encoder append to the caller's slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// Headers of each frame kind, built once: frames share them read-only. The
// order (:event-type, :content-type, :message-type) is Bedrock's.
func eventHeaders(typ string) eventstream.Headers {
	return eventstream.Headers{
		{Name: ":event-type", Value: eventstream.StringValue(typ)},
		{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		{Name: ":message-type", Value: eventstream.StringValue("event")},
	}
}

func exceptionHeaders(typ string) eventstream.Headers {
	return eventstream.Headers{
		{Name: ":exception-type", Value: eventstream.StringValue(typ)},
		{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		{Name: ":message-type", Value: eventstream.StringValue("exception")},
	}
}

var (
	hMessageStart      = eventHeaders("messageStart")
	hContentBlockStart = eventHeaders("contentBlockStart")
	hContentBlockDelta = eventHeaders("contentBlockDelta")
	hContentBlockStop  = eventHeaders("contentBlockStop")
	hMessageStop       = eventHeaders("messageStop")
	hMetadata          = eventHeaders("metadata")

	// The exceptions a ConverseStream can carry (the stream union's members).
	hExceptions = map[string]eventstream.Headers{
		"internalServerException":     exceptionHeaders("internalServerException"),
		"modelStreamErrorException":   exceptionHeaders("modelStreamErrorException"),
		"validationException":         exceptionHeaders("validationException"),
		"throttlingException":         exceptionHeaders("throttlingException"),
		"serviceUnavailableException": exceptionHeaders("serviceUnavailableException"),
	}
)

// frame appends one eventstream message with the encoder's payload.
func (s *StreamEncoder) frame(dst []byte, h eventstream.Headers) []byte {
	s.w.b = dst
	// Encode fails only on over-long headers, which these constant headers
	// are not, or on a write error, which sliceWriter never returns.
	_ = s.enc.Encode(&s.w, eventstream.Message{Headers: h, Payload: s.payload})
	dst = s.w.b
	s.w.b = nil
	return dst
}

func (s *StreamEncoder) start(dst []byte) []byte {
	if s.started {
		return dst
	}
	s.started = true
	s.payload = append(s.payload[:0], `{"role":"assistant"}`...)
	return s.frame(dst, hMessageStart)
}

// stop closes the open block, if any.
func (s *StreamEncoder) stop(dst []byte) []byte {
	if s.open < 0 {
		return dst
	}
	s.payload = append(s.payload[:0], `{"contentBlockIndex":`...)
	s.payload = strconv.AppendInt(s.payload, int64(s.open), 10)
	s.payload = append(s.payload, '}')
	s.open = -1
	return s.frame(dst, hContentBlockStop)
}

// enter makes index the open block, stopping another one first.
func (s *StreamEncoder) enter(dst []byte, index int) []byte {
	dst = s.start(dst)
	if s.open != index {
		dst = s.stop(dst)
		s.open = index
	}
	return dst
}

// delta appends a contentBlockDelta frame; member is the delta union member
// up to its string value, which is escaped from value.
func (s *StreamEncoder) delta(dst []byte, index int, member, value, closing string) []byte {
	dst = s.enter(dst, index)
	s.payload = append(s.payload[:0], `{"contentBlockIndex":`...)
	s.payload = strconv.AppendInt(s.payload, int64(index), 10)
	s.payload = append(s.payload, `,"delta":{`...)
	s.payload = append(s.payload, member...)
	s.payload = appendString(s.payload, value)
	s.payload = append(s.payload, closing...)
	return s.frame(dst, hContentBlockDelta)
}

// Append appends the frames for ev to dst.
func (s *StreamEncoder) Append(dst []byte, ev *wire.Event) []byte {
	if s.ended {
		return dst
	}
	if ev.Index < 0 {
		// Not a block index; Bedrock's are non-negative.
		return dst
	}
	switch ev.Kind {
	case wire.EventStart:
		return s.start(dst)
	case wire.EventText:
		return s.delta(dst, ev.Index, `"text":`, ev.Text, "}}")
	case wire.EventThinking:
		// The reasoning delta union holds one member: text and signature
		// travel in separate frames, as Bedrock sends them.
		if ev.Text != "" || ev.Signature == "" {
			dst = s.delta(dst, ev.Index, `"reasoningContent":{"text":`, ev.Text, "}}}")
		}
		if ev.Signature != "" {
			dst = s.delta(dst, ev.Index, `"reasoningContent":{"signature":`, ev.Signature, "}}}")
		}
		return dst
	case wire.EventToolStart:
		dst = s.start(dst)
		dst = s.stop(dst)
		s.open = ev.Index
		s.payload = append(s.payload[:0], `{"contentBlockIndex":`...)
		s.payload = strconv.AppendInt(s.payload, int64(ev.Index), 10)
		s.payload = append(s.payload, `,"start":{"toolUse":{"toolUseId":`...)
		s.payload = appendString(s.payload, ev.ID)
		s.payload = append(s.payload, `,"name":`...)
		s.payload = appendString(s.payload, ev.Name)
		s.payload = append(s.payload, `}}}`...)
		return s.frame(dst, hContentBlockStart)
	case wire.EventToolArgs:
		return s.delta(dst, ev.Index, `"toolUse":{"input":`, ev.Text, "}}}")
	case wire.EventBlockEnd:
		if s.open == ev.Index {
			return s.stop(dst)
		}
		return dst
	case wire.EventFinish:
		return s.finish(dst, ev.Finish, ev.StopSequence)
	case wire.EventUsage:
		s.usage = ev.Usage
	}
	return dst
}

func (s *StreamEncoder) finish(dst []byte, f wire.Finish, stopSeq string) []byte {
	if s.finished {
		return dst
	}
	dst = s.start(dst)
	dst = s.stop(dst)
	s.finished = true
	s.payload = append(s.payload[:0], `{"stopReason":"`...)
	s.payload = append(s.payload, stopReason(f, stopSeq)...)
	s.payload = append(s.payload, '"')
	if stopSeq != "" {
		s.payload = append(s.payload, `,"additionalModelResponseFields":{"stop_sequence":`...)
		s.payload = appendString(s.payload, stopSeq)
		s.payload = append(s.payload, '}')
	}
	s.payload = append(s.payload, '}')
	return s.frame(dst, hMessageStop)
}

// End appends what completes the stream: messageStop if no finish came
// (end_turn), then metadata with the last usage seen.
func (s *StreamEncoder) End(dst []byte) []byte {
	if s.ended {
		return dst
	}
	dst = s.finish(dst, wire.FinishStop, "")
	s.ended = true
	s.payload = append(s.payload[:0], `{"usage":`...)
	s.payload = appendUsage(s.payload, &s.usage)
	s.payload = append(s.payload, `,"metrics":{"latencyMs":0}}`...)
	return s.frame(dst, hMetadata)
}

// streamException is the ConverseStream exception that expresses e. The
// stream union has five: the kinds that have no exception of their own
// (authentication, permission, not found, size) are client faults, reported
// as validationException; timeouts are server faults.
func streamException(e *wire.Error) string {
	switch sanitizeType(e.Code) {
	case "ModelStreamErrorException", "modelStreamErrorException":
		return "modelStreamErrorException"
	}
	switch e.Kind {
	case wire.ErrRateLimit:
		return "throttlingException"
	case wire.ErrOverloaded:
		return "serviceUnavailableException"
	case wire.ErrInvalidRequest, wire.ErrTooLarge, wire.ErrAuthentication, wire.ErrPermission, wire.ErrNotFound:
		return "validationException"
	}
	return "internalServerException"
}

// Fail appends the exception frame that ends a broken stream. Bedrock sends
// nothing after it: no contentBlockStop, messageStop or metadata.
func (s *StreamEncoder) Fail(dst []byte, e *wire.Error) []byte {
	if s.ended {
		return dst
	}
	s.ended = true
	msg := e.Message
	if msg == "" {
		msg = "The stream was interrupted."
	}
	s.payload = append(s.payload[:0], `{"message":`...)
	s.payload = appendString(s.payload, msg)
	s.payload = append(s.payload, '}')
	return s.frame(dst, hExceptions[streamException(e)])
}
