package emulate

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

var greeting = []openai.ChatCompletionMessageParamUnion{
	openai.SystemMessage("You are terse."),
	openai.UserMessage("Say hello to the river."),
}

// greetingTokens is the prompt tokens of greeting by the documented rule.
var greetingTokens = 3 + (4 + tok("You are terse.")) + (4 + tok("Say hello to the river."))

func TestOpenAIChat(t *testing.T) {
	s := listen(t, OpenAI, Knobs{APIKey: "test-key"})
	c := openaiClient(s)
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: greeting,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "gpt-4o" || resp.Object != "chat.completion" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Errorf("model %q object %q id %q", resp.Model, resp.Object, resp.ID)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("%d choices", len(resp.Choices))
	}
	ch := resp.Choices[0]
	if words := strings.Fields(ch.Message.Content); len(words) != defaultOutputTokens || !isWords(ch.Message.Content) {
		t.Errorf("content %q: want %d vocabulary words", ch.Message.Content, defaultOutputTokens)
	}
	if ch.FinishReason != "stop" || ch.Message.Role != "assistant" {
		t.Errorf("finish %q role %q", ch.FinishReason, ch.Message.Role)
	}
	u := resp.Usage
	if u.PromptTokens != int64(greetingTokens) || u.CompletionTokens != defaultOutputTokens || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v, want prompt %d completion %d", u, greetingTokens, defaultOutputTokens)
	}

	// The fields the SDK does not surface are on the wire as OpenAI sends them.
	var raw map[string]any
	if err := json.Unmarshal([]byte(resp.RawJSON()), &raw); err != nil {
		t.Fatal(err)
	}
	msg := raw["choices"].([]any)[0].(map[string]any)
	if msg["logprobs"] != nil || msg["message"].(map[string]any)["refusal"] != nil {
		t.Errorf("choice %v: want null logprobs and refusal", msg)
	}
	if a, ok := msg["message"].(map[string]any)["annotations"].([]any); !ok || len(a) != 0 {
		t.Errorf("annotations %v, want []", msg["message"].(map[string]any)["annotations"])
	}
	if raw["system_fingerprint"] == "" || raw["usage"].(map[string]any)["completion_tokens_details"] == nil {
		t.Errorf("missing system_fingerprint or usage details: %s", resp.RawJSON())
	}

	b := s.Billed()
	want := Billed{Requests: 1, InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, Received: 1,
		ByModel: map[string]ModelBilled{"gpt-4o": {Requests: 1, InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}}}
	if !equalBilled(b, want) {
		t.Errorf("billed %+v, want %+v", b, want)
	}
}

func equalBilled(a, b Billed) bool {
	if len(a.ByModel) != len(b.ByModel) {
		return false
	}
	for k, v := range a.ByModel {
		if b.ByModel[k] != v {
			return false
		}
	}
	return a.Requests == b.Requests && a.InputTokens == b.InputTokens && a.OutputTokens == b.OutputTokens &&
		a.Received == b.Received && a.Errors == b.Errors && a.Throttled == b.Throttled && a.Disconnects == b.Disconnects
}

// stream runs a streaming request through the SDK's accumulator.
func stream(t *testing.T, c openai.Client, params openai.ChatCompletionNewParams) openai.ChatCompletion {
	t.Helper()
	st := c.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		if !acc.AddChunk(st.Current()) {
			t.Fatalf("accumulator refused chunk %s", st.Current().RawJSON())
		}
	}
	if err := st.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return acc.ChatCompletion
}

func TestOpenAIChatStream(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	c := openaiClient(s)
	whole, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting})
	if err != nil {
		t.Fatal(err)
	}
	for _, usage := range []bool{false, true} {
		params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting}
		if usage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		got := stream(t, c, params)
		if len(got.Choices) != 1 || got.Choices[0].Message.Content != whole.Choices[0].Message.Content {
			t.Fatalf("usage=%v: streamed %+v, want content %q", usage, got.Choices, whole.Choices[0].Message.Content)
		}
		if got.Choices[0].FinishReason != "stop" {
			t.Errorf("usage=%v: finish %q", usage, got.Choices[0].FinishReason)
		}
		wantUsage := openai.CompletionUsage{}
		if usage {
			wantUsage = whole.Usage
		}
		if got.Usage.PromptTokens != wantUsage.PromptTokens || got.Usage.CompletionTokens != wantUsage.CompletionTokens {
			t.Errorf("usage=%v: usage %+v, want %+v", usage, got.Usage, wantUsage)
		}
	}
	b := s.Billed()
	if b.Requests != 3 || b.OutputTokens != 3*whole.Usage.CompletionTokens || b.InputTokens != 3*whole.Usage.PromptTokens {
		t.Errorf("billed %+v after three answers of %+v", b, whole.Usage)
	}
}

