package bedrock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/switchyard/switchyard/internal/wire"
)

// frameOf builds one eventstream message the way Bedrock does, with the
// SDK's encoder: headers in order name, value, name, value...
func frameOf(t testing.TB, payload string, headers ...string) []byte {
	t.Helper()
	var msg eventstream.Message
	for i := 0; i+1 < len(headers); i += 2 {
		msg.Headers = append(msg.Headers, eventstream.Header{Name: headers[i], Value: eventstream.StringValue(headers[i+1])})
	}
	msg.Payload = []byte(payload)
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, msg); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ev(t testing.TB, typ, payload string) []byte {
	return frameOf(t, payload, ":event-type", typ, ":content-type", "application/json", ":message-type", "event")
}

func exc(t testing.TB, typ, payload string) []byte {
	return frameOf(t, payload, ":exception-type", typ, ":content-type", "application/json", ":message-type", "exception")
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// A stream as Bedrock sends it, padding field included.
func bedrockStream(t testing.TB) []byte {
	return cat(
		ev(t, "messageStart", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","role":"assistant"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Think"}},"p":"abcd"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig\u003d"}},"p":"ab"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"AAAA"}}}`),
		ev(t, "contentBlockStop", `{"contentBlockIndex":0,"p":"abcdefgh"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"text":"Hel"},"p":"abcdefghijk"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"text":"lo \"w\"\n"}}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"citation":{"title":"x"}}}`),
		ev(t, "contentBlockStop", `{"contentBlockIndex":1}`),
		ev(t, "contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather"}},"p":"abc"}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":"}}}`),
		ev(t, "contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"\"Oslo\"}"}}}`),
		ev(t, "contentBlockStop", `{"contentBlockIndex":2}`),
		ev(t, "someFutureEvent", `{"x":1}`),
		ev(t, "messageStop", `{"stopReason":"tool_use","additionalModelResponseFields":{"stop_sequence":null},"p":"abcdefghijklm"}`),
		ev(t, "metadata", `{"usage":{"inputTokens":11,"outputTokens":22,"totalTokens":533,"cacheReadInputTokens":500},"metrics":{"latencyMs":321},"p":"abcdef"}`),
	)
}

