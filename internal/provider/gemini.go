package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// Gemini talks to the Google Gemini API (generateContent).
type Gemini struct {
	name    string
	base    string // BASE/v1beta/models/
	key     []string
	headers map[string]string
	client  *http.Client
}

func newGemini(c config.Provider) (*Gemini, error) {
	return &Gemini{
		name:    c.Name,
		base:    c.BaseURL + "/v1beta/models/",
		key:     []string{c.APIKey},
		headers: c.Headers,
		client:  newClient(c.Timeouts),
	}, nil
}

// Name implements Provider.
func (p *Gemini) Name() string { return p.name }

// Format implements Provider.
func (p *Gemini) Format() wire.Format { return wire.Gemini }

// Send implements Provider. The model and the streaming choice are in the
// URL: models/{model}:generateContent, or :streamGenerateContent?alt=sse
// (without alt=sse Google streams one JSON array, which cannot be relayed
// event by event).
func (p *Gemini) Send(ctx context.Context, req *Request) (*http.Response, error) {
	if req.Op != Chat {
		return nil, fmt.Errorf("%s: gemini serves chat only here, not %v", p.name, req.Op)
	}
	u := p.base + url.PathEscape(req.Model)
	if req.Stream {
		u += ":streamGenerateContent?alt=sse"
	} else {
		u += ":generateContent"
	}
	hr, err := newPost(ctx, u, req.Body, req.Stream)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	// The header, not the ?key= query parameter: URLs end up in logs.
	hr.Header["X-Goog-Api-Key"] = p.key
	setHeaders(hr.Header, p.headers)
	return p.client.Do(hr)
}
