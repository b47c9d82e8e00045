// The openai-go SDK is large, and fuzzing instruments every package linked
// into the test binary: with it linked in, the fuzz targets of this package
// run about a thousand times slower. Fuzz with -tags nosdk to leave it out.

//go:build !nosdk

package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/switchyard/switchyard/internal/wire"
)

// These tests put the official openai-go SDK on both ends of the package: the
// SDK writes a request that DecodeRequest must read, and reads back what the
// encoders wrote, as a gateway's OpenAI client would.

func sdkClient(t *testing.T, h http.HandlerFunc) oai.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return oai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

func sdkParams(stream bool) oai.ChatCompletionNewParams {
	p := oai.ChatCompletionNewParams{
		Model: "client-model",
		Messages: []oai.ChatCompletionMessageParamUnion{
			oai.SystemMessage("Be brief."),
			oai.UserMessage("Weather in Lisbon?"),
			{OfAssistant: &oai.ChatCompletionAssistantMessageParam{
				ToolCalls: []oai.ChatCompletionMessageToolCallUnionParam{{OfFunction: &oai.ChatCompletionMessageFunctionToolCallParam{
					ID: "call_0", Function: oai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "get_weather", Arguments: `{"city":"Lisbon"}`},
				}}},
			}},
			oai.ToolMessage("17 °C, sunny", "call_0"),
			oai.UserMessage("And the time there?"),
		},
		Tools: []oai.ChatCompletionToolUnionParam{oai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Description: oai.String("Weather for a city."), Strict: oai.Bool(true),
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})},
		MaxCompletionTokens: oai.Int(200),
		Temperature:         oai.Float(0.5),
	}
	if stream {
		p.StreamOptions = oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)}
	}
	return p
}

// checkSDKRequest decodes what the SDK sent and checks the canonical request.
func checkSDKRequest(t *testing.T, r *http.Request, stream bool) {
	body, _ := io.ReadAll(r.Body)
	req, err := DecodeRequest(body)
	if err != nil {
		t.Errorf("DecodeRequest of the SDK's body: %v\n%s", err, body)
		return
	}
	if req.Stream != stream || req.IncludeUsage != stream || req.MaxTokens != 200 || req.Temperature == nil || *req.Temperature != 0.5 {
		t.Errorf("decoded %+v from %s", req, body)
	}
	if len(req.System) != 1 || len(req.Messages) != 4 || len(req.Tools) != 1 || len(req.Extra) != 0 {
		t.Errorf("decoded system %v, %d messages, %d tools, extra %v", req.System, len(req.Messages), len(req.Tools), req.Extra)
		return
	}
	if call := req.Messages[1].Parts[0]; call.Kind != wire.ToolCall || call.ID != "call_0" || string(call.Args) != `{"city":"Lisbon"}` {
		t.Errorf("tool call = %+v", call)
	}
	if res := req.Messages[2].Parts[0]; res.Kind != wire.ToolResult || res.ID != "call_0" || res.Text != "17 °C, sunny" {
		t.Errorf("tool result = %+v", res)
	}
}

