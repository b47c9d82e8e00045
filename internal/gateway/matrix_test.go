package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/wire"
)

// The translation matrix: each client SDK × each kind of cloud × {whole
// answer, stream, tool-call round trip}. Emulators answer deterministically,
// so a stream must carry exactly the whole answer's content, and every usage
// figure a client sees must equal what the cloud billed.

// matrixCloud is one kind of cloud behind the gateway.
type matrixCloud struct {
	name     string
	kind     emulate.Kind
	knobs    emulate.Knobs
	provider func(url string) config.Provider
}

const (
	awsKeyID  = "AKIDSWITCHYARDTEST"
	awsSecret = "switchyard-test-secret-access-key"
)

var matrixClouds = []matrixCloud{
	{"openai", emulate.OpenAI, emulate.Knobs{}, func(u string) config.Provider { return providerFor("cloud", emulate.OpenAI, u) }},
	{"azure", emulate.Azure, emulate.Knobs{}, func(u string) config.Provider { return providerFor("cloud", emulate.Azure, u) }},
	{"openai-compatible", emulate.OpenAI, emulate.Knobs{}, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeOpenAICompatible, BaseURL: u + "/v1"}
	}},
	{"bedrock", emulate.Bedrock, emulate.Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret}, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeBedrock, BaseURL: u, Region: "us-east-1",
			AccessKeyID: awsKeyID, SecretAccessKey: awsSecret}
	}},
	{"anthropic", emulate.Anthropic, emulate.Knobs{APIKey: "anthropic-key"}, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeAnthropic, BaseURL: u, APIKey: "anthropic-key"}
	}},
	{"gemini", emulate.Gemini, emulate.Knobs{APIKey: "gemini-key"}, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeGemini, BaseURL: u, APIKey: "gemini-key"}
	}},
}

func matrixGateway(t *testing.T, mc matrixCloud) (*gateway.Gateway, *emulate.Server) {
	emu := startEmu(t, mc.kind, mc.knobs)
	cfg := baseConfig([]config.Provider{mc.provider(emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	return startGateway(t, cfg), emu
}

func anthropicClient(g *gateway.Gateway) anthropic.Client {
	return anthropic.NewClient(aoption.WithBaseURL("http://"+g.Addr()), aoption.WithAPIKey(testKey), aoption.WithMaxRetries(0))
}

var matrixTool = anthropic.ToolParam{
	Name:        "get_weather",
	Description: anthropic.String("Current weather for a city"),
	InputSchema: anthropic.ToolInputSchemaParam{
		Properties: map[string]any{
			"city": map[string]any{"type": "string"},
			"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 7},
		},
		Required: []string{"city", "days"},
	},
}

// checkWeatherArgs checks tool-call arguments against matrixTool's schema.
func checkWeatherArgs(t *testing.T, raw string) {
	t.Helper()
	var args struct {
		City *string `json:"city"`
		Days *int    `json:"days"`
	}
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatalf("tool arguments %q are not JSON: %v", raw, err)
	}
	if args.City == nil || args.Days == nil || *args.Days < 1 || *args.Days > 7 {
		t.Errorf("tool arguments %s do not satisfy the schema", raw)
	}
}

func TestMatrixOpenAIClient(t *testing.T) {
	ctx := context.Background()
	for _, mc := range matrixClouds {
		t.Run(mc.name, func(t *testing.T) {
			g, emu := matrixGateway(t, mc)
			gw := client(g)
			msgs := []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage("You are terse."),
				openai.UserMessage("Tell me about rail yards and switching."),
			}
			p := openai.ChatCompletionNewParams{Model: "chat", Messages: msgs, MaxTokens: openai.Int(12)}

			before := emu.Billed()
			whole, err := gw.Chat.Completions.New(ctx, p)
			if err != nil {
				t.Fatalf("non-stream: %v", err)
			}
			content := whole.Choices[0].Message.Content
			if whole.Model != "chat" {
				t.Errorf("answer names model %q, want the public name %q", whole.Model, "chat")
			}
			if n := len(strings.Fields(content)); n == 0 || n > 12 {
				t.Errorf("content %q: want 1..12 words", content)
			}
			if whole.Choices[0].FinishReason != "length" {
				t.Errorf("finish reason %q, want length (max_tokens reached)", whole.Choices[0].FinishReason)
			}
			if u, b := usageOf(whole.Usage), billedSince(emu, before); u != b || u.Prompt == 0 || u.Completion == 0 {
				t.Errorf("non-stream usage %+v, cloud billed %+v", u, b)
			}

			before = emu.Billed()
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			stream := gw.Chat.Completions.NewStreaming(ctx, p)
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if acc.Model != "chat" {
				t.Errorf("stream names model %q, want the public name %q", acc.Model, "chat")
			}
			if got := acc.Choices[0].Message.Content; got != content {
				t.Errorf("streamed content %q, want the whole answer's %q", got, content)
			}
			if acc.Choices[0].FinishReason != "length" {
				t.Errorf("stream finish reason %q", acc.Choices[0].FinishReason)
			}
			if u, b := usageOf(acc.Usage), billedSince(emu, before); u != b || u.Completion == 0 {
				t.Errorf("stream usage %+v, cloud billed %+v", u, b)
			}

			// Tool call round trip, streamed and whole.
			weather := openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
				Name: "get_weather", Description: openai.String("Current weather for a city"),
				Parameters: openai.FunctionParameters{"type": "object", "properties": matrixTool.InputSchema.Properties, "required": []string{"city", "days"}},
			})
			tp := openai.ChatCompletionNewParams{
				Model:      "chat",
				Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What's the weather in Lyon?")},
				Tools:      []openai.ChatCompletionToolUnionParam{weather},
				ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
			}
			before = emu.Billed()
			call, err := gw.Chat.Completions.New(ctx, tp)
			if err != nil {
				t.Fatalf("tool call: %v", err)
			}
			if call.Choices[0].FinishReason != "tool_calls" || len(call.Choices[0].Message.ToolCalls) != 1 {
				t.Fatalf("want one tool call, got finish %q and %d calls", call.Choices[0].FinishReason, len(call.Choices[0].Message.ToolCalls))
			}
			tc := call.Choices[0].Message.ToolCalls[0]
			if tc.Function.Name != "get_weather" || tc.ID == "" {
				t.Errorf("tool call %+v", tc)
			}
			checkWeatherArgs(t, tc.Function.Arguments)
			if u, b := usageOf(call.Usage), billedSince(emu, before); u != b {
				t.Errorf("tool call usage %+v, cloud billed %+v", u, b)
			}

			stream = gw.Chat.Completions.NewStreaming(ctx, tp)
			acc = openai.ChatCompletionAccumulator{}
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("tool stream: %v", err)
			}
			if len(acc.Choices) == 0 || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].FinishReason != "tool_calls" {
				t.Fatalf("streamed tool call: %+v", acc.Choices)
			}
			stc := acc.Choices[0].Message.ToolCalls[0]
			if stc.Function.Name != "get_weather" || stc.Function.Arguments != tc.Function.Arguments {
				t.Errorf("streamed tool call %s(%s), whole answer called %s(%s)", stc.Function.Name, stc.Function.Arguments, tc.Function.Name, tc.Function.Arguments)
			}

			// The result goes back; the model answers in text.
			tp.Messages = append(tp.Messages, call.Choices[0].Message.ToParam(),
				openai.ToolMessage(`{"temperature_c": 14, "sky": "overcast"}`, tc.ID))
			tp.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
			before = emu.Billed()
			final, err := gw.Chat.Completions.New(ctx, tp)
			if err != nil {
				t.Fatalf("after tool result: %v", err)
			}
			if final.Choices[0].Message.Content == "" || len(final.Choices[0].Message.ToolCalls) != 0 {
				t.Errorf("after the tool result, want a text answer: %+v", final.Choices[0].Message)
			}
			if u, b := usageOf(final.Usage), billedSince(emu, before); u != b {
				t.Errorf("final usage %+v, cloud billed %+v", u, b)
			}
		})
	}
}

