package api

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// authenticate returns the caller, or writes a 401 and returns nil. A missing
// key and a wrong key get different messages (the caller can fix the first
// without knowing any secret) but never say whether a key exists. Keys are
// rt's, the routes the request keeps to its end.
func (s *Server) authenticate(rt *routes, w http.ResponseWriter, r *http.Request, in wire.Format) *access.Principal {
	key := access.FromRequest(r)
	if key == "" {
		writeErrorIn(w, in, &openai.Error{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "missing_api_key",
			Message: "You didn't provide an API key. Send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'."})
		return nil
	}
	p, ok := rt.keys.Lookup(key)
	if !ok {
		writeErrorIn(w, in, &openai.Error{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
			Message: "Incorrect API key provided: " + access.Prefix(key) + "…"})
		return nil
	}
	return p
}
