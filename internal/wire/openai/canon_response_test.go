package openai

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want wire.Response
	}{
		{"text", `{"id":"c","model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
			wire.Response{ID: "c", Model: "gpt", Parts: []wire.Part{text("hi")}, Finish: wire.FinishStop, Usage: wire.Usage{Prompt: 3, Completion: 1}}},
		{"tool calls, legacy finish", `{"id":"c","choices":[{"message":{"content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"function_call"}]}`,
			wire.Response{ID: "c", Parts: []wire.Part{call("t", "f", `{"a":1}`)}, Finish: wire.FinishToolCalls}},
		{"ollama reasoning and unknown finish", `{"id":"c","choices":[{"message":{"content":"x","reasoning":"why"},"finish_reason":"abort"}]}`,
			wire.Response{ID: "c", Parts: []wire.Part{{Kind: wire.Thinking, Text: "why"}, text("x")}, Finish: wire.FinishStop}},
		{"content parts", `{"id":"c","choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"length"}]}`,
			wire.Response{ID: "c", Parts: []wire.Part{text("a"), text("b")}, Finish: wire.FinishLength}},
		{"refusal with content", `{"id":"c","choices":[{"message":{"content":"a","refusal":"no"},"finish_reason":"content_filter"}]}`,
			wire.Response{ID: "c", Parts: []wire.Part{text("a"), text("no")}, Finish: wire.FinishContentFilter}},
		{"no choices", `{"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}`,
			wire.Response{ID: "c", Usage: wire.Usage{Prompt: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeResponse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %s want %s", dump(viewResponse(got)), dump(viewResponse(&tt.want)))
			}
		})
	}
}

func TestDecodeResponseErrors(t *testing.T) {
	tests := []struct {
		body  string
		field string // for *wire.Invalid
	}{
		{`{"choices":[`, ""},
		{`"x"`, ""},
		{`{"choices":{}}`, "choices"},
		{`{"choices":[{"message":{"content":"a"}},{"message":{"content":"b"}}]}`, "choices"},
		{`{"choices":[1]}`, "choices[0]"},
		{`{"choices":[{"message":"hi"}]}`, "choices[0].message"},
		{`{"choices":[{"message":{"content":7}}]}`, "choices[0].message.content"},
		{`{"choices":[{"message":{"content":[{"type":"image_url"}]}}]}`, "choices[0].message.content[0].type"},
		{`{"choices":[{"message":{"tool_calls":{}}}]}`, "choices[0].message.tool_calls"},
		{`{"choices":[{"message":{"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{oops"}}]}}]}`, "choices[0].message.tool_calls[0].function.arguments"},
		{`{"choices":[{"message":{"tool_calls":[{"id":"t","type":"custom","custom":{"name":"f","input":"x"}}]}}]}`, "choices[0].message.tool_calls[0].type"},
	}
	for _, tt := range tests {
		_, err := DecodeResponse([]byte(tt.body))
		var inv *wire.Invalid
		if !errors.As(err, &inv) || inv.Field != tt.field {
			t.Errorf("DecodeResponse(%s) = %v, want Invalid naming %q", tt.body, err, tt.field)
		}
	}
	// An error envelope in place of an answer is the provider's error.
	_, err := DecodeResponse([]byte(`{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}`))
	var we *wire.Error
	if !errors.As(err, &we) || we.Kind != wire.ErrRateLimit || we.Message != "quota" {
		t.Errorf("error body: %v", err)
	}
}

func TestEncodeResponse(t *testing.T) {
	fixClock(t)
	got, err := EncodeResponse(&wire.Response{ID: "msg_1", Model: "claude-x", Parts: []wire.Part{call("t", "f", "")}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_1","object":"chat.completion","created":1700000000,"model":"claude-x","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
		`"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],` +
		`"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got, _ = EncodeResponse(&wire.Response{Model: "m"})
	var v struct {
		ID      string
		Choices []struct {
			Message      struct{ Content *string }
			FinishReason string `json:"finish_reason"`
		}
	}
	if err := json.Unmarshal(got, &v); err != nil || v.ID != "chatcmpl-made-up" || v.Choices[0].Message.Content == nil || *v.Choices[0].Message.Content != "" || v.Choices[0].FinishReason != "stop" {
		t.Errorf("empty answer: %s", got)
	}
	if _, err := EncodeResponse(&wire.Response{Parts: []wire.Part{{Kind: wire.Image, URL: "https://x"}}}); err == nil {
		t.Error("an image in an answer was accepted")
	}
}

func TestResponseRoundTrip(t *testing.T) {
	fixClock(t)
	tests := []wire.Response{
		{ID: "a", Model: "m", Parts: []wire.Part{text("hello \"you\"\n")}, Finish: wire.FinishStop, Usage: wire.Usage{Prompt: 10, Completion: 3}},
		{ID: "b", Model: "m", Parts: []wire.Part{{Kind: wire.Thinking, Text: "r"}, text("x"), call("c1", "f", `{"a":[1]}`), call("c2", "g", `{}`)},
			Finish: wire.FinishToolCalls, Usage: wire.Usage{Prompt: 100, Completion: 50, Cached: 40, CacheWrite: 7, Reasoning: 20}},
		{ID: "c", Model: "m", Finish: wire.FinishLength},
		{ID: "d", Model: "m", Parts: []wire.Part{text("blocked")}, Finish: wire.FinishContentFilter},
	}
	for _, want := range tests {
		body, err := EncodeResponse(&want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResponse(body)
		if err != nil {
			t.Fatalf("DecodeResponse(%s): %v", body, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("round trip through %s:\ngot %s want %s", body, dump(viewResponse(got)), dump(viewResponse(&want)))
		}
	}
}