func TestStreamDecoder(t *testing.T) {
	want := []wire.Event{
		{Kind: wire.EventStart},
		{Kind: wire.EventThinking, Index: 0, Text: "Think"},
		{Kind: wire.EventThinking, Index: 0, Signature: "sig="},
		{Kind: wire.EventBlockEnd, Index: 0},
		{Kind: wire.EventText, Index: 1, Text: "Hel"},
		{Kind: wire.EventText, Index: 1, Text: "lo \"w\"\n"},
		{Kind: wire.EventBlockEnd, Index: 1},
		{Kind: wire.EventToolStart, Index: 2, ID: "tooluse_1", Name: "get_weather"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"city":`},
		{Kind: wire.EventToolArgs, Index: 2, Text: `"Oslo"}`},
		{Kind: wire.EventBlockEnd, Index: 2},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 511, Completion: 22, Cached: 500}},
	}
	stream := bedrockStream(t)
	// Whole, and one byte per read (frames split across reads).
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
	} {
		got, err := decodeAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

// Next appends to the caller's slice and returns io.EOF repeatedly at the end.
func TestStreamDecoderNext(t *testing.T) {
	d := NewStreamDecoder(bytes.NewReader(cat(ev(t, "messageStart", `{"role":"assistant"}`), ev(t, "messageStop", `{"stopReason":"end_turn"}`))))
	evs := []wire.Event{{Kind: wire.EventText, Text: "earlier"}}
	evs, err := d.Next(evs)
	if err != nil || len(evs) != 2 || evs[0].Text != "earlier" || evs[1].Kind != wire.EventStart {
		t.Fatalf("%+v %v", evs, err)
	}
	evs, err = d.Next(evs[:0])
	if err != nil || len(evs) != 1 || evs[0].Kind != wire.EventFinish || evs[0].Finish != wire.FinishStop {
		t.Fatalf("%+v %v", evs, err)
	}
	for i := 0; i < 2; i++ {
		if evs, err = d.Next(evs[:0]); err != io.EOF || len(evs) != 0 {
			t.Fatalf("end: %+v %v", evs, err)
		}
	}
}

func TestStreamDecoderExceptions(t *testing.T) {
	start := ev(t, "messageStart", `{"role":"assistant"}`)
	for _, tc := range []struct {
		frame []byte
		kind  wire.ErrorKind
		code  string
		msg   string
	}{
		{exc(t, "throttlingException", `{"message":"Too many requests"}`), wire.ErrRateLimit, "throttlingException", "Too many requests"},
		{exc(t, "modelStreamErrorException", `{"message":"model failed","originalStatusCode":500,"originalMessage":"x"}`), wire.ErrServer, "modelStreamErrorException", "model failed"},
		{exc(t, "validationException", `{"Message":"bad input"}`), wire.ErrInvalidRequest, "validationException", "bad input"},
		{exc(t, "internalServerException", `{}`), wire.ErrServer, "internalServerException", "Bedrock stream exception internalServerException"},
		{exc(t, "serviceUnavailableException", `not json`), wire.ErrOverloaded, "serviceUnavailableException", "Bedrock stream exception serviceUnavailableException"},
		{exc(t, "modelTimeoutException", `{"message":"late"}`), wire.ErrTimeout, "modelTimeoutException", "late"},
		{exc(t, "brandNewException", `{"message":"?"}`), wire.ErrServer, "brandNewException", "?"},
		{frameOf(t, "", ":message-type", "error", ":error-code", "ThrottlingException", ":error-message", "slow down"), wire.ErrRateLimit, "ThrottlingException", "slow down"},
		{frameOf(t, "", ":message-type", "error", ":error-code", "InternalFailure"), wire.ErrServer, "InternalFailure", "Bedrock stream error InternalFailure"},
	} {
		evs, err := decodeAll(bytes.NewReader(cat(start, tc.frame, ev(t, "messageStop", `{"stopReason":"end_turn"}`))))
		var we *wire.Error
		if !errors.As(err, &we) {
			t.Errorf("%s: %T %v, want *wire.Error", tc.code, err, err)
			continue
		}
		if we.Kind != tc.kind || we.Code != tc.code || we.Message != tc.msg || len(evs) != 1 {
			t.Errorf("%s: %+v after %d events", tc.code, we, len(evs))
		}
	}
}

func TestStreamDecoderBroken(t *testing.T) {
	start := ev(t, "messageStart", `{"role":"assistant"}`)
	stop := ev(t, "messageStop", `{"stopReason":"end_turn"}`)
	corrupt := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 0xff
		return c
	}
	// A prelude whose lengths are consistent and CRC-correct but absurd.
	huge := make([]byte, 12)
	binary.BigEndian.PutUint32(huge, 1<<30)
	binary.BigEndian.PutUint32(huge[4:], 0)
	binary.BigEndian.PutUint32(huge[8:], crc32.ChecksumIEEE(huge[:8]))
	// Headers longer than the message: the payload length would wrap around.
	wrap := make([]byte, 12)
	binary.BigEndian.PutUint32(wrap, 16)
	binary.BigEndian.PutUint32(wrap[4:], 100)
	binary.BigEndian.PutUint32(wrap[8:], crc32.ChecksumIEEE(wrap[:8]))
	for name, body := range map[string][]byte{
		"empty":                {},
		"no messageStop":       start,
		"cut mid frame":        cat(start, stop[:len(stop)-3]),
		"cut in prelude":       cat(start, stop[:5]),
		"bad message crc":      cat(start, corrupt(stop, len(stop)-1)),
		"bad prelude crc":      cat(start, corrupt(stop, 9)),
		"huge frame":           cat(start, huge),
		"wrapping lengths":     cat(start, wrap),
		"payload not json":     cat(start, ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"x"`), stop),
		"payload not object":   cat(start, ev(t, "contentBlockDelta", `[1]`), stop),
		"negative index":       cat(start, ev(t, "contentBlockDelta", `{"contentBlockIndex":-1,"delta":{"text":"x"}}`), stop),
		"huge index":           cat(start, ev(t, "contentBlockStop", `{"contentBlockIndex":4294967296}`), stop),
		"missing index":        cat(start, ev(t, "contentBlockStart", `{"start":{"toolUse":{"toolUseId":"a","name":"b"}}}`), stop),
		"delta text not str":   cat(start, ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":5}}`), stop),
		"tool input object":    cat(start, ev(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":{}}}}`), stop),
		"tool start no name":   cat(start, ev(t, "contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a"}}}`), stop),
		"stop reason missing":  cat(start, ev(t, "messageStop", `{}`)),
		"bad usage":            cat(start, stop, ev(t, "metadata", `{"usage":{"inputTokens":"x"}}`)),
		"no message type":      cat(start, frameOf(t, `{}`, ":event-type", "messageStop"), stop),
		"unknown message type": cat(start, frameOf(t, `{}`, ":message-type", "ping"), stop),
	} {
		_, err := decodeAll(bytes.NewReader(body))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var we *wire.Error
		if errors.As(err, &we) {
			t.Errorf("%s: a broken stream is not a provider error: %v", name, err)
		}
		if !strings.Contains(err.Error(), "bedrock") {
			t.Errorf("%s: error without context: %v", name, err)
		}
	}
	// Truncation is reported as an unexpected EOF.
	_, err := decodeAll(bytes.NewReader(start))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("no messageStop: %v, want io.ErrUnexpectedEOF", err)
	}
	_, err = decodeAll(bytes.NewReader(cat(start, stop[:len(stop)-3])))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut frame: %v, want io.ErrUnexpectedEOF", err)
	}
	// metadata alone ends a stream cleanly (a proxy may lose messageStop).
	if _, err := decodeAll(bytes.NewReader(cat(start, ev(t, "metadata", `{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`)))); err != nil {
		t.Errorf("metadata end: %v", err)
	}
}

func TestStreamEncoderOrdering(t *testing.T) {
	for _, tc := range []struct {
		name string
		evs  []wire.Event
		want []string // ":event-type payload" per frame
	}{
		{"usage before finish, no start, no block ends",
			[]wire.Event{
				{Kind: wire.EventText, Index: 0, Text: "a"},
				{Kind: wire.EventToolStart, Index: 1, ID: "t", Name: "f"},
				{Kind: wire.EventToolArgs, Index: 1, Text: "{}"},
				{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 5, Completion: 2}},
				{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
				{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 6, Completion: 3}},
			},
			[]string{
				`messageStart {"role":"assistant"}`,
				`contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"a"}}`,
				`contentBlockStop {"contentBlockIndex":0}`,
				`contentBlockStart {"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`,
				`contentBlockDelta {"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}`,
				`contentBlockStop {"contentBlockIndex":1}`,
				`messageStop {"stopReason":"tool_use"}`,
				`metadata {"usage":{"inputTokens":6,"outputTokens":3,"totalTokens":9},"metrics":{"latencyMs":0}}`,
			}},
		{"no finish: end_turn; duplicate start and block end ignored; negative index dropped",
			[]wire.Event{
				{Kind: wire.EventStart}, {Kind: wire.EventStart},
				{Kind: wire.EventThinking, Index: 0, Text: "r", Signature: "s"},
				{Kind: wire.EventBlockEnd, Index: 0}, {Kind: wire.EventBlockEnd, Index: 0},
				{Kind: wire.EventText, Index: -1, Text: "lost"},
			},
			[]string{
				`messageStart {"role":"assistant"}`,
				`contentBlockDelta {"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"r"}}}`,
				`contentBlockDelta {"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"s"}}}`,
				`contentBlockStop {"contentBlockIndex":0}`,
				`messageStop {"stopReason":"end_turn"}`,
				`metadata {"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
			}},
		{"empty stream", nil, []string{
			`messageStart {"role":"assistant"}`,
			`messageStop {"stopReason":"end_turn"}`,
			`metadata {"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
		}},
	} {
		enc := NewStreamEncoder()
		var out []byte
		for i := range tc.evs {
			out = enc.Append(out, &tc.evs[i])
		}
		out = enc.End(out)
		if again := enc.End(nil); len(again) != 0 {
			t.Errorf("%s: End twice wrote %d bytes", tc.name, len(again))
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(dumpFrames(t, out))), "\n") {
			// ":event-type=X :content-type=application/json :message-type=event {...}"
			f := strings.SplitN(line, " ", 4)
			got = append(got, strings.TrimPrefix(f[0], ":event-type=")+" "+f[3])
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
		}
	}
}

// Decoding the encoder's frames gives back the events (with the block ends
// and start the encoder adds).
func TestStreamRoundTrip(t *testing.T) {
	in := []wire.Event{
		{Kind: wire.EventStart},
		{Kind: wire.EventText, Index: 0, Text: "x\u2028y\x00"},
		{Kind: wire.EventBlockEnd, Index: 0},
		{Kind: wire.EventToolStart, Index: 1, ID: "id", Name: "n"},
		{Kind: wire.EventToolArgs, Index: 1, Text: `{"a":"\"q\""}`},
		{Kind: wire.EventBlockEnd, Index: 1},
		{Kind: wire.EventFinish, Finish: wire.FinishLength},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 10, Completion: 4, Cached: 3, CacheWrite: 2}},
	}
	got, err := decodeAll(bytes.NewReader(encodeStream(in, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("\n got %+v\nwant %+v", got, in)
	}
}
