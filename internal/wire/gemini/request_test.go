package gemini

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/wiretest"
	"github.com/tidwall/gjson"
)

// Gemini bodies in testdata/requests → canonical (.canon.golden) → Gemini
// again (.out.golden, or the error the encoder gives).
func TestDecodeRequestGolden(t *testing.T) {
	for _, in := range inputs(t, "requests", ".json") {
		name := strings.TrimSuffix(in, ".json")
		t.Run(filepath.Base(name), func(t *testing.T) {
			r, err := DecodeRequest(readFile(t, in))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			wiretest.Golden(t, name+".canon.golden", dumpRequest(r))
			out, err := EncodeRequest(r)
			if err != nil {
				wiretest.Golden(t, name+".out.golden", []byte("error: "+err.Error()+"\n"))
				if len(r.Extra) == 0 {
					t.Errorf("EncodeRequest failed on a request without extras: %v", err)
				}
				return
			}
			if !json.Valid(out) {
				t.Fatalf("EncodeRequest wrote invalid JSON: %s", out)
			}
			wiretest.Golden(t, name+".out.golden", indent(out))
			// What Gemini can say survives a second trip unchanged.
			again, err := DecodeRequest(out)
			if err != nil {
				t.Fatalf("DecodeRequest(EncodeRequest(r)): %v", err)
			}
			again.Model = r.Model
			if !reflect.DeepEqual(again, r) {
				t.Errorf("second trip differs:\n%s\nwant\n%s", dumpRequest(again), dumpRequest(r))
			}
		})
	}
}

