package tokens

import (
	"encoding/json"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestPrompt(t *testing.T) {
	tests := []struct {
		name string
		req  wire.Request
		want int
	}{
		{"empty", wire.Request{}, 3},
		{"system and user", wire.Request{
			System:   []wire.Part{{Kind: wire.Text, Text: "You are "}, {Kind: wire.Text, Text: "terse."}},
			Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "hello world"}}}},
		}, 3 + 4 + Count("You are terse.") + 4 + 2},
		{"image, call and result", wire.Request{Messages: []wire.Message{
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "look"}, {Kind: wire.Image, URL: "https://x/y.png"}}},
			{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "t1", Name: "lookup", Args: json.RawMessage(`{ "q": 1 }`)}}},
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "t1", Text: "42"}}},
		}}, 3 + (4 + 1 + 85) + (4 + Count(`lookup{"q":1}`)) + (4 + Count("42t1"))},
		{"tools", wire.Request{Tools: []wire.Tool{{Name: "f", Schema: json.RawMessage(`{"type": "object"}`)}}},
			3 + Count(`[{"name":"f","input_schema":{"type":"object"}}]`)},
	}
	for _, tc := range tests {
		if got := Prompt(&tc.req); got != tc.want {
			t.Errorf("%s: Prompt = %d, want %d", tc.name, got, tc.want)
		}
	}
}
