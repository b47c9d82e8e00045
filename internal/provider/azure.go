package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// Azure talks to Azure OpenAI (AI Foundry) on either of its URL surfaces: the
// classic per-deployment one (/openai/deployments/{name}/...?api-version=) or
// the v1 one (/openai/v1/..., model in the body).
type Azure struct {
	name       string
	resource   string // https://RESOURCE.openai.azure.com, no trailing slash
	apiVersion string // empty for the v1 surface
	authHeader string // "Api-Key" or "Authorization"
	authValue  string
	headers    map[string]string
	client     *http.Client
}

func newAzure(c config.Provider) (*Azure, error) {
	p := &Azure{
		name:     c.Name,
		resource: strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/"), "/openai/v1"),
		headers:  c.Headers,
		client:   newClient(c.Timeouts),
	}
	if c.APIVersion != "" && c.APIVersion != "v1" {
		p.apiVersion = c.APIVersion
	}
	if c.Auth == "bearer" {
		p.authHeader, p.authValue = "Authorization", "Bearer "+c.APIKey
	} else {
		p.authHeader, p.authValue = "Api-Key", c.APIKey
	}
	return p, nil
}

// Name implements Provider.
func (p *Azure) Name() string { return p.name }

// Format implements Provider.
func (p *Azure) Format() wire.Format { return wire.OpenAI }

// Send implements Provider.
func (p *Azure) Send(ctx context.Context, req *Request) (*http.Response, error) {
	var op string
	switch req.Op {
	case Chat:
		op = "chat/completions"
	case Embeddings:
		op = "embeddings"
	default:
		return nil, fmt.Errorf("%s: unsupported operation %v", p.name, req.Op)
	}
	var u string
	if p.apiVersion != "" {
		// Classic surface: the deployment in the path decides; the body's model is ignored.
		u = p.resource + "/openai/deployments/" + url.PathEscape(req.Model) + "/" + op + "?api-version=" + url.QueryEscape(p.apiVersion)
	} else {
		u = p.resource + "/openai/v1/" + op
	}
	hr, err := newPost(ctx, u, req.Body, req.Stream)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	hr.Header[p.authHeader] = []string{p.authValue}
	setHeaders(hr.Header, p.headers)
	return p.client.Do(hr)
}

// CleanBody implements Cleaner.
func (p *Azure) CleanBody(body []byte) []byte { return openai.CleanAzureBody(body) }

// CleanChunk implements Cleaner.
func (p *Azure) CleanChunk(data []byte) ([]byte, bool) { return openai.CleanAzureChunk(data) }
