package emulate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nativeFuzzSeeds adds every file in dir to f.
func nativeFuzzSeeds(f *testing.F, dir string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed requests in testdata/%s: %v", dir, err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
}

// FuzzAnthropicRequest feeds arbitrary bodies to the Messages API. Whatever
// arrives, the emulator must not panic, must answer 200 or a 4xx envelope,
// agree with its decoder about which, and write only valid JSON and
// well-formed events.
func FuzzAnthropicRequest(f *testing.F) {
	nativeFuzzSeeds(f, "anthropic")
	f.Add([]byte(`{"model":"m","max_tokens":3,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`))
	f.Add([]byte(`{"model":"m","max_tokens":3,"tools":[{"name":"f","input_schema":{"type":"object","$ref":"#"}}],` +
		`"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"x"}]}`))
	e, err := New(Anthropic, Knobs{OutputTokens: 8})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeAnthropic(body, true); err != nil && (err.status != 400 || err.message == "") {
			t.Fatalf("count_tokens decode error %+v", err)
		}
		_, apiErr := decodeAnthropic(body, false)
		if apiErr != nil && (apiErr.status != 400 || apiErr.typ != "invalid_request_error" || apiErr.message == "") {
			t.Fatalf("decode error %+v", apiErr)
		}
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
		req.Header.Set("anthropic-version", "2023-06-01")
		e.ServeHTTP(w, req)
		out := w.Body.Bytes()
		switch {
		case w.Code == http.StatusOK && strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream"):
			for _, ev := range bytes.Split(bytes.TrimSuffix(out, []byte("\n\n")), []byte("\n\n")) {
				name, data, ok := bytes.Cut(ev, []byte("\n"))
				var typ struct{ Type string }
				if !ok || json.Unmarshal(bytes.TrimPrefix(data, []byte("data: ")), &typ) != nil ||
					string(bytes.TrimPrefix(name, []byte("event: "))) != typ.Type {
					t.Fatalf("malformed event %q", ev)
				}
			}
		case w.Code == http.StatusOK || w.Code == http.StatusBadRequest:
			if !json.Valid(out) {
				t.Fatalf("%d: invalid JSON %q", w.Code, out)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, out)
		}
		if (apiErr == nil) != (w.Code == http.StatusOK) {
			t.Fatalf("decode said %v, the endpoint answered %d: %s", apiErr, w.Code, out)
		}
	})
}
