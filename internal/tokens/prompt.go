package tokens

import (
	"bytes"
	"encoding/json"

	"github.com/switchyard/switchyard/internal/wire"
)

// Overheads a chat prompt carries besides its text, as the emulated clouds
// bill them (internal/emulate): the rule is one, so estimates made here
// match what an emulator bills.
const (
	PrimingTokens = 3  // per request
	MessageTokens = 4  // per message, the system prompt included
	ImageTokens   = 85 // per image
)

// Prompt estimates the input tokens of a canonical chat request by the rule
// the emulators bill with: 3, plus for the system prompt (when it has text)
// and each message 4 and the tokens of its text, plus 85 per image, plus the
// tokens of the tools' definitions as compact JSON. A message's text is the
// concatenation of its text parts, each tool call's name and arguments, and
// each tool result's text and then its call id; thinking counts nothing.
// The tools are counted in Anthropic's shape (name, description,
// input_schema), the one count_tokens is asked in; other clouds' shapes
// differ by a few tokens per tool.
func Prompt(r *wire.Request) int {
	c := NewCounter()
	defer c.Release()
	total := PrimingTokens
	if len(r.System) > 0 {
		for i := range r.System {
			c.WriteString(r.System[i].Text)
		}
		total += MessageTokens + c.Tokens()
		c.Reset()
	}
	for i := range r.Messages {
		images := 0
		for j := range r.Messages[i].Parts {
			images += addPart(c, &r.Messages[i].Parts[j])
		}
		total += MessageTokens + c.Tokens() + images*ImageTokens
		c.Reset()
	}
	if len(r.Tools) > 0 {
		total += Count(string(toolsJSON(r.Tools)))
	}
	return total
}

// addPart writes a part's text to c and returns its images.
func addPart(c *Counter, p *wire.Part) int {
	switch p.Kind {
	case wire.Text:
		c.WriteString(p.Text)
	case wire.Image:
		return 1
	case wire.ToolCall:
		c.WriteString(p.Name)
		var b bytes.Buffer
		if json.Compact(&b, p.Args) == nil {
			c.Write(b.Bytes())
		} else {
			c.Write(p.Args)
		}
	case wire.ToolResult:
		c.WriteString(p.Text)
		images := 0
		for i := range p.Parts {
			images += addPart(c, &p.Parts[i])
		}
		c.WriteString(p.ID)
		return images
	}
	return 0
}

// toolsJSON renders tools as Anthropic's compact tools array.
func toolsJSON(tools []wire.Tool) []byte {
	type tool struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		InputSchema json.RawMessage `json:"input_schema"`
	}
	out := make([]tool, len(tools))
	for i, t := range tools {
		schema := t.Schema
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		var b bytes.Buffer
		if json.Compact(&b, schema) == nil {
			schema = b.Bytes()
		}
		out[i] = tool{Name: t.Name, Description: t.Description, InputSchema: schema}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(out) != nil {
		return nil
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}
