package provider

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// Anthropic talks to the Anthropic Messages API.
type Anthropic struct {
	name    string
	url     string // BASE/v1/messages
	key     []string
	version []string
	headers map[string]string
	client  *http.Client
}

func newAnthropic(c config.Provider) (*Anthropic, error) {
	version := c.APIVersion
	if version == "" {
		version = config.DefaultAnthropicVersion
	}
	return &Anthropic{
		name:    c.Name,
		url:     c.BaseURL + "/v1/messages",
		key:     []string{c.APIKey},
		version: []string{version},
		headers: c.Headers,
		client:  newClient(c.Timeouts),
	}, nil
}

// Name implements Provider.
func (p *Anthropic) Name() string { return p.name }

// Format implements Provider.
func (p *Anthropic) Format() wire.Format { return wire.Anthropic }

// Send implements Provider. The stream flag travels in the body; only the
// Accept header differs.
func (p *Anthropic) Send(ctx context.Context, req *Request) (*http.Response, error) {
	if req.Op != Chat {
		return nil, fmt.Errorf("%s: anthropic serves chat only, not %v", p.name, req.Op)
	}
	hr, err := newPost(ctx, p.url, req.Body, req.Stream)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	hr.Header["X-Api-Key"] = p.key
	hr.Header["Anthropic-Version"] = p.version
	setHeaders(hr.Header, p.headers)
	return p.client.Do(hr)
}
