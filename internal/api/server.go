// Package api serves the client-facing HTTP API: authentication, parsing and relaying answers.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/trace"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// Options configure a Server.
type Options struct {
	// Routes, Keys and Constraints are the initial routes; SetRoutes
	// replaces them.
	Routes *route.Table
	Keys   *access.Keyring
	// Constraints are each key's routing constraints (allowed providers and
	// regions, route overrides), by key name. A key without an entry may
	// reach every deployment and override nothing.
	Constraints map[string]*route.Constraints
	// Settler is the settlement point every upstream attempt's usage event
	// goes to (internal/settle). Nil settles nothing: tests of the API alone.
	Settler Settler
	// Admitter takes each request's rate limits and budget holds before it
	// is routed, and settles them when it ends. Nil admits everything.
	Admitter *admit.Admitter
	// Spend tells budgets' spend for GET /v1/key; nil omits it.
	Spend SpendSource
	Log   *slog.Logger // may be nil
	// Metrics counts requests and admission refusals; Tracer makes a span
	// per request and per attempt. Nil: off, at no cost.
	Metrics Observer
	Tracer  *trace.Tracer
	// AccessLog logs one line per request at info level.
	AccessLog bool
	// MaxBodyBytes caps request bodies (413 beyond). Default 32 MiB.
	MaxBodyBytes int64
	// BodyReadTimeout bounds reading a request body. Default 60s.
	BodyReadTimeout time.Duration
}

// Server is the API listener's handler.
type Server struct {
	opts   Options
	log    *slog.Logger
	settle Settler
	ready  atomic.Bool
	cur    atomic.Pointer[routes] // swapped whole by SetRoutes
}

// New returns a Server. It reports not ready until SetReady(true).
func New(o Options) *Server {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = 60 * time.Second
	}
	s := &Server{opts: o, log: o.Log, settle: o.Settler}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.settle == nil {
		s.settle = noSettler{}
	}
	s.SetRoutes(o.Routes, o.Keys, o.Constraints)
	return s
}

// Settler takes each upstream attempt's usage event: it prices it, makes
// it durable and settles budgets and routing feedback (internal/settle).
type Settler interface {
	Settle(e *usage.Event) error
}

type noSettler struct{}

func (noSettler) Settle(*usage.Event) error { return nil }

// hdrRequestID is x-switchyard-request-id in canonical form, set directly
// on the header map to save the canonicalization on every request.
const hdrRequestID = "X-Switchyard-Request-Id"

// requestID is the id ServeHTTP gave the request.
func requestID(w http.ResponseWriter) string { return w.Header()[hdrRequestID][0] }

// SetReady sets what /readyz reports. Shutdown sets it false first so load
// balancers stop sending new requests before the listener closes.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// ServeHTTP dispatches on the path. A switch rather than a pattern mux keeps
// every miss (unknown path, wrong method) in the OpenAI error envelope.
//
// Every answer, errors and probes included, carries the request id: it is
// what a user quotes when something went wrong.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()[hdrRequestID] = []string{newRequestID()}
	switch r.URL.Path {
	case "/v1/chat/completions":
		if s.method(w, r, http.MethodPost) {
			s.chat(w, r)
		}
	case "/v1/embeddings":
		if s.method(w, r, http.MethodPost) {
			s.embeddings(w, r)
		}
	case "/v1/messages":
		if s.method(w, r, http.MethodPost) {
			s.messages(w, r)
		}
	case "/v1/messages/count_tokens":
		if s.method(w, r, http.MethodPost) {
			s.countTokens(w, r)
		}
	case "/v1/key":
		if s.method(w, r, http.MethodGet) {
			s.key(w, r)
		}
	case "/v1/models":
		if rt := s.cur.Load(); s.method(w, r, http.MethodGet) {
			if p := s.authenticate(rt, w, r, wire.OpenAI); p != nil {
				writeJSON(w, http.StatusOK, rt.modelsFor(p))
			}
		}
	case "/healthz":
		writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
	case "/readyz":
		if s.ready.Load() {
			writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
		} else {
			writeJSON(w, http.StatusServiceUnavailable, []byte(`{"status":"not ready"}`))
		}
	default:
		if id, ok := strings.CutPrefix(r.URL.Path, "/v1/models/"); ok {
			if rt := s.cur.Load(); s.method(w, r, http.MethodGet) {
				if p := s.authenticate(rt, w, r, wire.OpenAI); p != nil {
					rt.modelFor(w, p, id)
				}
			}
			return
		}
		writeError(w, &openai.Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "unknown_url",
			Message: "Unknown request URL: " + r.Method + " " + r.URL.Path + "."})
	}
}

func (s *Server) method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want {
		return true
	}
	w.Header().Set("Allow", want)
	writeError(w, &openai.Error{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
		Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + want + "."})
	return false
}

// model answers GET /v1/models/{id}.
func (rt *routes) model(w http.ResponseWriter, id string) {
	if b, ok := rt.byID[id]; ok {
		writeJSON(w, http.StatusOK, b)
		return
	}
	writeError(w, modelNotFound(id))
}

func modelNotFound(name string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: "invalid_request_error", Param: "model", Code: "model_not_found",
		Message: "The model '" + name + "' does not exist or you do not have access to it."}
}
