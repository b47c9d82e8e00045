package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/switchyard/switchyard/internal/wire"
)

// These tests put the package behind a loopback HTTP server and talk to it
// with the official Go SDK: what the SDK sends must decode, and what the
// encoders write must be what the SDK expects.

type fakeServer struct {
	mu   sync.Mutex
	reqs []*wire.Request
	// answer writes the reply to a decoded request.
	answer func(w http.ResponseWriter, r *wire.Request)
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	r, err := DecodeRequest(body)
	if err != nil {
		e := &wire.Error{Kind: wire.ErrInvalidRequest, Message: err.Error()}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(HTTPStatus(e))
		_, _ = w.Write(EncodeError(e))
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	f.answer(w, r)
}

func (f *fakeServer) last() *wire.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newClient(t *testing.T, f *fakeServer) anthropic.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

// streamEvents answers with the canonical events through a StreamEncoder,
// flushing after each one as the gateway does; fail, when set, ends the
// stream with an error event instead.
func streamEvents(evs []wire.Event, fail *wire.Error) func(http.ResponseWriter, *wire.Request) {
	return func(w http.ResponseWriter, r *wire.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		enc := NewStreamEncoder("", r.Model)
		var buf []byte
		for i := range evs {
			buf = enc.Append(buf[:0], &evs[i])
			_, _ = w.Write(buf)
			w.(http.Flusher).Flush()
		}
		if fail != nil {
			buf = enc.Fail(buf[:0], fail)
		} else {
			buf = enc.End(buf[:0])
		}
		_, _ = w.Write(buf)
	}
}

func weatherParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-sonnet-5",
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "Be brief.", CacheControl: anthropic.NewCacheControlEphemeralParam()}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
			Name:        "get_weather",
			Description: anthropic.String("Get the weather"),
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}},
		}}},
		Metadata: anthropic.MetadataParam{UserID: anthropic.String("user-1")},
	}
}