func TestMatrixAnthropicClient(t *testing.T) {
	ctx := context.Background()
	for _, mc := range matrixClouds {
		t.Run(mc.name, func(t *testing.T) {
			g, emu := matrixGateway(t, mc)
			gw := anthropicClient(g)
			p := anthropic.MessageNewParams{
				Model:     "chat",
				MaxTokens: 12,
				System:    []anthropic.TextBlockParam{{Text: "You are terse."}},
				Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Tell me about rail yards and switching."))},
			}
			before := emu.Billed()
			whole, err := gw.Messages.New(ctx, p)
			if err != nil {
				t.Fatalf("non-stream: %v", err)
			}
			content := textOf(whole)
			if whole.Model != "chat" {
				t.Errorf("answer names model %q, want the public name %q", whole.Model, "chat")
			}
			if n := len(strings.Fields(content)); n == 0 || n > 12 {
				t.Errorf("content %q: want 1..12 words", content)
			}
			if whole.StopReason != anthropic.StopReasonMaxTokens {
				t.Errorf("stop reason %q, want max_tokens", whole.StopReason)
			}
			if u, b := anthropicUsage(whole.Usage), billedSince(emu, before); u != b || u.Prompt == 0 {
				t.Errorf("non-stream usage %+v, cloud billed %+v", u, b)
			}

			before = emu.Billed()
			streamed := accumulate(t, gw, p)
			if streamed.Model != "chat" {
				t.Errorf("stream names model %q, want the public name %q", streamed.Model, "chat")
			}
			if textOf(&streamed) != content {
				t.Errorf("streamed content %q, want the whole answer's %q", textOf(&streamed), content)
			}
			if streamed.StopReason != anthropic.StopReasonMaxTokens {
				t.Errorf("stream stop reason %q", streamed.StopReason)
			}
			if u, b := anthropicUsage(streamed.Usage), billedSince(emu, before); u != b {
				t.Errorf("stream usage %+v, cloud billed %+v", u, b)
			}

			tp := anthropic.MessageNewParams{
				Model:      "chat",
				MaxTokens:  256,
				Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What's the weather in Lyon?"))},
				Tools:      []anthropic.ToolUnionParam{{OfTool: &matrixTool}},
				ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
			}
			before = emu.Billed()
			call, err := gw.Messages.New(ctx, tp)
			if err != nil {
				t.Fatalf("tool call: %v", err)
			}
			use := toolUseOf(call)
			if call.StopReason != anthropic.StopReasonToolUse || use == nil {
				t.Fatalf("want a tool_use, got stop %q and %+v", call.StopReason, call.Content)
			}
			if use.Name != "get_weather" || use.ID == "" {
				t.Errorf("tool use %+v", use)
			}
			checkWeatherArgs(t, string(use.Input))
			if u, b := anthropicUsage(call.Usage), billedSince(emu, before); u != b {
				t.Errorf("tool call usage %+v, cloud billed %+v", u, b)
			}

			scall := accumulate(t, gw, tp)
			suse := toolUseOf(&scall)
			if suse == nil || suse.Name != "get_weather" || scall.StopReason != anthropic.StopReasonToolUse {
				t.Fatalf("streamed tool use: stop %q, %+v", scall.StopReason, scall.Content)
			}
			if !sameJSON(suse.Input, use.Input) {
				t.Errorf("streamed tool input %s, whole answer %s", suse.Input, use.Input)
			}

			tp.Messages = append(tp.Messages, call.ToParam(), anthropic.NewUserMessage(
				anthropic.NewToolResultBlock(use.ID, `{"temperature_c": 14, "sky": "overcast"}`, false)))
			tp.ToolChoice = anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{}}
			before = emu.Billed()
			final, err := gw.Messages.New(ctx, tp)
			if err != nil {
				t.Fatalf("after tool result: %v", err)
			}
			if textOf(final) == "" || toolUseOf(final) != nil {
				t.Errorf("after the tool result, want a text answer: %+v", final.Content)
			}
			if u, b := anthropicUsage(final.Usage), billedSince(emu, before); u != b {
				t.Errorf("final usage %+v, cloud billed %+v", u, b)
			}
		})
	}
}

