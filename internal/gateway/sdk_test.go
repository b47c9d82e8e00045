package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/wire"
)

// cloudCase is one emulated cloud the gateway routes a model to.
type cloudCase struct {
	name     string
	kind     emulate.Kind
	provider func(url string) config.Provider
	native   string
}

var cloudCases = []cloudCase{
	{"openai", emulate.OpenAI, func(u string) config.Provider { return providerFor("cloud", emulate.OpenAI, u) }, "gpt-native"},
	{"openai-compatible", emulate.OpenAI, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeOpenAICompatible, BaseURL: u + "/v1"}
	}, "llama-native"},
	{"azure-classic", emulate.Azure, func(u string) config.Provider { return providerFor("cloud", emulate.Azure, u) }, "dep-prod"},
	{"azure-v1", emulate.Azure, func(u string) config.Provider {
		return config.Provider{Name: "cloud", Type: config.TypeAzure, BaseURL: u, APIKey: "azure-key", APIVersion: "v1"}
	}, "dep-prod"},
}

// oneCloud starts an emulator and a gateway routing "chat" and "embed" to it,
// and a second, identical emulator for the test to ask directly: emulators are
// deterministic, so its answers are what the first one gives, and the first
// one's bill holds only what came through the gateway.
func oneCloud(t *testing.T, cc cloudCase) (g *gateway.Gateway, emu, ref *emulate.Server) {
	emu = startEmu(t, cc.kind, emulate.Knobs{})
	ref = startEmu(t, cc.kind, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{cc.provider(emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", cc.native)}},
		config.Model{Name: "embed", Deployments: []config.Deployment{deployment("cloud", cc.native+"-embed")}})
	return startGateway(t, cfg), emu, ref
}

var messages = []openai.ChatCompletionMessageParamUnion{
	openai.SystemMessage("You are terse."),
	openai.UserMessage("Tell me about rail yards and switching."),
}

var weatherTool = openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather for a city"),
	Parameters: openai.FunctionParameters{
		"type": "object",
		"properties": map[string]any{
			"city": map[string]any{"type": "string"},
			"unit": map[string]any{"type": "string", "enum": []string{"celsius", "fahrenheit"}},
			"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 7},
		},
		"required": []string{"city", "days"},
	},
})

func usageOf(u openai.CompletionUsage) wire.Usage {
	return wire.Usage{Prompt: u.PromptTokens, Completion: u.CompletionTokens}
}

// billedSince is what the emulator billed since before.
func billedSince(emu *emulate.Server, before emulate.Billed) wire.Usage {
	now := emu.Billed()
	return wire.Usage{Prompt: now.InputTokens - before.InputTokens, Completion: now.OutputTokens - before.OutputTokens}
}

func TestSDKChatEveryCloud(t *testing.T) {
	ctx := context.Background()
	for _, cc := range cloudCases {
		t.Run(cc.name, func(t *testing.T) {
			g, emu, ref := oneCloud(t, cc)
			gw, up := client(g), direct(cc.kind, ref.URL)

			// The answer the cloud gives when asked directly.
			want, err := up.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: cc.native, Messages: messages, MaxTokens: openai.Int(24)})
			if err != nil {
				t.Fatalf("direct: %v", err)
			}

			t.Run("non-stream", func(t *testing.T) {
				before := emu.Billed()
				var hr *http.Response
				got, err := gw.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(24)},
					option.WithResponseInto(&hr))
				if err != nil {
					t.Fatal(err)
				}
				if got.Choices[0].Message.Content != want.Choices[0].Message.Content || got.Choices[0].Message.Content == "" {
					t.Errorf("content %q, want the cloud's %q", got.Choices[0].Message.Content, want.Choices[0].Message.Content)
				}
				if got.Choices[0].FinishReason != want.Choices[0].FinishReason {
					t.Errorf("finish reason %q, want %q", got.Choices[0].FinishReason, want.Choices[0].FinishReason)
				}
				if u := usageOf(got.Usage); u != billedSince(emu, before) || u.Prompt == 0 {
					t.Errorf("usage %+v, cloud billed %+v", u, billedSince(emu, before))
				}
				if hr.Header.Get("X-Switchyard-Deployment") != "cloud/"+cc.native || hr.Header.Get("X-Switchyard-Attempts") != "1" ||
					len(hr.Header.Get("X-Switchyard-Request-Id")) < 8 {
					t.Errorf("headers %v", hr.Header)
				}
				// Azure's content-filter annotations do not reach OpenAI clients.
				if _, ok := got.JSON.ExtraFields["prompt_filter_results"]; ok {
					t.Error("prompt_filter_results leaked to the client")
				}
			})

			for _, includeUsage := range []bool{false, true} {
				name := map[bool]string{false: "stream", true: "stream with usage"}[includeUsage]
				t.Run(name, func(t *testing.T) {
					before := emu.Billed()
					p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(24)}
					if includeUsage {
						p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
					}
					stream := gw.Chat.Completions.NewStreaming(ctx, p)
					var acc openai.ChatCompletionAccumulator
					usageChunks := 0
					for stream.Next() {
						ch := stream.Current()
						if len(ch.Choices) == 0 {
							usageChunks++
						}
						acc.AddChunk(ch)
					}
					if err := stream.Err(); err != nil {
						t.Fatal(err)
					}
					if got := acc.Choices[0].Message.Content; got != want.Choices[0].Message.Content {
						t.Errorf("streamed content %q, want %q", got, want.Choices[0].Message.Content)
					}
					if acc.Choices[0].FinishReason != want.Choices[0].FinishReason {
						t.Errorf("finish reason %q", acc.Choices[0].FinishReason)
					}
					billed := billedSince(emu, before)
					if includeUsage {
						if usageChunks != 1 || usageOf(acc.Usage) != billed {
							t.Errorf("usage chunks %d, usage %+v, billed %+v", usageChunks, usageOf(acc.Usage), billed)
						}
					} else if usageChunks != 0 || acc.Usage.TotalTokens != 0 {
						t.Errorf("client got a usage chunk it did not ask for (%d chunks, %+v)", usageChunks, acc.Usage)
					}
					// The books got the cloud's own count either way.
					if u := meterUsage(g); u != billedSince(emu, emulate.Billed{}) {
						t.Errorf("books counted %+v, cloud billed %+v in all", u, billedSince(emu, emulate.Billed{}))
					}
				})
			}

			t.Run("tool call", func(t *testing.T) {
				p := openai.ChatCompletionNewParams{
					Model:      "chat",
					Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What's the weather in Lyon?")},
					Tools:      []openai.ChatCompletionToolUnionParam{weatherTool},
					ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
				}
				got, err := gw.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				p.Model = cc.native
				want, err := up.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				checkToolCall(t, got, want)

				p.Model = "chat"
				stream := gw.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				for stream.Next() {
					acc.AddChunk(stream.Current())
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				checkToolCall(t, &acc.ChatCompletion, want)
			})

			t.Run("n and stop", func(t *testing.T) {
				got, err := gw.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat", Messages: messages, N: openai.Int(2)})
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Choices) != 2 || got.Choices[0].Message.Content == got.Choices[1].Message.Content {
					t.Errorf("n=2 gave %d choices", len(got.Choices))
				}
			})
		})
	}
}

