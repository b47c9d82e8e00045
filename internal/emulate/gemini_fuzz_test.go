package emulate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzGeminiRequest feeds arbitrary bodies to generateContent and its
// stream. Whatever arrives, the emulator must not panic, must answer 200 or
// a 4xx envelope, agree with its decoder about which, and write only valid
// JSON and well-formed events.
func FuzzGeminiRequest(f *testing.F) {
	nativeFuzzSeeds(f, "gemini")
	f.Add([]byte(`{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f",` +
		`"parametersJsonSchema":{"$ref":"#"}}]}],"toolConfig":{"functionCallingConfig":{"mode":2}}}`))
	f.Add([]byte(`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"text/x.enum",` +
		`"responseSchema":{"type":"STRING","enum":["a\"b"]}}}`))
	e, err := New(Gemini, Knobs{OutputTokens: 8})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeGemini(body, "m", true); err != nil && (err.code < 400 || err.code > 499 || err.message == "") {
			t.Fatalf("countTokens decode error %+v", err)
		}
		p, apiErr := decodeGemini(body, "m", false)
		if apiErr != nil {
			if apiErr.code < 400 || apiErr.code > 499 || apiErr.message == "" || apiErr.status == "" {
				t.Fatalf("decode error %+v", apiErr)
			}
			if apiErr.details != nil && !json.Valid(append(append([]byte{'['}, apiErr.details...), ']')) {
				t.Fatalf("details %s", apiErr.details)
			}
		} else if p.n*max(p.max, 8) > 4096 {
			return // valid, but too long an answer to fuzz quickly
		}
		for _, path := range []string{"/v1beta/models/m:generateContent", "/v1beta/models/m:streamGenerateContent?alt=sse"} {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
			out := w.Body.Bytes()
			switch {
			case w.Code == http.StatusOK && w.Header().Get("Content-Type") == "text/event-stream":
				for _, ev := range bytes.Split(bytes.TrimSuffix(out, []byte("\r\n\r\n")), []byte("\r\n\r\n")) {
					data, ok := bytes.CutPrefix(ev, []byte("data: "))
					if !ok || !json.Valid(data) {
						t.Fatalf("malformed event %q", ev)
					}
				}
			case w.Code == http.StatusOK || w.Code >= 400 && w.Code < 500:
				if !json.Valid(out) {
					t.Fatalf("%s %d: invalid JSON %q", path, w.Code, out)
				}
			default:
				t.Fatalf("%s: status %d: %s", path, w.Code, out)
			}
			if (apiErr == nil) != (w.Code == http.StatusOK) {
				t.Fatalf("decode said %v, %s answered %d: %s", apiErr, path, w.Code, out)
			}
		}
	})
}