// TestStreamWire checks the SSE framing byte by byte where the SDK would not
// notice: data lines only, usage:null on every chunk before the usage chunk,
// no "error" key anywhere, and [DONE] last.
func TestStreamWire(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	for _, usage := range []bool{false, true} {
		body := `{"model":"m","stream":true,"max_tokens":3,"messages":[{"role":"user","content":"hi"}]`
		if usage {
			body += `,"stream_options":{"include_usage":true}`
		}
		resp, text := post(t, s.URL+"/v1/chat/completions", body+"}")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Errorf("content type %q", ct)
		}
		var events []string
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				continue
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				t.Fatalf("line %q is not a data line", line)
			}
			events = append(events, data)
		}
		// role, 3 words, finish, [usage], [DONE]
		want := 6
		if usage {
			want = 7
		}
		if len(events) != want || events[len(events)-1] != "[DONE]" {
			t.Fatalf("usage=%v: events %q", usage, events)
		}
		for i, ev := range events[:len(events)-1] {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(ev), &m); err != nil {
				t.Fatalf("event %d %q: %v", i, ev, err)
			}
			if _, ok := m["error"]; ok {
				t.Errorf("event %d has an error key: %s", i, ev)
			}
			u, has := m["usage"]
			switch {
			case !usage && has:
				t.Errorf("event %d carries usage without include_usage: %s", i, ev)
			case usage && i < len(events)-2 && string(u) != "null":
				t.Errorf("event %d: usage %s, want null", i, u)
			case usage && i == len(events)-2 && (string(m["choices"]) != "[]" || string(u) == "null"):
				t.Errorf("usage chunk %s", ev)
			}
		}
		if !strings.Contains(events[0], `"delta":{"role":"assistant","content":"","refusal":null}`) {
			t.Errorf("first chunk %s", events[0])
		}
		if !strings.Contains(events[4], `"delta":{},"logprobs":null,"finish_reason":"length"`) {
			t.Errorf("finish chunk %s", events[4])
		}
	}
}

var weatherSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"city": map[string]any{"type": "string", "minLength": 3, "maxLength": 40},
		"unit": map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
		"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 7},
		"when": map[string]any{"type": "string", "format": "date"},
	},
	"required":             []any{"city", "unit"},
	"additionalProperties": false,
}

var weatherTools = []openai.ChatCompletionToolUnionParam{
	openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_weather", Parameters: weatherSchema,
	}),
	openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_time", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{}},
	}),
}

