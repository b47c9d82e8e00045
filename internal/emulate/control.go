package emulate

import (
	"encoding/json"
	"io"
	"net/http"
)

// controlPrefix is where the control endpoints live on every emulator.
const controlPrefix = "/emulator/"

// serveControl answers the control endpoints:
//
//	GET  /emulator/billed  Billed as JSON
//	GET  /emulator/knobs   Knobs as JSON
//	POST /emulator/knobs   replace the knobs present in the body; answers the result
//	POST /emulator/reset   zero the counters
func (e *Emulator) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case controlPrefix + "billed":
		if !allow(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, e.Billed())
	case controlPrefix + "knobs":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeJSON(w, http.StatusOK, e.Knobs())
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			e.postKnobs(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			controlError(w, http.StatusMethodNotAllowed, "use GET or POST")
		}
	case controlPrefix + "reset":
		if !allow(w, r, http.MethodPost) {
			return
		}
		e.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		controlError(w, http.StatusNotFound, "no such control endpoint: "+r.URL.Path+
			" (have /emulator/billed, /emulator/knobs, /emulator/reset)")
	}
}

func (e *Emulator) postKnobs(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		controlError(w, http.StatusRequestEntityTooLarge, "knobs body: "+err.Error())
		return
	}
	k := e.Knobs()
	if err := json.Unmarshal(body, &k); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := k.validate(); err != nil {
		controlError(w, http.StatusBadRequest, "knobs: "+err.Error())
		return
	}
	e.SetKnobs(k)
	writeJSON(w, http.StatusOK, e.Knobs())
}

// allow answers 405 and reports false unless r uses method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || method == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", method)
	controlError(w, http.StatusMethodNotAllowed, "use "+method)
	return false
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
