package bedrock

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeRequestInvalid(t *testing.T) {
	for _, tc := range []struct {
		body, field string
	}{
		{`not json`, ""},
		{`[]`, ""},
		{`{}`, "messages"},
		{`{"messages":{}}`, "messages"},
		{`{"messages":[1]}`, "messages[0]"},
		{`{"messages":[{"role":"system","content":[]}]}`, "messages[0].role"},
		{`{"messages":[{"role":"user"}]}`, "messages[0].content"},
		{`{"messages":[{"role":"user","content":[{}]}]}`, "messages[0].content[0]"},
		{`{"messages":[{"role":"user","content":[{"text":"a","image":{}}]}]}`, "messages[0].content[0]"},
		{`{"messages":[{"role":"user","content":[{"text":1}]}]}`, "messages[0].content[0].text"},
		{`{"messages":[{"role":"user","content":[{"text":"a"},{"image":{"format":"bmp","source":{"bytes":"AA=="}}}]}]}`, "messages[0].content[1].image.format"},
		{`{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{}}}]}]}`, "messages[0].content[0].image.source.bytes"},
		{`{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":[1]}}]}]}`, "messages[0].content[0].toolUse.input"},
		{`{"messages":[{"role":"assistant","content":[{"toolUse":{"name":"f","input":{}}}]}]}`, "messages[0].content[0].toolUse.toolUseId"},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[],"status":"failed"}}]}]}`, "messages[0].content[0].toolResult.status"},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":"a"},{"text":2}]}}]}]}`, "messages[0].content[0].toolResult.content[1].text"},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t"}}]}]}`, "messages[0].content[0].toolResult.content"},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":"a","json":{}}]}}]}]}`, "messages[0].content[0].toolResult.content[0]"},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{}]}}]}]}`, "messages[0].content[0].toolResult.content[0]"},
		{`{"messages":[{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":5}}}]}]}`, "messages[0].content[0].reasoningContent.reasoningText"},
		{`{"messages":[],"system":"be brief"}`, "system"},
		{`{"messages":[],"system":[{"text":3}]}`, "system[0].text"},
		{`{"messages":[],"inferenceConfig":{"maxTokens":0}}`, "inferenceConfig.maxTokens"},
		{`{"messages":[],"inferenceConfig":{"maxTokens":1.5}}`, "inferenceConfig.maxTokens"},
		{`{"messages":[],"inferenceConfig":{"maxTokens":99999999999}}`, "inferenceConfig.maxTokens"},
		{`{"messages":[],"inferenceConfig":{"temperature":"hot"}}`, "inferenceConfig.temperature"},
		{`{"messages":[],"inferenceConfig":{"stopSequences":["a",1]}}`, "inferenceConfig.stopSequences[1]"},
		{`{"messages":[],"toolConfig":{"tools":{}}}`, "toolConfig.tools"},
		{`{"messages":[],"toolConfig":{"tools":[{"toolSpec":{"name":"f"}}]}}`, "toolConfig.tools[0].toolSpec.inputSchema.json"},
		{`{"messages":[],"toolConfig":{"tools":[{"toolSpec":{"inputSchema":{"json":{}}}}]}}`, "toolConfig.tools[0].toolSpec.name"},
		{`{"messages":[],"toolConfig":{"tools":[],"toolChoice":{"none":{}}}}`, "toolConfig.toolChoice"},
		{`{"messages":[],"toolConfig":{"tools":[],"toolChoice":{"tool":{}}}}`, "toolConfig.toolChoice.tool.name"},
		{`{"messages":[],"outputConfig":{"textFormat":{"type":"json_object"}}}`, "outputConfig.textFormat.type"},
		{`{"messages":[],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":{"type":"object"}}}}}}`, "outputConfig.textFormat.structure.jsonSchema.schema"},
		{`{"messages":[],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{nope"}}}}}`, "outputConfig.textFormat.structure.jsonSchema.schema"},
		{`{"messages":[],"additionalModelRequestFields":[]}`, "additionalModelRequestFields"},
		{`{"messages":[],"additionalModelResponseFieldPaths":[1]}`, "additionalModelResponseFieldPaths[0]"},
	} {
		_, err := DecodeRequest([]byte(tc.body))
		var inv *wire.Invalid
		if !errors.As(err, &inv) {
			t.Errorf("%s: error %T %v, want *wire.Invalid", tc.body, err, err)
			continue
		}
		if inv.Field != tc.field {
			t.Errorf("%s: Field %q, want %q (%v)", tc.body, inv.Field, tc.field, err)
		}
	}
}

