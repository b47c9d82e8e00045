package bedrock

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// ConverseStream bodies are application/vnd.amazon.eventstream (protocols.md
// §3.3-3.4): binary frames, each with :message-type, :event-type (or
// :exception-type) headers and a JSON payload. Frames are read with the AWS
// SDK's eventstream codec; payloads are parsed with gjson.

// maxFrame bounds one eventstream message. The codec trusts the prelude's
// lengths (a total shorter than its headers wraps the payload length around
// to ~4 GiB), so the decoder checks them first. AWS caps messages at 16 MiB.
const maxFrame = 16 << 20

// maxBlockIndex bounds contentBlockIndex so that consumers may index slices.
const maxBlockIndex = 1 << 16

// StreamDecoder reads a ConverseStream body and yields canonical events. It
// implements wire.StreamDecoder.
type StreamDecoder struct {
	r       *bufio.Reader
	dec     *eventstream.Decoder
	payload []byte // reused across frames
	stopped bool   // messageStop seen: EOF from here on is clean
	err     error
}

var _ wire.StreamDecoder = (*StreamDecoder)(nil)

// NewStreamDecoder returns a decoder reading the eventstream body r.
func NewStreamDecoder(r io.Reader) *StreamDecoder {
	return &StreamDecoder{r: bufio.NewReaderSize(r, 8<<10), dec: eventstream.NewDecoder(), payload: make([]byte, 0, 1024)}
}

// Next appends the canonical events of the next frame to evs. It returns
// io.EOF at the end of the body after messageStop (metadata normally follows
// it), a *wire.Error for an exception or error frame, and another error when
// the stream breaks or cannot be parsed. After any error it keeps returning
// that error.
func (d *StreamDecoder) Next(evs []wire.Event) ([]wire.Event, error) {
	if d.err != nil {
		return evs, d.err
	}
	evs, err := d.next(evs)
	if err != nil {
		d.err = err
	}
	return evs, err
}

func (d *StreamDecoder) next(evs []wire.Event) ([]wire.Event, error) {
	// Peek at the prelude to refuse lengths the codec would trust blindly.
	pre, err := d.r.Peek(8)
	if err != nil {
		if err == io.EOF && len(pre) == 0 {
			if d.stopped {
				return evs, io.EOF
			}
			return evs, fmt.Errorf("bedrock: stream ended before messageStop: %w", io.ErrUnexpectedEOF)
		}
		if err == io.EOF {
			return evs, fmt.Errorf("bedrock: stream: truncated frame prelude: %w", io.ErrUnexpectedEOF)
		}
		return evs, fmt.Errorf("bedrock: stream: %w", err)
	}
	total, headers := binary.BigEndian.Uint32(pre), binary.BigEndian.Uint32(pre[4:])
	if total < 16 || total > maxFrame || headers > total-16 {
		return evs, fmt.Errorf("bedrock: stream: bad frame lengths (total %d, headers %d)", total, headers)
	}
	msg, err := d.dec.Decode(d.r, d.payload[:0])
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the prelude was there: the frame was cut short
		}
		return evs, fmt.Errorf("bedrock: stream: decode frame: %w", err)
	}
	if cap(msg.Payload) > cap(d.payload) && cap(msg.Payload) <= 1<<20 {
		d.payload = msg.Payload[:0] // keep the grown buffer, within reason
	}
	switch header(msg.Headers, eventstreamapi.MessageTypeHeader) {
	case eventstreamapi.EventMessageType:
		return d.event(evs, header(msg.Headers, eventstreamapi.EventTypeHeader), msg.Payload)
	case eventstreamapi.ExceptionMessageType:
		return evs, exceptionError(header(msg.Headers, eventstreamapi.ExceptionTypeHeader), msg.Payload)
	case eventstreamapi.ErrorMessageType:
		code := header(msg.Headers, eventstreamapi.ErrorCodeHeader)
		e := &wire.Error{Code: code, Message: header(msg.Headers, eventstreamapi.ErrorMessageHeader)}
		if k, ok := kindOfException(code); ok {
			e.Kind = k
		} else {
			e.Kind = wire.ErrServer
		}
		if e.Message == "" {
			e.Message = "Bedrock stream error " + code
		}
		return evs, e
	case "":
		return evs, errors.New("bedrock: stream: frame without :message-type")
	default:
		return evs, fmt.Errorf("bedrock: stream: unknown :message-type %q", header(msg.Headers, eventstreamapi.MessageTypeHeader))
	}
}

// header returns a string header's value, or "".
func header(hs eventstream.Headers, name string) string {
	for i := range hs {
		if hs[i].Name == name {
			if v, ok := hs[i].Value.(eventstream.StringValue); ok {
				return string(v)
			}
			return ""
		}
	}
	return ""
}

