package api

import (
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/internal/wire/openai"
)

// writeError writes e in OpenAI's envelope with its status.
func writeError(w http.ResponseWriter, e *openai.Error) {
	writeJSON(w, e.Status, e.Body())
}

// writeJSON writes a complete JSON answer with its length, so clients and
// keep-alive connections need no chunked framing.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// Header values shared by every response; http.Header values are never
// modified by net/http, so sharing the slices is safe and saves allocations.
var (
	jsonType    = []string{"application/json"}
	sseType     = []string{"text/event-stream"}
	noCache     = []string{"no-cache"}
	noBuffering = []string{"no"}
)
