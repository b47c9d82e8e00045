package openai

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func fp(f float64) *float64 { return &f }

func text(s string) wire.Part { return wire.Part{Kind: wire.Text, Text: s} }

func user(parts ...wire.Part) wire.Message { return wire.Message{Role: wire.User, Parts: parts} }

func assistant(parts ...wire.Part) wire.Message {
	return wire.Message{Role: wire.Assistant, Parts: parts}
}

func call(id, name, args string) wire.Part {
	return wire.Part{Kind: wire.ToolCall, ID: id, Name: name, Args: json.RawMessage(args)}
}

func result(id, s string) wire.Part { return wire.Part{Kind: wire.ToolResult, ID: id, Text: s} }

const hi = `"messages":[{"role":"user","content":"hi"}]`

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want wire.Request
	}{
		{"minimal", `{"model":"m",` + hi + `}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}}},
		{"leading system and developer join the system prompt",
			`{"model":"m","messages":[{"role":"developer","content":"a"},{"role":"system","content":[{"type":"text","text":"b"}]},{"role":"system","content":""},{"role":"user","content":"hi"}]}`,
			wire.Request{Model: "m", System: []wire.Part{text("a"), text("b")}, Messages: []wire.Message{user(text("hi"))}}},
		{"system later in the conversation is extra",
			`{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"system","content":"now French"},{"role":"user","content":"ok"}]}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi")), assistant(text("yo")), user(text("ok"))}, Extra: []string{"messages[2].role=system"}}},
		{"tool messages merge in order, a user message after them stays apart",
			`{"model":"m","messages":[{"role":"user","content":"q"},
			  {"role":"assistant","content":"","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"2","type":"function","function":{"name":"g","arguments":"{}"}}]},
			  {"role":"tool","tool_call_id":"2","content":"two"},{"role":"tool","tool_call_id":"1","content":"one"},{"role":"user","content":"next"},
			  {"role":"tool","tool_call_id":"3","content":"late"}]}`,
			wire.Request{Model: "m", Messages: []wire.Message{
				user(text("q")),
				assistant(call("1", "f", `{"a":1}`), call("2", "g", `{}`)),
				user(result("2", "two"), result("1", "one")),
				user(text("next")),
				user(result("3", "late")),
			}}},
		{"images: data URL, http URL, detail dropped",
			`{"model":"m","messages":[{"role":"user","name":"ana","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA","detail":"low"}},{"type":"image_url","image_url":"HTTPS://x.test/a.png"},{"type":"image_url","image_url":{"url":"data:;base64,BBBB"}}]}]}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(
				wire.Part{Kind: wire.Image, MediaType: "image/jpeg", Data: "AAAA"},
				wire.Part{Kind: wire.Image, URL: "HTTPS://x.test/a.png"},
				wire.Part{Kind: wire.Image, Data: "BBBB"},
			)}}},
		{"assistant refusal, text parts, reasoning echo dropped",
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"refusal","refusal":"no"}],"refusal":"sorry","reasoning_content":"hmm"}]}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("x")), assistant(text("a"), text("no"), text("sorry"))}}},
		{"empty arguments become an empty object",
			`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":" "}}]}]}`,
			wire.Request{Model: "m", Messages: []wire.Message{assistant(call("c", "f", `{}`))}}},
		{"max_completion_tokens wins over max_tokens in either order",
			`{"max_completion_tokens":9,"max_tokens":3,"model":"m",` + hi + `}`,
			wire.Request{Model: "m", MaxTokens: 9, Messages: []wire.Message{user(text("hi"))}}},
		{"max_tokens alone", `{"model":"m","max_tokens":3,"max_completion_tokens":null,` + hi + `}`,
			wire.Request{Model: "m", MaxTokens: 3, Messages: []wire.Message{user(text("hi"))}}},
		{"sampling and stop string", `{"model":"m",` + hi + `,"temperature":0,"top_p":0.25,"stop":"END"}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, Temperature: fp(0), TopP: fp(0.25), Stop: []string{"END"}}},
		{"stop list", `{"model":"m",` + hi + `,"stop":["a","\n"]}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, Stop: []string{"a", "\n"}}},
		{"tools, named choice, no parallel",
			`{"model":"m",` + hi + `,"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}},{"type":"function","function":{"name":"g"}}],
			 "tool_choice":{"type":"function","function":{"name":"g"}},"parallel_tool_calls":false}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))},
				Tools:      []wire.Tool{{Name: "f", Description: "d", Schema: json.RawMessage(`{"type":"object"}`)}, {Name: "g"}},
				ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "g", NoParallel: true}}},
		{"tool choice none", `{"model":"m",` + hi + `,"tool_choice":"none"}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone}}},
		{"json object", `{"model":"m",` + hi + `,"response_format":{"type":"json_object"}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, Output: wire.Output{Kind: wire.OutputJSON}}},
		{"json schema", `{"model":"m",` + hi + `,"response_format":{"type":"json_schema","json_schema":{"name":"r","strict":true,"schema":{"type":"object"}}}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, Output: wire.Output{Kind: wire.OutputJSONSchema, Name: "r", Strict: true, Schema: json.RawMessage(`{"type":"object"}`)}}},
		{"text format is free text", `{"model":"m",` + hi + `,"response_format":{"type":"text"}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}}},
		{"stream with usage", `{"model":"m",` + hi + `,"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}, Stream: true, IncludeUsage: true}},
		{"include_usage without stream means nothing", `{"model":"m",` + hi + `,"stream":false,"stream_options":{"include_usage":true}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}}},
		{"bookkeeping and neutral values are dropped",
			`{"model":"m",` + hi + `,"user":"u","metadata":{"a":"b"},"store":true,"service_tier":"flex","prompt_cache_key":"k","safety_identifier":"s",
			 "n":1,"logprobs":false,"presence_penalty":0,"frequency_penalty":0,"logit_bias":{},"modalities":["text"],"seed":null,"top_logprobs":0,"parallel_tool_calls":true}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("hi"))}}},
		{"what changes the answer is extra",
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"t"},{"type":"file","file":{"file_id":"f"}}]},
			  {"role":"assistant","content":"x","audio":{"id":"a"},"function_call":{"name":"f","arguments":"{}"},"tool_calls":[{"id":"c","type":"custom","custom":{"name":"g","input":"x"}}]},
			  {"role":"function","name":"f","content":"r"}],
			 "n":2,"logprobs":true,"top_logprobs":3,"presence_penalty":0.1,"frequency_penalty":-1,"seed":7,"logit_bias":{"50256":-100},"audio":{"voice":"x"},
			 "modalities":["text","audio"],"prediction":{"type":"content","content":"x"},"reasoning_effort":"low","web_search_options":{},"verbosity":"low","top_k":5,
			 "tools":[{"type":"custom","custom":{"name":"g"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}}`,
			wire.Request{Model: "m", Messages: []wire.Message{user(text("t")), assistant(text("x"))}, Extra: []string{
				"messages[0].content[1].file", "messages[1].tool_calls[0].type=custom", "messages[1].function_call", "messages[1].audio", "messages[2].role=function",
				"n", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "seed", "logit_bias", "audio", "modalities", "prediction",
				"reasoning_effort", "web_search_options", "verbosity", "top_k", "tools[0].type=custom", "tool_choice.type=allowed_tools"}}},
		{"a repeated bookkeeping key is harmless", `{"model":"b",` + hi + `,"user":"x","user":"y"}`,
			wire.Request{Model: "b", Messages: []wire.Message{user(text("hi"))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", dump(viewRequest(got)), dump(viewRequest(&tt.want)))
			}
		})
	}
}

func TestDecodeRequestInvalid(t *testing.T) {
	tests := []struct {
		body  string
		field string
	}{
		{`{"model":"m",`, ""},
		{``, ""},
		{`[]`, ""},
		{`{"messages":[{"role":"user","content":"x"}]}`, "model"},
		{`{"model":7,` + hi + `}`, "model"},
		{`{"model":"m"}`, "messages"},
		{`{"model":"m","messages":[]}`, "messages"},
		{`{"model":"m","messages":{}}`, "messages"},
		{`{"model":"m","messages":[1]}`, "messages[0]"},
		{`{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role"},
		{`{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "messages[0].role"},
		{`{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content"},
		{`{"model":"m","messages":[{"role":"user","content":null}]}`, "messages[0].content"},
		{`{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":"https://x"}]}]}`, "messages[0].content[0].type"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages[0].content[0].text"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}`, "messages[0].content[0].type"},
		{`{"model":"m","messages":[{"role":"user","content":["x"]}]}`, "messages[0].content[0]"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml,<svg/>"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":5}]}`, "messages[1].content"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, "messages[0].tool_calls[0].id"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]}`, "messages[0].tool_calls[0].function.name"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{`{"model":"m","messages":[{"role":"tool","tool_call_id":"c","content":[{"type":"image_url"}]}]}`, "messages[0].content[0].type"},
		{`{"model":"m",` + hi + `,"max_tokens":-1}`, "max_tokens"},
		{`{"model":"m",` + hi + `,"max_completion_tokens":1.5}`, "max_completion_tokens"},
		{`{"model":"m",` + hi + `,"max_completion_tokens":99999999999}`, "max_completion_tokens"},
		{`{"model":"m",` + hi + `,"temperature":"hot"}`, "temperature"},
		{`{"model":"m",` + hi + `,"top_p":1e999}`, "top_p"},
		{`{"model":"m",` + hi + `,"stop":[1]}`, "stop[0]"},
		{`{"model":"m",` + hi + `,"stop":{}}`, "stop"},
		{`{"model":"m",` + hi + `,"n":0}`, "n"},
		{`{"model":"m",` + hi + `,"stream":"yes"}`, "stream"},
		{`{"model":"m",` + hi + `,"stream_options":true}`, "stream_options"},
		{`{"model":"m",` + hi + `,"parallel_tool_calls":"no"}`, "parallel_tool_calls"},
		{`{"model":"m",` + hi + `,"tools":{}}`, "tools"},
		{`{"model":"m",` + hi + `,"tools":[{"function":{"name":"f"}}]}`, "tools[0].type"},
		{`{"model":"m",` + hi + `,"tools":[{"type":"function"}]}`, "tools[0].function"},
		{`{"model":"m",` + hi + `,"tools":[{"type":"function","function":{"description":"d"}}]}`, "tools[0].function.name"},
		{`{"model":"m",` + hi + `,"tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}]}`, "tools[0].function.parameters"},
		{`{"model":"m",` + hi + `,"tool_choice":"any"}`, "tool_choice"},
		{`{"model":"m",` + hi + `,"tool_choice":{"type":"function","function":{}}}`, "tool_choice.function.name"},
		{`{"model":"m",` + hi + `,"tool_choice":{"type":"tool"}}`, "tool_choice.type"},
		{`{"model":"m",` + hi + `,"response_format":{"type":"xml"}}`, "response_format.type"},
		{`{"model":"m",` + hi + `,"response_format":{"type":"json_schema"}}`, "response_format.json_schema"},
		{`{"model":"m",` + hi + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":[]}}}`, "response_format.json_schema.schema"},
		{`{"model":"m",` + hi + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":"yes"}}}`, "response_format.json_schema.strict"},
	}
	for _, tt := range tests {
		_, err := DecodeRequest([]byte(tt.body))
		var inv *wire.Invalid
		if !errors.As(err, &inv) {
			t.Errorf("DecodeRequest(%s) = %v, want *wire.Invalid", tt.body, err)
			continue
		}
		if inv.Field != tt.field || inv.Reason == "" {
			t.Errorf("DecodeRequest(%s): field %q (%s), want %q", tt.body, inv.Field, inv.Reason, tt.field)
		}
	}
}

func TestDecodeRequestDoesNotAliasBody(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"hello"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`)
	r, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if r.Messages[0].Parts[0].Text != "hello" || string(r.Tools[0].Schema) != `{"type":"object"}` || r.Model != "m" {
		t.Errorf("the result changed with the body: %+v", r)
	}
}

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name string
		req  wire.Request
		want string
	}{
		{"minimal", wire.Request{Model: "gpt", Messages: []wire.Message{user(text("hi"))}},
			`{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`},
		{"tool results go first as tool messages, IsError dropped",
			wire.Request{Model: "m", Messages: []wire.Message{
				assistant(wire.Part{Kind: wire.Thinking, Text: "hmm", Signature: "s"}, call("t1", "f", `{"a":1}`), call("t2", "g", "")),
				user(text("see:"), wire.Part{Kind: wire.ToolResult, ID: "t1", Text: "boom", IsError: true},
					wire.Part{Kind: wire.ToolResult, ID: "t2", Parts: []wire.Part{text("a"), text("b")}}),
			}},
			`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"t2","type":"function","function":{"name":"g","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"t1","content":"boom"},{"role":"tool","tool_call_id":"t2","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},` +
				`{"role":"user","content":[{"type":"text","text":"see:"}]}]}`},
		{"a turn of only reasoning is left out",
			wire.Request{Model: "m", Messages: []wire.Message{user(text("a")), assistant(wire.Part{Kind: wire.Thinking, Text: "x"}), user(text("b"))}},
			`{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}`},
		{"images, system parts, everything else",
			wire.Request{Model: "m", System: []wire.Part{text("s1"), text("s2")},
				Messages: []wire.Message{user(wire.Part{Kind: wire.Image, MediaType: "image/png", Data: "QUJD"}, wire.Part{Kind: wire.Image, URL: "https://x/y.png"}),
					assistant(text("p1"), text("p2"))},
				MaxTokens: 100, Temperature: fp(0.7), TopP: fp(1), Stop: []string{"x"},
				Tools:      []wire.Tool{{Name: "f", Description: "d", Schema: json.RawMessage(`{"type":"object"}`)}, {Name: "g"}},
				ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired, NoParallel: true},
				Output:     wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(`{"type":"object"}`), Strict: true},
				Stream:     true},
			`{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"s1"},{"type":"text","text":"s2"}]},` +
				`{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,QUJD"}},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},` +
				`{"role":"assistant","content":[{"type":"text","text":"p1"},{"type":"text","text":"p2"}]}],` +
				`"max_completion_tokens":100,"temperature":0.7,"top_p":1,"stop":["x"],` +
				`"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}],` +
				`"tool_choice":"required","parallel_tool_calls":false,` +
				`"response_format":{"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object"},"strict":true}},` +
				`"stream":true,"stream_options":{"include_usage":true}}`},
		{"tool choice without tools is left out",
			wire.Request{Model: "m", Messages: []wire.Message{user(text("x"))}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone, NoParallel: true}},
			`{"model":"m","messages":[{"role":"user","content":"x"}]}`},
		{"named tool and JSON mode",
			wire.Request{Model: "m", Messages: []wire.Message{user(text("x"))}, Tools: []wire.Tool{{Name: "f"}},
				ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "f"}, Output: wire.Output{Kind: wire.OutputJSON}},
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_object"}}`},
		{"escaping", wire.Request{Model: "m", Messages: []wire.Message{user(text("a\"b\\c\n\t\x01\u2028é\xff<>&"))}},
			`{"model":"m","messages":[{"role":"user","content":"a\"b\\c\n\t\u0001\u2028é\ufffd<>&"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeRequest(&tt.req)
			if err != nil {
				t.Fatalf("EncodeRequest: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON: %s", got)
			}
		})
	}
}

func TestEncodeRequestUnsupported(t *testing.T) {
	base := func(m ...wire.Message) wire.Request { return wire.Request{Model: "m", Messages: m} }
	tests := []struct {
		name  string
		req   wire.Request
		field string
	}{
		{"extra", wire.Request{Model: "m", Messages: []wire.Message{user(text("x"))}, Extra: []string{"top_k", "seed"}}, "top_k"},
		{"image in a tool result", base(user(wire.Part{Kind: wire.ToolResult, ID: "t", Parts: []wire.Part{text("x"), {Kind: wire.Image, Data: "AA", MediaType: "image/png"}}})),
			"messages[0].content[0].content[1]"},
		{"image in an assistant turn", base(assistant(text("x"), wire.Part{Kind: wire.Image, URL: "https://x"})), "messages[0].content[1]"},
		{"tool call in a user turn", base(user(call("c", "f", "{}"))), "messages[0].content[0]"},
		{"thinking in a user turn", base(user(wire.Part{Kind: wire.Thinking, Text: "x"})), "messages[0].content[0]"},
		{"empty image", base(user(wire.Part{Kind: wire.Image})), "messages[0].content[0]"},
		{"broken arguments", base(assistant(call("c", "f", `{"a":`))), "messages[0].content[0]"},
		{"no role", base(wire.Message{Parts: []wire.Part{text("x")}}), "messages[0].role"},
		{"image in the system prompt", wire.Request{Model: "m", System: []wire.Part{{Kind: wire.Image, URL: "https://x"}}}, "system[0]"},
		{"NaN temperature", wire.Request{Model: "m", Temperature: fp(nanValue())}, "temperature"},
		{"schema not an object", wire.Request{Model: "m", Tools: []wire.Tool{{Name: "f", Schema: json.RawMessage(`[]`)}}}, "tools[0]"},
		{"nameless tool", wire.Request{Model: "m", Tools: []wire.Tool{{}}}, "tools[0]"},
		{"named choice without a name", wire.Request{Model: "m", ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed}}, "tool_choice"},
		{"output schema not an object", wire.Request{Model: "m", Output: wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(`1`)}}, "response_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeRequest(&tt.req)
			var u *wire.Unsupported
			if !errors.As(err, &u) || u.Format != wire.OpenAI || u.Field != tt.field {
				t.Errorf("err = %v, want Unsupported naming %q", err, tt.field)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// TestRequestRoundTrip: every canonical request OpenAI can express comes back
// unchanged from EncodeRequest then DecodeRequest.
func TestRequestRoundTrip(t *testing.T) {
	tests := []wire.Request{
		{Model: "m", Messages: []wire.Message{user(text(""))}},
		{Model: "gpt-4.1", System: []wire.Part{text("sys")}, Messages: []wire.Message{
			user(text("q"), wire.Part{Kind: wire.Image, MediaType: "image/webp", Data: "UklG"}, wire.Part{Kind: wire.Image, URL: "http://x/1.gif"}),
			assistant(text("let me"), call("c1", "f", `{"x":[1,2]}`), call("c2", "g", `{}`)),
			user(result("c1", "1"), wire.Part{Kind: wire.ToolResult, ID: "c2", Parts: []wire.Part{text("a"), text("ü\n")}}),
			user(text("more")),
			assistant(text("a"), text("b")),
			assistant(),
			user(text("again")),
		},
			MaxTokens: 4096, Temperature: fp(1.5), TopP: fp(1e-3), Stop: []string{"a", "b"},
			Tools:      []wire.Tool{{Name: "f", Description: "fd", Schema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"array"}}}`)}, {Name: "g"}},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto, NoParallel: true},
			Output:     wire.Output{Kind: wire.OutputJSONSchema, Name: "out", Schema: json.RawMessage(`{"type":"object"}`), Strict: true},
			Stream:     true, IncludeUsage: true},
		{Model: "m", Messages: []wire.Message{user(text("x"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone}, Output: wire.Output{Kind: wire.OutputJSON}},
		{Model: "m", Messages: []wire.Message{user(text("x"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "f"}},
		{Model: "m", Messages: []wire.Message{user(text("x"))}, Tools: []wire.Tool{{Name: "f"}}, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired}},
	}
	for i, want := range tests {
		body, err := EncodeRequest(&want)
		if err != nil {
			t.Fatalf("%d: EncodeRequest: %v", i, err)
		}
		got, err := DecodeRequest(body)
		if err != nil {
			t.Fatalf("%d: DecodeRequest(%s): %v", i, body, err)
		}
		// An assistant turn without parts decodes with nil parts.
		for j := range want.Messages {
			if len(want.Messages[j].Parts) == 0 {
				want.Messages[j].Parts = nil
			}
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%d: round trip through\n%s\ngot\n%s\nwant\n%s", i, body, dump(viewRequest(got)), dump(viewRequest(&want)))
		}
	}
}

func TestAgentFixtureIsRealistic(t *testing.T) {
	// The benchmark's request must hold what wireapi.md asks for.
	r := loadAgent(t)
	calls, results := 0, 0
	for _, m := range r.Messages {
		for _, p := range m.Parts {
			switch p.Kind {
			case wire.ToolCall:
				calls++
			case wire.ToolResult:
				results++
			}
		}
	}
	if len(r.System) == 0 || len(r.Tools) != 2 || calls == 0 || results == 0 || len(r.Messages) < 4 {
		t.Errorf("agent.json: system %d, tools %d, calls %d, results %d, messages %d", len(r.System), len(r.Tools), calls, results, len(r.Messages))
	}
	if !strings.Contains(string(mustRead(t, "testdata/request/agent.json")), `"tool_call_id"`) {
		t.Error("agent.json has no tool message")
	}
}
