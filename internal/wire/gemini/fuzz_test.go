package gemini

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/wire"
)

func seed(f *testing.F, pattern string) {
	names, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, n := range names {
		f.Add(readFile(f, n))
	}
}

// Whatever DecodeRequest accepts, EncodeRequest either rejects with an error
// or turns into valid JSON that decodes again.
func FuzzDecodeRequest(f *testing.F) {
	seed(f, "requests/*.json")
	f.Add([]byte(`{"contents":[{"parts":[{"text":"hi"}]}]}`))
	f.Add([]byte(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},{"parts":[{"functionResponse":{"name":"f","response":{"error":{"x":1}},"parts":[{"fileData":{"fileUri":"https://x/y.png"}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			return
		}
		r.Model = "gemini-3-pro"
		out, err := EncodeRequest(r)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON from %s:\n%s", body, out)
		}
		if _, err := DecodeRequest(out); err != nil {
			t.Fatalf("re-decoding failed: %v\n%s", err, out)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	seed(f, "responses/*.json")
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thoughtSignature":"x"}]},"finishReason":"STOP"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeResponse(body)
		if err != nil {
			return
		}
		out, err := EncodeResponse(r)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON from %s:\n%s", body, out)
		}
		if _, err := DecodeResponse(out); err != nil {
			t.Fatalf("re-decoding failed: %v\n%s", err, out)
		}
	})
}

// Any stream decodes without panicking to events that the encoder writes as
// well-formed frames.
func FuzzStreamDecoder(f *testing.F) {
	seed(f, "streams/*.sse")
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\"}}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := NewStreamDecoder(bytes.NewReader(body))
		var evs []wire.Event
		var err error
		for i := 0; i < 10000 && err == nil; i++ {
			evs, err = d.Next(evs)
		}
		if err == nil {
			t.Fatal("the stream never ended")
		}
		e := NewStreamEncoder("m")
		var out []byte
		for i := range evs {
			out = e.Append(out, &evs[i])
		}
		out = e.End(out)
		for _, frame := range strings.Split(strings.TrimSuffix(string(out), "\r\n\r\n"), "\r\n\r\n") {
			data, ok := strings.CutPrefix(frame, "data: ")
			if !ok || !json.Valid([]byte(data)) {
				t.Fatalf("bad frame %q", frame)
			}
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(429, []byte(quota429), "")
	f.Add(400, []byte(badKey400), "")
	f.Add(503, []byte(`<html>`), "12")
	f.Add(0, []byte(`[{"error":{"code":"x","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":{"seconds":-1}}]}}]`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		e := DecodeError(status, h, body)
		if e == nil || e.Kind < wire.ErrInvalidRequest || e.Kind > wire.ErrTimeout || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("DecodeError = %+v", e)
		}
		if !utf8.ValidString(e.Message) && utf8.Valid(body) {
			t.Fatalf("message %q", e.Message)
		}
		if out := EncodeError(e); !json.Valid(out) {
			t.Fatalf("EncodeError wrote %s", out)
		}
	})
}
