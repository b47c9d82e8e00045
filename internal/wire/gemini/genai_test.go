package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
	"google.golang.org/genai"
)

// These tests put the official Go SDK in front of an emulator built from
// this package: genai's request bodies must decode, and what the encoders
// write must come out of genai as the text, calls, finish reason, usage and
// errors that went in.

type genaiServer struct {
	t    *testing.T
	mu   sync.Mutex
	reqs []*wire.Request
	srv  *httptest.Server
}

func newGenaiServer(t *testing.T) (*genaiServer, *genai.Client) {
	s := &genaiServer{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve)) // listens on 127.0.0.1
	t.Cleanup(s.srv.Close)
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "test-key",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.srv.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func (s *genaiServer) last() *wire.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil
	}
	return s.reqs[len(s.reqs)-1]
}

// answer is what the emulator says, whole or streamed.
var answer = wire.Response{
	ID:    "resp-1",
	Model: "gemini-test-001",
	Parts: []wire.Part{
		{Kind: wire.Thinking, Text: "The user wants weather."},
		{Kind: wire.Text, Text: "Checking Paris."},
		{Kind: wire.ToolCall, ID: "call_1", Name: "get_weather", Args: json.RawMessage(`{"city":"Paris","days":[1,2]}`), Signature: "c2ln"},
	},
	Finish: wire.FinishToolCalls,
	Usage:  wire.Usage{Prompt: 20, Completion: 15, Cached: 5, Reasoning: 6},
}

func (s *genaiServer) serve(w http.ResponseWriter, r *http.Request) {
	t := s.t
	if got := r.Header.Get("x-goog-api-key"); got != "test-key" {
		t.Errorf("x-goog-api-key = %q", got)
	}
	body, _ := io.ReadAll(r.Body)
	req, err := DecodeRequest(body)
	if err != nil {
		t.Errorf("DecodeRequest of genai's body: %v\n%s", err, body)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(EncodeError(&wire.Error{Kind: wire.ErrInvalidRequest, Message: err.Error()}))
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()

	model, method, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1beta/models/"), ":")
	switch {
	case model == "gemini-limited":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(EncodeError(&wire.Error{Kind: wire.ErrRateLimit, Message: "Quota exceeded.", RetryAfter: 20 * time.Second}))
	case method == "generateContent":
		out, err := EncodeResponse(&answer)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	case method == "streamGenerateContent" && r.URL.Query().Get("alt") == "sse":
		w.Header().Set("Content-Type", "text/event-stream")
		enc := NewStreamEncoder(answer.Model)
		flush := func(b []byte) {
			if len(b) > 0 {
				_, _ = w.Write(b)
				w.(http.Flusher).Flush()
			}
		}
		evs := []wire.Event{
			{Kind: wire.EventStart, ID: "resp-s", Usage: wire.Usage{Prompt: 20}},
			{Kind: wire.EventThinking, Index: 0, Text: "Weather, "},
			{Kind: wire.EventThinking, Index: 0, Text: "then answer."},
			{Kind: wire.EventText, Index: 1, Text: "Check"},
			{Kind: wire.EventText, Index: 1, Text: "ing Paris."},
			{Kind: wire.EventToolStart, Index: 2, ID: "call_1", Name: "get_weather", Signature: "c2ln"},
			{Kind: wire.EventToolArgs, Index: 2, Text: `{"city":`},
			{Kind: wire.EventToolArgs, Index: 2, Text: `"Paris","days":[1,2]}`},
			{Kind: wire.EventUsage, Usage: answer.Usage}, // usage before the finish
			{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		}
		for i := range evs {
			flush(enc.Append(nil, &evs[i]))
		}
		if model == "gemini-breaks" {
			flush(enc.Fail(nil, &wire.Error{Kind: wire.ErrOverloaded, Message: "The model is overloaded."}))
			return
		}
		flush(enc.End(nil))
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusNotFound)
	}
}

var weatherTool = &genai.Tool{FunctionDeclarations: []*genai.FunctionDeclaration{{
	Name:        "get_weather",
	Description: "Weather by city.",
	ParametersJsonSchema: map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	},
}}}

// history is a conversation as a genai client keeps it: a call without an
// id, its response, and the next question.
var history = []*genai.Content{
	genai.NewContentFromText("Weather in Rome?", genai.RoleUser),
	genai.NewContentFromParts([]*genai.Part{genai.NewPartFromFunctionCall("get_weather", map[string]any{"city": "Rome"})}, genai.RoleModel),
	genai.NewContentFromParts([]*genai.Part{genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "24C"})}, genai.RoleUser),
	genai.NewContentFromText("And Paris?", genai.RoleUser),
}

func textOf(c *genai.Candidate) (text, thoughts string) {
	if c == nil || c.Content == nil {
		return "", ""
	}
	for _, p := range c.Content.Parts {
		if p.Thought {
			thoughts += p.Text
		} else {
			text += p.Text
		}
	}
	return text, thoughts
}

func checkCall(t *testing.T, calls []*genai.FunctionCall) {
	t.Helper()
	if len(calls) != 1 {
		t.Fatalf("got %d function calls, want 1", len(calls))
	}
	c := calls[0]
	days, _ := c.Args["days"].([]any)
	if c.Name != "get_weather" || c.ID != "call_1" || c.Args["city"] != "Paris" || len(days) != 2 {
		t.Errorf("function call %+v", c)
	}
}

