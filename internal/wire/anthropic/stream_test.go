package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/sse"
)

// frames splits an encoder's output into SSE events and checks each one is
// well formed: named, with JSON data whose "type" is the name.
func frames(t *testing.T, out []byte) []string {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\n\n")) {
		t.Fatalf("output does not end with a blank line: %q", out)
	}
	rd := sse.NewReader(bytes.NewReader(out), 1<<20)
	var names []string
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		var data struct{ Type string }
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatalf("event %s: %v: %s", ev.Name, err, ev.Data)
		}
		if data.Type != string(ev.Name) {
			t.Fatalf("event %q carries type %q", ev.Name, data.Type)
		}
		names = append(names, string(ev.Name))
	}
}

func TestStreamRoundTrip(t *testing.T) {
	usage := wire.Usage{Prompt: 1200, Completion: 77, Cached: 1000, CacheWrite: 50, Reasoning: 12}
	evs := []wire.Event{
		{Kind: wire.EventStart, ID: "msg_rt", Model: "claude-x", Usage: wire.Usage{Prompt: 1200, Cached: 1000, CacheWrite: 50}},
		{Kind: wire.EventThinking, Index: 0, Text: "Let me "},
		{Kind: wire.EventThinking, Index: 0, Text: "think."},
		{Kind: wire.EventThinking, Index: 0, Signature: "sig=="},
		{Kind: wire.EventThinking, Index: 1, Signature: RedactedPrefix + "opaque"},
		{Kind: wire.EventText, Index: 2, Text: "Hi \"there\"\n"},
		{Kind: wire.EventText, Index: 2, Text: "ünï 😀"},
		{Kind: wire.EventToolStart, Index: 3, ID: "toolu_a", Name: "f"},
		{Kind: wire.EventToolArgs, Index: 3, Text: `{"a":`},
		{Kind: wire.EventToolArgs, Index: 3, Text: `[1,"x"]}`},
		{Kind: wire.EventToolStart, Index: 4, ID: "toolu_b", Name: "g"},
		{Kind: wire.EventToolArgs, Index: 4, Text: `{}`},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		{Kind: wire.EventUsage, Usage: usage},
	}
	out := encodeAll("", "", evs, nil)
	names := frames(t, out)
	wantNames := "message_start content_block_start content_block_delta content_block_delta content_block_delta content_block_stop " +
		"content_block_start content_block_stop content_block_start content_block_delta content_block_delta content_block_stop " +
		"content_block_start content_block_delta content_block_delta content_block_stop content_block_start content_block_delta content_block_stop " +
		"message_delta message_stop"
	if strings.Join(names, " ") != wantNames {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(names, " "), wantNames)
	}
	got, err := decodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := accumulate(got), accumulate(evs); !reflect.DeepEqual(a, b) {
		t.Errorf("round trip changed the answer:\n got %+v\nwant %+v", a, b)
	}
}

// TestStreamUsageOrder: usage before or after the finish gives the same
// stream, and message_delta carries the input and cache counts.
func TestStreamUsageOrder(t *testing.T) {
	u := wire.Usage{Prompt: 30, Completion: 7, Cached: 10, CacheWrite: 5}
	base := []wire.Event{{Kind: wire.EventStart, ID: "msg_1", Model: "m"}, {Kind: wire.EventText, Text: "x"}}
	after := append(append([]wire.Event(nil), base...), wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop}, wire.Event{Kind: wire.EventUsage, Usage: u})
	before := append(append([]wire.Event(nil), base...), wire.Event{Kind: wire.EventUsage, Usage: u}, wire.Event{Kind: wire.EventFinish, Finish: wire.FinishStop})
	a, b := encodeAll("", "", after, nil), encodeAll("", "", before, nil)
	if !bytes.Equal(a, b) {
		t.Errorf("usage order matters:\n%s\n%s", a, b)
	}
	want := `"usage":{"input_tokens":15,"cache_creation_input_tokens":5,"cache_read_input_tokens":10,"output_tokens":7}}`
	if !bytes.Contains(a, []byte("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"+want)) {
		t.Errorf("message_delta lacks the usage:\n%s", a)
	}
}

