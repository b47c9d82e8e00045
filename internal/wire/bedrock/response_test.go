package bedrock

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestStopReasons(t *testing.T) {
	for reason, want := range map[string]wire.Finish{
		"end_turn": wire.FinishStop, "stop_sequence": wire.FinishStop,
		"max_tokens": wire.FinishLength, "model_context_window_exceeded": wire.FinishLength,
		"tool_use":             wire.FinishToolCalls,
		"guardrail_intervened": wire.FinishContentFilter, "content_filtered": wire.FinishContentFilter,
		"malformed_model_output": wire.FinishStop, "malformed_tool_use": wire.FinishStop, "something_new": wire.FinishStop,
	} {
		body := `{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"` + reason + `","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`
		r, err := DecodeResponse([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", reason, err)
			continue
		}
		if r.Finish != want {
			t.Errorf("%s: Finish %v, want %v", reason, r.Finish, want)
		}
	}
	for _, tc := range []struct {
		f    wire.Finish
		seq  string
		want string
	}{
		{0, "", "end_turn"}, {wire.FinishStop, "", "end_turn"}, {wire.FinishStop, "###", "stop_sequence"},
		{wire.FinishLength, "", "max_tokens"}, {wire.FinishToolCalls, "", "tool_use"}, {wire.FinishContentFilter, "", "content_filtered"},
	} {
		if got := stopReason(tc.f, tc.seq); got != tc.want {
			t.Errorf("stopReason(%v, %q) = %q, want %q", tc.f, tc.seq, got, tc.want)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		usage string
		want  wire.Usage
	}{
		{`{"inputTokens":10,"outputTokens":5,"totalTokens":15}`, wire.Usage{Prompt: 10, Completion: 5}},
		// Cache counts are separate from inputTokens (total includes them).
		{`{"inputTokens":4,"outputTokens":100,"totalTokens":2604,"cacheReadInputTokens":2000,"cacheWriteInputTokens":500}`,
			wire.Usage{Prompt: 2504, Completion: 100, Cached: 2000, CacheWrite: 500}},
		// No total to go by: the same reading.
		{`{"inputTokens":4,"outputTokens":100,"cacheReadInputTokens":2000}`, wire.Usage{Prompt: 2004, Completion: 100, Cached: 2000}},
		// The total says inputTokens already held the cached tokens.
		{`{"inputTokens":2004,"outputTokens":100,"totalTokens":2104,"cacheReadInputTokens":2000}`, wire.Usage{Prompt: 2004, Completion: 100, Cached: 2000}},
		{`{"inputTokens":0,"outputTokens":0,"totalTokens":0,"cacheReadInputTokens":null,"cacheDetails":[{"inputTokens":1,"ttl":"5m"}]}`, wire.Usage{}},
	} {
		r, err := DecodeResponse([]byte(`{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"end_turn","usage":` + tc.usage + `}`))
		if err != nil {
			t.Errorf("%s: %v", tc.usage, err)
			continue
		}
		if r.Usage != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.usage, r.Usage, tc.want)
		}
	}
	// Encoding writes the separate reading; an impossible split is clamped.
	for _, tc := range []struct {
		u    wire.Usage
		want string
	}{
		{wire.Usage{Prompt: 2504, Completion: 100, Cached: 2000, CacheWrite: 500}, `{"inputTokens":4,"outputTokens":100,"totalTokens":2604,"cacheReadInputTokens":2000,"cacheWriteInputTokens":500}`},
		{wire.Usage{Prompt: 10, Completion: 5, Reasoning: 3}, `{"inputTokens":10,"outputTokens":5,"totalTokens":15}`},
		{wire.Usage{Prompt: 1, Cached: 5}, `{"inputTokens":0,"outputTokens":0,"totalTokens":5,"cacheReadInputTokens":5}`},
	} {
		if got := string(appendUsage(nil, &tc.u)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.u, got, tc.want)
		}
	}
}

