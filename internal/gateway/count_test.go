package gateway_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/switchyard/switchyard/internal/emulate"
)

// countConversation is a prompt with a system prompt, a tool call and its
// result, and a tool: every part the clouds count.
func countConversation(tools bool) ([]anthropic.TextBlockParam, []anthropic.MessageParam, []anthropic.ToolUnionParam) {
	system := []anthropic.TextBlockParam{{Text: "You are terse."}}
	msgs := []anthropic.MessageParam{
		anthropic.NewUserMessage(anthropic.NewTextBlock("What is the weather in Paris this week?")),
	}
	if !tools {
		return system, msgs, nil
	}
	msgs = append(msgs,
		anthropic.NewAssistantMessage(anthropic.NewToolUseBlock("toolu_01", map[string]any{"city": "Paris", "days": 3}, "get_weather")),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_01", "sunny, 21°C", false)),
	)
	return system, msgs, []anthropic.ToolUnionParam{{OfTool: &matrixTool}}
}

// TestCountTokensAsksTheCloud: count_tokens through the gateway, with the
// Anthropic SDK, answers what the cloud behind will then bill for the same
// request, for every cloud that can count, and says the cloud counted; an
// OpenAI deployment, which cannot, gets the local estimate, which for a
// conversation without tools is what the OpenAI emulator bills.
func TestCountTokensAsksTheCloud(t *testing.T) {
	ctx := context.Background()
	for _, mc := range matrixClouds {
		counts := mc.kind == emulate.Anthropic || mc.kind == emulate.Bedrock || mc.kind == emulate.Gemini
		if !counts && mc.name != "openai" {
			continue
		}
		for _, tools := range []bool{true, false} {
			name := mc.name + "/plain"
			if tools {
				name = mc.name + "/tools"
			}
			t.Run(name, func(t *testing.T) {
				g, emu := matrixGateway(t, mc)
				c := anthropicClient(g)
				system, msgs, toolDefs := countConversation(tools)

				var resp *http.Response
				count, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
					Model: "chat", System: anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: system},
					Messages: msgs, Tools: countTools(toolDefs),
				}, aoption.WithResponseInto(&resp))
				if err != nil {
					t.Fatalf("CountTokens: %v", err)
				}
				resp.Body.Close()
				source, deployment := resp.Header.Get("x-switchyard-token-count"), resp.Header.Get("x-switchyard-deployment")
				if counts && (source != "cloud" || deployment == "") {
					t.Errorf("source %q deployment %q, want the cloud", source, deployment)
				}
				if !counts && (source != "estimate" || deployment != "") {
					t.Errorf("source %q deployment %q, want an estimate", source, deployment)
				}
				if b := emu.Billed(); b.Requests != 0 {
					t.Errorf("counting was billed: %+v", b)
				}

				if !counts && tools {
					return // the OpenAI emulator counts tools in its own shape
				}
				before := emu.Billed()
				_, err = c.Messages.New(ctx, anthropic.MessageNewParams{
					Model: "chat", MaxTokens: 8, System: system, Messages: msgs, Tools: toolDefs,
				})
				if err != nil {
					t.Fatalf("Messages.New: %v", err)
				}
				if billed := billedSince(emu, before).Prompt; count.InputTokens != billed {
					t.Errorf("count_tokens said %d, the cloud billed %d", count.InputTokens, billed)
				}
			})
		}
	}
}

// countTools turns message tools into count_tokens tools.
func countTools(tools []anthropic.ToolUnionParam) []anthropic.MessageCountTokensToolUnionParam {
	if tools == nil {
		return nil // not [], which would be sent and counted
	}
	out := make([]anthropic.MessageCountTokensToolUnionParam, len(tools))
	for i := range tools {
		out[i] = anthropic.MessageCountTokensToolUnionParam{OfTool: tools[i].OfTool}
	}
	return out
}