func TestSDKStream(t *testing.T) {
	final := wire.Usage{Prompt: 1500, Completion: 95, Cached: 1000, CacheWrite: 100, Reasoning: 20}
	evs := []wire.Event{
		{Kind: wire.EventStart, ID: "msg_sdk", Model: "upstream-model", Usage: wire.Usage{Prompt: 1500, Cached: 1000, CacheWrite: 100}},
		{Kind: wire.EventThinking, Index: 0, Text: "The user wants weather."},
		{Kind: wire.EventThinking, Index: 0, Signature: "c2lnbmF0dXJl"},
		{Kind: wire.EventText, Index: 1, Text: "Let me "},
		{Kind: wire.EventText, Index: 1, Text: "check."},
		{Kind: wire.EventToolStart, Index: 2, ID: "toolu_01", Name: "get_weather"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"city"`},
		{Kind: wire.EventToolArgs, Index: 2, Text: `:"Paris"}`},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
		{Kind: wire.EventUsage, Usage: final}, // after the finish, as OpenAI sends it
	}
	f := &fakeServer{answer: streamEvents(evs, nil)}
	client := newClient(t, f)

	stream := client.Messages.NewStreaming(context.Background(), weatherParams())
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("Accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}

	// What the SDK sent.
	req := f.last()
	if !req.Stream || req.Model != "claude-sonnet-5" || req.MaxTokens != 1024 || len(req.Tools) != 1 || len(req.System) != 1 || len(req.Extra) != 0 {
		t.Errorf("decoded SDK request: %s", dumpRequest(req))
	}

	// What the SDK made of the stream.
	if msg.ID != "msg_sdk" || msg.Model != "claude-sonnet-5" || msg.StopReason != anthropic.StopReasonToolUse {
		t.Errorf("message id %q model %q stop %q", msg.ID, msg.Model, msg.StopReason)
	}
	if len(msg.Content) != 3 {
		t.Fatalf("content: %+v", msg.Content)
	}
	if c := msg.Content[0]; c.Type != "thinking" || c.Thinking != "The user wants weather." || c.Signature != "c2lnbmF0dXJl" {
		t.Errorf("thinking block %+v", c)
	}
	if c := msg.Content[1]; c.Type != "text" || c.Text != "Let me check." {
		t.Errorf("text block %+v", c)
	}
	if c := msg.Content[2]; c.Type != "tool_use" || c.ID != "toolu_01" || c.Name != "get_weather" || !jsonEqual(c.Input, `{"city":"Paris"}`) {
		t.Errorf("tool_use block %+v input %s", c, c.Input)
	}
	u := msg.Usage
	if u.InputTokens != 400 || u.CacheReadInputTokens != 1000 || u.CacheCreationInputTokens != 100 || u.OutputTokens != 95 || u.OutputTokensDetails.ThinkingTokens != 20 {
		t.Errorf("usage %+v", u)
	}

	// The client's next turn carries the answer back, thinking signature
	// and all, and the tool result.
	p := weatherParams()
	p.Messages = append(p.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_01", "18°C, sunny", false)))
	stream = client.Messages.NewStreaming(context.Background(), p)
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	req = f.last()
	want := []wire.Message{
		{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "Weather in Paris?"}}},
		{Role: wire.Assistant, Parts: []wire.Part{
			{Kind: wire.Thinking, Text: "The user wants weather.", Signature: "c2lnbmF0dXJl"},
			{Kind: wire.Text, Text: "Let me check."},
			{Kind: wire.ToolCall, ID: "toolu_01", Name: "get_weather", Args: json.RawMessage(`{"city":"Paris"}`)},
		}},
		{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "toolu_01", Name: "get_weather", Parts: []wire.Part{{Kind: wire.Text, Text: "18°C, sunny"}}}}},
	}
	if !reflect.DeepEqual(normalizeArgs(req.Messages), normalizeArgs(want)) {
		t.Errorf("second turn decoded as %s", dumpRequest(req))
	}
}

// TestSDKStreamRelay runs a golden stream through this package's
// decoder and encoder and then the SDK: an Anthropic upstream relayed to an
// Anthropic client through the canonical form.
func TestSDKStreamRelay(t *testing.T) {
	evs, err := decodeAll(bytesReader(mustRead(t, "testdata/stream/thinking.in.sse")))
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, &fakeServer{answer: streamEvents(evs, nil)})
	stream := client.Messages.NewStreaming(context.Background(), weatherParams())
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, c := range msg.Content {
		types = append(types, c.Type)
	}
	if !reflect.DeepEqual(types, []string{"thinking", "redacted_thinking", "text"}) || msg.Content[1].Data != "EmwKAhgBEgy3va3pzix" || msg.Content[2].Text != "12231" {
		t.Errorf("content %+v", msg.Content)
	}
	if msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.InputTokens != 40 || msg.Usage.OutputTokens != 120 {
		t.Errorf("stop %q usage %+v", msg.StopReason, msg.Usage)
	}
}

func TestSDKStreamError(t *testing.T) {
	evs := []wire.Event{{Kind: wire.EventStart, ID: "msg_x"}, {Kind: wire.EventText, Text: "partial"}}
	client := newClient(t, &fakeServer{answer: streamEvents(evs, &wire.Error{Kind: wire.ErrOverloaded, Message: "Overloaded"})})
	stream := client.Messages.NewStreaming(context.Background(), weatherParams())
	n := 0
	for stream.Next() {
		n++
	}
	var apiErr *anthropic.Error
	if !errors.As(stream.Err(), &apiErr) {
		t.Fatalf("stream error %v, want *anthropic.Error", stream.Err())
	}
	if apiErr.Type() != anthropic.ErrorTypeOverloadedError || apiErr.Message != "Overloaded" || n == 0 {
		t.Errorf("error type %q message %q after %d events", apiErr.Type(), apiErr.Message, n)
	}
}

func TestSDKResponse(t *testing.T) {
	resp := &wire.Response{
		ID: "msg_whole", Model: "upstream-name",
		Parts: []wire.Part{
			{Kind: wire.Thinking, Text: "hmm", Signature: "c2ln"},
			{Kind: wire.Text, Text: "Calling the tool."},
			{Kind: wire.ToolCall, ID: "toolu_9", Name: "get_weather", Args: json.RawMessage(`{"city": "Oslo"}`)},
		},
		Finish: wire.FinishToolCalls,
		Usage:  wire.Usage{Prompt: 200, Completion: 30, Cached: 50, CacheWrite: 25},
	}
	f := &fakeServer{answer: func(w http.ResponseWriter, r *wire.Request) {
		resp.Model = r.Model // the name the client asked for
		body, err := EncodeResponse(resp)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}}
	client := newClient(t, f)
	msg, err := client.Messages.New(context.Background(), weatherParams())
	if err != nil {
		t.Fatal(err)
	}
	if f.last().Stream {
		t.Error("non-stream request decoded as a stream")
	}
	if msg.ID != "msg_whole" || msg.Model != "claude-sonnet-5" || msg.Role != "assistant" || msg.Type != "message" || msg.StopReason != anthropic.StopReasonToolUse || msg.StopSequence != "" {
		t.Errorf("message %+v", msg)
	}
	if len(msg.Content) != 3 || msg.Content[0].Thinking != "hmm" || msg.Content[0].Signature != "c2ln" || msg.Content[1].Text != "Calling the tool." ||
		msg.Content[2].ID != "toolu_9" || !jsonEqual(msg.Content[2].Input, `{"city":"Oslo"}`) {
		t.Errorf("content %+v", msg.Content)
	}
	if u := msg.Usage; u.InputTokens != 125 || u.CacheReadInputTokens != 50 || u.CacheCreationInputTokens != 25 || u.OutputTokens != 30 {
		t.Errorf("usage %+v", u)
	}
}

func TestSDKErrors(t *testing.T) {
	for _, c := range []struct {
		err    wire.Error
		status int
		typ    anthropic.ErrorType
	}{
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "bad"}, 400, anthropic.ErrorTypeInvalidRequestError},
		{wire.Error{Kind: wire.ErrAuthentication, Message: "who?"}, 401, anthropic.ErrorTypeAuthenticationError},
		{wire.Error{Kind: wire.ErrPermission, Message: "no"}, 403, anthropic.ErrorTypePermissionError},
		{wire.Error{Kind: wire.ErrNotFound, Message: "no model"}, 404, anthropic.ErrorTypeNotFoundError},
		{wire.Error{Kind: wire.ErrTooLarge, Message: "too big"}, 413, "request_too_large"},
		{wire.Error{Kind: wire.ErrRateLimit, Message: "slow"}, 429, anthropic.ErrorTypeRateLimitError},
		{wire.Error{Kind: wire.ErrServer, Message: "boom"}, 500, anthropic.ErrorTypeAPIError},
		{wire.Error{Kind: wire.ErrOverloaded, Message: "Overloaded"}, 529, anthropic.ErrorTypeOverloadedError},
		{wire.Error{Kind: wire.ErrTimeout, Message: "late"}, 504, anthropic.ErrorTypeTimeoutError},
	} {
		e := c.err
		client := newClient(t, &fakeServer{answer: func(w http.ResponseWriter, _ *wire.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(HTTPStatus(&e))
			_, _ = w.Write(EncodeError(&e))
		}})
		_, err := client.Messages.New(context.Background(), weatherParams())
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("%v: got %v, want *anthropic.Error", c.err.Kind, err)
		}
		if apiErr.StatusCode != c.status || apiErr.Type() != c.typ || apiErr.Message != c.err.Message {
			t.Errorf("%v: status %d type %q message %q; want %d %q", c.err.Kind, apiErr.StatusCode, apiErr.Type(), apiErr.Message, c.status, c.typ)
		}
	}
}

// TestSDKParams: bodies the SDK marshals decode to the canonical request.
func TestSDKParams(t *testing.T) {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	cases := []struct {
		name   string
		params anthropic.MessageNewParams
		check  func(t *testing.T, r *wire.Request)
	}{
		{"images and tool history", anthropic.MessageNewParams{
			Model: "m", MaxTokens: 10, StopSequences: []string{"STOP"},
			Messages: []anthropic.MessageParam{
				anthropic.NewUserMessage(anthropic.NewTextBlock("look"), anthropic.NewImageBlockBase64("image/png", png),
					anthropic.NewImageBlock(anthropic.URLImageSourceParam{URL: "https://example.com/a.jpg"})),
				anthropic.NewAssistantMessage(anthropic.NewThinkingBlock("c2ln", "hm"), anthropic.NewRedactedThinkingBlock("cmVk"),
					anthropic.NewToolUseBlock("toolu_1", map[string]any{"q": "x"}, "search")),
				anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_1", "oops", true)),
			},
		}, func(t *testing.T, r *wire.Request) {
			want := []wire.Message{
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "look"}, {Kind: wire.Image, MediaType: "image/png", Data: png}, {Kind: wire.Image, URL: "https://example.com/a.jpg"}}},
				{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.Thinking, Text: "hm", Signature: "c2ln"}, {Kind: wire.Thinking, Signature: RedactedPrefix + "cmVk"}, {Kind: wire.ToolCall, ID: "toolu_1", Name: "search", Args: json.RawMessage(`{"q":"x"}`)}}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "toolu_1", Name: "search", IsError: true, Parts: []wire.Part{{Kind: wire.Text, Text: "oops"}}}}},
			}
			if !reflect.DeepEqual(normalizeArgs(r.Messages), normalizeArgs(want)) || !reflect.DeepEqual(r.Stop, []string{"STOP"}) {
				t.Errorf("decoded %s", dumpRequest(r))
			}
		}},
		{"tool choice and structured output", anthropic.MessageNewParams{
			Model: "m", MaxTokens: 10,
			Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))},
			Tools:      weatherParams().Tools,
			ToolChoice: anthropic.ToolChoiceUnionParam{OfTool: &anthropic.ToolChoiceToolParam{Name: "get_weather", DisableParallelToolUse: anthropic.Bool(true)}},
			OutputConfig: anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: map[string]any{
				"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}, "additionalProperties": false}}},
		}, func(t *testing.T, r *wire.Request) {
			if r.ToolChoice != (wire.ToolChoice{Mode: wire.ToolNamed, Name: "get_weather", NoParallel: true}) {
				t.Errorf("tool choice %+v", r.ToolChoice)
			}
			if r.Output.Kind != wire.OutputJSONSchema || !jsonEqual(r.Output.Schema, `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`) {
				t.Errorf("output %+v %s", r.Output, r.Output.Schema)
			}
			if len(r.Tools) != 1 || !jsonEqual(r.Tools[0].Schema, `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`) {
				t.Errorf("tools %+v", r.Tools)
			}
		}},
		{"tool choice none and any", anthropic.MessageNewParams{
			Model: "m", MaxTokens: 10,
			Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))},
			ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
		}, func(t *testing.T, r *wire.Request) {
			if r.ToolChoice.Mode != wire.ToolRequired {
				t.Errorf("tool choice %+v", r.ToolChoice)
			}
		}},
		{"thinking is an extra", anthropic.MessageNewParams{
			Model: "m", MaxTokens: 2000,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))},
			Thinking: anthropic.ThinkingConfigParamUnion{OfEnabled: &anthropic.ThinkingConfigEnabledParam{BudgetTokens: 1024}},
		}, func(t *testing.T, r *wire.Request) {
			if !reflect.DeepEqual(r.Extra, []string{"thinking"}) {
				t.Errorf("extra %q", r.Extra)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := json.Marshal(c.params)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(body)
			if err != nil {
				t.Fatalf("%v\n%s", err, body)
			}
			c.check(t, r)
		})
	}
}

func jsonEqual(raw []byte, want string) bool {
	var a, b any
	return json.Unmarshal(raw, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && reflect.DeepEqual(a, b)
}

// normalizeArgs re-marshals tool arguments, so that messages compare equal
// whatever whitespace and key order the SDK used.
func normalizeArgs(msgs []wire.Message) []wire.Message {
	out := make([]wire.Message, len(msgs))
	for i, m := range msgs {
		out[i] = wire.Message{Role: m.Role, Parts: append([]wire.Part(nil), m.Parts...)}
		for j := range out[i].Parts {
			if p := &out[i].Parts[j]; p.Args != nil {
				var v any
				if json.Unmarshal(p.Args, &v) == nil {
					p.Args, _ = json.Marshal(v)
				}
			}
		}
	}
	return out
}
