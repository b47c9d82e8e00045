package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/wire"
)

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		f.Add(mustRead(f, file))
	}
}

// FuzzDecodeRequest: no input panics, bad input gets a *wire.Invalid, and a
// request without extras survives EncodeRequest and DecodeRequest unchanged
// up to what OpenAI itself treats as equal.
func FuzzDecodeRequest(f *testing.F) {
	addFiles(f, "testdata/request/*.json")
	f.Add([]byte(`{"model":"m","messages":[{"role":"tool","tool_call_id":"a","content":[]},{"role":"user","content":[]},{"role":"assistant","content":""}]}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"DATA:x;base64;base64,A,B"}]}],"tool_choice":"auto","parallel_tool_calls":false}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"system","content":"s"}],"temperature":-0,"top_p":1e-300,"stop":[],"tools":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			var inv *wire.Invalid
			if !errors.As(err, &inv) || inv.Reason == "" {
				t.Fatalf("error %v (%T) is not a *wire.Invalid with a reason", err, err)
			}
			return
		}
		if len(r.Extra) > 0 || !utf8.Valid(body) || len(r.System)+len(r.Messages) == 0 {
			// Refused downstream; invalid UTF-8 is replaced on the way out;
			// only empty system messages leave nothing to send.
			return
		}
		out, err := EncodeRequest(r)
		if err != nil {
			t.Fatalf("EncodeRequest of a decoded request: %v", err)
		}
		again, err := DecodeRequest(out)
		if err != nil {
			t.Fatalf("DecodeRequest of %s: %v", out, err)
		}
		normalize(r)
		normalize(again)
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("round trip changed the request:\n%s\n%s\nfrom %s", dump(viewRequest(r)), dump(viewRequest(again)), out)
		}
	})
}

// normalize applies the equivalences EncodeRequest relies on: a tool choice
// of auto or none and parallel_tool_calls mean nothing without tools, a
// schema gets a default name, and a stream always asks for usage.
func normalize(r *wire.Request) {
	if len(r.Tools) == 0 {
		r.ToolChoice.NoParallel = false
		if r.ToolChoice.Mode == wire.ToolAuto || r.ToolChoice.Mode == wire.ToolNone {
			r.ToolChoice.Mode = 0
		}
	}
	if r.Output.Kind == wire.OutputJSONSchema && r.Output.Name == "" {
		r.Output.Name = "response"
	}
	r.IncludeUsage = r.Stream
}

// FuzzDecodeResponse: no input panics; an answer that decodes encodes to an
// OpenAI body that decodes again with the same tool calls and usage.
func FuzzDecodeResponse(f *testing.F) {
	addFiles(f, "testdata/response/*.json")
	f.Add([]byte(`{"error":{"message":"x","type":"server_error"}}`))
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"a"}],"reasoning":"r"},"finish_reason":"length"}],"usage":{"prompt_tokens":-1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeResponse(body)
		if err != nil {
			var inv *wire.Invalid
			var we *wire.Error
			if !errors.As(err, &inv) && !errors.As(err, &we) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		out, err := EncodeResponse(r)
		if err != nil {
			t.Fatalf("EncodeResponse: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		again, err := DecodeResponse(out)
		if err != nil {
			t.Fatalf("DecodeResponse of %s: %v", out, err)
		}
		if again.Usage != r.Usage || countKind(again.Parts, wire.ToolCall) != countKind(r.Parts, wire.ToolCall) {
			t.Fatalf("round trip: %+v then %+v", r, again)
		}
	})
}

func countKind(ps []wire.Part, k wire.PartKind) int {
	n := 0
	for _, p := range ps {
		if p.Kind == k {
			n++
		}
	}
	return n
}

// FuzzStreamDecoder: no input panics or loops; events name valid blocks, and
// whatever the decoder yields the encoder turns into valid chunks.
func FuzzStreamDecoder(f *testing.F) {
	addFiles(f, "testdata/stream/*.sse")
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":99999999999,\"function\":{\"arguments\":\"x\"}}]}}]}\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\"},{\"index\":-1,\"id\":\"b\"},7]}}],\"usage\":{}}\n\ndata: [DONE]"))
	f.Fuzz(func(t *testing.T, in []byte) {
		evs, err := decodeAll(bytes.NewReader(in))
		if err != nil && err.Error() == "stream did not end" {
			t.Fatal("the decoder never ended")
		}
		for _, ev := range evs {
			if ev.Kind < wire.EventStart || ev.Kind > wire.EventUsage || ev.Index < 0 {
				t.Fatalf("bad event %+v", ev)
			}
		}
		enc := NewStreamEncoder("id", "m", 1, true)
		var out []byte
		for i := range evs {
			out = enc.Append(out, &evs[i])
		}
		var we *wire.Error
		if errors.As(err, &we) {
			out = enc.Fail(out, we)
		} else {
			out = enc.End(out)
		}
		frames := bytes.Split(bytes.TrimSuffix(out, []byte("\n\n")), []byte("\n\n"))
		for _, fr := range frames[:len(frames)-1] {
			if data, ok := bytes.CutPrefix(fr, []byte("data: ")); !ok || !json.Valid(data) {
				t.Fatalf("bad frame %q", fr)
			}
		}
	})
}

// FuzzDecodeError: any status, header and body give a usable error whose
// OpenAI envelope is valid JSON.
func FuzzDecodeError(f *testing.F) {
	f.Add(429, "1.5", []byte(`{"error":{"message":"Please try again in 6m0s.","type":"tokens","code":"rate_limit_exceeded"}}`))
	f.Add(404, "", []byte(`{"object":"error","message":"nope","type":"NotFoundError","code":404}`))
	f.Add(422, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`{"detail":[{"loc":["body",1],"msg":"x"}]}`))
	f.Add(0, "", []byte(`{"error":"boom"}`))
	f.Add(502, "-3", []byte("<html>\xff</html>"))
	f.Add(429, "", []byte(`{"error":{"message":"retry after 1e308 seconds"}}`))
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", retry)
		h.Set("Retry-After-Ms", retry)
		e := DecodeError(status, h, body)
		if e == nil || e.Kind < wire.ErrInvalidRequest || e.Kind > wire.ErrTimeout || e.Message == "" {
			t.Fatalf("DecodeError = %+v", e)
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("RetryAfter = %v", e.RetryAfter)
		}
		if s := e.HTTPStatus(); s < 400 || s > 599 {
			t.Fatalf("status %d", s)
		}
		if out := EncodeError(e); !json.Valid(out) {
			t.Fatalf("EncodeError wrote %s", out)
		}
	})
}
