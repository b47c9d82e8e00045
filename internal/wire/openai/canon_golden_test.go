package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/wiretest"
)

// Golden tests: each testdata/<kind>/NAME input is decoded to canonical form
// (NAME.canon.golden, a readable dump) and encoded back to OpenAI
// (NAME.out.golden). Run with -update after a deliberate change and review
// the diff.

func TestGoldenRequests(t *testing.T) {
	forEachInput(t, "request", ".json", func(t *testing.T, in []byte) (canon, out []byte) {
		r, err := DecodeRequest(in)
		if err != nil {
			t.Fatalf("DecodeRequest: %v", err)
		}
		body, err := EncodeRequest(r)
		if err != nil {
			return dump(viewRequest(r)), []byte("error: " + err.Error() + "\n")
		}
		if !json.Valid(body) {
			t.Fatalf("EncodeRequest wrote invalid JSON: %s", body)
		}
		return dump(viewRequest(r)), indent(t, body)
	})
}

func TestGoldenResponses(t *testing.T) {
	fixClock(t)
	forEachInput(t, "response", ".json", func(t *testing.T, in []byte) (canon, out []byte) {
		r, err := DecodeResponse(in)
		if err != nil {
			t.Fatalf("DecodeResponse: %v", err)
		}
		r.Model = "client-model" // EncodeResponse shows the client's name
		body, err := EncodeResponse(r)
		if err != nil {
			t.Fatalf("EncodeResponse: %v", err)
		}
		return dump(viewResponse(r)), indent(t, body)
	})
}

func TestGoldenStreams(t *testing.T) {
	forEachInput(t, "stream", ".sse", func(t *testing.T, in []byte) (canon, out []byte) {
		evs, err := decodeAll(bytes.NewReader(in))
		var buf bytes.Buffer
		for _, ev := range evs {
			buf.Write(dumpLine(viewEvent(ev)))
		}
		enc := NewStreamEncoder("chatcmpl-gw", "client-model", 1700000000, true)
		var frames []byte
		for i := range evs {
			frames = enc.Append(frames, &evs[i])
		}
		var werr *wire.Error
		switch {
		case err == nil:
			frames = enc.End(frames)
			buf.WriteString("end: EOF\n")
		case errors.As(err, &werr):
			frames = enc.Fail(frames, werr)
			fmt.Fprintf(&buf, "end: %s\n", dumpLine(viewError(werr)))
		default:
			t.Fatalf("decoding: %v", err)
		}
		return buf.Bytes(), frames
	})
}

func forEachInput(t *testing.T, dir, ext string, f func(*testing.T, []byte) (canon, out []byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in testdata/%s: %v", dir, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ext)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			canon, out := f(t, in)
			base := strings.TrimSuffix(file, ext)
			wiretest.Golden(t, base+".canon.golden", canon)
			wiretest.Golden(t, base+".out.golden", out)
		})
	}
}

func indent(t *testing.T, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, body)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func decodeAll(r io.Reader) ([]wire.Event, error) {
	d := NewStreamDecoder(r)
	var evs []wire.Event
	for i := 0; i < 100000; i++ {
		var err error
		evs, err = d.Next(evs)
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
	}
	return evs, errors.New("stream did not end")
}

func fixClock(t *testing.T) {
	oldClock, oldID := clock, newID
	clock = func() int64 { return 1700000000 }
	newID = func() string { return "chatcmpl-made-up" }
	t.Cleanup(func() { clock, newID = oldClock, oldID })
}

// Readable views of canonical values for golden files: kinds by name, zero
// fields left out.

var partKinds = map[wire.PartKind]string{wire.Text: "text", wire.Image: "image", wire.ToolCall: "tool_call", wire.ToolResult: "tool_result", wire.Thinking: "thinking"}

var eventKinds = map[wire.EventKind]string{wire.EventStart: "start", wire.EventText: "text", wire.EventThinking: "thinking",
	wire.EventToolStart: "tool_start", wire.EventToolArgs: "tool_args", wire.EventBlockEnd: "block_end", wire.EventFinish: "finish", wire.EventUsage: "usage"}

