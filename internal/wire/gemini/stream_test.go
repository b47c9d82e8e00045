package gemini

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/switchyard/switchyard/internal/wire/wiretest"
	"github.com/tidwall/gjson"
)

// decodeAll reads a whole stream, one Next at a time.
func decodeAll(r io.Reader) ([]wire.Event, error) {
	d := NewStreamDecoder(r)
	var evs []wire.Event
	for {
		var err error
		n := len(evs)
		evs, err = d.Next(evs)
		if err != nil {
			return evs, err
		}
		if len(evs) == n {
			return evs, errors.New("Next returned no events and no error")
		}
	}
}

// encodeAll writes events (and the end, or err) with a fresh encoder.
func encodeAll(evs []wire.Event, fail *wire.Error) []byte {
	e := NewStreamEncoder("")
	var b []byte
	for i := range evs {
		b = e.Append(b, &evs[i])
	}
	if fail != nil {
		return e.Fail(b, fail)
	}
	return e.End(b)
}

// Streams in testdata/streams → events (.events.golden) → Gemini SSE again
// (.out.golden), which decodes to the same events.
func TestStreamGolden(t *testing.T) {
	for _, in := range inputs(t, "streams", ".sse") {
		name := strings.TrimSuffix(in, ".sse")
		t.Run(filepath.Base(name), func(t *testing.T) {
			evs, err := decodeAll(bytes.NewReader(readFile(t, in)))
			var sb strings.Builder
			for _, ev := range evs {
				sb.WriteString(formatEvent(ev) + "\n")
			}
			sb.WriteString("end: " + errString(err) + "\n")
			wiretest.Golden(t, name+".events.golden", []byte(sb.String()))

			// Byte-at-a-time reads give the same events.
			slow, slowErr := decodeAll(iotest.OneByteReader(bytes.NewReader(readFile(t, in))))
			if !reflect.DeepEqual(slow, evs) || errString(slowErr) != errString(err) {
				t.Errorf("one-byte reads differ: %v %v", slow, slowErr)
			}

			var fail *wire.Error
			switch {
			case err == io.EOF:
			case errors.As(err, &fail):
			default:
				return // a broken stream is not re-encoded
			}
			out := encodeAll(evs, fail)
			wiretest.Golden(t, name+".out.golden", out)
			again, err2 := decodeAll(bytes.NewReader(out))
			if !reflect.DeepEqual(again, evs) {
				t.Errorf("re-encoded stream decodes differently:\n%s", formatEvents(again))
			}
			if fail == nil && err2 != io.EOF {
				t.Errorf("re-encoded stream ends with %v", err2)
			}
			var fail2 *wire.Error
			if fail != nil && (!errors.As(err2, &fail2) || fail2.Kind != fail.Kind || fail2.Message != fail.Message) {
				t.Errorf("re-encoded error: %v, want %v", err2, fail)
			}
		})
	}
}

func errString(err error) string {
	var we *wire.Error
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &we):
		return "wire.Error kind=" + itoa(int(we.Kind)) + " code=" + we.Code + " message=" + we.Message
	}
	return err.Error()
}

func formatEvents(evs []wire.Event) string {
	var sb strings.Builder
	for _, ev := range evs {
		sb.WriteString(formatEvent(ev) + "\n")
	}
	return sb.String()
}