func TestOpenAIToolCall(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	c := openaiClient(s)
	params := openai.ChatCompletionNewParams{
		Model:      "gpt-4o",
		Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What should I wear tomorrow?")},
		Tools:      weatherTools,
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
	}
	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 || ch.Message.Content != "" {
		t.Fatalf("choice %+v", ch)
	}
	call := ch.Message.ToolCalls[0]
	if call.Function.Name != "get_weather" || !strings.HasPrefix(call.ID, "call_") || len(call.ID) != 29 {
		t.Errorf("call %+v", call)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil {
		t.Fatalf("arguments %q: %v", call.Function.Arguments, err)
	}
	if err := validate(weatherSchema, args); err != nil {
		t.Errorf("arguments %s: %v", call.Function.Arguments, err)
	}
	if want := tok(call.Function.Name) + tok(call.Function.Arguments); resp.Usage.CompletionTokens != int64(want) {
		t.Errorf("completion tokens %d, want %d", resp.Usage.CompletionTokens, want)
	}
	if !strings.Contains(resp.RawJSON(), `"content":null`) {
		t.Errorf("content is not null: %s", resp.RawJSON())
	}

	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	got := stream(t, c, params)
	if len(got.Choices) != 1 || len(got.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("streamed %+v", got.Choices)
	}
	sc := got.Choices[0].Message.ToolCalls[0]
	if sc.ID != call.ID || sc.Function.Name != call.Function.Name || sc.Function.Arguments != call.Function.Arguments {
		t.Errorf("streamed call %+v, want %+v", sc, call)
	}
	if got.Choices[0].FinishReason != "tool_calls" || got.Usage.CompletionTokens != resp.Usage.CompletionTokens {
		t.Errorf("streamed finish %q usage %+v", got.Choices[0].FinishReason, got.Usage)
	}
}

// chat posts a raw chat request and decodes the answer with the SDK's types.
func chat(t *testing.T, url, body string) openai.ChatCompletion {
	t.Helper()
	resp, text := post(t, url+"/v1/chat/completions", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, text)
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal([]byte(text), &cc); err != nil {
		t.Fatal(err)
	}
	return cc
}

func TestToolChoice(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	const tools = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},` +
		`{"type":"function","function":{"name":"Get_Time"}}]`
	for _, tc := range []struct {
		name, messages, choice string
		want                   string // tool called, or "" for text
	}{
		{"auto names tool", `[{"role":"user","content":"please GET_WEATHER for Oslo"}]`, ``, "get_weather"},
		{"auto case-insensitive", `[{"role":"user","content":"what does get_time say"}]`, `"auto"`, "Get_Time"},
		{"auto without name", `[{"role":"user","content":"hello"}]`, ``, ""},
		{"auto last not user", `[{"role":"user","content":"get_weather"},{"role":"assistant","content":"ok"}]`, ``, ""},
		{"none", `[{"role":"user","content":"get_weather"}]`, `"none"`, ""},
		{"required", `[{"role":"user","content":"hello"}]`, `"required"`, "get_weather"},
		{"named", `[{"role":"user","content":"hello"}]`, `{"type":"function","function":{"name":"Get_Time"}}`, "Get_Time"},
		{"after tool result", `[{"role":"user","content":"get_weather"},{"role":"assistant","content":null,` +
			`"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"sunny"}]`, `"required"`, ""},
		{"allowed tools", `[{"role":"user","content":"hello"}]`,
			`{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"Get_Time"}}]}}`, "Get_Time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"model":"m","messages":` + tc.messages + `,` + tools
			if tc.choice != "" {
				body += `,"tool_choice":` + tc.choice
			}
			cc := chat(t, s.URL, body+"}")
			ch := cc.Choices[0]
			var got string
			if len(ch.Message.ToolCalls) > 0 {
				got = ch.Message.ToolCalls[0].Function.Name
			}
			if got != tc.want {
				t.Fatalf("called %q, want %q (%s)", got, tc.want, cc.RawJSON())
			}
			if (got != "") != (ch.FinishReason == "tool_calls") {
				t.Errorf("finish %q", ch.FinishReason)
			}
		})
	}
}