func TestSDKStreamAccumulates(t *testing.T) {
	events := []wire.Event{
		{Kind: wire.EventStart, ID: "upstream-id", Model: "upstream-model"},
		{Kind: wire.EventThinking, Index: 0, Text: "the user wants two things"},
		{Kind: wire.EventText, Index: 1, Text: "Hel"},
		{Kind: wire.EventText, Index: 1, Text: "lo \"there\" – ü\n<b>&"},
		{Kind: wire.EventToolStart, Index: 2, ID: "call_1", Name: "get_weather"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"city":`},
		{Kind: wire.EventToolStart, Index: 3, ID: "call_2", Name: "get_time"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `"Lisbon"}`}, // interleaved: still call 0
		{Kind: wire.EventToolArgs, Index: 3, Text: `{"tz":"WET"}`},
		{Kind: wire.EventBlockEnd, Index: 2},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 100, Completion: 30, Cached: 40, CacheWrite: 8, Reasoning: 12}}, // before Finish
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
	}
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		checkSDKRequest(t, r, true)
		w.Header().Set("Content-Type", "text/event-stream")
		enc := NewStreamEncoder("chatcmpl-gw", "client-model", 1700000000, true)
		var out []byte
		for i := range events {
			out = enc.Append(out, &events[i])
		}
		w.Write(enc.End(out))
	})
	stream := client.Chat.Completions.NewStreaming(context.Background(), sdkParams(true))
	var acc oai.ChatCompletionAccumulator
	chunks := 0
	var cacheWrite int64
	for stream.Next() {
		chunks++
		// The accumulator does not sum cache_write_tokens: read it off the chunk.
		cacheWrite += stream.Current().Usage.PromptTokensDetails.CacheWriteTokens
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("the accumulator rejected chunk %d: %s", chunks, stream.Current().RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if acc.ID != "chatcmpl-gw" || acc.Model != "client-model" || acc.Created != 1700000000 {
		t.Errorf("id %q model %q created %d", acc.ID, acc.Model, acc.Created)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("%d choices", len(acc.Choices))
	}
	c := acc.Choices[0]
	if c.Message.Content != "Hello \"there\" – ü\n<b>&" {
		t.Errorf("content = %q", c.Message.Content)
	}
	if c.FinishReason != "tool_calls" {
		t.Errorf("finish_reason = %q", c.FinishReason)
	}
	want := [][3]string{{"call_1", "get_weather", `{"city":"Lisbon"}`}, {"call_2", "get_time", `{"tz":"WET"}`}}
	if len(c.Message.ToolCalls) != len(want) {
		t.Fatalf("tool calls = %+v", c.Message.ToolCalls)
	}
	for i, w := range want {
		tc := c.Message.ToolCalls[i]
		if tc.ID != w[0] || tc.Function.Name != w[1] || tc.Function.Arguments != w[2] || tc.Type != "function" {
			t.Errorf("tool call %d = %s %s %s %s, want %v", i, tc.ID, tc.Type, tc.Function.Name, tc.Function.Arguments, w)
		}
	}
	u := acc.Usage
	if u.PromptTokens != 100 || u.CompletionTokens != 30 || u.TotalTokens != 130 ||
		u.PromptTokensDetails.CachedTokens != 40 || cacheWrite != 8 || u.CompletionTokensDetails.ReasoningTokens != 12 {
		t.Errorf("usage = %+v", u)
	}
}

func TestSDKStreamFail(t *testing.T) {
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		enc := NewStreamEncoder("", "client-model", 1700000000, true)
		out := enc.Append(nil, &wire.Event{Kind: wire.EventStart})
		out = enc.Append(out, &wire.Event{Kind: wire.EventText, Text: "partial"})
		w.Write(enc.Fail(out, &wire.Error{Kind: wire.ErrOverloaded, Message: "upstream overloaded"}))
	})
	stream := client.Chat.Completions.NewStreaming(context.Background(), sdkParams(true))
	var acc oai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	err := stream.Err()
	if err == nil || !strings.Contains(err.Error(), "upstream overloaded") {
		t.Fatalf("stream error = %v, want the failure's message", err)
	}
	if !strings.HasPrefix(acc.ID, "chatcmpl-") || acc.Choices[0].Message.Content != "partial" {
		t.Errorf("before the failure: id %q content %q", acc.ID, acc.Choices[0].Message.Content)
	}
}

func TestSDKResponse(t *testing.T) {
	fixClock(t)
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		checkSDKRequest(t, r, false)
		body, err := EncodeResponse(&wire.Response{
			Model: "client-model",
			Parts: []wire.Part{
				{Kind: wire.Thinking, Text: "think", Signature: "sig"},
				{Kind: wire.Text, Text: "It is "},
				{Kind: wire.Text, Text: "09:00."},
				{Kind: wire.ToolCall, ID: "toolu_1", Name: "get_time", Args: []byte(`{"tz":"WET"}`)},
			},
			Finish: wire.FinishToolCalls,
			Usage:  wire.Usage{Prompt: 50, Completion: 20, Cached: 10, Reasoning: 5},
		})
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	cc, err := client.Chat.Completions.New(context.Background(), sdkParams(false))
	if err != nil {
		t.Fatal(err)
	}
	if cc.ID != "chatcmpl-made-up" || cc.Model != "client-model" || cc.Object != "chat.completion" || cc.Created != 1700000000 {
		t.Errorf("header fields: %s", cc.RawJSON())
	}
	m := cc.Choices[0].Message
	if m.Content != "It is 09:00." || cc.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 1 ||
		m.ToolCalls[0].ID != "toolu_1" || m.ToolCalls[0].Function.Arguments != `{"tz":"WET"}` {
		t.Errorf("message: %s", cc.RawJSON())
	}
	if cc.Usage.TotalTokens != 70 || cc.Usage.PromptTokensDetails.CachedTokens != 10 || cc.Usage.CompletionTokensDetails.ReasoningTokens != 5 {
		t.Errorf("usage: %+v", cc.Usage)
	}
}

func TestSDKErrors(t *testing.T) {
	tests := []struct {
		err        wire.Error
		status     int
		typ, code  string
		param, msg string
	}{
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "messages[2].content: bad", Param: "messages"}, 400, "invalid_request_error", "", "messages", "messages[2].content: bad"},
		{wire.Error{Kind: wire.ErrAuthentication, Message: "no key"}, 401, "authentication_error", "", "", "no key"},
		{wire.Error{Kind: wire.ErrPermission, Message: "denied"}, 403, "permission_error", "", "", "denied"},
		{wire.Error{Kind: wire.ErrNotFound, Message: "no model", Code: "model_not_found"}, 404, "not_found_error", "model_not_found", "", "no model"},
		{wire.Error{Kind: wire.ErrTooLarge, Message: "too big"}, 413, "invalid_request_error", "", "", "too big"},
		{wire.Error{Kind: wire.ErrRateLimit, Message: "slow down"}, 429, "rate_limit_error", "rate_limit_exceeded", "", "slow down"},
		{wire.Error{Kind: wire.ErrServer, Message: "boom"}, 500, "server_error", "", "", "boom"},
		{wire.Error{Kind: wire.ErrOverloaded, Status: 529, Message: "overloaded"}, 529, "service_unavailable_error", "", "", "overloaded"},
		{wire.Error{Kind: wire.ErrTimeout, Message: "timed out"}, 504, "server_error", "", "", "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.code, func(t *testing.T) {
			client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.err.HTTPStatus())
				w.Write(EncodeError(&tt.err))
			})
			_, err := client.Chat.Completions.New(context.Background(), sdkParams(false))
			var apiErr *oai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *openai.Error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Type != tt.typ || apiErr.Code != tt.code || apiErr.Param != tt.param || apiErr.Message != tt.msg {
				t.Errorf("got status %d type %q code %q param %q message %q", apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Param, apiErr.Message)
			}
		})
	}
}