func TestDecodeResponseInvalid(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{`, ""},
		{`"x"`, ""},
		{`{"output":{"message":{"content":[]}}}`, "stopReason"},
		{`{"stopReason":"end_turn"}`, "output.message"},
		{`{"stopReason":"end_turn","output":{"message":{"role":"user","content":[]}}}`, "output.message.role"},
		{`{"stopReason":"end_turn","output":{"message":{"content":{}}}}`, "output.message.content"},
		{`{"stopReason":"end_turn","output":{"message":{"content":[1]}}}`, "output.message.content[0]"},
		{`{"stopReason":"end_turn","output":{"message":{"content":[{"text":null}]}}}`, "output.message.content[0].text"},
		{`{"stopReason":"tool_use","output":{"message":{"content":[{"toolUse":{"toolUseId":"t","name":"f","input":"{}"}}]}}}`, "output.message.content[0].toolUse.input"},
		{`{"stopReason":"end_turn","output":{"message":{"content":[]}},"usage":{"inputTokens":-1}}`, "usage.inputTokens"},
		{`{"stopReason":"end_turn","output":{"message":{"content":[]}},"usage":{"outputTokens":"3"}}`, "usage.outputTokens"},
	} {
		_, err := DecodeResponse([]byte(tc.body))
		var inv *wire.Invalid
		if !errors.As(err, &inv) || inv.Field != tc.field {
			t.Errorf("%s: %v, want *wire.Invalid at %q", tc.body, err, tc.field)
		}
	}
}

func TestDecodeResponseSkipsForeignBlocks(t *testing.T) {
	r, err := DecodeResponse([]byte(`{"output":{"message":{"role":"assistant","content":[
		{"reasoningContent":{"redactedContent":"AAAA"}},{"citationsContent":{}},{"text":"kept"},{"toolUse":{"toolUseId":"t","name":"f"}}]}},
		"stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":5},"trace":{},"p":"abcdef"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Part{{Kind: wire.Text, Text: "kept"}, {Kind: wire.ToolCall, ID: "t", Name: "f", Args: json.RawMessage(`{}`)}}
	if !canonEqual(t, r.Parts, want) {
		t.Errorf("parts %+v", r.Parts)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for i, want := range []*wire.Response{
		{Parts: []wire.Part{{Kind: wire.Text, Text: "hi"}}, Finish: wire.FinishStop, Usage: wire.Usage{Prompt: 3, Completion: 1}},
		{Parts: []wire.Part{{Kind: wire.Text, Text: "cut"}}, Finish: wire.FinishLength, Usage: wire.Usage{Prompt: 3000, Completion: 1, Cached: 2000, CacheWrite: 900}},
		{Parts: []wire.Part{{Kind: wire.Text, Text: "x"}}, Finish: wire.FinishStop, StopSequence: "\nEND"},
		{Parts: []wire.Part{{Kind: wire.Thinking, Text: "t", Signature: "s"}, {Kind: wire.ToolCall, ID: "i", Name: "n", Args: json.RawMessage(`{"a":"\u00e9"}`)}}, Finish: wire.FinishToolCalls},
		{Finish: wire.FinishContentFilter},
	} {
		body, err := EncodeResponse(want)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		got, err := DecodeResponse(body)
		if err != nil {
			t.Errorf("%d: %v\n%s", i, err, body)
			continue
		}
		if !canonEqual(t, got, want) {
			t.Errorf("%d: round trip %+v, want %+v\n%s", i, got, want, body)
		}
	}
	// Converse bodies have no id or model: they are not written.
	body, _ := EncodeResponse(&wire.Response{ID: "msg_1", Model: "claude", Finish: wire.FinishStop})
	if got, _ := DecodeResponse(body); got.ID != "" || got.Model != "" {
		t.Errorf("id/model leaked: %s", body)
	}
	var u *wire.Unsupported
	if _, err := EncodeResponse(&wire.Response{Parts: []wire.Part{{Kind: wire.Image, Data: "AA"}}}); !errors.As(err, &u) || u.Field != "content[0]" {
		t.Errorf("image in answer: %v", err)
	}
	if _, err := EncodeResponse(&wire.Response{Parts: []wire.Part{{Kind: wire.ToolCall, ID: "i", Name: "n", Args: json.RawMessage(`nope`)}}}); !errors.As(err, &u) || u.Field != "content[0]" {
		t.Errorf("bad args in answer: %v", err)
	}
}
