package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/bedrock"
	"github.com/switchyard/switchyard/internal/wire/gemini"
)

// countRequest is a conversation with a system prompt, a tool call and its
// result, and tools: every part the clouds count.
func countRequest() *wire.Request {
	return &wire.Request{
		System: []wire.Part{{Kind: wire.Text, Text: "You are terse."}},
		Messages: []wire.Message{
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "What is the weather in Paris today?"}}},
			{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "toolu_01", Name: "get_weather", Args: json.RawMessage(`{"city":"Paris"}`)}}},
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "toolu_01", Name: "get_weather", Text: "sunny, 21°C"}}},
		},
		Tools: []wire.Tool{{Name: "get_weather", Description: "Current weather in a city.",
			Schema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}},
		ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto},
		MaxTokens:  16,
	}
}

// TestCountTokensMatchesBilling asks each counting cloud (an emulator) for
// the count of a request, then sends the request, and the cloud must bill
// as input exactly what it counted.
func TestCountTokensMatchesBilling(t *testing.T) {
	tests := []struct {
		kind   emulate.Kind
		cfg    func(url string) config.Provider
		model  string
		encode func(*wire.Request) ([]byte, error)
	}{
		{emulate.Anthropic, func(u string) config.Provider {
			return config.Provider{Name: "a", Type: config.TypeAnthropic, BaseURL: u, APIKey: "k"}
		}, "claude-sonnet-4-5", anthropic.EncodeRequest},
		{emulate.Bedrock, func(u string) config.Provider {
			return config.Provider{Name: "b", Type: config.TypeBedrock, BaseURL: u, Region: "us-east-1", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
		}, "anthropic.claude-sonnet-4-5-v1:0", bedrock.EncodeRequest},
		{emulate.Gemini, func(u string) config.Provider {
			return config.Provider{Name: "g", Type: config.TypeGemini, BaseURL: u, APIKey: "k"}
		}, "gemini-2.5-flash", gemini.EncodeRequest},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			emu, err := emulate.Listen(tc.kind, "127.0.0.1:0", emulate.Knobs{})
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()
			p, err := New(tc.cfg(emu.URL))
			if err != nil {
				t.Fatal(err)
			}
			req := countRequest()
			n, err := p.(Counter).CountTokens(context.Background(), tc.model, req)
			if err != nil {
				t.Fatalf("CountTokens: %v", err)
			}
			if req.Model != "" {
				t.Errorf("CountTokens changed the caller's request: model %q", req.Model)
			}
			if b := emu.Billed(); b.Requests != 0 {
				t.Errorf("counting was billed: %+v", b)
			}
			r := *req
			r.Model = tc.model
			body, err := tc.encode(&r)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := p.Send(context.Background(), &Request{Op: Chat, Model: tc.model, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("send: HTTP %d", resp.StatusCode)
			}
			if billed := emu.Billed().InputTokens; int64(n) != billed || n == 0 {
				t.Errorf("counted %d, billed %d", n, billed)
			}
		})
	}
}

func TestCountTokensErrors(t *testing.T) {
	var status int
	var path string
	var sent map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		b, _ := io.ReadAll(r.Body)
		sent = nil
		_ = json.Unmarshal(b, &sent)
		w.WriteHeader(status)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	p, err := New(config.Provider{Name: "a", Type: config.TypeAnthropic, BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	status = http.StatusServiceUnavailable
	if _, err := p.(Counter).CountTokens(context.Background(), "m", countRequest()); err == nil {
		t.Error("a 503 gave a count")
	}
	if path != "/v1/messages/count_tokens" || sent["max_tokens"] != nil || sent["model"] != "m" || sent["messages"] == nil {
		t.Errorf("sent %s %v", path, sent)
	}
	status = http.StatusOK
	if _, err := p.(Counter).CountTokens(context.Background(), "m", countRequest()); err == nil {
		t.Error("an answer without input_tokens gave a count")
	}
	if _, ok := any(&OpenAI{}).(Counter); ok {
		t.Error("OpenAI has no count endpoint, yet is a Counter")
	}
}