func checkToolCall(t *testing.T, got, want *openai.ChatCompletion) {
	t.Helper()
	if len(got.Choices) == 0 || len(got.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("no tool call in %+v", got.Choices)
	}
	tc, wc := got.Choices[0].Message.ToolCalls[0], want.Choices[0].Message.ToolCalls[0]
	if tc.Function.Name != "get_weather" || tc.Function.Arguments != wc.Function.Arguments || got.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("tool call %s(%s) finish %q, want %s(%s)", tc.Function.Name, tc.Function.Arguments, got.Choices[0].FinishReason,
			wc.Function.Name, wc.Function.Arguments)
	}
	var args struct {
		City string `json:"city"`
		Days int    `json:"days"`
	}
	if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil || args.City == "" || args.Days < 1 || args.Days > 7 {
		t.Errorf("arguments %s do not satisfy the schema (%v)", tc.Function.Arguments, err)
	}
}

func meterUsage(g *gateway.Gateway) wire.Usage {
	var u wire.Usage
	for _, t := range g.Meter.Snapshot() {
		u.Prompt += t.PromptTokens
		u.Completion += t.CompletionTokens
	}
	return u
}

func TestSDKEmbeddingsEveryCloud(t *testing.T) {
	ctx := context.Background()
	for _, cc := range cloudCases {
		t.Run(cc.name, func(t *testing.T) {
			g, emu, ref := oneCloud(t, cc)
			gw, up := client(g), direct(cc.kind, ref.URL)
			input := openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"switchyard", "a model gateway"}}
			for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
				t.Run(string(format), func(t *testing.T) {
					before := emu.Billed()
					got, err := gw.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "embed", Input: input, EncodingFormat: format})
					if err != nil {
						t.Fatal(err)
					}
					if billed := billedSince(emu, before); got.Usage.PromptTokens != billed.Prompt || billed.Prompt == 0 {
						t.Errorf("usage %d, billed %d", got.Usage.PromptTokens, billed.Prompt)
					}
					want, err := up.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: cc.native + "-embed", Input: input, EncodingFormat: format})
					if err != nil {
						t.Fatal(err)
					}
					if len(got.Data) != 2 || len(got.Data[0].Embedding) == 0 {
						t.Fatalf("got %d vectors", len(got.Data))
					}
					for i := range want.Data {
						a, b := got.Data[i].Embedding, want.Data[i].Embedding
						if len(a) != len(b) {
							t.Fatalf("vector %d has %d dims, want %d", i, len(a), len(b))
						}
						for j := range a {
							if a[j] != b[j] {
								t.Fatalf("vector %d differs at %d: %v != %v", i, j, a[j], b[j])
							}
						}
					}
				})
			}
		})
	}
}