// exceptionError maps an in-stream exception to a canonical error.
func exceptionError(typ string, payload []byte) *wire.Error {
	e := &wire.Error{Code: typ}
	if k, ok := kindOfException(typ); ok {
		e.Kind = k
	} else {
		e.Kind = wire.ErrServer
	}
	if jsoncheck.Valid(payload) {
		root := gjson.ParseBytes(payload)
		for _, k := range [...]string{"message", "Message"} {
			if m := root.Get(k); m.Type == gjson.String && m.Str != "" {
				e.Message = m.Str
				break
			}
		}
	}
	if e.Message == "" {
		e.Message = "Bedrock stream exception " + typ
	}
	return e
}

func (d *StreamDecoder) event(evs []wire.Event, typ string, payload []byte) ([]wire.Event, error) {
	if err := jsoncheck.Check(payload); err != nil {
		return evs, fmt.Errorf("bedrock: stream: %s: payload is not valid JSON: %w", typ, err)
	}
	root := gjson.Parse(view(payload))
	if !root.IsObject() {
		return evs, fmt.Errorf("bedrock: stream: %s: payload is not a JSON object", typ)
	}
	switch typ {
	case "messageStart":
		return append(evs, wire.Event{Kind: wire.EventStart}), nil
	case "contentBlockStart":
		idx, err := blockIndex(root, typ)
		if err != nil {
			return evs, err
		}
		tu := root.Get("start.toolUse")
		if !tu.Exists() {
			return evs, nil // image and toolResult starts: no canonical block
		}
		id, name := tu.Get("toolUseId"), tu.Get("name")
		if id.Type != gjson.String || name.Type != gjson.String {
			return evs, fmt.Errorf("bedrock: stream: contentBlockStart: start.toolUse needs toolUseId and name strings")
		}
		return append(evs, wire.Event{Kind: wire.EventToolStart, Index: idx, ID: str(id), Name: str(name)}), nil
	case "contentBlockDelta":
		idx, err := blockIndex(root, typ)
		if err != nil {
			return evs, err
		}
		delta := root.Get("delta")
		if !delta.IsObject() {
			return evs, errors.New("bedrock: stream: contentBlockDelta: delta is not an object")
		}
		var bad bool
		delta.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "text":
				if v.Type != gjson.String {
					bad = true
					return false
				}
				evs = append(evs, wire.Event{Kind: wire.EventText, Index: idx, Text: str(v)})
			case "toolUse":
				in := v.Get("input")
				if in.Type != gjson.String {
					bad = true
					return false
				}
				evs = append(evs, wire.Event{Kind: wire.EventToolArgs, Index: idx, Text: str(in)})
			case "reasoningContent":
				text, sig := v.Get("text"), v.Get("signature")
				switch {
				case text.Type == gjson.String:
					evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Text: str(text)})
				case sig.Type == gjson.String:
					evs = append(evs, wire.Event{Kind: wire.EventThinking, Index: idx, Signature: str(sig)})
				}
				// redactedContent: encrypted reasoning, nothing to show.
			}
			// citation, image, toolResult deltas: no canonical event.
			return true
		})
		if bad {
			return evs, errors.New("bedrock: stream: contentBlockDelta: malformed delta")
		}
		return evs, nil
	case "contentBlockStop":
		idx, err := blockIndex(root, typ)
		if err != nil {
			return evs, err
		}
		return append(evs, wire.Event{Kind: wire.EventBlockEnd, Index: idx}), nil
	case "messageStop":
		reason := root.Get("stopReason")
		if reason.Type != gjson.String {
			return evs, errors.New("bedrock: stream: messageStop: stopReason is not a string")
		}
		d.stopped = true
		return append(evs, wire.Event{
			Kind:         wire.EventFinish,
			Finish:       finishOf(reason.Str),
			StopSequence: stopSequenceOf(root.Get("additionalModelResponseFields")),
		}), nil
	case "metadata":
		ev := wire.Event{Kind: wire.EventUsage}
		if u := root.Get("usage"); u.Exists() && u.Type != gjson.Null {
			var err error
			if ev.Usage, err = decodeUsage(u, "metadata.usage"); err != nil {
				return evs, fmt.Errorf("bedrock: stream: %w", err)
			}
		}
		// metadata is the last event Bedrock sends: the answer is complete
		// even if a proxy lost messageStop.
		d.stopped = true
		return append(evs, ev), nil
	}
	return evs, nil // an event type newer than this code: skip it
}

func blockIndex(root gjson.Result, typ string) (int, error) {
	v := root.Get("contentBlockIndex")
	if !isInt(v) || v.Int() < 0 || v.Int() >= maxBlockIndex {
		return 0, fmt.Errorf("bedrock: stream: %s: contentBlockIndex is not a block index", typ)
	}
	return int(v.Int()), nil
}
