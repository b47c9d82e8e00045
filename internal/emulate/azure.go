package emulate

import (
	"net/http"
	"strconv"
	"strings"
)

// azureAPI serves Azure OpenAI's two surfaces:
//
//	POST /openai/deployments/{deployment}/chat/completions?api-version=…
//	POST /openai/deployments/{deployment}/embeddings?api-version=…
//	POST /openai/v1/chat/completions, /openai/v1/embeddings (model in the body)
//	GET  /openai/v1/models
//
// On the classic surface the deployment in the path is the model, and
// api-version is mandatory: without it Azure answers 404.
type azureAPI struct{ e *Emulator }

func newAzureAPI(e *Emulator) http.Handler { return azureAPI{e} }

func (a azureAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := azureDialect{}
	post, get := r.Method == http.MethodPost, r.Method == http.MethodGet
	version := r.URL.Query().Get("api-version")
	if op, ok := strings.CutPrefix(r.URL.Path, "/openai/v1/"); ok {
		if version == "" {
			version = "v1"
		}
		switch {
		case op == "chat/completions" && post:
			a.e.serveChat(w, r, d, "", version)
			return
		case op == "embeddings" && post:
			a.e.serveEmbeddings(w, r, d, "", version)
			return
		case op == "models" && get:
			a.e.serveModels(w, r, d, "")
			return
		case strings.HasPrefix(op, "models/") && get:
			a.e.serveModels(w, r, d, strings.TrimPrefix(op, "models/"))
			return
		}
	} else if rest, ok := strings.CutPrefix(r.URL.Path, "/openai/deployments/"); ok && version != "" {
		deployment, op, _ := strings.Cut(rest, "/")
		switch {
		case deployment == "":
		case op == "chat/completions" && post:
			a.e.serveChat(w, r, d, deployment, version)
			return
		case op == "embeddings" && post:
			a.e.serveEmbeddings(w, r, d, deployment, version)
			return
		}
	}
	d.header(w.Header(), a.e.nextID())
	writeError(w, &apiError{status: http.StatusNotFound, short: true, code: "404", message: "Resource not found"})
}

// azureDialect is Azure OpenAI's wire format: OpenAI's, plus content-filter
// annotations, the api-key header and its API gateway's own error envelopes.
type azureDialect struct{}

func (azureDialect) header(h http.Header, id uint64) {
	u := uuid(id)
	h.Set("Apim-Request-Id", u)
	h.Set("X-Request-Id", u)
	h["X-Ms-Region"] = azureRegion
}

// credential accepts the api-key header, which openai-go's azure package
// sends, or a bearer token, which the v1 surface's plain OpenAI clients send.
func (azureDialect) credential(r *http.Request) (string, bool) {
	if k := r.Header.Get("api-key"); k != "" {
		return k, true
	}
	return bearer(r)
}

func (azureDialect) unauthorized(string, bool) *apiError {
	return &apiError{status: http.StatusUnauthorized, short: true, code: "401",
		message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide " +
			"a valid key for an active subscription and use a correct regional API endpoint for your resource."}
}

func (azureDialect) throttled(c *call, v verdict) *apiError {
	secs, _ := retryAfter(v.retryAfter)
	unit := " seconds"
	if secs == 1 {
		unit = " second"
	}
	limit := "call rate limit"
	if v.fault == faultThrottle {
		limit = "token rate limit"
	}
	return &apiError{status: http.StatusTooManyRequests, short: true, code: "429",
		message: "Requests to the " + string(c.op) + " Operation under Azure OpenAI API version " + c.version +
			" have exceeded " + limit + " of your current OpenAI S0 pricing tier. Please retry after " +
			strconv.FormatInt(secs, 10) + unit + ". Please go here: https://aka.ms/oai/quotaincrease if you would like " +
			"to further increase the default rate limit."}
}

func (azureDialect) filters() bool { return true }

// uuid formats a version-4 UUID derived from id.
func uuid(id uint64) string {
	return string(appendUUID(make([]byte, 0, 36), mix64(id), mix64(^id)))
}
