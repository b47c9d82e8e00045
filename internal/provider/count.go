package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/bedrock"
	"github.com/switchyard/switchyard/internal/wire/gemini"
)

// Counter is implemented by providers whose cloud counts a request's input
// tokens with the model's own tokenizer, without running it: Anthropic's
// count_tokens, Bedrock's CountTokens and Gemini's countTokens. The count is
// what the cloud would bill as input for the same request, so the gateway
// answers count_tokens with it where it can.
type Counter interface {
	// CountTokens returns the input tokens of req (in canonical form) sent
	// to model, the provider's native model id. An error means the cloud
	// gave no count; the caller estimates instead.
	CountTokens(ctx context.Context, model string, req *wire.Request) (int, error)
}

// BodyCounter is implemented by providers that can count a request body
// already in their own format: a client's body passed through, as the
// gateway passes it through to serve the request, so the count is of the
// very bytes that will be billed.
type BodyCounter interface {
	// CountTokensBody returns the input tokens of body, which names the
	// native model and holds only what the count endpoint accepts.
	CountTokensBody(ctx context.Context, body []byte) (int, error)
}

var (
	_ BodyCounter = (*Anthropic)(nil)
	_ Counter     = (*Anthropic)(nil)
	_ Counter     = (*Bedrock)(nil)
	_ Counter     = (*Gemini)(nil)
)

// maxCountAnswer bounds what is read of a count answer, a few dozen bytes
// when well formed.
const maxCountAnswer = 64 << 10

// CountTokens implements Counter: POST /v1/messages/count_tokens with the
// request's prompt (count_tokens refuses max_tokens, sampling and the rest).
func (p *Anthropic) CountTokens(ctx context.Context, model string, req *wire.Request) (int, error) {
	body, err := encodeWith(anthropic.EncodeRequest, model, req)
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	return p.CountTokensBody(ctx, body)
}

// CountTokensBody implements BodyCounter: POST /v1/messages/count_tokens
// with body, less the members count_tokens refuses.
func (p *Anthropic) CountTokensBody(ctx context.Context, body []byte) (int, error) {
	body, err := keepMembers(body, "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers")
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	hr, err := newPost(ctx, p.url+"/count_tokens", body, false)
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	hr.Header["X-Api-Key"] = p.key
	hr.Header["Anthropic-Version"] = p.version
	setHeaders(hr.Header, p.headers)
	resp, err := p.client.Do(hr)
	var out struct {
		InputTokens *int `json:"input_tokens"`
	}
	return decodeCount(p.name, resp, err, &out, &out.InputTokens)
}

// CountTokens implements Counter: POST /model/{id}/count-tokens with the
// Converse request's prompt as {"input":{"converse":{…}}}.
func (p *Bedrock) CountTokens(ctx context.Context, model string, req *wire.Request) (int, error) {
	body, err := encodeWith(bedrock.EncodeRequest, model, req)
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	if body, err = keepMembers(body, "messages", "system", "toolConfig", "additionalModelRequestFields"); err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	body = append(append([]byte(`{"input":{"converse":`), body...), "}}"...)
	resp, err := p.post(ctx, model, "/count-tokens", body, false)
	var out struct {
		InputTokens *int `json:"inputTokens"`
	}
	return decodeCount(p.name, resp, err, &out, &out.InputTokens)
}

// CountTokens implements Counter: POST models/{model}:countTokens with the
// whole request as generateContentRequest, so that the system instruction
// and tools count as they would be billed (contents alone would not).
func (p *Gemini) CountTokens(ctx context.Context, model string, req *wire.Request) (int, error) {
	body, err := encodeWith(gemini.EncodeRequest, model, req)
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	if body, err = keepMembers(body, "contents", "systemInstruction", "tools", "toolConfig", "generationConfig"); err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	name, _ := json.Marshal("models/" + model)
	var b bytes.Buffer
	b.WriteString(`{"generateContentRequest":{"model":`)
	b.Write(name)
	if len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1 : len(body)-1])
	}
	b.WriteString("}}")
	hr, err := newPost(ctx, p.base+url.PathEscape(model)+":countTokens", b.Bytes(), false)
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", p.name, err)
	}
	hr.Header["X-Goog-Api-Key"] = p.key
	setHeaders(hr.Header, p.headers)
	resp, err := p.client.Do(hr)
	var out struct {
		TotalTokens *int `json:"totalTokens"`
	}
	return decodeCount(p.name, resp, err, &out, &out.TotalTokens)
}

// encodeWith encodes a copy of req for model with a provider's encoder, so
// that the caller's request keeps its model.
func encodeWith(encode func(*wire.Request) ([]byte, error), model string, req *wire.Request) ([]byte, error) {
	r := *req
	r.Model = model
	return encode(&r)
}

// keepMembers returns the JSON object body with only the named top-level
// members, in their order: the count endpoints take the prompt, and refuse
// what only shapes the answer.
func keepMembers(body []byte, names ...string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("re-reading the encoded request: %w", err)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, n := range names {
		v, ok := m[n]
		if !ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// decodeCount reads a count answer into out and returns the count field
// points to, which must be present: a 2xx without it is no count.
func decodeCount(name string, resp *http.Response, err error, out any, field **int) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCountAnswer))
	if err != nil {
		return 0, fmt.Errorf("%s: count tokens: reading the answer: %w", name, err)
	}
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("%s: count tokens: HTTP %d: %.200s", name, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return 0, fmt.Errorf("%s: count tokens: decoding the answer: %w", name, err)
	}
	if *field == nil || **field < 0 {
		return 0, fmt.Errorf("%s: count tokens: the answer has no count: %.200s", name, body)
	}
	return **field, nil
}
