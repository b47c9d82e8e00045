package emulate

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// openaiAPI serves OpenAI's API (api.openai.com/v1):
//
//	POST /v1/chat/completions
//	POST /v1/embeddings
//	GET  /v1/models, /v1/models/{id}
type openaiAPI struct{ e *Emulator }

func newOpenAIAPI(e *Emulator) http.Handler { return openaiAPI{e} }

func (a openaiAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := openaiDialect{}
	path := r.URL.Path
	switch {
	case path == "/v1/chat/completions" && r.Method == http.MethodPost:
		a.e.serveChat(w, r, d, "", "")
	case path == "/v1/embeddings" && r.Method == http.MethodPost:
		a.e.serveEmbeddings(w, r, d, "", "")
	case path == "/v1/models" && r.Method == http.MethodGet:
		a.e.serveModels(w, r, d, "")
	case strings.HasPrefix(path, "/v1/models/") && r.Method == http.MethodGet:
		a.e.serveModels(w, r, d, strings.TrimPrefix(path, "/v1/models/"))
	default:
		// OpenAI answers an unknown route, or a known one with the wrong
		// method, with this 404.
		openaiDialect{}.header(w.Header(), a.e.nextID())
		writeError(w, &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
			message: "Invalid URL (" + r.Method + " " + path + ")"})
	}
}

// openaiDialect is OpenAI's own wire format.
type openaiDialect struct{}

func (openaiDialect) header(h http.Header, id uint64) {
	h.Set("X-Request-Id", string(appendResponseID(make([]byte, 0, 28), "req_", id)))
	h["Openai-Version"] = openaiVersion
	h["Openai-Organization"] = openaiOrganization
}

func (openaiDialect) credential(r *http.Request) (string, bool) {
	return bearer(r)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if v == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(token), true
}

func (openaiDialect) unauthorized(key string, present bool) *apiError {
	msg := "You didn't provide an API key. You need to provide your API key in an Authorization header " +
		"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	if present {
		msg = "Incorrect API key provided: " + maskKey(key) +
			". You can find your API key at https://platform.openai.com/account/api-keys."
	}
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error", code: "invalid_api_key", message: msg}
}

// maskKey shows as much of a key as OpenAI's 401 does: enough to recognise
// it, not enough to use it.
func maskKey(key string) string {
	if len(key) <= 8 {
		return strings.Repeat("*", len(key))
	}
	return key[:4] + strings.Repeat("*", min(len(key)-8, 16)) + key[len(key)-4:]
}

func (openaiDialect) throttled(c *call, v verdict) *apiError {
	var msg, typ string
	wait := max(v.retryAfter, 0).Round(time.Millisecond)
	if v.fault == faultQuota {
		typ = "requests"
		msg = "Rate limit reached for " + c.model + " in organization org-switchyard-emulator on requests per min (RPM): " +
			"Limit " + strconv.Itoa(v.limit.limit) + ", Used " + strconv.Itoa(v.limit.limit) + ", Requested 1. " +
			"Please try again in " + wait.String() + ". Visit https://platform.openai.com/account/rate-limits to learn more."
	} else {
		typ = "tokens"
		msg = "Rate limit reached for " + c.model + " in organization org-switchyard-emulator on tokens per min (TPM). " +
			"Please try again in " + wait.String() + ". Visit https://platform.openai.com/account/rate-limits to learn more."
	}
	return &apiError{status: http.StatusTooManyRequests, typ: typ, code: "rate_limit_exceeded", message: msg}
}

func (openaiDialect) filters() bool { return false }