func checkUsage(t *testing.T, u *genai.GenerateContentResponseUsageMetadata) {
	t.Helper()
	if u == nil {
		t.Fatal("no usageMetadata")
	}
	// Canonical {Prompt 20, Completion 15 (6 of them thoughts), Cached 5}.
	if u.PromptTokenCount != 20 || u.CandidatesTokenCount != 9 || u.ThoughtsTokenCount != 6 || u.CachedContentTokenCount != 5 || u.TotalTokenCount != 35 {
		t.Errorf("usage %+v", *u)
	}
}

func TestGenaiGenerateContent(t *testing.T) {
	s, c := newGenaiServer(t)
	temp := float32(0.25)
	resp, err := c.Models.GenerateContent(context.Background(), "gemini-test", history, &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("Be brief.", genai.RoleUser),
		Temperature:       &temp,
		MaxOutputTokens:   64,
		StopSequences:     []string{"END"},
		Tools:             []*genai.Tool{weatherTool},
		ToolConfig:        &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{"get_weather"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// What genai sent, decoded.
	req := s.last()
	if req == nil {
		t.Fatal("no request")
	}
	if len(req.System) != 1 || req.System[0].Text != "Be brief." || req.MaxTokens != 64 || req.Temperature == nil || *req.Temperature != 0.25 ||
		len(req.Stop) != 1 || len(req.Extra) != 0 {
		t.Errorf("decoded request: %s", dumpRequest(req))
	}
	if req.ToolChoice != (wire.ToolChoice{Mode: wire.ToolNamed, Name: "get_weather"}) || len(req.Tools) != 1 || req.Tools[0].Name != "get_weather" {
		t.Errorf("tools: %+v %+v", req.Tools, req.ToolChoice)
	}
	if len(req.Messages) != 4 {
		t.Fatalf("messages: %s", dumpRequest(req))
	}
	call, result := req.Messages[1].Parts[0], req.Messages[2].Parts[0]
	if call.Kind != wire.ToolCall || result.Kind != wire.ToolResult || call.ID == "" || result.ID != call.ID || result.Name != "get_weather" || result.Text != "24C" {
		t.Errorf("call %+v result %+v", call, result)
	}
	if p := req.Messages[3].Parts[0]; p.Kind != wire.Text || p.Text != "And Paris?" {
		t.Errorf("the next question: %+v", p)
	}

	// What genai read from EncodeResponse.
	if resp.ResponseID != "resp-1" || resp.ModelVersion != "gemini-test-001" || len(resp.Candidates) != 1 {
		t.Fatalf("response %+v", resp)
	}
	text, thoughts := textOf(resp.Candidates[0])
	if text != "Checking Paris." || thoughts != "The user wants weather." {
		t.Errorf("text %q thoughts %q", text, thoughts)
	}
	checkCall(t, resp.FunctionCalls())
	if sig := resp.Candidates[0].Content.Parts[2].ThoughtSignature; string(sig) != "sig" {
		t.Errorf("thought signature %q", sig)
	}
	if resp.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("finish %q", resp.Candidates[0].FinishReason)
	}
	checkUsage(t, resp.UsageMetadata)
}

func TestGenaiGenerateContentStream(t *testing.T) {
	_, c := newGenaiServer(t)
	var text, thoughts string
	var calls []*genai.FunctionCall
	var finish genai.FinishReason
	var usage *genai.GenerateContentResponseUsageMetadata
	chunks := 0
	for resp, err := range c.Models.GenerateContentStream(context.Background(), "gemini-test", history, &genai.GenerateContentConfig{Tools: []*genai.Tool{weatherTool}}) {
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		if resp.ResponseID != "resp-s" || resp.ModelVersion != "gemini-test-001" {
			t.Errorf("chunk %d: id %q model %q", chunks, resp.ResponseID, resp.ModelVersion)
		}
		if len(resp.Candidates) == 0 {
			continue
		}
		tx, th := textOf(resp.Candidates[0])
		text, thoughts = text+tx, thoughts+th
		calls = append(calls, resp.FunctionCalls()...)
		if f := resp.Candidates[0].FinishReason; f != "" {
			finish = f
		}
		if resp.UsageMetadata != nil {
			usage = resp.UsageMetadata
		}
	}
	if text != "Checking Paris." || thoughts != "Weather, then answer." {
		t.Errorf("text %q thoughts %q", text, thoughts)
	}
	checkCall(t, calls)
	if finish != genai.FinishReasonStop {
		t.Errorf("finish %q", finish)
	}
	checkUsage(t, usage)
	if chunks < 5 {
		t.Errorf("only %d chunks: deltas were merged", chunks)
	}
}

func TestGenaiErrors(t *testing.T) {
	_, c := newGenaiServer(t)
	_, err := c.Models.GenerateContent(context.Background(), "gemini-limited", history, nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %T %v, want genai.APIError", err, err)
	}
	if apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" || apiErr.Message != "Quota exceeded." {
		t.Errorf("APIError %+v", apiErr)
	}
	if len(apiErr.Details) != 1 || apiErr.Details[0]["retryDelay"] != "20s" {
		t.Errorf("details %v", apiErr.Details)
	}

	// An error in the middle of a stream.
	var got error
	text := ""
	for resp, err := range c.Models.GenerateContentStream(context.Background(), "gemini-breaks", history, nil) {
		if err != nil {
			got = err
			break
		}
		if len(resp.Candidates) > 0 {
			tx, _ := textOf(resp.Candidates[0])
			text += tx
		}
	}
	if !errors.As(got, &apiErr) || apiErr.Code != 503 || apiErr.Status != "UNAVAILABLE" {
		t.Errorf("stream error: %T %v", got, got)
	}
	if text != "Checking Paris." {
		t.Errorf("text before the error: %q", text)
	}
}