type obj = map[string]any

func put(m obj, k string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case int:
		if x == 0 {
			return
		}
	case bool:
		if !x {
			return
		}
	case json.RawMessage:
		if x == nil {
			return
		}
	case []any:
		if len(x) == 0 {
			return
		}
	case *float64:
		if x == nil {
			return
		}
	}
	m[k] = v
}

func viewParts(ps []wire.Part) []any {
	var out []any
	for _, p := range ps {
		m := obj{"kind": partKinds[p.Kind]}
		put(m, "text", p.Text)
		put(m, "media_type", p.MediaType)
		put(m, "data", p.Data)
		put(m, "url", p.URL)
		put(m, "id", p.ID)
		put(m, "name", p.Name)
		put(m, "args", p.Args)
		put(m, "parts", viewParts(p.Parts))
		put(m, "is_error", p.IsError)
		put(m, "signature", p.Signature)
		out = append(out, m)
	}
	return out
}

func viewRequest(r *wire.Request) obj {
	m := obj{"model": r.Model}
	put(m, "system", viewParts(r.System))
	var msgs []any
	for _, msg := range r.Messages {
		msgs = append(msgs, obj{"role": msg.Role.String(), "parts": viewParts(msg.Parts)})
	}
	put(m, "messages", msgs)
	put(m, "max_tokens", r.MaxTokens)
	put(m, "temperature", r.Temperature)
	put(m, "top_p", r.TopP)
	if len(r.Stop) > 0 {
		m["stop"] = r.Stop
	}
	var tools []any
	for _, tl := range r.Tools {
		tm := obj{"name": tl.Name}
		put(tm, "description", tl.Description)
		put(tm, "schema", tl.Schema)
		tools = append(tools, tm)
	}
	put(m, "tools", tools)
	if tc := r.ToolChoice; tc != (wire.ToolChoice{}) {
		m["tool_choice"] = obj{"mode": []string{"", "auto", "none", "required", "named"}[tc.Mode], "name": tc.Name, "no_parallel": tc.NoParallel}
	}
	if o := r.Output; o.Kind != 0 {
		om := obj{"kind": []string{"", "json", "json_schema"}[o.Kind]}
		put(om, "name", o.Name)
		put(om, "schema", o.Schema)
		put(om, "strict", o.Strict)
		m["output"] = om
	}
	put(m, "stream", r.Stream)
	put(m, "include_usage", r.IncludeUsage)
	if len(r.Extra) > 0 {
		m["extra"] = r.Extra
	}
	return m
}

func viewResponse(r *wire.Response) obj {
	m := obj{"id": r.ID, "model": r.Model, "finish": r.Finish.String(), "usage": r.Usage}
	put(m, "parts", viewParts(r.Parts))
	put(m, "stop_sequence", r.StopSequence)
	return m
}

func viewEvent(ev wire.Event) obj {
	m := obj{"kind": eventKinds[ev.Kind]}
	put(m, "index", ev.Index)
	put(m, "text", ev.Text)
	put(m, "id", ev.ID)
	put(m, "name", ev.Name)
	put(m, "model", ev.Model)
	put(m, "signature", ev.Signature)
	put(m, "finish", ev.Finish.String())
	put(m, "stop_sequence", ev.StopSequence)
	if ev.Usage != (wire.Usage{}) {
		m["usage"] = ev.Usage
	}
	return m
}

func viewError(e *wire.Error) obj {
	m := obj{"kind": int(e.Kind), "status": e.HTTPStatus(), "message": e.Message}
	put(m, "param", e.Param)
	put(m, "code", e.Code)
	return m
}

func dump(v any) []byte { return marshal(v, "  ") }

func dumpLine(v any) []byte { return marshal(v, "") }

// marshal writes v as JSON without HTML escaping (stop sequences like
// "</json>" stay readable), ending in a newline.
func marshal(v any, indent string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
