package api

import (
	"errors"
	"net/http"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// messages serves POST /v1/messages: the Anthropic Messages API, routed to
// any cloud through the canonical form. Keys come as x-api-key (what the
// Anthropic SDKs send) or a bearer token; anthropic-version is accepted and
// not required, since the gateway speaks one version of the format.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	c := newCall(s, w, r, wire.Anthropic, provider.Chat)
	w.Header()["Request-Id"] = []string{c.id}
	req, ok := s.readAnthropic(c, false)
	if !ok {
		return
	}
	c.canon = req
	c.req = openai.Request{Model: req.Model, Stream: req.Stream, MaxTokens: int64(req.MaxTokens), N: 1}
	if c.model = c.rt.table.Model(req.Model); c.model == nil {
		c.fail(modelNotFound(req.Model))
		return
	}
	c.run()
	c.logAccess()
}

// readAnthropic authenticates c, reads its body and decodes it as an
// Anthropic Messages request, answering the client itself on any failure.
// A count_tokens request has no max_tokens, which Messages requires.
func (s *Server) readAnthropic(c *call, counting bool) (*wire.Request, bool) {
	if c.who = s.authenticate(c.rt, c.w, c.r, wire.Anthropic); c.who == nil {
		return nil, false
	}
	body, e := s.readBody(c.w, c.r)
	if e != nil {
		c.fail(e)
		return nil, false
	}
	c.body = body
	decode := anthropic.DecodeRequest
	if counting {
		decode = anthropic.DecodeCountTokensRequest
	}
	req, err := decode(body)
	if err != nil {
		c.fail(badRequest(err))
		return nil, false
	}
	if req.Model == "" {
		c.fail(openai.BadRequest("model", "missing_required_parameter", "model: Field required"))
		return nil, false
	}
	return req, true
}

// badRequest turns a decoder's or encoder's complaint into a 400 naming the
// field at fault.
func badRequest(err error) *openai.Error {
	var inv *wire.Invalid
	if errors.As(err, &inv) {
		return openai.BadRequest(inv.Field, "invalid_request", err.Error())
	}
	var u *wire.Unsupported
	if errors.As(err, &u) {
		return openai.BadRequest(u.Field, "unsupported_parameter", err.Error())
	}
	return openai.BadRequest("", "invalid_request", err.Error())
}