func TestDecodeRequestExtra(t *testing.T) {
	for _, tc := range []struct {
		body  string
		extra []string
	}{
		{`{"messages":[],"guardrailConfig":{"guardrailIdentifier":"g"}}`, []string{"guardrailConfig"}},
		{`{"messages":[],"additionalModelRequestFields":{"top_k":5}}`, []string{"additionalModelRequestFields"}},
		{`{"messages":[],"additionalModelRequestFields":{}}`, nil},
		{`{"messages":[],"promptVariables":{"x":{"text":"y"}}}`, []string{"promptVariables"}},
		{`{"messages":[],"additionalModelResponseFieldPaths":["/stop_sequence"]}`, nil},
		{`{"messages":[],"additionalModelResponseFieldPaths":["/stop_sequence","/amazon-bedrock-trace"]}`, []string{"additionalModelResponseFieldPaths"}},
		{`{"messages":[],"requestMetadata":{"a":"b"},"performanceConfig":{"latency":"optimized"},"serviceTier":{"type":"flex"}}`, nil},
		{`{"messages":[],"brandNewField":true}`, []string{"brandNewField"}},
		{`{"messages":[],"inferenceConfig":{"topK":3}}`, []string{"inferenceConfig.topK"}},
		{`{"messages":[],"outputConfig":{"effort":"high"}}`, []string{"outputConfig.effort"}},
		{`{"messages":[],"system":[{"text":"a"},{"cachePoint":{"type":"default"}},{"guardContent":{"text":{"text":"x"}}}]}`, []string{"system[2]"}},
		{`{"messages":[],"toolConfig":{"tools":[{"toolSpec":{"name":"f","strict":true,"inputSchema":{"json":{"type":"object"}}}},{"cachePoint":{"type":"default"}},{"systemTool":{"name":"nova_grounding"}}]}}`,
			[]string{"toolConfig.tools[0].toolSpec.strict", "toolConfig.tools[2]"}},
		{`{"messages":[{"role":"user","content":[{"video":{}},{"cachePoint":{"type":"default"}},{"text":"hi"}]}]}`, []string{"messages[0].content[0].video"}},
		{`{"messages":[{"role":"assistant","content":[{"reasoningContent":{"redactedContent":"AAAA"}},{"toolUse":{"toolUseId":"t","name":"web","input":{},"type":"server_tool_use"}}]}]}`,
			[]string{"messages[0].content[0].reasoningContent.redactedContent", "messages[0].content[1].toolUse.type"}},
		{`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"document":{}},{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/k"}}}}]}}]}]}`,
			[]string{"messages[0].content[0].toolResult.content[0].document", "messages[0].content[0].toolResult.content[1].image.source.s3Location"}},
		{`{"messages":[],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{}","description":"d"}}}}}`,
			[]string{"outputConfig.textFormat.structure.jsonSchema.description"}},
	} {
		r, err := DecodeRequest([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		if !reflect.DeepEqual(r.Extra, tc.extra) {
			t.Errorf("%s: Extra %q, want %q", tc.body, r.Extra, tc.extra)
		}
		// A request with extras must not reach another format silently.
		if _, err := EncodeRequest(r); len(tc.extra) > 0 {
			var u *wire.Unsupported
			if !errors.As(err, &u) || u.Field != tc.extra[0] {
				t.Errorf("%s: EncodeRequest error %v, want Unsupported %q", tc.body, err, tc.extra[0])
			}
		}
	}
}

// The decoded request must not alias the body: callers reuse their buffers.
func TestDecodeRequestCopies(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"hello"},{"toolResult":{"toolUseId":"t1","content":[{"json":{"a":1}}]}}]},
		{"role":"assistant","content":[{"toolUse":{"toolUseId":"t2","name":"fn","input":{"b":2}}}]}],"system":[{"text":"sys"}],
		"toolConfig":{"tools":[{"toolSpec":{"name":"fn","description":"d","inputSchema":{"json":{"type":"object"}}}}]},"zzz":1}`)
	r, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(r)
	for i := range body {
		body[i] = 'X'
	}
	after, _ := json.Marshal(r)
	if string(before) != string(after) {
		t.Errorf("decoded request changed with the body:\n%s\n%s", before, after)
	}
}

func TestEncodeRequestUnsupported(t *testing.T) {
	text := func(s string) wire.Part { return wire.Part{Kind: wire.Text, Text: s} }
	user := func(ps ...wire.Part) wire.Message { return wire.Message{Role: wire.User, Parts: ps} }
	call := wire.Part{Kind: wire.ToolCall, ID: "c1", Name: "f", Args: json.RawMessage(`{}`)}
	result := wire.Part{Kind: wire.ToolResult, ID: "c1", Text: "ok"}
	history := []wire.Message{user(text("q")), {Role: wire.Assistant, Parts: []wire.Part{call}}, user(result)}
	tools := []wire.Tool{{Name: "f"}}
	nan := math.NaN()
	for _, tc := range []struct {
		name  string
		req   wire.Request
		field string
	}{
		{"extra", wire.Request{Messages: []wire.Message{user(text("a"))}, Extra: []string{"logprobs", "n"}}, "logprobs"},
		{"image url", wire.Request{Messages: []wire.Message{user(text("a"), wire.Part{Kind: wire.Image, URL: "https://x/y.png"})}}, "messages[0].content[1]"},
		{"image type", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Image, MediaType: "image/tiff", Data: "AA=="})}}, "messages[0].content[0]"},
		{"image empty", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.Image, MediaType: "image/png"})}}, "messages[0].content[0]"},
		{"tool result image url", wire.Request{Messages: []wire.Message{user(wire.Part{Kind: wire.ToolResult, ID: "c", Parts: []wire.Part{{Kind: wire.Image, URL: "https://x"}}})}}, "messages[0].content[0].content[0]"},
		{"bad args", wire.Request{Messages: []wire.Message{{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.ToolCall, ID: "c", Name: "f", Args: json.RawMessage(`"x"`)}}}}}, "messages[0].content[0]"},
		{"bad role", wire.Request{Messages: []wire.Message{{Role: 9, Parts: []wire.Part{text("a")}}}}, "messages[0].role"},
		{"none with history", wire.Request{Messages: history, Tools: tools, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone}}, "tool_choice"},
		{"history without tools", wire.Request{Messages: history}, "tools"},
		{"required without tools", wire.Request{Messages: []wire.Message{user(text("a"))}, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired}}, "tool_choice"},
		{"bad schema", wire.Request{Messages: []wire.Message{user(text("a"))}, Tools: []wire.Tool{{Name: "f", Schema: json.RawMessage(`[1]`)}}}, "tools[0].parameters"},
		{"json mode", wire.Request{Messages: []wire.Message{user(text("a"))}, Output: wire.Output{Kind: wire.OutputJSON}}, "response_format"},
		{"schema missing", wire.Request{Messages: []wire.Message{user(text("a"))}, Output: wire.Output{Kind: wire.OutputJSONSchema}}, "response_format"},
		{"nan", wire.Request{Messages: []wire.Message{user(text("a"))}, Temperature: &nan}, "temperature"},
		{"system image", wire.Request{System: []wire.Part{{Kind: wire.Image, Data: "AA"}}, Messages: []wire.Message{user(text("a"))}}, "system[0]"},
	} {
		_, err := EncodeRequest(&tc.req)
		var u *wire.Unsupported
		if !errors.As(err, &u) {
			t.Errorf("%s: error %T %v, want *wire.Unsupported", tc.name, err, err)
			continue
		}
		if u.Field != tc.field || u.Format != wire.Bedrock {
			t.Errorf("%s: %+v, want field %q", tc.name, u, tc.field)
		}
	}
}

func TestEncodeRequestChoices(t *testing.T) {
	user := []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "hi"}}}}
	tools := []wire.Tool{{Name: "f", Description: "does f"}}
	for _, tc := range []struct {
		name string
		req  wire.Request
		want string
	}{
		{"minimal", wire.Request{Messages: user}, `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`},
		{"none drops tools", wire.Request{Messages: user, Tools: tools, ToolChoice: wire.ToolChoice{Mode: wire.ToolNone}},
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`},
		{"unset choice", wire.Request{Messages: user, Tools: tools},
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"does f","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`},
		{"required, no parallel dropped", wire.Request{Messages: user, Tools: tools, ToolChoice: wire.ToolChoice{Mode: wire.ToolRequired, NoParallel: true}},
			`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"does f","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"any":{}}}}`},
		{"data url image, blank text, empty stop", wire.Request{Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{
			{Kind: wire.Text}, {Kind: wire.Image, URL: "data:image/jpeg;base64,/9j/4AAQ"}}}}, Stop: []string{"", "x"}},
			`{"messages":[{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/4AAQ"}}}]}],"inferenceConfig":{"stopSequences":["x"]}}`},
		{"merge turns, empty tool result, numbers", wire.Request{Messages: []wire.Message{
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.ToolResult, ID: "c"}}},
			{Role: wire.Assistant},
			{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "more"}}},
		}, Tools: tools, Temperature: f64(0), TopP: f64(1e-7), MaxTokens: 10},
			`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"c","content":[]}},{"text":"more"}]}],"inferenceConfig":{"maxTokens":10,"temperature":0,"topP":1e-07},"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"does f","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`},
	} {
		got, err := EncodeRequest(&tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// Decode(Encode(x)) == x for every canonical request Converse can express.
func TestRequestRoundTrip(t *testing.T) {
	reqs := []*wire.Request{
		sdkCanonical(),
		{Messages: []wire.Message{{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "\x00\x1f\"\\</script>\u2029 emoji 🎉"}}}}},
		{
			System: []wire.Part{{Kind: wire.Text, Text: "a"}, {Kind: wire.Text, Text: "b"}},
			Messages: []wire.Message{
				{Role: wire.User, Parts: []wire.Part{{Kind: wire.Text, Text: "q"}, {Kind: wire.Image, MediaType: "image/gif", Data: "R0lGOD=="}}},
				{Role: wire.Assistant, Parts: []wire.Part{
					{Kind: wire.ToolCall, ID: "a", Name: "f", Args: json.RawMessage(`{"x":[1,2,{"y":null}]}`)},
					{Kind: wire.ToolCall, ID: "b", Name: "g", Args: json.RawMessage(`{}`)},
				}},
				{Role: wire.User, Parts: []wire.Part{
					{Kind: wire.ToolResult, ID: "a", Parts: []wire.Part{{Kind: wire.Text, Text: "chart:"}, {Kind: wire.Image, MediaType: "image/png", Data: "iVBO"}}},
					{Kind: wire.ToolResult, ID: "b", Parts: []wire.Part{{Kind: wire.Text, Text: "one"}, {Kind: wire.Text, Text: "two"}}, IsError: true},
				}},
				{Role: wire.Assistant, Parts: []wire.Part{{Kind: wire.Thinking, Text: "no signature"}, {Kind: wire.Text, Text: "done"}}},
			},
			Tools:      []wire.Tool{{Name: "f", Schema: json.RawMessage(`{"type":"object"}`)}, {Name: "g", Description: "G", Schema: json.RawMessage(`{"type":"object","properties":{}}`)}},
			ToolChoice: wire.ToolChoice{Mode: wire.ToolAuto},
			MaxTokens:  1 << 20, Temperature: f64(1.25), Stop: []string{"a", "b"},
			Output: wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(`{"type":"object"}`), Strict: true},
		},
	}
	for i, want := range reqs {
		body, err := EncodeRequest(want)
		if err != nil {
			t.Errorf("%d: EncodeRequest: %v", i, err)
			continue
		}
		got, err := DecodeRequest(body)
		if err != nil {
			t.Errorf("%d: DecodeRequest: %v\n%s", i, err, body)
			continue
		}
		if !canonEqual(t, got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("%d: round trip\n got %s\nwant %s\nbody %s", i, g, w, body)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\n\r\t\b\f\x00\x1f\x7f", "<&>", "\u2028\u2029", "é🎉", "bad\xffutf8\xc3"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, got, err)
			continue
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
		if strings.ContainsAny(string(got), "\u2028\u2029") {
			t.Errorf("%q: raw line separators in %s", s, got)
		}
	}
}