// The tools stream, stated outright.
func TestStreamDecodeTools(t *testing.T) {
	evs, err := decodeAll(bytes.NewReader(readFile(t, "testdata/streams/tools.sse")))
	if err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	want := []wire.Event{
		{Kind: wire.EventStart, ID: "SXNzdHJlYW0x", Model: "gemini-2.5-flash", Usage: wire.Usage{Prompt: 30}},
		{Kind: wire.EventThinking, Index: 0, Text: "Planning the calls"},
		{Kind: wire.EventThinking, Index: 0, Signature: "dGhpbmstc2ln"},
		{Kind: wire.EventBlockEnd, Index: 0},
		{Kind: wire.EventText, Index: 1, Text: "Let me check."},
		{Kind: wire.EventBlockEnd, Index: 1},
		{Kind: wire.EventToolStart, Index: 2, ID: "call_SXNzdHJlYW0x_0", Name: "get_weather", Signature: "Y2FsbA=="},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"city":"Paris"}`},
		{Kind: wire.EventBlockEnd, Index: 2},
		{Kind: wire.EventToolStart, Index: 3, ID: "x-1", Name: "get_time"},
		{Kind: wire.EventToolArgs, Index: 3, Text: `{"tz":"Europe/Rome"}`},
		{Kind: wire.EventBlockEnd, Index: 3},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 30, Completion: 35, Reasoning: 20}},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("got\n%swant\n%s", formatEvents(evs), formatEvents(want))
	}
}

func TestStreamDecoderEnds(t *testing.T) {
	// Next appends to the caller's slice and keeps returning the end.
	d := NewStreamDecoder(strings.NewReader("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"))
	evs := []wire.Event{{Kind: wire.EventText, Text: "caller's"}}
	evs, err := d.Next(evs)
	if err != nil || len(evs) < 3 || evs[0].Text != "caller's" || evs[1].Kind != wire.EventStart {
		t.Fatalf("first Next: %v %v", evs, err)
	}
	for range 2 {
		if _, err := d.Next(nil); err != io.EOF {
			t.Errorf("after the end: %v, want io.EOF", err)
		}
	}
	// Cut before any finishReason.
	_, err = decodeAll(strings.NewReader(""))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("empty stream: %v", err)
	}
	// Not JSON, and a broken reader.
	if _, err = decodeAll(strings.NewReader("data: {oops\r\n\r\n")); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("bad chunk: %v", err)
	}
	boom := errors.New("connection reset")
	if _, err = decodeAll(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("broken reader: %v", err)
	}
	// Reset reads a new stream with fresh state.
	d.Reset(strings.NewReader("data: {\"responseId\":\"two\",\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}]}\n\n"))
	evs, err = d.Next(nil)
	if err != nil || len(evs) != 2 || evs[0].ID != "two" || evs[1].Finish != wire.FinishLength {
		t.Errorf("after Reset: %v %v", formatEvents(evs), err)
	}
}

func TestStreamEncoder(t *testing.T) {
	e := NewStreamEncoder("shown-model")
	var b []byte
	for _, ev := range []wire.Event{
		{Kind: wire.EventStart, ID: "abc", Model: "upstream-model", Usage: wire.Usage{Prompt: 11}},
		{Kind: wire.EventThinking, Index: 0, Text: "thinking…"},
		{Kind: wire.EventText, Index: 1, Text: "Hi <there> \u2028"},
		{Kind: wire.EventText, Index: 1, Text: ""}, // nothing to send
		{Kind: wire.EventToolStart, Index: 2, ID: "call_1", Name: "f"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"a":`},
		{Kind: wire.EventToolArgs, Index: 2, Text: `[1,2]}`},
		{Kind: wire.EventToolStart, Index: 3, ID: "call_2", Name: "g"},                      // ends the first call
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 11, Completion: 9, Reasoning: 4}}, // usage before finish
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
	} {
		b = e.Append(b, &ev)
	}
	b = e.End(b)
	if e.End(nil) != nil || e.Append(nil, &wire.Event{Kind: wire.EventText, Text: "late"}) != nil {
		t.Error("nothing may follow the end")
	}
	frames := strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n\r\n")
	if len(frames) != 4 {
		t.Fatalf("got %d frames, want 4:\n%s", len(frames), b)
	}
	for i, f := range frames {
		data, ok := strings.CutPrefix(f, "data: ")
		if !ok || !jsoncheck.ValidString(data) || strings.Contains(data, "\n") {
			t.Fatalf("frame %d is not one data line of JSON: %q", i, f)
		}
		c := gjson.Parse(data)
		if c.Get("modelVersion").Str != "shown-model" || c.Get("responseId").Str != "abc" {
			t.Errorf("frame %d: %s", i, data)
		}
	}
	last := gjson.Parse(strings.TrimPrefix(frames[3], "data: "))
	if last.Get("candidates.0.finishReason").Str != "STOP" || last.Get("candidates.0.content.parts.0.functionCall.name").Str != "g" ||
		last.Get("usageMetadata.candidatesTokenCount").Int() != 5 || last.Get("usageMetadata.thoughtsTokenCount").Int() != 4 {
		t.Errorf("last frame: %s", last.Raw)
	}
	if got := gjson.Parse(strings.TrimPrefix(frames[2], "data: ")).Get("candidates.0.content.parts.0.functionCall.args.a.1").Int(); got != 2 {
		t.Errorf("buffered args: %s", frames[2])
	}
	// And the genai-free check: our decoder reads it back.
	evs, err := decodeAll(bytes.NewReader(b))
	if err != io.EOF {
		t.Fatal(err)
	}
	var text, calls []string
	for _, ev := range evs {
		switch ev.Kind {
		case wire.EventText:
			text = append(text, ev.Text)
		case wire.EventToolStart:
			calls = append(calls, ev.ID+":"+ev.Name)
		case wire.EventFinish:
			if ev.Finish != wire.FinishToolCalls {
				t.Errorf("finish %v", ev.Finish)
			}
		case wire.EventUsage:
			if ev.Usage != (wire.Usage{Prompt: 11, Completion: 9, Reasoning: 4}) {
				t.Errorf("usage %+v", ev.Usage)
			}
		}
	}
	if strings.Join(text, "") != "Hi <there> \u2028" || strings.Join(calls, ",") != "call_1:f,call_2:g" {
		t.Errorf("text %q calls %q", text, calls)
	}
}

func TestStreamEncoderFail(t *testing.T) {
	e := NewStreamEncoder("m")
	b := e.Append(nil, &wire.Event{Kind: wire.EventText, Text: "part"})
	b = e.Fail(b, &wire.Error{Kind: wire.ErrOverloaded, Message: "try later", RetryAfter: 3e9})
	if e.End(nil) != nil {
		t.Error("End after Fail")
	}
	_, err := decodeAll(bytes.NewReader(b))
	var we *wire.Error
	if !errors.As(err, &we) || we.Kind != wire.ErrOverloaded || we.Message != "try later" || we.RetryAfter != 3e9 {
		t.Errorf("got %v", err)
	}
	// A stream with nothing in it still ends as Gemini ends one.
	out := NewStreamEncoder("m").End(nil)
	evs, err := decodeAll(bytes.NewReader(out))
	if err != io.EOF || len(evs) != 2 || evs[1].Finish != wire.FinishStop {
		t.Errorf("empty stream: %s -> %s %v", out, formatEvents(evs), err)
	}
}
