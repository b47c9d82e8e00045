package api

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// chat serves POST /v1/chat/completions.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	s.openAI(w, r, provider.Chat, openai.ParseChat)
}

// embeddings serves POST /v1/embeddings.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	s.openAI(w, r, provider.Embeddings, openai.ParseEmbeddings)
}

// openAI runs an OpenAI-format request: authenticate, read, parse, route.
func (s *Server) openAI(w http.ResponseWriter, r *http.Request, op provider.Op, parse func([]byte) (openai.Request, *openai.Error)) {
	c := newCall(s, w, r, wire.OpenAI, op)
	if c.who = s.authenticate(c.rt, w, r, wire.OpenAI); c.who == nil {
		return
	}
	var e *openai.Error
	if c.body, e = s.readBody(w, r); e != nil {
		writeError(w, e)
		return
	}
	if c.req, e = parse(c.body); e != nil {
		writeError(w, e)
		return
	}
	if c.model = c.rt.table.Model(c.req.Model); c.model == nil {
		writeError(w, modelNotFound(c.req.Model))
		return
	}
	c.run()
	c.logAccess()
}
