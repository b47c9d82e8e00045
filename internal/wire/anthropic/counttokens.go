package anthropic

import (
	"encoding/base64"
	"image"
	_ "image/gif"  // image.DecodeConfig reads GIF headers
	_ "image/jpeg" // … JPEG headers
	_ "image/png"  // … PNG headers
	"math"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
)

// Token estimate for POST /v1/messages/count_tokens. The gateway answers it
// locally, without a tokenizer, by this rule:
//
//   - text: ceil(bytes / 4) of every string the model reads — system prompt,
//     message text, thinking text, tool call names and arguments, tool result
//     text, and each tool's name, description and JSON schema — counted
//     together;
//   - per message: 3 tokens (the turn markers);
//   - per image: Anthropic's own formula, width × height / 750, after the
//     image is scaled down to a long edge of at most 1568 px and at most
//     1.15 megapixels; an image given by URL, or whose header cannot be
//     read, counts as the maximum, 1600;
//   - tools: the system prompt Anthropic adds when tools are present, 346
//     tokens with tool_choice auto or none, 313 with any or a named tool (the
//     figures published for Claude 4 models).
//
// It is an estimate for budgeting and routing, not a bill: four bytes a token
// suits English prose and code, and undercounts scripts whose characters take
// three UTF-8 bytes but a token or more each.
const (
	bytesPerToken    = 4
	tokensPerMessage = 3
	maxImageTokens   = 1600
	toolPromptAuto   = 346
	toolPromptForced = 313
)

// CountTokens estimates the input tokens of r by the rule above.
func CountTokens(r *wire.Request) int {
	var bytes, tokens int
	for i := range r.System {
		bytes += len(r.System[i].Text)
	}
	for i := range r.Messages {
		tokens += tokensPerMessage
		for j := range r.Messages[i].Parts {
			b, t := partCost(&r.Messages[i].Parts[j])
			bytes += b
			tokens += t
		}
	}
	for i := range r.Tools {
		t := &r.Tools[i]
		bytes += len(t.Name) + len(t.Description) + len(t.Schema)
	}
	if len(r.Tools) > 0 {
		if r.ToolChoice.Mode == wire.ToolRequired || r.ToolChoice.Mode == wire.ToolNamed {
			tokens += toolPromptForced
		} else {
			tokens += toolPromptAuto
		}
	}
	return tokens + (bytes+bytesPerToken-1)/bytesPerToken
}

// partCost returns the text bytes and the fixed tokens of a part.
func partCost(p *wire.Part) (bytes, tokens int) {
	switch p.Kind {
	case wire.Image:
		return 0, imageTokens(p)
	case wire.ToolCall:
		return len(p.Name) + len(p.Args), 0
	}
	bytes = len(p.Text)
	for i := range p.Parts {
		b, t := partCost(&p.Parts[i])
		bytes += b
		tokens += t
	}
	return bytes, tokens
}

// imageTokens applies Anthropic's image formula to the size read from the
// image's header (only the header is decoded).
func imageTokens(p *wire.Part) int {
	if p.Data == "" {
		return maxImageTokens
	}
	cfg, _, err := image.DecodeConfig(base64.NewDecoder(base64.StdEncoding, strings.NewReader(p.Data)))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return maxImageTokens
	}
	w, h := float64(cfg.Width), float64(cfg.Height)
	if long := max(w, h); long > 1568 {
		w, h = w*1568/long, h*1568/long
	}
	if px := w * h; px > 1_150_000 {
		return maxImageTokens
	}
	return min(int(math.Ceil(w*h/750)), maxImageTokens)
}

// DecodeCountTokensRequest decodes the body of POST /v1/messages/count_tokens:
// a Messages request without max_tokens.
func DecodeCountTokensRequest(body []byte) (*wire.Request, error) {
	return decodeRequest(body, false)
}
