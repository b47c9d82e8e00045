package anthropic

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeRequestInvalid(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body, field string
	}{
		{"not json", `{"model":`, ""},
		{"not an object", `[1,2]`, ""},
		{"no model", `{"max_tokens":5,` + msgs + `}`, "model"},
		{"no max_tokens", `{"model":"m",` + msgs + `}`, "max_tokens"},
		{"max_tokens zero", `{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens"},
		{"max_tokens fraction", `{"model":"m","max_tokens":1.5,` + msgs + `}`, "max_tokens"},
		{"max_tokens string", `{"model":"m","max_tokens":"5",` + msgs + `}`, "max_tokens"},
		{"no messages", `{"model":"m","max_tokens":5}`, "messages"},
		{"empty messages", `{"model":"m","max_tokens":5,"messages":[]}`, "messages"},
		{"messages object", `{"model":"m","max_tokens":5,"messages":{}}`, "messages"},
		{"bad role", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"tool","content":"x"}]}`, "messages[1].role"},
		{"no role", `{"model":"m","max_tokens":5,"messages":[{"content":"x"}]}`, "messages[0].role"},
		{"content number", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}`, "messages[0].content"},
		{"unknown block", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"video"}]}]}`, "messages[1].content[1].type"},
		{"block without type", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"text":"a"}]}]}`, "messages[0].content[0].type"},
		{"text not string", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, "messages[0].content[0].text"},
		{"tool_use from user", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}`, "messages[0].content[0].type"},
		{"tool_result from assistant", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"a"}]}]}`, "messages[0].content[0].type"},
		{"tool_use input array", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":[1]}]}]}`, "messages[0].content[0].input"},
		{"tool_use no id", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]}`, "messages[0].content[0].id"},
		{"tool_result no id", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages[0].content[0].tool_use_id"},
		{"tool_result bad content", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"audio"}]}]}]}`, "messages[0].content[0].content[0].type"},
		{"tool_result is_error string", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","is_error":"yes"}]}]}`, "messages[0].content[0].is_error"},
		{"image no source", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, "messages[0].content[0].source"},
		{"image no data", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}`, "messages[0].content[0].source.data"},
		{"image bad source type", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"ftp"}}]}]}`, "messages[0].content[0].source.type"},
		{"system block type", `{"model":"m","max_tokens":5,"system":[{"type":"image"}],` + msgs + `}`, "system[0].type"},
		{"system number", `{"model":"m","max_tokens":5,"system":3,` + msgs + `}`, "system"},
		{"stop not strings", `{"model":"m","max_tokens":5,"stop_sequences":["a",1],` + msgs + `}`, "stop_sequences[1]"},
		{"temperature string", `{"model":"m","max_tokens":5,"temperature":"hot",` + msgs + `}`, "temperature"},
		{"tool without schema", `{"model":"m","max_tokens":5,"tools":[{"name":"f"}],` + msgs + `}`, "tools[0].input_schema"},
		{"tool without name", `{"model":"m","max_tokens":5,"tools":[{"input_schema":{}}],` + msgs + `}`, "tools[0].name"},
		{"tool_choice bad type", `{"model":"m","max_tokens":5,"tool_choice":{"type":"required"},` + msgs + `}`, "tool_choice.type"},
		{"tool_choice tool without name", `{"model":"m","max_tokens":5,"tool_choice":{"type":"tool"},` + msgs + `}`, "tool_choice.name"},
		{"output format type", `{"model":"m","max_tokens":5,"output_config":{"format":{"type":"json_object"}},` + msgs + `}`, "output_config.format.type"},
		{"output format schema", `{"model":"m","max_tokens":5,"output_format":{"type":"json_schema","schema":"x"},` + msgs + `}`, "output_format.schema"},
		{"stream string", `{"model":"m","max_tokens":5,"stream":"yes",` + msgs + `}`, "stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(c.body))
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("got %v, %v; want a *wire.Invalid", r, err)
			}
			if c.field != "" && inv.Field != c.field {
				t.Errorf("Field = %q, want %q (%v)", inv.Field, c.field, inv)
			}
		})
	}
}

