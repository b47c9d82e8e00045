package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// OpenAI talks to the OpenAI API or to any server that speaks its format
// (vLLM, Ollama, Bedrock's OpenAI-compatible endpoint…).
type OpenAI struct {
	name       string
	base       string // ends in /v1 (or the server's equivalent); no trailing slash
	auth       string // "Bearer KEY", or empty
	headers    map[string]string
	compatible bool // an openai-compatible server: smooth its known deviations
	client     *http.Client
}

func newOpenAI(c config.Provider) (*OpenAI, error) {
	p := &OpenAI{
		name:       c.Name,
		base:       c.BaseURL,
		headers:    c.Headers,
		compatible: c.Type == config.TypeOpenAICompatible,
		client:     newClient(c.Timeouts),
	}
	if p.base == "" {
		p.base = "https://api.openai.com/v1"
	}
	if c.APIKey != "" {
		p.auth = "Bearer " + c.APIKey
	}
	return p, nil
}

// Name implements Provider.
func (p *OpenAI) Name() string { return p.name }

// Format implements Provider.
func (p *OpenAI) Format() wire.Format { return wire.OpenAI }

// Send implements Provider.
func (p *OpenAI) Send(ctx context.Context, req *Request) (*http.Response, error) {
	var path string
	switch req.Op {
	case Chat:
		path = "/chat/completions"
	case Embeddings:
		path = "/embeddings"
	default:
		return nil, fmt.Errorf("%s: unsupported operation %v", p.name, req.Op)
	}
	body := req.Body
	if p.compatible && req.Op == Chat {
		body = smoothCompatible(body)
	}
	hr, err := newPost(ctx, p.base+path, body, req.Stream)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	if p.auth != "" {
		hr.Header["Authorization"] = []string{p.auth}
	}
	setHeaders(hr.Header, p.headers)
	return p.client.Do(hr)
}

// smoothCompatible adapts a Chat Completions body to what self-hosted
// OpenAI-compatible servers accept: many chat templates (vLLM, Ollama, llama.cpp)
// know no "developer" role, and older servers ignore max_completion_tokens,
// which would let an answer run to the end of the context.
func smoothCompatible(body []byte) []byte {
	out := body
	if mct := gjson.GetBytes(body, "max_completion_tokens"); mct.Exists() && !gjson.GetBytes(body, "max_tokens").Exists() {
		out, _ = sjson.SetRawBytes(append([]byte(nil), out...), "max_tokens", []byte(mct.Raw))
		out, _ = sjson.DeleteBytes(out, "max_completion_tokens")
	}
	if bytes.Contains(body, []byte(`"developer"`)) {
		gjson.GetBytes(out, "messages").ForEach(func(k, m gjson.Result) bool {
			if m.Get("role").Str == "developer" {
				if &out[0] == &body[0] {
					out = append([]byte(nil), out...)
				}
				out, _ = sjson.SetBytes(out, "messages."+k.String()+".role", "system")
			}
			return true
		})
	}
	return out
}

// newPost builds a JSON POST whose body can be replayed by the transport.
func newPost(ctx context.Context, url string, body []byte, stream bool) (*http.Request, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	hr.Header["Content-Type"] = []string{"application/json"}
	if stream {
		hr.Header["Accept"] = []string{"text/event-stream"}
	} else {
		hr.Header["Accept"] = []string{"application/json"}
	}
	return hr, nil
}
