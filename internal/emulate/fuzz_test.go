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

// FuzzChatRequest feeds arbitrary bodies to the chat endpoints of both
// clouds. Whatever arrives, the emulator must not panic, must answer 200 or a
// 4xx envelope, and everything it writes must be valid JSON.
func FuzzChatRequest(f *testing.F) {
	files, err := filepath.Glob("testdata/requests/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed requests: %v", err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, false)
		f.Add(body, true)
	}
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`), false)
	f.Add([]byte(`{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":{"$ref":"#"}}}],"tool_choice":"required","messages":[{"role":"user","content":"x"}]}`), true)

	emulators := map[bool]*Emulator{}
	for _, az := range []bool{false, true} {
		kind := OpenAI
		if az {
			kind = Azure
		}
		e, err := New(kind, Knobs{OutputTokens: 8})
		if err != nil {
			f.Fatal(err)
		}
		emulators[az] = e
	}

	f.Fuzz(func(t *testing.T, body []byte, az bool) {
		p, apiErr := decodeChat(body, "")
		if apiErr != nil {
			if apiErr.status < 400 || apiErr.status > 499 || apiErr.message == "" {
				t.Fatalf("decode error %+v", apiErr)
			}
		} else if p.n*max(p.max, 8) > 4096 {
			return // valid, but too long an answer to fuzz quickly
		}
		path := "/v1/chat/completions"
		if az {
			path = "/openai/v1/chat/completions"
		}
		w := httptest.NewRecorder()
		emulators[az].ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		out := w.Body.Bytes()
		switch {
		case w.Code == http.StatusOK && bytes.HasPrefix(out, []byte("data: ")):
			for _, ev := range bytes.Split(bytes.TrimSpace(out), []byte("\n\n")) {
				data := bytes.TrimPrefix(ev, []byte("data: "))
				if string(data) != "[DONE]" && !json.Valid(data) {
					t.Fatalf("invalid chunk %q", data)
				}
			}
		case w.Code == http.StatusOK || w.Code >= 400 && w.Code < 500:
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
