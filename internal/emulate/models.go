package emulate

import (
	"net/http"
	"strconv"
)

// catalogue is what GET /v1/models lists. An emulator answers for any model
// id; the list exists for clients and health checks that ask.
var catalogue = []string{
	"gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini",
	"gpt-oss-120b", "gpt-oss-20b", "text-embedding-3-small", "text-embedding-3-large",
}

// modelsCreated is the creation time every listed model reports.
const modelsCreated = 1700000000

// serveModels lists the catalogue, or describes one model when id is set.
func (e *Emulator) serveModels(w http.ResponseWriter, r *http.Request, d dialect, id string) {
	c := e.newCall(w, r, d, "")
	if !c.authorize() {
		return
	}
	var b []byte
	if id != "" {
		b = appendModel(b, id)
	} else {
		b = append(b, `{"object":"list","data":[`...)
		for i, m := range catalogue {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendModel(b, m)
		}
		b = append(b, "]}"...)
	}
	b = append(b, '\n')
	h := w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.processed()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func appendModel(b []byte, id string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"object":"model","created":`...)
	b = appendInt(b, modelsCreated)
	return append(b, `,"owned_by":"system"}`...)
}