func TestDecodeRequestExtraAndDropped(t *testing.T) {
	body := `{"model":"m","max_tokens":5,
		"messages":[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"},"citations":[]},
			{"type":"image","source":{"type":"file","file_id":"file_1"}},
			{"type":"tool_result","tool_use_id":"x","content":[{"type":"search_result","source":"s","title":"t","content":[]}]}]},
			{"role":"assistant","content":"ok"},
			{"role":"system","content":"late system"}],
		"metadata":{"user_id":"u"},"service_tier":"auto","cache_control":{"type":"ephemeral"},"speed":"fast",
		"top_k":5,"thinking":{"type":"adaptive"},"mcp_servers":[],"context_management":{},"new_field":1,"temperature":null,
		"tools":[{"name":"f","input_schema":{"type":"object"},"strict":true,"eager_input_streaming":true,"input_examples":[{}],"defer_loading":true},
			{"type":"bash_20250124","name":"bash"}]}`
	r, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"messages[0].content[1].source", "messages[0].content[2].content[0]", "messages[2].role",
		"top_k", "thinking", "mcp_servers", "context_management", "new_field",
		"tools[0].defer_loading", "tools[0].input_examples", "tools[1].type",
	}
	got := append([]string(nil), r.Extra...)
	if !sameSet(got, want) {
		t.Errorf("Extra = %q\nwant %q", got, want)
	}
	if r.Temperature != nil {
		t.Errorf("null temperature decoded as %v", *r.Temperature)
	}
	if len(r.Tools) != 1 || r.Tools[0].Name != "f" {
		t.Errorf("Tools = %+v, want the custom tool only", r.Tools)
	}
	// A disabled thinking config is the default, not an extra.
	r, err = DecodeRequest([]byte(`{"model":"m","max_tokens":5,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"a"}]}`))
	if err != nil || len(r.Extra) != 0 {
		t.Errorf("thinking disabled: %v, Extra %q", err, r.Extra)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestDecodeRequestSystemRole(t *testing.T) {
	// The top-level system prompt comes first even when its key comes last.
	r, err := DecodeRequest([]byte(`{"model":"m","max_tokens":5,"messages":[
		{"role":"system","content":[{"type":"text","text":"two"}]},{"role":"user","content":"hi"}],"system":"one"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Part{{Kind: wire.Text, Text: "one"}, {Kind: wire.Text, Text: "two"}}
	if !reflect.DeepEqual(r.System, want) || len(r.Extra) != 0 || len(r.Messages) != 1 {
		t.Errorf("System = %+v, Extra %q, %d messages", r.System, r.Extra, len(r.Messages))
	}
}

func TestDecodeRequestToolResultName(t *testing.T) {
	r, err := DecodeRequest([]byte(`{"model":"m","max_tokens":5,"messages":[
		{"role":"user","content":"weather?"},
		{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"get_weather","input":{"city":"Oslo"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"cold"},{"type":"tool_result","tool_use_id":"unknown","content":"?"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	parts := r.Messages[2].Parts
	if parts[0].Name != "get_weather" || parts[1].Name != "" {
		t.Errorf("tool result names = %q, %q; want get_weather and empty", parts[0].Name, parts[1].Name)
	}
	if string(r.Messages[1].Parts[0].Args) != `{"city":"Oslo"}` {
		t.Errorf("Args = %s", r.Messages[1].Parts[0].Args)
	}
}

func TestDecodeCountTokensRequest(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if _, err := DecodeRequest(body); err == nil {
		t.Error("DecodeRequest accepted a body without max_tokens")
	}
	r, err := DecodeCountTokensRequest(body)
	if err != nil || r.Model != "m" || r.MaxTokens != 0 {
		t.Errorf("DecodeCountTokensRequest = %+v, %v", r, err)
	}
}

func f64(f float64) *float64 { return &f }

func TestEncodeRequestChoices(t *testing.T) {
	user := func(ps ...wire.Part) wire.Message { return wire.Message{Role: wire.User, Parts: ps} }
	asst := func(ps ...wire.Part) wire.Message { return wire.Message{Role: wire.Assistant, Parts: ps} }
	text := func(s string) wire.Part { return wire.Part{Kind: wire.Text, Text: s} }
	cases := []struct {
		name string
		req  wire.Request
		want string // a fragment of the body
	}{
		{"default max_tokens", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}}, `"max_tokens":4096`},
		{"merges same-role turns, tool results first", wire.Request{Model: "m", Messages: []wire.Message{
			user(text("q")),
			asst(wire.Part{Kind: wire.ToolCall, ID: "a", Name: "f", Args: json.RawMessage(`{}`)}, wire.Part{Kind: wire.ToolCall, ID: "b", Name: "f"}),
			user(text("also this")),
			user(wire.Part{Kind: wire.ToolResult, ID: "a", Text: "1"}),
			user(wire.Part{Kind: wire.ToolResult, ID: "b", Text: "2"}),
		}}, `{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{}},{"type":"tool_use","id":"b","name":"f","input":{}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"1"},{"type":"tool_result","tool_use_id":"b","content":"2"},{"type":"text","text":"also this"}]}]`},
		{"drops empty text and empty messages", wire.Request{Model: "m", Messages: []wire.Message{
			user(text("a")), asst(text("")), user(text("b")),
		}}, `"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]`},
		{"drops unsigned thinking", wire.Request{Model: "m", Messages: []wire.Message{
			user(text("a")), asst(wire.Part{Kind: wire.Thinking, Text: "hmm"}, text("b")),
		}}, `{"role":"assistant","content":[{"type":"text","text":"b"}]}`},
		{"redacted thinking", wire.Request{Model: "m", Messages: []wire.Message{
			user(text("a")), asst(wire.Part{Kind: wire.Thinking, Signature: RedactedPrefix + "Zm9v"}, text("b")),
		}}, `{"type":"redacted_thinking","data":"Zm9v"}`},
		{"url image", wire.Request{Model: "m", Messages: []wire.Message{user(wire.Part{Kind: wire.Image, URL: "https://x/y.png"})}},
			`{"type":"image","source":{"type":"url","url":"https://x/y.png"}}`},
		{"sniffed media type", wire.Request{Model: "m", Messages: []wire.Message{user(wire.Part{Kind: wire.Image, Data: "iVBORw0KGgo="})}},
			`"media_type":"image/png"`},
		{"tool without schema", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, Tools: []wire.Tool{{Name: "f"}}},
			`"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}]`},
		{"tool_choice none", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone, NoParallel: true}},
			`"tool_choice":{"type":"none"}`},
		{"tool_choice required", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired, NoParallel: true}},
			`"tool_choice":{"type":"any","disable_parallel_tool_use":true}`},
		{"no parallel alone", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{NoParallel: true}},
			`"tool_choice":{"type":"auto","disable_parallel_tool_use":true}`},
		{"tool_choice without tools is left out", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto}},
			`"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]}`},
		{"json schema", wire.Request{Model: "m", Messages: []wire.Message{user(text("a"))}, Output: wire.Output{Kind: wire.OutputJSONSchema, Name: "x", Schema: json.RawMessage(`{"type":"object"}`), Strict: true}},
			`"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}`},
		{"escaping", wire.Request{Model: "m", Messages: []wire.Message{user(text("a\"b\\c\n\u2028\x01\xff"))}},
			`"text":"a\"b\\c\n\u2028\u0001\ufffd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := EncodeRequest(&c.req)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			if !strings.Contains(string(body), c.want) {
				t.Errorf("body\n%s\ndoes not contain\n%s", body, c.want)
			}
		})
	}
}

func TestEncodeRequestUnsupported(t *testing.T) {
	user := func(ps ...wire.Part) []wire.Message { return []wire.Message{{Role: wire.User, Parts: ps}} }
	hi := user(wire.Part{Kind: wire.Text, Text: "hi"})
	cases := []struct {
		name  string
		req   wire.Request
		field string
	}{
		{"extra", wire.Request{Model: "m", Messages: hi, Extra: []string{"logprobs", "n"}}, "logprobs"},
		{"json mode", wire.Request{Model: "m", Messages: hi, Output: wire.Output{Kind: wire.OutputJSON}}, "response_format"},
		{"temperature", wire.Request{Model: "m", Messages: hi, Temperature: f64(1.5)}, "temperature"},
		{"image in assistant", wire.Request{Model: "m", Messages: []wire.Message{{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.Image, URL: "https://x"}}}}}, "messages[0].content[0]"},
		{"tool call from user", wire.Request{Model: "m", Messages: user(wire.Part{Kind: wire.ToolCall, ID: "a", Name: "f"})}, "messages[0].content[0]"},
		{"args not an object", wire.Request{Model: "m", Messages: []wire.Message{{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "a", Name: "f", Args: json.RawMessage(`{"a":`)}}}}}, "messages[0].content[0].arguments"},
		{"image without media type", wire.Request{Model: "m", Messages: user(wire.Part{Kind: wire.Image, Data: "AAAA"})}, "messages[0].content[0]"},
		{"system image", wire.Request{Model: "m", Messages: hi, System: []wire.Part{{Kind: wire.Image, URL: "https://x"}}}, "system[0]"},
		{"bad schema", wire.Request{Model: "m", Messages: hi, Tools: []wire.Tool{{Name: "f", Schema: json.RawMessage(`[1]`)}}}, "tools[0].parameters"},
		{"no role", wire.Request{Model: "m", Messages: []wire.Message{{Parts: []wire.Part{{Kind: wire.Text, Text: "x"}}}}}, "messages[0].role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := EncodeRequest(&c.req)
			var u *wire.Unsupported
			if !errors.As(err, &u) {
				t.Fatalf("got %s, %v; want *wire.Unsupported", body, err)
			}
			if u.Format != wire.Anthropic || u.Field != c.field {
				t.Errorf("Unsupported = %+v, want field %q", u, c.field)
			}
		})
	}
}

// TestRequestRoundTrip: canonical requests Anthropic can express survive
// Encode then Decode unchanged.
func TestRequestRoundTrip(t *testing.T) {
	reqs := []wire.Request{
		{
			Model: "claude-sonnet-5", MaxTokens: 100, System: []wire.Part{{Kind: wire.Text, Text: "sys ✓"}, {Kind: wire.Text, Text: "more"}},
			Messages: []wire.Message{
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "look"}, {Kind: wire.Image, MediaType: "image/webp", Data: "UklGRgAAAABXRUJQ"}, {Kind: wire.Image, URL: "https://e.x/i.png"}}},
				{Role: wire.Assistant, Parts: []wire.Part{
					{Kind: wire.Thinking, Text: "think", Signature: "c2ln"},
					{Kind: wire.Thinking, Signature: RedactedPrefix + "cmVk"},
					{Kind: wire.Text, Text: "calling"},
					{Kind: wire.ToolCall, ID: "t1", Name: "f", Args: json.RawMessage(`{"x":[1,2,{"y":null}]}`)},
					{Kind: wire.ToolCall, ID: "t2", Name: "g", Args: json.RawMessage(`{}`)},
				}},
				{Role: wire.User, Parts: []wire.Part{
					{Kind: wire.ToolResult, ID: "t1", Name: "f", Text: "ok"},
					{Kind: wire.ToolResult, ID: "t2", Name: "g", IsError: true, Parts: []wire.Part{{Kind: wire.Text, Text: "bad"}, {Kind: wire.Image, MediaType: "image/png", Data: "iVBORw0KGgo="}}},
					{Kind: wire.Text, Text: "go on"},
				}},
			},
			Temperature: f64(0.5), TopP: f64(0.25), Stop: []string{"\n\n", "END"},
			Tools:      []wire.Tool{{Name: "f", Description: "does f", Schema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"array"}}}`)}, {Name: "g", Schema: json.RawMessage(`{"type":"object","properties":{}}`)}},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "f", NoParallel: true},
			Output:     wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`), Strict: true},
			Stream:     true, IncludeUsage: true,
		},
		{Model: "m", MaxTokens: 1, Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "only"}}}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired}, Tools: []wire.Tool{{Name: "x", Schema: json.RawMessage(`{"type":"object"}`)}}},
		{Model: "m", MaxTokens: 9, Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "a"}}}, {Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.Text, Text: "prefill {"}}}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone}, Tools: []wire.Tool{{Name: "x", Schema: json.RawMessage(`{"type":"object"}`)}}},
	}
	for i := range reqs {
		body, err := EncodeRequest(&reqs[i])
		if err != nil {
			t.Fatalf("request %d: EncodeRequest: %v", i, err)
		}
		got, err := DecodeRequest(body)
		if err != nil {
			t.Fatalf("request %d: DecodeRequest: %v\n%s", i, err, body)
		}
		if !reflect.DeepEqual(got, &reqs[i]) {
			t.Errorf("request %d changed in the round trip:\n got %s\nwant %s", i, dumpRequest(got), dumpRequest(&reqs[i]))
		}
	}
}

// TestRequestRoundTripFromJSON: decoding the golden inputs and encoding them
// gives a body that decodes to the same canonical request (Anthropic to
// Anthropic through the canonical form loses nothing it can express).
func TestRequestRoundTripFromJSON(t *testing.T) {
	for _, in := range inputs(t, "request", ".json") {
		body := mustRead(t, in)
		r1, err := DecodeRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(r1.Extra) > 0 {
			continue
		}
		out, err := EncodeRequest(r1)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		r2, err := DecodeRequest(out)
		if err != nil {
			t.Fatalf("%s: re-decode: %v", in, err)
		}
		// Merging same-role turns is the one change EncodeRequest makes.
		if !reflect.DeepEqual(mergeTurns(r1), r2) {
			t.Errorf("%s changed:\n got %s\nwant %s", in, dumpRequest(r2), dumpRequest(r1))
		}
	}
}

func mergeTurns(r *wire.Request) *wire.Request {
	c := *r
	c.Messages = nil
	for _, m := range r.Messages {
		if n := len(c.Messages); n > 0 && c.Messages[n-1].Role == m.Role {
			c.Messages[n-1].Parts = append(append([]wire.Part(nil), c.Messages[n-1].Parts...), m.Parts...)
			continue
		}
		c.Messages = append(c.Messages, m)
	}
	return &c
}
