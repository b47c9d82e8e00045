package bedrock

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// Fuzz targets: no input may panic a decoder, and what a decoder accepts the
// encoders must turn into output the decoders accept again.
// Run each with: go test -run '^$' -fuzz '^FuzzX$' -fuzztime 10s ./internal/wire/bedrock/

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	seedFiles(f, "request/*.json")
	for _, s := range []string{`{}`, `{"messages":[]}`, `{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[],"toolChoice":{"any":{}}}}`,
		`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"json":[1]},{"image":{"format":"gif","source":{"bytes":"R0"}}}]}}]}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("decode error %T %v, want *wire.Invalid", err, err)
			}
			return
		}
		out, err := EncodeRequest(r)
		if err != nil {
			var u *wire.Unsupported
			if !errors.As(err, &u) {
				t.Fatalf("encode error %T %v, want *wire.Unsupported", err, err)
			}
			return
		}
		if !jsoncheck.Valid(out) {
			t.Fatalf("EncodeRequest wrote invalid JSON: %s", out)
		}
		again, err := DecodeRequest(out)
		if err != nil {
			t.Fatalf("our own output does not decode: %v\n%s", err, out)
		}
		out2, err := EncodeRequest(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, out, out2)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	seedFiles(f, "response/*.json")
	f.Add([]byte(`{"output":{"message":{"content":[]}},"stopReason":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeResponse(body)
		if err != nil {
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("decode error %T %v, want *wire.Invalid", err, err)
			}
			return
		}
		out, err := EncodeResponse(r)
		if err != nil {
			t.Fatalf("a decoded answer must encode: %v", err)
		}
		again, err := DecodeResponse(out)
		if err != nil {
			t.Fatalf("our own output does not decode: %v\n%s", err, out)
		}
		if again.Finish != r.Finish || again.Usage.Completion != r.Usage.Completion || again.Usage.Cached != r.Usage.Cached || len(again.Parts) != len(r.Parts) {
			t.Fatalf("round trip changed the answer: %+v\n%+v", r, again)
		}
	})
}

func FuzzStreamDecoder(f *testing.F) {
	f.Add(bedrockStream(f))
	f.Add(encodeStream([]wire.Event{{Kind: wire.EventText, Text: "hi"}, {Kind: wire.EventFinish, Finish: wire.FinishStop}}, nil))
	f.Add(encodeStream([]wire.Event{{Kind: wire.EventStart}}, &wire.Error{Kind: wire.ErrRateLimit, Message: "slow"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := NewStreamDecoder(bytes.NewReader(raw))
		var all []wire.Event
		for i := 0; ; i++ {
			if i > len(raw)+1 {
				t.Fatal("the decoder does not make progress")
			}
			evs, err := d.Next(nil)
			for _, e := range evs {
				if e.Index < 0 || e.Index >= maxBlockIndex {
					t.Fatalf("event index %d", e.Index)
				}
			}
			all = append(all, evs...)
			if err == io.EOF {
				break
			}
			if err != nil {
				if _, again := d.Next(nil); again == nil || again.Error() != err.Error() {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				return
			}
		}
		// Whatever decoded cleanly re-encodes into a stream that decodes.
		if _, err := decodeAll(bytes.NewReader(encodeStream(all, nil))); err != nil {
			t.Fatalf("re-encoded stream does not decode: %v", err)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", "7", []byte(`{"message":"slow"}`))
	f.Add(400, "", "", []byte(`{"__type":"a#ValidationException","Message":"m"}`))
	f.Add(502, "", "Wed, 21 Oct 2015 07:28:00 GMT", []byte("<html>bad gateway</html>"))
	f.Add(0, ":#", "-1", []byte{0xff})
	f.Fuzz(func(t *testing.T, status int, errType, retry string, body []byte) {
		h := http.Header{}
		h.Set("X-Amzn-ErrorType", errType)
		h.Set("Retry-After", retry)
		e := DecodeError(status, h, body)
		if e == nil {
			t.Fatal("nil error")
		}
		if e.Kind < wire.ErrInvalidRequest || e.Kind > wire.ErrTimeout {
			t.Fatalf("kind %d", e.Kind)
		}
		if e.Message == "" || e.RetryAfter < 0 {
			t.Fatalf("%+v", e)
		}
		if s := e.HTTPStatus(); s < 400 || s > 599 {
			t.Fatalf("status %d", s)
		}
		if out := EncodeError(e); !jsoncheck.Valid(out) {
			t.Fatalf("EncodeError wrote invalid JSON: %s", out)
		}
	})
}