func TestStop(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	base := `{"model":"m","messages":[{"role":"user","content":"tell me a story"}]`
	full := chat(t, s.URL, base+"}").Choices[0].Message.Content
	words := strings.Split(full, " ")
	for _, tc := range []struct {
		name string
		stop string // JSON
		at   int    // byte offset of the cut
	}{
		{"word boundary", mustJSON([]string{" " + words[5]}), len(strings.Join(words[:5], " "))},
		{"mid word", mustJSON(words[3][:2]), strings.Index(full, words[3][:2])},
		{"earliest of list", mustJSON([]string{words[9], words[2]}), strings.Index(full, words[2])},
		{"absent", `"xyzzy"`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := chat(t, s.URL, base+`,"stop":`+tc.stop+"}")
			ch := cc.Choices[0]
			want, kept := full, len(words)
			if tc.at >= 0 {
				want = full[:tc.at]
				kept = 0 // words with a byte, counting the space before them, before the cut
				for i, start := 0, 0; i < len(words) && start < tc.at; i++ {
					kept++
					start += len(words[i]) + 1
					if i == 0 {
						start-- // the first word has no space before it
					}
				}
			}
			if ch.Message.Content != want || ch.FinishReason != "stop" {
				t.Errorf("content %q finish %q, want %q", ch.Message.Content, ch.FinishReason, want)
			}
			if cc.Usage.CompletionTokens != int64(kept) {
				t.Errorf("completion tokens %d, want %d", cc.Usage.CompletionTokens, kept)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestOpenAIStopSDK(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	c := openaiClient(s)
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting, MaxTokens: openai.Int(8)}
	full, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if full.Choices[0].FinishReason != "length" || full.Usage.CompletionTokens != 8 {
		t.Fatalf("max_tokens 8: finish %q usage %+v", full.Choices[0].FinishReason, full.Usage)
	}
	third := strings.Split(full.Choices[0].Message.Content, " ")[2]
	params.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{" " + third}}
	cut, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	streamed := stream(t, c, params)
	for _, got := range []openai.ChatCompletion{*cut, streamed} {
		if got.Choices[0].FinishReason != "stop" || strings.Contains(got.Choices[0].Message.Content, " "+third) {
			t.Errorf("with stop %q: %+v", " "+third, got.Choices[0])
		}
	}
	if cut.Choices[0].Message.Content != streamed.Choices[0].Message.Content {
		t.Errorf("stream %q != whole %q", streamed.Choices[0].Message.Content, cut.Choices[0].Message.Content)
	}
}

func TestOpenAIChoices(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	c := openaiClient(s)
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting, N: openai.Int(2),
		MaxCompletionTokens: openai.Int(10)}
	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 2 || resp.Choices[0].Message.Content == resp.Choices[1].Message.Content {
		t.Fatalf("choices %+v: want two different answers", resp.Choices)
	}
	for i, ch := range resp.Choices {
		if ch.Index != int64(i) || len(strings.Fields(ch.Message.Content)) != 10 || ch.FinishReason != "length" {
			t.Errorf("choice %d: %+v", i, ch)
		}
	}
	if resp.Usage.CompletionTokens != 20 {
		t.Errorf("completion tokens %d, want 20", resp.Usage.CompletionTokens)
	}
	got := stream(t, c, params)
	for i := range 2 {
		if got.Choices[i].Message.Content != resp.Choices[i].Message.Content {
			t.Errorf("streamed choice %d %q, want %q", i, got.Choices[i].Message.Content, resp.Choices[i].Message.Content)
		}
	}
}

var planSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"title": map[string]any{"type": "string"},
		"steps": map[string]any{"type": "array", "minItems": 2, "items": map[string]any{"$ref": "#/$defs/step"}},
		"done":  map[string]any{"type": "boolean"},
	},
	"required":             []any{"title", "steps", "done"},
	"additionalProperties": false,
	"$defs": map[string]any{
		"step": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"n":     map[string]any{"type": "integer", "minimum": 1},
				"what":  map[string]any{"type": []any{"string", "null"}},
				"owner": map[string]any{"type": "string", "format": "email"},
			},
			"required": []any{"n", "what", "owner"},
		},
	},
}

func TestOpenAIResponseFormat(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	c := openaiClient(s)
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: greeting,
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "plan", Schema: planSchema, Strict: openai.Bool(true)},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	content := resp.Choices[0].Message.Content
	var v any
	if err := json.Unmarshal([]byte(content), &v); err != nil {
		t.Fatalf("content %q: %v", content, err)
	}
	if err := validate(planSchema, v); err != nil {
		t.Errorf("content %s: %v", content, err)
	}
	if resp.Usage.CompletionTokens != int64(tok(content)) || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("usage %+v finish %q for %d bytes", resp.Usage, resp.Choices[0].FinishReason, len(content))
	}

	resp, err = c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: greeting, MaxTokens: openai.Int(5),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var obj struct{ Answer string }
	content = resp.Choices[0].Message.Content
	if err := json.Unmarshal([]byte(content), &obj); err != nil || len(strings.Fields(obj.Answer)) != 5 || !isWords(obj.Answer) {
		t.Errorf("json_object content %q (%v)", content, err)
	}
	if resp.Usage.CompletionTokens != int64(tok(content)) {
		t.Errorf("completion tokens %d, want %d", resp.Usage.CompletionTokens, tok(content))
	}
}