func TestStreamEncoderEdges(t *testing.T) {
	t.Run("lazy text and no Start", func(t *testing.T) {
		e := NewStreamEncoder("msg_given", "shown")
		var out []byte
		for _, ev := range []wire.Event{
			{Kind: wire.EventText, Index: 0, Text: ""}, // an empty first delta, as OpenAI sends
			{Kind: wire.EventToolStart, Index: 1, ID: "c", Name: "f"},
			{Kind: wire.EventToolArgs, Index: 1, Text: `{"k":1}`},
		} {
			out = e.Append(out, &ev)
		}
		out = e.End(out)
		if got := strings.Join(frames(t, out), " "); got != "message_start content_block_start content_block_delta content_block_stop message_delta message_stop" {
			t.Errorf("events: %s", got)
		}
		if !bytes.Contains(out, []byte(`"id":"msg_given"`)) || !bytes.Contains(out, []byte(`"model":"shown"`)) || bytes.Contains(out, []byte(`"type":"text"`)) {
			t.Errorf("output:\n%s", out)
		}
		// No finish arrived, but a tool was called.
		if !bytes.Contains(out, []byte(`"stop_reason":"tool_use"`)) {
			t.Errorf("stop_reason not tool_use:\n%s", out)
		}
		if more := e.End(nil); len(more) != 0 {
			t.Errorf("second End wrote %q", more)
		}
		if more := e.Append(nil, &wire.Event{Kind: wire.EventText, Text: "late"}); len(more) != 0 {
			t.Errorf("Append after End wrote %q", more)
		}
	})
	t.Run("late tool args and interleaved text", func(t *testing.T) {
		evs := []wire.Event{
			{Kind: wire.EventToolStart, Index: 0, ID: "a", Name: "f"},
			{Kind: wire.EventToolArgs, Index: 0, Text: `{"x":`},
			{Kind: wire.EventText, Index: 1, Text: "between"},
			{Kind: wire.EventToolArgs, Index: 0, Text: `2}`},
			{Kind: wire.EventText, Index: 1, Text: " again"},
			{Kind: wire.EventToolArgs, Index: 7, Text: `{}`}, // no start: a call is made up
		}
		out := encodeAll("", "m", evs, nil)
		frames(t, out)
		got, err := decodeAll(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		s := accumulate(got)
		var args []string
		var text string
		for _, p := range s.Parts {
			switch p.Kind {
			case wire.ToolCall:
				args = append(args, string(p.Args))
				if p.ID == "" {
					t.Errorf("tool call without an id")
				}
			case wire.Text:
				text += p.Text
			}
		}
		if !reflect.DeepEqual(args, []string{`{"x":2}`, `{}`}) || text != "between again" {
			t.Errorf("args %q, text %q", args, text)
		}
	})
	t.Run("fail", func(t *testing.T) {
		e := NewStreamEncoder("", "m")
		out := e.Append(nil, &wire.Event{Kind: wire.EventText, Text: "par"})
		out = e.Fail(out, &wire.Error{Kind: wire.ErrRateLimit, Message: "slow down"})
		if !bytes.HasSuffix(out, []byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n")) {
			t.Errorf("output:\n%s", out)
		}
		if more := e.End(nil); len(more) != 0 {
			t.Errorf("End after Fail wrote %q", more)
		}
		_, err := decodeAll(bytes.NewReader(out))
		var we *wire.Error
		if !errors.As(err, &we) || we.Kind != wire.ErrRateLimit || we.Message != "slow down" {
			t.Errorf("decoded failure: %v", err)
		}
	})
}

func TestStreamDecoderEdges(t *testing.T) {
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n"
	cases := []struct {
		name    string
		stream  string
		wantErr string // "" for a clean end
	}{
		{"truncated", start, "ended before message_stop"},
		{"no trailing blank line", start + "event: message_stop\ndata: {\"type\":\"message_stop\"}", ""},
		{"bad json", start + "event: content_block_start\ndata: {\"type\":\n\n", "not valid JSON"},
		{"delta for unknown block", start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", "never started"},
		{"bad index", start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", "bad content block index"},
		{"huge index", start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1e12,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", "bad content block index"},
		{"unknown events skipped", start + "event: future_event\ndata: {\"type\":\"future_event\"}\n\n: comment\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", ""},
		{"error garbage", start + "event: error\ndata: oops\n\n", "upstream error: oops"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeAll(strings.NewReader(c.stream))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	t.Run("truncated is ErrUnexpectedEOF and sticky", func(t *testing.T) {
		d := NewStreamDecoder(strings.NewReader(start))
		evs, err := d.Next(nil)
		if err != nil || len(evs) != 1 || evs[0].Kind != wire.EventStart || evs[0].Usage.Prompt != 3 {
			t.Fatalf("first Next: %+v, %v", evs, err)
		}
		_, err = d.Next(nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
		if _, err2 := d.Next(nil); err2 != err {
			t.Errorf("error not sticky: %v then %v", err, err2)
		}
	})
	t.Run("EOF after message_stop, appends to the caller's slice", func(t *testing.T) {
		d := NewStreamDecoder(strings.NewReader(start + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\nevent: message_start\ndata: {}\n\n"))
		prior := []wire.Event{{Kind: wire.EventText, Text: "kept"}}
		evs, err := d.Next(prior)
		if err != nil || len(evs) != 2 || evs[0].Text != "kept" {
			t.Fatalf("Next = %+v, %v", evs, err)
		}
		for range 2 {
			if evs, err = d.Next(evs[:0]); err != io.EOF || len(evs) != 0 {
				t.Fatalf("after message_stop: %+v, %v", evs, err)
			}
		}
	})
	t.Run("events without names", func(t *testing.T) {
		s := "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":1}}}\n\n" +
			"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n" +
			"data: {\"type\":\"message_stop\"}\n\n"
		evs, err := decodeAll(strings.NewReader(s))
		if err != nil || accumulate(evs).Parts[0].Text != "hi" {
			t.Errorf("got %+v, %v", evs, err)
		}
	})
	t.Run("usage merge", func(t *testing.T) {
		// message_start gives input and cache counts; a message_delta that
		// resends only output_tokens keeps them, one that resends them all
		// replaces them.
		s := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":90,\"cache_creation_input_tokens\":5,\"output_tokens\":1}}}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null},\"usage\":{\"output_tokens\":4}}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":12,\"output_tokens\":9}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
		evs, err := decodeAll(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		var usages []wire.Usage
		finishes := 0
		for _, ev := range evs {
			switch ev.Kind {
			case wire.EventUsage:
				usages = append(usages, ev.Usage)
			case wire.EventFinish:
				finishes++
			}
		}
		want := []wire.Usage{{Prompt: 105, Completion: 4, Cached: 90, CacheWrite: 5}, {Prompt: 107, Completion: 9, Cached: 90, CacheWrite: 5}}
		if !reflect.DeepEqual(usages, want) || finishes != 1 {
			t.Errorf("usages %+v (%d finishes), want %+v", usages, finishes, want)
		}
	})
	t.Run("tool input in the start event", func(t *testing.T) {
		s := start + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{\"a\":1}}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
		evs, err := decodeAll(strings.NewReader(s))
		if err != nil || string(accumulate(evs).Parts[0].Args) != `{"a":1}` {
			t.Errorf("got %+v, %v", evs, err)
		}
	})
}

func TestStreamDecoderReset(t *testing.T) {
	body := mustRead(t, "testdata/stream/tool.in.sse")
	d := NewStreamDecoder(bytes.NewReader(body))
	var first, second []wire.Event
	var err error
	for err == nil {
		first, err = d.Next(first)
	}
	d.Reset(bytes.NewReader(body))
	err = nil
	for err == nil {
		second, err = d.Next(second)
	}
	if err != io.EOF || !reflect.DeepEqual(first, second) {
		t.Errorf("after Reset: %v\n%+v\n%+v", err, first, second)
	}
}