func accumulate(t *testing.T, c anthropic.Client, p anthropic.MessageNewParams) anthropic.Message {
	t.Helper()
	stream := c.Messages.NewStreaming(context.Background(), p)
	var m anthropic.Message
	for stream.Next() {
		if err := m.Accumulate(stream.Current()); err != nil {
			t.Fatalf("accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return m
}

func textOf(m *anthropic.Message) string {
	var b strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

func toolUseOf(m *anthropic.Message) *anthropic.ContentBlockUnion {
	for i := range m.Content {
		if m.Content[i].Type == "tool_use" {
			return &m.Content[i]
		}
	}
	return nil
}

// anthropicUsage converts Anthropic's usage to the OpenAI convention the
// emulators bill in (prompt tokens include cache reads and writes).
func anthropicUsage(u anthropic.Usage) wire.Usage {
	return wire.Usage{Prompt: u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens, Completion: u.OutputTokens}
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// TestAnthropicPassThroughKeepsCaching: an Anthropic client served by an
// Anthropic cloud gets the bytes through untranslated, so a prompt-cache
// breakpoint reaches the cloud: the second identical request reads the cache,
// and the usage the client sees and the books record show it.
func TestAnthropicPassThroughKeepsCaching(t *testing.T) {
	g, emu := matrixGateway(t, matrixClouds[4])
	ac := anthropicClient(g)
	long := strings.Repeat("You are a careful assistant for a railway company. ", 40)
	p := anthropic.MessageNewParams{
		Model: "chat", MaxTokens: 8,
		System:   []anthropic.TextBlockParam{{Text: long, CacheControl: anthropic.NewCacheControlEphemeralParam()}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Which track?"))},
	}
	first, err := ac.Messages.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if first.Usage.CacheCreationInputTokens == 0 {
		t.Fatalf("first request wrote no cache: %+v", first.Usage)
	}
	before := emu.Billed()
	second, err := ac.Messages.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if second.Usage.CacheReadInputTokens != first.Usage.CacheCreationInputTokens {
		t.Errorf("second request read %d cached tokens, want the %d the first wrote", second.Usage.CacheReadInputTokens, first.Usage.CacheCreationInputTokens)
	}
	if u, b := anthropicUsage(second.Usage), billedSince(emu, before); u != b {
		t.Errorf("usage %+v, cloud billed %+v", u, b)
	}
	// The books priced the cache read as such.
	var cached int64
	for _, s := range g.Meter.Snapshot() {
		cached += s.CachedTokens
	}
	if cached != second.Usage.CacheReadInputTokens {
		t.Errorf("books counted %d cached prompt tokens, want %d", cached, second.Usage.CacheReadInputTokens)
	}
}