func TestPromptTokens(t *testing.T) {
	s := listen(t, OpenAI, Knobs{})
	tools := `[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"string", `{"model":"m","messages":[{"role":"user","content":"abcde"}]}`, 3 + 4 + 2},
		{"empty", `{"model":"m","messages":[{"role":"user","content":""}]}`, 3 + 4},
		{"text parts concatenated", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"ab"},{"type":"text","text":"cde"}]}]}`, 3 + 4 + 2},
		{"images", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"look"},` +
			`{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"image_url","image_url":{"url":"x"}}]}]}`, 3 + 4 + 1 + 2*85},
		{"tools compacted", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"none","tools": ` +
			strings.ReplaceAll(tools, ",", ", ") + `}`, 3 + 4 + 1 + tok(tools)},
		{"tool calls and results", `{"model":"m","messages":[{"role":"user","content":"hi"},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":1}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"42"}]}`,
			3 + (4 + 1) + (4 + tok("lookup"+`{"q":1}`)) + (4 + tok("42"+"call_1"))},
		{"unicode bytes", `{"model":"m","messages":[{"role":"user","content":"héllo wörld ✓"}]}`, 3 + 4 + tok("héllo wörld ✓")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := chat(t, s.URL, tc.body)
			if cc.Usage.PromptTokens != int64(tc.want) {
				t.Errorf("prompt tokens %d, want %d", cc.Usage.PromptTokens, tc.want)
			}
		})
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	s := listen(t, OpenAI, Knobs{EmbeddingDims: 64})
	c := openaiClient(s)
	inputs := []string{"the quick brown fox", "jumps", "the quick brown fox"}
	float, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: inputs},
	})
	if err != nil {
		t.Fatal(err)
	}
	b64, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: inputs},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b64.RawJSON(), `"embedding":"`) {
		t.Fatalf("base64 answer is not base64: %.200s", b64.RawJSON())
	}
	wantTokens := tok(inputs[0]) + tok(inputs[1]) + tok(inputs[2])
	for _, r := range []*openai.CreateEmbeddingResponse{float, b64} {
		if len(r.Data) != 3 || r.Usage.PromptTokens != int64(wantTokens) || r.Usage.TotalTokens != int64(wantTokens) {
			t.Fatalf("data %d usage %+v, want 3 and %d", len(r.Data), r.Usage, wantTokens)
		}
		for i, d := range r.Data {
			if d.Index != int64(i) || len(d.Embedding) != 64 {
				t.Errorf("embedding %d: index %d, %d dims", i, d.Index, len(d.Embedding))
			}
			var norm float64
			for _, v := range d.Embedding {
				norm += v * v
			}
			if math.Abs(norm-1) > 1e-5 {
				t.Errorf("embedding %d has norm² %v", i, norm)
			}
		}
	}
	for i := range inputs {
		for j := range float.Data[i].Embedding {
			if float32(float.Data[i].Embedding[j]) != float32(b64.Data[i].Embedding[j]) {
				t.Fatalf("embedding %d differs between float and base64 at %d", i, j)
			}
		}
	}
	if !equalFloats(float.Data[0].Embedding, float.Data[2].Embedding) || equalFloats(float.Data[0].Embedding, float.Data[1].Embedding) {
		t.Error("equal inputs must embed equally, different ones differently")
	}

	tokens, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "text-embedding-3-large", Dimensions: openai.Int(8),
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{1, 2, 3}, {4}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens.Data) != 2 || len(tokens.Data[0].Embedding) != 8 || tokens.Usage.PromptTokens != 4 {
		t.Errorf("token arrays: %d data, %d dims, usage %+v", len(tokens.Data), len(tokens.Data[0].Embedding), tokens.Usage)
	}
	b := s.Billed()
	if b.Requests != 3 || b.InputTokens != int64(2*wantTokens+4) || b.OutputTokens != 0 ||
		b.ByModel["text-embedding-3-large"].InputTokens != 4 {
		t.Errorf("billed %+v", b)
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOpenAIModels(t *testing.T) {
	s := listen(t, OpenAI, Knobs{APIKey: "test-key"})
	c := openaiClient(s)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != len(catalogue) || page.Data[0].ID != catalogue[0] || page.Data[0].Object != "model" {
		t.Errorf("models %+v", page.Data)
	}
	m, err := c.Models.Get(context.Background(), "my-fine-tune")
	if err != nil || m.ID != "my-fine-tune" {
		t.Errorf("get: %+v %v", m, err)
	}
	if b := s.Billed(); b.Received != 0 {
		t.Errorf("listing models counted as %d model requests", b.Received)
	}
}
