package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/sse"
)

// Fuzz targets: no input may panic, and whatever decodes must encode to
// valid output. Run each with go test -fuzz=FuzzX -fuzztime=10s.

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		f.Add(mustRead(f, name))
	}
}

func FuzzDecodeRequest(f *testing.F) {
	addFiles(f, "testdata/request/*.in.json")
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":""}]}`))
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"system","content":[{"type":"text","text":"s"}]},{"role":"user","content":[{"type":"image","source":{"type":"url","url":"data:image/png;base64,AA"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("error %T %v, want *wire.Invalid", err, err)
			}
			return
		}
		out, err := EncodeRequest(r)
		if err != nil {
			var u *wire.Unsupported
			if !errors.As(err, &u) {
				t.Fatalf("EncodeRequest error %T %v, want *wire.Unsupported", err, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("EncodeRequest wrote invalid JSON:\n%s", out)
		}
		if _, err := DecodeRequest(out); err != nil {
			// Only a conversation whose every message was empty may fail.
			var inv *wire.Invalid
			if !errors.As(err, &inv) || inv.Field != "messages" {
				t.Fatalf("re-decoding %s: %v", out, err)
			}
		}
		_ = CountTokens(r)
	})
}

func FuzzDecodeResponse(f *testing.F) {
	addFiles(f, "testdata/response/*.in.json")
	f.Add([]byte(`{"content":[{"type":"tool_use","id":"a","name":"b","input":{}}],"stop_reason":"tool_use"}`))
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
			t.Fatalf("EncodeResponse wrote invalid JSON:\n%s", out)
		}
		if _, err := DecodeResponse(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
	})
}

func FuzzStreamDecoder(f *testing.F) {
	addFiles(f, "testdata/stream/*.in.sse")
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"input\":{\"a\":1}}}\n\n"))
	f.Fuzz(fuzzStream)
}

func fuzzStream(t *testing.T, body []byte) {
	d := NewStreamDecoder(bytes.NewReader(body))
	var evs []wire.Event
	var err error
	for i := 0; err == nil; i++ {
		if i > len(body)+2 {
			t.Fatal("decoder does not make progress")
		}
		evs, err = d.Next(evs)
	}
	// Whatever came out re-encodes to a stream our decoder reads
	// cleanly (or to its error event).
	var failure error
	if !errors.Is(err, io.EOF) {
		failure = err
	}
	out := encodeAll("", "m", evs, failure)
	rd := sse.NewReader(bytes.NewReader(out), maxLine)
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil || !json.Valid(ev.Data) {
			t.Fatalf("encoder wrote a bad event %q: %v", ev.Data, err)
		}
	}
	_, err = decodeAll(bytes.NewReader(out))
	var we *wire.Error
	if err != nil && !errors.As(failure, &we) {
		t.Fatalf("re-decoding the encoder's output: %v\n%s", err, out)
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(529, "", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	f.Add(429, "12", []byte(`{"type":"error","error":{"type":"rate_limit_error","message":"x","details":{"error_code":"c"}}}`))
	f.Add(413, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html>too large</html>`))
	f.Add(0, "-1", []byte{})
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", retry)
		h.Set("Retry-After-Ms", retry)
		e := DecodeError(status, h, body)
		if e == nil || e.Message == "" || e.Kind < wire.ErrInvalidRequest || e.Kind > wire.ErrTimeout || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("DecodeError = %+v", e)
		}
		out := EncodeError(e)
		if !json.Valid(out) {
			t.Fatalf("EncodeError wrote invalid JSON: %s", out)
		}
		if back := DecodeError(HTTPStatus(e), nil, out); back.Kind != e.Kind {
			t.Fatalf("kind %v came back as %v", e.Kind, back.Kind)
		}
	})
}
