package gemini

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/wiretest"
)

// Gemini answers in testdata/responses → canonical (.canon.golden) → Gemini
// again (.out.golden), and a second trip changes nothing.
func TestDecodeResponseGolden(t *testing.T) {
	for _, in := range inputs(t, "responses", ".json") {
		name := strings.TrimSuffix(in, ".json")
		t.Run(filepath.Base(name), func(t *testing.T) {
			r, err := DecodeResponse(readFile(t, in))
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			wiretest.Golden(t, name+".canon.golden", dumpResponse(r))
			out, err := EncodeResponse(r)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			wiretest.Golden(t, name+".out.golden", indent(out))
			again, err := DecodeResponse(out)
			if err != nil {
				t.Fatalf("DecodeResponse(EncodeResponse(r)): %v", err)
			}
			if !reflect.DeepEqual(again, r) {
				t.Errorf("second trip differs:\n%s\nwant\n%s", dumpResponse(again), dumpResponse(r))
			}
		})
	}
}

func TestDecodeResponseMapping(t *testing.T) {
	cases := []struct {
		file   string
		finish wire.Finish
		usage  wire.Usage
		check  func(t *testing.T, r *wire.Response)
	}{
		{"text", wire.FinishStop, wire.Usage{Prompt: 120, Completion: 56, Cached: 100, Reasoning: 50}, func(t *testing.T, r *wire.Response) {
			if r.ID != "qz1xaN-hBoOqz7IP6ZSXuQs" || r.Model != "gemini-2.5-flash" {
				t.Errorf("id %q model %q", r.ID, r.Model)
			}
			if len(r.Parts) != 2 || r.Parts[0].Text+r.Parts[1].Text != "The capital of Italy is Rome." || r.Parts[1].Signature != "c2lnLXRleHQ=" {
				t.Errorf("parts %+v", r.Parts)
			}
		}},
		{"tool_calls", wire.FinishToolCalls, wire.Usage{Prompt: 80, Completion: 30}, func(t *testing.T, r *wire.Response) {
			if len(r.Parts) != 4 || r.Parts[0].Kind != wire.Thinking || r.Parts[0].Signature != "dGhvdWdodA==" {
				t.Fatalf("parts %+v", r.Parts)
			}
			want := []struct{ id, name, args, sig string }{
				{"call_resp42x_0", "get_weather", `{"city": "Paris"}`, "Y2FsbC1zaWc="},
				{"call_resp42x_1", "get_weather", `{"city": "Rome"}`, ""},
				{"given-id", "ping", `{}`, ""},
			}
			for i, w := range want {
				p := r.Parts[i+1]
				if p.Kind != wire.ToolCall || p.ID != w.id || p.Name != w.name || string(p.Args) != w.args || p.Signature != w.sig {
					t.Errorf("call %d = %+v, want %+v", i, p, w)
				}
			}
		}},
		{"blocked", wire.FinishContentFilter, wire.Usage{Prompt: 12}, nil},
		{"max_tokens", wire.FinishLength, wire.Usage{Prompt: 7, Completion: 8, Reasoning: 5}, nil},
		{"safety", wire.FinishContentFilter, wire.Usage{Prompt: 9}, func(t *testing.T, r *wire.Response) {
			if len(r.Parts) != 0 {
				t.Errorf("parts %+v", r.Parts)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := DecodeResponse(readFile(t, "testdata/responses/"+c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Finish != c.finish || r.Usage != c.usage {
				t.Errorf("finish %v usage %+v; want %v %+v", r.Finish, r.Usage, c.finish, c.usage)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func TestFinishOf(t *testing.T) {
	for reason, want := range map[string]wire.Finish{
		"STOP": wire.FinishStop, "MAX_TOKENS": wire.FinishLength, "SAFETY": wire.FinishContentFilter,
		"RECITATION": wire.FinishContentFilter, "BLOCKLIST": wire.FinishContentFilter, "PROHIBITED_CONTENT": wire.FinishContentFilter,
		"SPII": wire.FinishContentFilter, "IMAGE_SAFETY": wire.FinishContentFilter, "OTHER": wire.FinishStop,
		"MALFORMED_FUNCTION_CALL": wire.FinishStop, "LANGUAGE": wire.FinishStop, "": 0, "FINISH_REASON_UNSPECIFIED": 0, "CONTINUATION": wire.FinishLength, "SOMETHING_NEW": wire.FinishStop,
	} {
		if got := finishOf(reason); got != want {
			t.Errorf("finishOf(%q) = %v, want %v", reason, got, want)
		}
	}
	if finishWithCalls(wire.FinishStop, 1) != wire.FinishToolCalls || finishWithCalls(wire.FinishLength, 1) != wire.FinishLength {
		t.Error("finishWithCalls")
	}
}

func TestDecodeResponseInvalid(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":          `{"candidates":`,
		"empty":             ``,
		"array":             `[{"candidates":[]}]`,
		"candidates object": `{"candidates":{}}`,
		"candidate string":  `{"candidates":["x"]}`,
		"parts object":      `{"candidates":[{"content":{"parts":{}}}]}`,
		"call without name": `{"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]}`,
		"args array":        `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[]}}]}}]}`,
		"text number":       `{"candidates":[{"content":{"parts":[{"text":1}]}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeResponse([]byte(body))
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Errorf("got %+v, %v; want *wire.Invalid", r, err)
			}
		})
	}
	// An error envelope where an answer was expected is the error.
	_, err := DecodeResponse([]byte(`{"error":{"code":500,"message":"boom","status":"INTERNAL"}}`))
	var we *wire.Error
	if !errors.As(err, &we) || we.Kind != wire.ErrServer || we.Message != "boom" {
		t.Errorf("got %v, want the *wire.Error", err)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	cases := map[string]*wire.Response{
		"text": {ID: "r1", Model: "gemini-x", Parts: []wire.Part{{Kind: wire.Text, Text: "héllo\n\"world\""}}, Finish: wire.FinishStop,
			Usage: wire.Usage{Prompt: 10, Completion: 5}},
		"reasoning": {ID: "r2", Model: "m", Parts: []wire.Part{
			{Kind: wire.Thinking, Text: "hmm", Signature: "c2ln"},
			{Kind: wire.Text, Text: "42"},
		}, Finish: wire.FinishLength, Usage: wire.Usage{Prompt: 100, Completion: 60, Cached: 40, Reasoning: 50}},
		"calls": {ID: "r3", Model: "m", Parts: []wire.Part{
			{Kind: wire.Text, Text: "calling"},
			{Kind: wire.ToolCall, ID: "call_1", Name: "f", Args: json.RawMessage(`{"a":1}`), Signature: "eA=="},
			{Kind: wire.ToolCall, ID: "call_2", Name: "g", Args: json.RawMessage(`{}`)},
		}, Finish: wire.FinishToolCalls, Usage: wire.Usage{Prompt: 1, Completion: 2}},
		"filtered": {ID: "r4", Model: "m", Finish: wire.FinishContentFilter, Usage: wire.Usage{Prompt: 3}},
		"image":    {ID: "r5", Model: "m", Parts: []wire.Part{{Kind: wire.Image, MediaType: "image/png", Data: "iVBORw0KGgo="}}, Finish: wire.FinishStop},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := EncodeResponse(r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeResponse(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("round trip differs\n%s\ngot\n%s\nwant\n%s", out, dumpResponse(got), dumpResponse(r))
			}
		})
	}
}

func TestEncodeResponse(t *testing.T) {
	out, err := EncodeResponse(&wire.Response{Model: "m", Finish: wire.FinishStop})
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeResponse(out)
	if err != nil || r.ID == "" {
		t.Errorf("a response id is made up when there is none: %s, %v", out, err)
	}
	_, err = EncodeResponse(&wire.Response{Parts: []wire.Part{{Kind: wire.ToolResult, ID: "x"}}})
	var u *wire.Unsupported
	if !errors.As(err, &u) || u.Field != "parts[0]" {
		t.Errorf("a tool result in an answer: %v", err)
	}
	// Arguments that are not an object cannot break the body.
	out, err = EncodeResponse(&wire.Response{ID: "x", Parts: []wire.Part{{Kind: wire.ToolCall, ID: "c", Name: "f", Args: json.RawMessage(`{"a":`)}}})
	if err != nil || !json.Valid(out) {
		t.Errorf("broken args: %s, %v", out, err)
	}
}
