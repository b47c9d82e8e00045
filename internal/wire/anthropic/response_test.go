package anthropic

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestStopReasons(t *testing.T) {
	cases := []struct {
		reason string
		finish wire.Finish
		back   string // the stop_reason EncodeResponse writes for finish
	}{
		{"end_turn", wire.FinishStop, "end_turn"},
		{"stop_sequence", wire.FinishStop, "end_turn"}, // without a stop string
		{"pause_turn", wire.FinishStop, "end_turn"},
		{"max_tokens", wire.FinishLength, "max_tokens"},
		{"model_context_window_exceeded", wire.FinishLength, "max_tokens"},
		{"tool_use", wire.FinishToolCalls, "tool_use"},
		{"refusal", wire.FinishContentFilter, "refusal"},
		{"some_future_reason", wire.FinishStop, "end_turn"},
	}
	for _, c := range cases {
		body := `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":"` + c.reason + `","usage":{"input_tokens":1,"output_tokens":1}}`
		r, err := DecodeResponse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", c.reason, err)
		}
		if r.Finish != c.finish {
			t.Errorf("%s: Finish = %v, want %v", c.reason, r.Finish, c.finish)
		}
		out, err := EncodeResponse(r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `"stop_reason":"`+c.back+`"`) {
			t.Errorf("%s: encoded as %s, want stop_reason %s", c.reason, out, c.back)
		}
	}
}

func TestResponseUsage(t *testing.T) {
	body := `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn",
		"usage":{"input_tokens":100,"cache_creation_input_tokens":20,"cache_read_input_tokens":300,"output_tokens":50,"output_tokens_details":{"thinking_tokens":30}}}`
	r, err := DecodeResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Usage{Prompt: 420, Completion: 50, Cached: 300, CacheWrite: 20, Reasoning: 30}
	if r.Usage != want {
		t.Errorf("Usage = %+v, want %+v", r.Usage, want)
	}
	out, err := EncodeResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Usage map[string]any `json:"usage"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if m.Usage["input_tokens"] != 100.0 || m.Usage["cache_creation_input_tokens"] != 20.0 || m.Usage["cache_read_input_tokens"] != 300.0 || m.Usage["output_tokens"] != 50.0 {
		t.Errorf("encoded usage = %v", m.Usage)
	}
	// A canonical usage from elsewhere whose cached part exceeds the prompt
	// must not give a negative input count.
	out, _ = EncodeResponse(&wire.Response{Model: "m", Usage: wire.Usage{Prompt: 5, Cached: 10}})
	if !strings.Contains(string(out), `"input_tokens":0,`) {
		t.Errorf("inconsistent usage encoded as %s", out)
	}
}

func TestDecodeResponseInvalid(t *testing.T) {
	cases := []struct{ name, body, field string }{
		{"garbage", `<html>`, ""},
		{"array", `[]`, ""},
		{"no content", `{"id":"x","type":"message"}`, "content"},
		{"block not object", `{"content":[1]}`, "content[0]"},
		{"text not string", `{"content":[{"type":"text","text":5}]}`, "content[0].text"},
		{"tool input not object", `{"content":[{"type":"tool_use","id":"a","name":"f","input":"{}"}]}`, "content[0].input"},
		{"stop_reason number", `{"content":[],"stop_reason":1}`, "stop_reason"},
		{"usage string", `{"content":[],"usage":"lots"}`, "usage"},
	}
	for _, c := range cases {
		_, err := DecodeResponse([]byte(c.body))
		var inv *wire.Invalid
		if !errors.As(err, &inv) || inv.Field != c.field {
			t.Errorf("%s: got %v, want *wire.Invalid on %q", c.name, err, c.field)
		}
	}
	// An error envelope with status 200 is an error, not a message.
	_, err := DecodeResponse([]byte(`{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`))
	var we *wire.Error
	if !errors.As(err, &we) || we.Kind != wire.ErrOverloaded {
		t.Errorf("error body: got %v, want an overloaded *wire.Error", err)
	}
}

func TestEncodeResponseEdges(t *testing.T) {
	r := &wire.Response{Model: "shown-model", Finish: wire.FinishLength, Parts: []wire.Part{
		{Kind: wire.Text, Text: ""},
		{Kind: wire.ToolCall, Name: "f", Args: json.RawMessage(`{"a": "trun`)},
		{Kind: wire.ToolCall, ID: "c2", Name: "g"},
	}}
	out, err := EncodeResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ID      string
		Model   string
		Content []struct {
			Type, ID, Name string
			Input          json.RawMessage
		}
		StopReason string `json:"stop_reason"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.HasPrefix(m.ID, "msg_") || len(m.ID) < 20 || m.Model != "shown-model" || m.StopReason != "max_tokens" {
		t.Errorf("message = %+v", m)
	}
	if len(m.Content) != 2 || !strings.HasPrefix(m.Content[0].ID, "toolu_") || string(m.Content[0].Input) != "{}" || string(m.Content[1].Input) != "{}" {
		t.Errorf("content = %+v; want two tool_use blocks with {} input (empty text left out)", m.Content)
	}
	// Arguments that are not an object, without the excuse of max_tokens.
	r.Finish = wire.FinishToolCalls
	var u *wire.Unsupported
	if _, err := EncodeResponse(r); !errors.As(err, &u) {
		t.Errorf("got %v, want *wire.Unsupported", err)
	}
	if _, err := EncodeResponse(&wire.Response{Parts: []wire.Part{{Kind: wire.Image, URL: "x"}}}); !errors.As(err, &u) {
		t.Errorf("image part: got %v, want *wire.Unsupported", err)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	resps := []wire.Response{
		{ID: "msg_a", Model: "claude-x", Parts: []wire.Part{
			{Kind: wire.Thinking, Text: "hmm", Signature: "sig"},
			{Kind: wire.Thinking, Signature: RedactedPrefix + "abc"},
			{Kind: wire.Text, Text: "Hello \"you\" <&> \u2029 😀"},
			{Kind: wire.ToolCall, ID: "toolu_1", Name: "f", Args: json.RawMessage(`{"q":"x","n":[1,2.5,true,null]}`)},
		}, Finish: wire.FinishToolCalls, Usage: wire.Usage{Prompt: 1000, Completion: 20, Cached: 600, CacheWrite: 100, Reasoning: 5}},
		{ID: "msg_b", Model: "m", Parts: []wire.Part{{Kind: wire.Text, Text: "a b"}}, Finish: wire.FinishStop, StopSequence: "c", Usage: wire.Usage{Prompt: 3, Completion: 2}},
		{ID: "msg_c", Model: "m", Finish: wire.FinishContentFilter},
	}
	for i := range resps {
		out, err := EncodeResponse(&resps[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResponse(out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(got, &resps[i]) {
			t.Errorf("response %d changed:\n got %s\nwant %s", i, dumpResponse(got), dumpResponse(&resps[i]))
		}
	}
}
