package api

import (
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/anthropic"
	"github.com/switchyard/switchyard/internal/wire/openai"
)

// writeError writes e in OpenAI's envelope with its status.
func writeError(w http.ResponseWriter, e *openai.Error) {
	writeJSON(w, e.Status, e.Body())
}

// writeErrorIn writes e in the envelope of the client's format: the gateway
// builds its own errors in OpenAI's shape, and an Anthropic client must get
// Anthropic's {"type":"error","error":{…}} with the same status.
func writeErrorIn(w http.ResponseWriter, in wire.Format, e *openai.Error) {
	if in != wire.Anthropic {
		writeError(w, e)
		return
	}
	writeJSON(w, e.Status, anthropic.EncodeError(toWire(e)))
}

// toWire converts a gateway error to the canonical form.
func toWire(e *openai.Error) *wire.Error {
	return &wire.Error{Status: e.Status, Kind: wire.KindOf(e.Status), Message: e.Message, Param: e.Param, Code: e.Code}
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