// The points of tools.json a user would check, stated outright.
func TestDecodeRequestTools(t *testing.T) {
	r, err := DecodeRequest(readFile(t, "testdata/requests/tools.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Messages) != 5 {
		t.Fatalf("got %d messages, want 5", len(r.Messages))
	}
	model := r.Messages[1].Parts
	if model[0].Kind != wire.Thinking || model[0].Text != "I should look up both cities." {
		t.Errorf("thought part: %+v", model[0])
	}
	c1, c2 := model[1], model[2]
	if c1.ID != "call_1_1" || c2.ID != "call_1_2" || c1.Signature != "c2lnbmF0dXJlLTE=" || c2.Signature != "" {
		t.Errorf("calls without ids: %+v %+v", c1, c2)
	}
	if string(c1.Args) != `{"city": "Paris", "unit": "celsius"}` {
		t.Errorf("args: %s", c1.Args)
	}
	res := r.Messages[2].Parts
	if res[0].ID != c1.ID || res[0].Text != "18C, cloudy" || res[1].ID != c2.ID || res[1].Text != `{"temp": 24, "sky": "clear"}` {
		t.Errorf("results not paired with their calls: %+v", res)
	}
	if p := r.Messages[3].Parts[0]; p.ID != "fc-7" || p.Signature != "" {
		t.Errorf("the placeholder signature must read as none: %+v", p)
	}
	if p := r.Messages[4].Parts[0]; !p.IsError || p.Text != "no tables left" || p.Name != "book_table" {
		t.Errorf("error result: %+v", p)
	}
	if r.ToolChoice != (wire.ToolChoice{Mode: wire.ToolNamed, Name: "book_table"}) {
		t.Errorf("tool choice: %+v", r.ToolChoice)
	}
	schema := gjson.ParseBytes(r.Tools[1].Schema)
	if schema.Get("type").Str != "object" || schema.Get("properties.people.type").Str != "integer" ||
		schema.Get("properties.note.type").Raw != `["string","null"]` || schema.Get("properties.times.maxItems").Raw != "3" ||
		schema.Get("propertyOrdering").Exists() {
		t.Errorf("OpenAPI schema not turned into JSON Schema: %s", r.Tools[1].Schema)
	}
	if r.Tools[2].Name != "ping" || r.Tools[2].Schema != nil {
		t.Errorf("tool without parameters: %+v", r.Tools[2])
	}
}

func TestDecodeRequestExtra(t *testing.T) {
	r, err := DecodeRequest(readFile(t, "testdata/requests/extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"contents[0].parts[1].inlineData", "safetySettings", "tools[0].googleSearch",
		"generationConfig.topK", "generationConfig.thinkingConfig", "generationConfig.seed", "cachedContent"}
	if !reflect.DeepEqual(r.Extra, want) {
		t.Errorf("Extra = %q, want %q", r.Extra, want)
	}
	_, err = EncodeRequest(r)
	var u *wire.Unsupported
	if !errors.As(err, &u) || u.Field != want[0] || u.Format != wire.Gemini {
		t.Errorf("EncodeRequest error = %v, want Unsupported naming %s", err, want[0])
	}
}

// Canonical requests as other formats' clients produce them → Gemini.
func TestEncodeRequestGolden(t *testing.T) {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
	cases := map[string]*wire.Request{
		// An OpenAI chat client: tool results without names, one message
		// per tool result, an empty assistant text beside its tool calls,
		// an image by URL and a data URL, and a Gemini 3 model, so the
		// unsigned calls get the placeholder signature.
		"openai_client": {
			Model:  "gemini-3-flash-preview",
			System: []wire.Part{{Kind: wire.Text, Text: "You are a travel agent."}},
			Messages: []wire.Message{
				{Role: wire.User, Parts: []wire.Part{
					{Kind: wire.Text, Text: "Where is this? And the weather there?"},
					{Kind: wire.Image, URL: "https://example.com/photos/tower.JPG?size=large"},
					{Kind: wire.Image, URL: "data:image/png;base64," + png},
				}},
				{Role: wire.Assistant, Parts: []wire.Part{
					{Kind: wire.Text, Text: ""},
					{Kind: wire.ToolCall, ID: "call_abc", Name: "get_weather", Args: json.RawMessage(`{"city":"Paris"}`)},
					{Kind: wire.ToolCall, ID: "call_def", Name: "get_time", Args: json.RawMessage(`{}`)},
				}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "call_abc", Text: "18C, cloudy"}}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "call_def", Text: `{"time":"14:05"}`}}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "Thanks! Summarise as JSON."}}},
			},
			MaxTokens:   512,
			Temperature: f64(0.7),
			Stop:        []string{"###"},
			Tools: []wire.Tool{
				{Name: "get_weather", Description: "Weather by city", Schema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)},
				{Name: "get_time"},
			},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto},
			Output:     wire.Output{Kind: wire.OutputJSONSchema, Name: "summary", Strict: true, Schema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)},
		},
		// An Anthropic client: reasoning with a signature, a tool result
		// with text and an image, a failed tool, a forced tool; Gemini 2.5
		// does not check signatures, so none is made up.
		"anthropic_client": {
			Model: "gemini-2.5-flash",
			Messages: []wire.Message{
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "Screenshot, then click OK."}}},
				{Role: wire.Assistant, Parts: []wire.Part{
					{Kind: wire.Thinking, Text: "Take a screenshot first.", Signature: "c2ln"},
					{Kind: wire.ToolCall, ID: "toolu_01", Name: "screenshot", Args: json.RawMessage(`{}`)},
				}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "toolu_01", Parts: []wire.Part{
					{Kind: wire.Text, Text: "Captured."},
					{Kind: wire.Image, MediaType: "image/png", Data: png},
				}}}},
				{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "toolu_02", Name: "click", Args: json.RawMessage(`{"x":10,"y":20}`)}}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "toolu_02", Name: "click", Text: "element not found", IsError: true}}},
			},
			Tools: []wire.Tool{
				{Name: "screenshot", Schema: json.RawMessage(`{"type":"object"}`)},
				{Name: "click", Schema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}}}`)},
			},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "click"},
			TopP:       f64(0.9),
			Output:     wire.Output{Kind: wire.OutputJSON},
		},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := EncodeRequest(r)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			wiretest.Golden(t, filepath.Join("testdata", "encode", name+".json"), indent(out))
		})
	}
	// Points of openai_client a user would check, stated outright.
	out, _ := EncodeRequest(cases["openai_client"])
	body := gjson.ParseBytes(out)
	if n := body.Get("contents.#").Int(); n != 3 {
		t.Errorf("got %d contents, want 3 (the tool results and the next user text merged)", n)
	}
	if got := body.Get("contents.1.parts.#").Int(); got != 2 {
		t.Errorf("the empty assistant text should be left out: %s", body.Get("contents.1"))
	}
	if got := body.Get("contents.1.parts.0.thoughtSignature").Str; got != skipSignature {
		t.Errorf("first unsigned call of a Gemini 3 request: thoughtSignature %q", got)
	}
	if body.Get("contents.1.parts.1.thoughtSignature").Exists() {
		t.Error("only the first call of a turn gets the placeholder")
	}
	if got := body.Get("contents.2.parts.0.functionResponse.name").Str; got != "get_weather" {
		t.Errorf("functionResponse name from the call's id: %q", got)
	}
	if got := body.Get("contents.2.parts.1.functionResponse.response.time").Str; got != "14:05" {
		t.Errorf("a JSON object result goes in as is: %s", body.Get("contents.2.parts.1"))
	}
	if got := body.Get("contents.0.parts.1.fileData.mimeType").Str; got != "image/jpeg" {
		t.Errorf("URL image MIME type from its extension: %q", got)
	}
	if got := body.Get("contents.0.parts.2.inlineData.data").Str; got == "" || strings.HasPrefix(got, "data:") {
		t.Errorf("data URL not unpacked: %q", got)
	}
}

func TestEncodeRequestUnsupported(t *testing.T) {
	user := func(ps ...wire.Part) wire.Message { return wire.Message{Role: wire.User, Parts: ps} }
	text := wire.Part{Kind: wire.Text, Text: "hi"}
	tools := []wire.Tool{{Name: "f"}}
	cases := []struct {
		name  string
		r     wire.Request
		field string
	}{
		{"extra", wire.Request{Messages: []wire.Message{user(text)}, Extra: []string{"logprobs", "n"}}, "logprobs"},
		{"http url", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Image, URL: "http://example.com/a.png"})}}, "messages[0].content[0]"},
		{"url of unknown type", wire.Request{Messages: []wire.Message{user(text, wire.Part{Kind: wire.Image, URL: "https://example.com/img?id=3"})}}, "messages[0].content[1]"},
		{"inline without type", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Image, Data: "AAAA"})}}, "messages[0].content[0]"},
		{"result of unknown call", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.ToolResult, ID: "call_9", Text: "x"})}}, "messages[0].content[0]"},
		{"no parallel", wire.Request{Messages: []wire.Message{user(text)}, Tools: tools, ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto, NoParallel: true}}, "parallel_tool_calls"},
		{"unknown role", wire.Request{Messages: []wire.Message{{Role: 9, Parts: []wire.Part{text}}}}, "messages[0].role"},
		{"thinking from user", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Thinking, Text: "hmm"})}}, "messages[0].content[0]"},
		{"call from user", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.ToolCall, ID: "a", Name: "f"})}}, "messages[0].content[0]"},
		{"required without tools", wire.Request{Messages: []wire.Message{user(text)}, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired}}, "tool_choice"},
		{"NaN temperature", wire.Request{Messages: []wire.Message{user(text)}, Temperature: f64(math.NaN())}, "temperature"},
		{"args not an object", wire.Request{Messages: []wire.Message{{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "a", Name: "f", Args: json.RawMessage(`[1]`)}}}}}, "messages[0].content[0]"},
		{"schema not an object", wire.Request{Messages: []wire.Message{user(text)}, Tools: []wire.Tool{{Name: "f", Schema: json.RawMessage(`"x"`)}}}, "tools[0].parameters"},
		{"image in system", wire.Request{System: []wire.Part{{Kind: wire.Image, URL: "https://x/a.png"}}, Messages: []wire.Message{user(text)}}, "system[0]"},
		{"nothing to send", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Text})}}, "messages"},
		{"result with a tool call inside", wire.Request{Messages: []wire.Message{
			{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "a", Name: "f"}}},
			user(wire.Part{Kind: wire.ToolResult, ID: "a", Parts: []wire.Part{{Kind: wire.ToolCall}}}),
		}}, "messages[1].content[0].content[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := EncodeRequest(&c.r)
			var u *wire.Unsupported
			if !errors.As(err, &u) {
				t.Fatalf("got %s, %v; want *wire.Unsupported", out, err)
			}
			if u.Field != c.field || u.Format != wire.Gemini {
				t.Errorf("Unsupported{%v %q %q}, want field %q", u.Format, u.Field, u.Reason, c.field)
			}
		})
	}
}

func TestDecodeRequestInvalid(t *testing.T) {
	cases := []struct {
		name, body, field string
	}{
		{"not JSON", `{"contents": [`, ""},
		{"empty", ``, ""},
		{"array", `[]`, ""},
		{"no contents", `{"generationConfig": {}}`, "contents"},
		{"empty contents", `{"contents": []}`, "contents"},
		{"contents not array", `{"contents": {}}`, "contents"},
		{"bad role", `{"contents": [{"role": "system", "parts": [{"text": "x"}]}]}`, "contents[0].role"},
		{"no parts", `{"contents": [{"role": "user"}]}`, "contents[0].parts"},
		{"empty parts", `{"contents": [{"role": "user", "parts": []}]}`, "contents[0].parts"},
		{"text not string", `{"contents": [{"parts": [{"text": 5}]}]}`, "contents[0].parts[0].text"},
		{"empty part", `{"contents": [{"parts": [{}]}]}`, "contents[0].parts[0]"},
		{"two kinds in a part", `{"contents": [{"parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]}`, "contents[0].parts[0]"},
		{"call in user turn", `{"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f"}}]}]}`, "contents[0].parts[0].functionCall"},
		{"call without name", `{"contents": [{"role": "model", "parts": [{"functionCall": {"args": {}}}]}]}`, "contents[0].parts[0].functionCall.name"},
		{"args not object", `{"contents": [{"role": "model", "parts": [{"functionCall": {"name": "f", "args": [1]}}]}]}`, "contents[0].parts[0].functionCall.args"},
		{"response in model turn", `{"contents": [{"role": "model", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}`, "contents[0].parts[0].functionResponse"},
		{"unnamed unpaired response", `{"contents": [{"parts": [{"functionResponse": {"response": {}}}]}]}`, "contents[0].parts[0].functionResponse.name"},
		{"response not object", `{"contents": [{"parts": [{"functionResponse": {"name": "f", "response": "ok"}}]}]}`, "contents[0].parts[0].functionResponse.response"},
		{"inline without type", `{"contents": [{"parts": [{"inlineData": {"data": "AA=="}}]}]}`, "contents[0].parts[0].inlineData.mimeType"},
		{"temperature string", `{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"temperature": "hot"}}`, "generationConfig.temperature"},
		{"negative max tokens", `{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"maxOutputTokens": -1}}`, "generationConfig.maxOutputTokens"},
		{"stop not strings", `{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"stopSequences": [1]}}`, "generationConfig.stopSequences"},
		{"unknown mode", `{"contents": [{"parts": [{"text": "x"}]}], "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}}`, "toolConfig.functionCallingConfig.mode"},
		{"tool without name", `{"contents": [{"parts": [{"text": "x"}]}], "tools": [{"functionDeclarations": [{"description": "d"}]}]}`, "tools[0].functionDeclarations[0].name"},
		{"system not object", `{"contents": [{"parts": [{"text": "x"}]}], "systemInstruction": "be nice"}`, "systemInstruction"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(c.body))
			var inv *wire.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("got %+v, %v; want *wire.Invalid", r, err)
			}
			if inv.Field != c.field {
				t.Errorf("Invalid{%q, %q}, want field %q", inv.Field, inv.Reason, c.field)
			}
		})
	}
}

