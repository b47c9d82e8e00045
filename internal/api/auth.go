package api

import (
	"errors"
	"net/http"
	"time"

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
	p, err := rt.keys.Check(key, time.Now())
	if err != nil {
		// Why a key is refused is told only to whoever holds the whole key,
		// so it reveals nothing to a guesser.
		msg, code := "Incorrect API key provided: "+access.Prefix(key)+"…", "invalid_api_key"
		switch {
		case errors.Is(err, access.ErrRevoked):
			msg, code = "The API key "+access.Prefix(key)+"… has been revoked.", "api_key_revoked"
		case errors.Is(err, access.ErrExpired):
			msg, code = "The API key "+access.Prefix(key)+"… has expired (past its expiry, or replaced by a rotation whose grace period is over).", "api_key_expired"
		case errors.Is(err, access.ErrTenantDisabled):
			msg, code = "The API key "+access.Prefix(key)+"… belongs to a tenant that is disabled.", "tenant_disabled"
		}
		writeErrorIn(w, in, &openai.Error{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: code, Message: msg})
		return nil
	}
	return p
}
