package emulate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConverseRequest feeds arbitrary bodies to Converse, ConverseStream and
// CountTokens. Whatever arrives, the emulator must not panic and must answer
// 200 or a 400 ValidationException with a message; a 200 agrees with the
// decoder, and everything it writes is well-formed: JSON, or event stream
// frames whose CRCs hold and whose payloads are JSON.
func FuzzConverseRequest(f *testing.F) {
	files, err := filepath.Glob("testdata/bedrock/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed requests: %v", err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for op := range uint8(3) {
			f.Add(body, op)
		}
	}
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"hi","image":null}]}]}`), uint8(0))
	f.Add([]byte(`{"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"$ref":"#"}}}}],"toolChoice":{"any":{}}},`+
		`"messages":[{"role":"user","content":[{"text":"x"}]}]}`), uint8(1))

	e, err := New(Bedrock, Knobs{OutputTokens: 8})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, op uint8) {
		cv, verr := decodeConverse(body, "m")
		if verr != nil {
			if verr.status != http.StatusBadRequest || verr.code != "ValidationException" || verr.message == "" {
				t.Fatalf("decode error %+v", verr)
			}
		} else if max(cv.max, 8) > 4096 {
			return // valid, but too long an answer to fuzz quickly
		}
		name := [...]string{opConverse, opConverseStream, opCountTokens}[op%3]
		path := "/model/m/" + name
		if name == opCountTokens {
			body = append(append([]byte(`{"input":{"converse":`), body...), "}}"...)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		out := w.Body.Bytes()
		switch {
		case w.Code == http.StatusOK && name == opConverseStream:
			decodeEventstream(t, out)
		case w.Code == http.StatusOK || w.Code == http.StatusBadRequest:
			if !json.Valid(out) {
				t.Fatalf("%d: invalid JSON %q", w.Code, out)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, out)
		}
		if name != opCountTokens && (verr == nil) != (w.Code == http.StatusOK) {
			t.Fatalf("decode said %v, the endpoint answered %d: %s", verr, w.Code, out)
		}
	})
}