// Canonical requests Gemini can express come back unchanged.
func TestRequestRoundTrip(t *testing.T) {
	cases := map[string]*wire.Request{
		"text": {
			System:   []wire.Part{{Kind: wire.Text, Text: "sys"}},
			Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "hi \u2028 \x01 <b>&"}}}},
		},
		"sampling": {
			Messages:    []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "x"}}}},
			MaxTokens:   100,
			Temperature: f64(0),
			TopP:        f64(1e-7),
			Stop:        []string{"a", "\"b\""},
			Output:      wire.Output{Kind: wire.OutputJSON},
		},
		"tools": {
			Messages: []wire.Message{
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "go"}, {Kind: wire.Image, MediaType: "image/webp", URL: "https://cdn.example.com/x.webp"}}},
				{Role: wire.Assistant, Parts: []wire.Part{
					{Kind: wire.Thinking, Text: "plan", Signature: "czE="},
					{Kind: wire.Text, Text: "Calling."},
					{Kind: wire.ToolCall, ID: "c1", Name: "f", Args: json.RawMessage(`{"a":[1,2]}`), Signature: "czI="},
					{Kind: wire.ToolCall, ID: "c2", Name: "g", Args: json.RawMessage(`{}`)},
				}},
				{Role: wire.User, Parts: []wire.Part{
					{Kind: wire.ToolResult, ID: "c1", Name: "f", Text: "plain"},
					{Kind: wire.ToolResult, ID: "c2", Name: "g", Text: `{"output":"looks like a wrapper"}`},
				}},
				{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "c3", Name: "f", Args: json.RawMessage(`{"b":true}`)}}},
				{Role: wire.User, Parts: []wire.Part{
					{Kind: wire.ToolResult, ID: "c3", Name: "f", IsError: true, Text: `{"code":7}`},
					{Kind: wire.Text, Text: "and?"},
				}},
				{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "c4", Name: "g", Args: json.RawMessage(`{}`)}}},
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "c4", Name: "g", Parts: []wire.Part{
					{Kind: wire.Text, Text: "see image"},
					{Kind: wire.Image, MediaType: "image/png", Data: "iVBORw0KGgo="},
				}}}},
			},
			Tools: []wire.Tool{
				{Name: "f", Description: "does f", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"array"}}}`)},
				{Name: "g"},
			},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired},
			Output:     wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(`{"type":"object"}`)},
		},
		"named tool": {
			Messages:   []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "x"}}}},
			Tools:      []wire.Tool{{Name: "f"}},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "f"},
		},
		"no tools": {
			Messages:   []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "x"}}}},
			Tools:      []wire.Tool{{Name: "f"}},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolNone},
		},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			for _, model := range []string{"", "gemini-3-pro"} { // with and without placeholder signatures
				r.Model = model
				out, err := EncodeRequest(r)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeRequest(out)
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				got.Model = model
				if !reflect.DeepEqual(got, r) {
					t.Errorf("model %q: round trip differs\n%s\ngot\n%s\nwant\n%s", model, out, dumpRequest(got), dumpRequest(r))
				}
			}
		})
	}
}

func TestValidatesSignatures(t *testing.T) {
	for model, want := range map[string]bool{
		"gemini-3-flash-preview": true, "gemini-3.1-pro": true, "models/gemini-4-argon": true, "gemini-flash-latest": true,
		"publishers/google/models/gemini-3-pro": true,
		"gemini-2.5-flash":                      false, "gemini-1.5-pro": false, "gemini-pro-latest": true, "gemma-3-27b-it": false, "": false,
		"tunedModels/my-model": false,
	} {
		if got := validatesSignatures(model); got != want {
			t.Errorf("validatesSignatures(%q) = %v, want %v", model, got, want)
		}
	}
}
