package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func pngOf(t *testing.T, w, h int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestImageTokens(t *testing.T) {
	cases := []struct {
		name string
		part wire.Part
		want int
	}{
		{"small png", wire.Part{Kind: wire.Image, MediaType: "image/png", Data: pngOf(t, 200, 150)}, 40},              // 30000/750
		{"1000x1000", wire.Part{Kind: wire.Image, MediaType: "image/png", Data: pngOf(t, 1000, 1000)}, 1334},          // ceil(1e6/750)
		{"wide, scaled to 1568", wire.Part{Kind: wire.Image, MediaType: "image/png", Data: pngOf(t, 3136, 200)}, 210}, // 1568x100: ceil(156800/750)
		{"huge", wire.Part{Kind: wire.Image, MediaType: "image/png", Data: pngOf(t, 3000, 3000)}, maxImageTokens},
		{"url", wire.Part{Kind: wire.Image, URL: "https://example.com/x.png"}, maxImageTokens},
		{"garbage", wire.Part{Kind: wire.Image, MediaType: "image/png", Data: "!!!!"}, maxImageTokens},
	}
	for _, c := range cases {
		if got := imageTokens(&c.part); got != c.want {
			t.Errorf("%s: %d tokens, want %d", c.name, got, c.want)
		}
	}
}

func TestCountTokens(t *testing.T) {
	schema := json.RawMessage(`{"type":"object"}`) // 17 bytes
	r := &wire.Request{
		System: []wire.Part{{Kind: wire.Text, Text: strings.Repeat("s", 40)}},
		Messages: []wire.Message{
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: strings.Repeat("u", 20)}, {Kind: wire.Image, URL: "https://x"}}},
			{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "id-not-counted", Name: "f", Args: json.RawMessage(`{"a":1}`)}}},
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "x", Parts: []wire.Part{{Kind: wire.Text, Text: "result"}}}}},
		},
		Tools: []wire.Tool{{Name: "f", Description: "does f", Schema: schema}},
	}
	// bytes: 40 + 20 + (1+7) + 6 + (1+6+17) = 98 -> 25 tokens; 3 messages -> 9;
	// one URL image -> 1600; tools with auto -> 346.
	if got, want := CountTokens(r), 25+9+1600+346; got != want {
		t.Errorf("CountTokens = %d, want %d", got, want)
	}
	r.ToolChoice.Mode = wire.ToolRequired
	if got, want := CountTokens(r), 25+9+1600+313; got != want {
		t.Errorf("with tool_choice any: %d, want %d", got, want)
	}
	if got := CountTokens(&wire.Request{}); got != 0 {
		t.Errorf("empty request: %d", got)
	}
}
