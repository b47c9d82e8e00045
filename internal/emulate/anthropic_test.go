package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
)

// anthropicClient is the official SDK pointed at an Anthropic emulator,
// without retries so that the emulator's refusals reach the test.
func anthropicClient(s *Server, key string) anthropic.Client {
	return anthropic.NewClient(
		aoption.WithBaseURL(s.URL),
		aoption.WithAPIKey(key),
		aoption.WithMaxRetries(0),
	)
}

// claudeGreeting is the greeting conversation of the OpenAI tests, as an
// Anthropic request.
func claudeGreeting(maxTokens int64) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: maxTokens,
		System:    []anthropic.TextBlockParam{{Text: "You are terse."}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello to the river."))},
	}
}

func textOfClaude(m *anthropic.Message) string {
	var b strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// postClaude sends a raw Messages request with the headers the SDK sends.
func postClaude(t testing.TB, s *Server, body string, header ...string) (*http.Response, string) {
	t.Helper()
	return post(t, s.URL+"/v1/messages", body, append([]string{"anthropic-version", "2023-06-01"}, header...)...)
}

// claudeMessage posts a raw request that must succeed and decodes the answer.
func claudeMessage(t *testing.T, s *Server, body string) anthropic.Message {
	t.Helper()
	resp, text := postClaude(t, s, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, text)
	}
	var m anthropic.Message
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAnthropicMessage(t *testing.T) {
	s := listen(t, Anthropic, Knobs{APIKey: "test-key"})
	c := anthropicClient(s, "test-key")
	var resp *http.Response
	m, err := c.Messages.New(context.Background(), claudeGreeting(1024), aoption.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "msg_01") || len(m.ID) != 28 || m.Model != "claude-sonnet-4-5" || m.Role != "assistant" {
		t.Errorf("id %q model %q role %q", m.ID, m.Model, m.Role)
	}
	text := textOfClaude(m)
	if len(m.Content) != 1 || len(strings.Fields(text)) != defaultOutputTokens || !isWords(text) {
		t.Errorf("content %+v: want one text block of %d vocabulary words", m.Content, defaultOutputTokens)
	}
	if m.StopReason != "end_turn" || m.StopSequence != "" {
		t.Errorf("stop %q %q, want end_turn: max_tokens 1024 is above the answer's length", m.StopReason, m.StopSequence)
	}
	u := m.Usage
	if u.InputTokens != int64(greetingTokens) || u.OutputTokens != defaultOutputTokens ||
		u.CacheCreationInputTokens != 0 || u.CacheReadInputTokens != 0 || u.ServiceTier != "standard" {
		t.Errorf("usage %+v, want input %d output %d", u, greetingTokens, defaultOutputTokens)
	}
	for _, field := range []string{`"stop_details":null`, `"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}`} {
		if !strings.Contains(m.RawJSON(), field) {
			t.Errorf("message lacks %s: %s", field, m.RawJSON())
		}
	}
	if id := resp.Header.Get("request-id"); !strings.HasPrefix(id, "req_01") || resp.Header.Get("anthropic-organization-id") == "" {
		t.Errorf("headers %v", resp.Header)
	}

	// The same conversation gets the same words from every cloud.
	oc := openaiClient(listen(t, OpenAI, Knobs{}))
	ref, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Choices[0].Message.Content != text {
		t.Errorf("anthropic %q, openai %q for the same conversation", text, ref.Choices[0].Message.Content)
	}

	b := s.Billed()
	want := Billed{Requests: 1, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, Received: 1,
		ByModel: map[string]ModelBilled{"claude-sonnet-4-5": {Requests: 1, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}}}
	if !equalBilled(b, want) {
		t.Errorf("billed %+v, want %+v", b, want)
	}
}

func TestAnthropicMaxTokens(t *testing.T) {
	s := listen(t, Anthropic, Knobs{OutputTokens: 10})
	c := anthropicClient(s, "k")
	for _, tc := range []struct {
		max   int64
		words int
		stop  anthropic.StopReason
	}{{4, 4, "max_tokens"}, {9, 9, "max_tokens"}, {10, 10, "end_turn"}, {4096, 10, "end_turn"}} {
		m, err := c.Messages.New(context.Background(), claudeGreeting(tc.max))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(strings.Fields(textOfClaude(m))); n != tc.words || m.StopReason != tc.stop || m.Usage.OutputTokens != int64(tc.words) {
			t.Errorf("max_tokens %d: %d words, stop %q, usage %+v; want %d words and %q", tc.max, n, m.StopReason, m.Usage, tc.words, tc.stop)
		}
	}
}

// accumulateClaude runs a streaming request through the SDK's accumulator.
func accumulateClaude(t *testing.T, c anthropic.Client, params anthropic.MessageNewParams) anthropic.Message {
	t.Helper()
	st := c.Messages.NewStreaming(context.Background(), params)
	var m anthropic.Message
	for st.Next() {
		if err := m.Accumulate(st.Current()); err != nil {
			t.Fatalf("accumulate %s: %v", st.Current().RawJSON(), err)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return m
}

func TestAnthropicStream(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	c := anthropicClient(s, "k")
	for _, max := range []int64{1024, 5} {
		whole, err := c.Messages.New(context.Background(), claudeGreeting(max))
		if err != nil {
			t.Fatal(err)
		}
		got := accumulateClaude(t, c, claudeGreeting(max))
		if textOfClaude(&got) != textOfClaude(whole) || got.StopReason != whole.StopReason || got.ID == "" {
			t.Errorf("max %d: streamed %q (%s), want %q (%s)", max, textOfClaude(&got), got.StopReason, textOfClaude(whole), whole.StopReason)
		}
		if got.Usage.InputTokens != whole.Usage.InputTokens || got.Usage.OutputTokens != whole.Usage.OutputTokens {
			t.Errorf("max %d: streamed usage %+v, want %+v", max, got.Usage, whole.Usage)
		}
	}
	b := s.Billed()
	if b.Requests != 4 || b.InputTokens != 4*int64(greetingTokens) || b.OutputTokens != 2*(defaultOutputTokens+5) {
		t.Errorf("billed %+v", b)
	}
}

// claudeEvent is one event of a raw SSE body.
type claudeEvent struct{ name, data string }

func parseClaudeSSE(t *testing.T, body string) []claudeEvent {
	t.Helper()
	var evs []claudeEvent
	for _, block := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		name, data, ok := strings.Cut(block, "\n")
		name, ok1 := strings.CutPrefix(name, "event: ")
		data, ok2 := strings.CutPrefix(data, "data: ")
		if !ok || !ok1 || !ok2 || strings.Contains(data, "\n") {
			t.Fatalf("event %q is not one event: line and one data: line", block)
		}
		var typ struct{ Type string }
		if err := json.Unmarshal([]byte(data), &typ); err != nil || typ.Type != name {
			t.Fatalf("event %s: data %s has type %q (%v)", name, data, typ.Type, err)
		}
		evs = append(evs, claudeEvent{name, data})
	}
	return evs
}

func TestAnthropicStreamWire(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	resp, body := postClaude(t, s, `{"model":"m","max_tokens":3,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || resp.Header.Get("request-id") == "" {
		t.Errorf("headers %v", resp.Header)
	}
	evs := parseClaudeSSE(t, body)
	var names []string
	for _, ev := range evs {
		names = append(names, ev.name)
	}
	want := "message_start content_block_start ping content_block_delta content_block_delta content_block_delta " +
		"content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want {
		t.Fatalf("events %v\nwant   %s", names, want)
	}
	if !strings.Contains(body, "event: ping\ndata: {\"type\": \"ping\"}\n\n") {
		t.Errorf("ping is not Anthropic's")
	}
	if !strings.Contains(evs[0].data, `"stop_reason":null,"stop_sequence":null`) ||
		!strings.Contains(evs[0].data, `"usage":{"input_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,`) ||
		!strings.Contains(evs[0].data, `"output_tokens":1,`) {
		t.Errorf("message_start %s", evs[0].data)
	}
	if evs[1].data != `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` {
		t.Errorf("content_block_start %s", evs[1].data)
	}
	if want := `{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null,"stop_details":null},` +
		`"usage":{"input_tokens":8,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3}}`; evs[7].data != want {
		t.Errorf("message_delta %s\nwant          %s", evs[7].data, want)
	}
}

var claudeWeather = anthropic.ToolParam{
	Name:        "get_weather",
	Description: anthropic.String("Weather for a city"),
	InputSchema: anthropic.ToolInputSchemaParam{
		Properties:  weatherSchema["properties"],
		Required:    []string{"city", "unit"},
		ExtraFields: map[string]any{"additionalProperties": false},
	},
}

func TestAnthropicToolUse(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	c := anthropicClient(s, "k")
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What should I wear tomorrow?"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &claudeWeather}, {OfTool: &anthropic.ToolParam{
			Name: "get_time", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{}}}}},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
	}
	m, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if m.StopReason != "tool_use" || len(m.Content) != 1 || m.Content[0].Type != "tool_use" {
		t.Fatalf("answer %s", m.RawJSON())
	}
	call := m.Content[0]
	if call.Name != "get_weather" || !strings.HasPrefix(call.ID, "toolu_01") || len(call.ID) != 30 {
		t.Errorf("call %+v", call)
	}
	var input map[string]any
	if err := json.Unmarshal(call.Input, &input); err != nil {
		t.Fatalf("input %s: %v", call.Input, err)
	}
	if err := validate(weatherSchema, input); err != nil {
		t.Errorf("input %s: %v", call.Input, err)
	}
	if want := tok(call.Name) + tok(string(call.Input)); m.Usage.OutputTokens != int64(want) {
		t.Errorf("output tokens %d, want %d", m.Usage.OutputTokens, want)
	}

	got := accumulateClaude(t, c, params)
	if len(got.Content) != 1 || got.Content[0].ID != call.ID || got.Content[0].Name != call.Name ||
		string(got.Content[0].Input) != string(call.Input) || got.StopReason != "tool_use" {
		t.Errorf("streamed %+v, want %+v", got.Content, call)
	}
	if got.Usage.OutputTokens != m.Usage.OutputTokens {
		t.Errorf("streamed usage %+v, want %+v", got.Usage, m.Usage)
	}

	// The answer goes back with the tool's result, and is answered in words.
	params.Messages = append(params.Messages, m.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(call.ID, "sunny, 21C", false)))
	params.ToolChoice = anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{}}
	next, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if next.StopReason != "end_turn" || !isWords(textOfClaude(next)) || textOfClaude(next) == "" {
		t.Errorf("after the tool result: %s", next.RawJSON())
	}
	if b := s.Billed(); b.Requests != 3 || b.OutputTokens != 2*m.Usage.OutputTokens+next.Usage.OutputTokens {
		t.Errorf("billed %+v", b)
	}
}

func TestAnthropicToolChoice(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	const tools = `"tools":[{"name":"get_weather","input_schema":{"type":"object"}},` +
		`{"name":"Get_Time","input_schema":{"type":"object","properties":{}}},` +
		`{"type":"web_search_20250305","name":"web_search","max_uses":3}]`
	const call = `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]}`
	for _, tc := range []struct {
		name, messages, choice string
		want                   string // tool called, or "" for text
	}{
		{"auto names tool", `[{"role":"user","content":"please GET_WEATHER for Oslo"}]`, ``, "get_weather"},
		{"auto case-insensitive", `[{"role":"user","content":"what does get_time say"}]`, `{"type":"auto"}`, "Get_Time"},
		{"auto without name", `[{"role":"user","content":"hello"}]`, ``, ""},
		{"server tools are never called", `[{"role":"user","content":"web_search it"}]`, ``, ""},
		{"none", `[{"role":"user","content":"get_weather"}]`, `{"type":"none"}`, ""},
		{"any", `[{"role":"user","content":"hello"}]`, `{"type":"any"}`, "get_weather"},
		{"named", `[{"role":"user","content":"hello"}]`, `{"type":"tool","name":"Get_Time"}`, "Get_Time"},
		{"after tool result", `[{"role":"user","content":"get_weather"},` + call +
			`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]`, ``, ""},
		{"text after tool result", `[{"role":"user","content":"hi"},` + call +
			`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},` +
			`{"type":"text","text":"now get_time"}]}]`, ``, "Get_Time"},
		{"any after tool result", `[{"role":"user","content":"hi"},` + call +
			`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]`, `{"type":"any"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"model":"m","max_tokens":100,"messages":` + tc.messages + `,` + tools
			if tc.choice != "" {
				body += `,"tool_choice":` + tc.choice
			}
			m := claudeMessage(t, s, body+"}")
			var got string
			if len(m.Content) > 0 && m.Content[0].Type == "tool_use" {
				got = m.Content[0].Name
			}
			if got != tc.want {
				t.Fatalf("called %q, want %q (%s)", got, tc.want, m.RawJSON())
			}
			if (got != "") != (m.StopReason == "tool_use") {
				t.Errorf("stop %q", m.StopReason)
			}
		})
	}
}

func TestAnthropicStopSequences(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	c := anthropicClient(s, "k")
	full, err := c.Messages.New(context.Background(), claudeGreeting(1024))
	if err != nil {
		t.Fatal(err)
	}
	text := textOfClaude(full)
	words := strings.Split(text, " ")
	for _, tc := range []struct {
		name  string
		stops []string
		seq   string // the sequence reported
	}{
		{"word boundary", []string{" " + words[5]}, " " + words[5]},
		{"mid word", []string{words[3][1:3]}, words[3][1:3]},
		{"earliest wins", []string{"xyzzy", words[9] + " " + words[10], words[2] + " " + words[3]}, words[2] + " " + words[3]},
		{"first listed wins a tie", []string{words[4] + " " + words[5], words[4]}, words[4] + " " + words[5]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := claudeGreeting(1024)
			params.StopSequences = tc.stops
			m, err := c.Messages.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			streamed := accumulateClaude(t, c, params)
			at := strings.Index(text, tc.seq)
			kept := 0 // words with a byte, counting the space before them, before the cut
			for i, start := 0, 0; i < len(words) && start < at; i++ {
				kept++
				start += len(words[i]) + 1
				if i == 0 {
					start-- // the first word has no space before it
				}
			}
			for _, got := range []*anthropic.Message{m, &streamed} {
				if textOfClaude(got) != text[:at] || got.StopReason != "stop_sequence" || got.StopSequence != tc.seq {
					t.Errorf("text %q stop %q %q, want %q cut by %q", textOfClaude(got), got.StopReason, got.StopSequence, text[:at], tc.seq)
				}
				if got.Usage.OutputTokens != int64(kept) {
					t.Errorf("output tokens %d, want %d", got.Usage.OutputTokens, kept)
				}
			}
		})
	}
	// A stop sequence at the very start leaves no content at all.
	m := claudeMessage(t, s, `{"model":"m","max_tokens":50,"stop_sequences":[`+strconv.Quote(words[0])+`],`+
		`"system":"You are terse.","messages":[{"role":"user","content":"Say hello to the river."}]}`)
	if len(m.Content) != 0 || m.StopReason != "stop_sequence" || m.Usage.OutputTokens != 0 {
		t.Errorf("cut at 0: %s", m.RawJSON())
	}
}

func TestAnthropicStructuredOutput(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	c := anthropicClient(s, "k")
	params := claudeGreeting(3) // a JSON answer is never cut, whatever max_tokens says
	params.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: planSchema}}
	m, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	text := textOfClaude(m)
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("text %q: %v", text, err)
	}
	if err := validate(planSchema, v); err != nil {
		t.Errorf("text %s: %v", text, err)
	}
	if m.StopReason != "end_turn" || m.Usage.OutputTokens != int64(tok(text)) {
		t.Errorf("stop %q usage %+v for %d bytes", m.StopReason, m.Usage, len(text))
	}
	if got := accumulateClaude(t, c, params); textOfClaude(&got) != text {
		t.Errorf("streamed %q, want %q", textOfClaude(&got), text)
	}
}

func TestAnthropicPromptTokens(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	const png = `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}`
	tools := `[{"name":"f","input_schema":{"type":"object"}}]`
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"string", `"messages":[{"role":"user","content":"abcde"}]`, 3 + 4 + 2},
		{"system string", `"system":"abcd","messages":[{"role":"user","content":"abcde"}]`, 3 + (4 + 1) + (4 + 2)},
		{"system blocks", `"system":[{"type":"text","text":"ab"},{"type":"text","text":"cd"}],"messages":[{"role":"user","content":"x"}]`, 3 + (4 + 1) + (4 + 1)},
		{"empty system", `"system":[],"messages":[{"role":"user","content":"x"}]`, 3 + 4 + 1},
		{"text blocks concatenated", `"messages":[{"role":"user","content":[{"type":"text","text":"ab"},{"type":"text","text":"cde"}]}]`, 3 + 4 + 2},
		{"images", `"messages":[{"role":"user","content":[{"type":"text","text":"look"},` + png + `,` + png + `]}]`, 3 + 4 + 1 + 2*85},
		{"tools compacted", `"tools": ` + strings.ReplaceAll(tools, ",", ", ") + `,"messages":[{"role":"user","content":"hi"}]`, 3 + 4 + 1 + tok(tools)},
		{"tool use and result", `"tools":` + tools + `,"messages":[{"role":"user","content":"hi"},` +
			`{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"lookup","input":{"q": 1}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":[{"type":"text","text":"42"},` + png + `]}]}]`,
			3 + tok(tools) + (4 + 1) + (4 + tok("lookup"+`{"q":1}`)) + (4 + tok("42"+"call_1") + 85)},
		{"thinking counts nothing", `"messages":[{"role":"user","content":"hi"},` +
			`{"role":"assistant","content":[{"type":"thinking","thinking":"hmm hmm hmm","signature":"sig"},{"type":"text","text":"ok"}]},` +
			`{"role":"user","content":"go"}]`, 3 + (4 + 1) + (4 + 1) + (4 + 1)},
		{"unicode bytes", `"messages":[{"role":"user","content":"héllo wörld ✓"}]`, 3 + 4 + tok("héllo wörld ✓")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := claudeMessage(t, s, `{"model":"m","max_tokens":5,`+tc.body+`}`)
			if m.Usage.InputTokens != int64(tc.want) {
				t.Errorf("input tokens %d, want %d", m.Usage.InputTokens, tc.want)
			}
			resp, text := post(t, s.URL+"/v1/messages/count_tokens", `{"model":"m",`+tc.body+`}`, "anthropic-version", "2023-06-01")
			if resp.StatusCode != http.StatusOK || text != `{"input_tokens":`+strconv.Itoa(tc.want)+`}` {
				t.Errorf("count_tokens: %d %s, want %d", resp.StatusCode, text, tc.want)
			}
		})
	}
	if b := s.Billed(); b.Received != b.Requests {
		t.Errorf("count_tokens was counted as a model request: %+v", b)
	}
}

func TestAnthropicValidation(t *testing.T) {
	s := listen(t, Anthropic, Knobs{APIKey: "right"})
	key := []string{"x-api-key", "right"}
	const user = `{"role":"user","content":"hi"}`
	const use = `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]}`
	const fTool = `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
	for _, tc := range []struct {
		name, body string
		header     []string
		status     int
		typ, msg   string // msg: a substring of the message
	}{
		{"no key", `{}`, nil, 401, "authentication_error", "x-api-key header is required"},
		{"wrong key", `{}`, []string{"x-api-key", "wrong"}, 401, "authentication_error", "invalid x-api-key"},
		{"bearer", `{"model":"m","max_tokens":5,"messages":[` + user + `]}`, []string{"Authorization", "Bearer right"}, 200, "", ""},
		{"no version", `{}`, []string{"x-api-key", "right", "anthropic-version", ""}, 400, "invalid_request_error", "anthropic-version: header is required"},
		{"bad version", `{}`, []string{"x-api-key", "right", "anthropic-version", "2099-01-01"}, 400, "invalid_request_error", "anthropic-version"},
		{"not json", `{"model":`, key, 400, "invalid_request_error", "not valid JSON"},
		{"not an object", `[1]`, key, 400, "invalid_request_error", "Input should be a valid dictionary"},
		{"no model", `{"max_tokens":5,"messages":[` + user + `]}`, key, 400, "invalid_request_error", "model: Field required"},
		{"no max_tokens", `{"model":"m","messages":[` + user + `]}`, key, 400, "invalid_request_error", "max_tokens: Field required"},
		{"max_tokens zero", `{"model":"m","max_tokens":0,"messages":[` + user + `]}`, key, 400, "invalid_request_error", "max_tokens: Input should be greater than or equal to 1"},
		{"max_tokens type", `{"model":"m","max_tokens":"5","messages":[` + user + `]}`, key, 400, "invalid_request_error", "max_tokens: Input should be a valid integer"},
		{"extra top-level", `{"model":"m","max_tokens":5,"n":2,"messages":[` + user + `]}`, key, 400, "invalid_request_error", "n: Extra inputs are not permitted"},
		{"extra in message", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi","name":"bob"}]}`, key, 400, "invalid_request_error", "messages.0.name: Extra inputs are not permitted"},
		{"extra in block", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi","id":"x"}]}]}`, key, 400, "invalid_request_error", "messages.0.content.0.text.id: Extra inputs are not permitted"},
		{"no messages", `{"model":"m","max_tokens":5}`, key, 400, "invalid_request_error", "messages: Field required"},
		{"empty messages", `{"model":"m","max_tokens":5,"messages":[]}`, key, 400, "invalid_request_error", "at least one message"},
		{"system message", `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":[{"type":"text","text":"x"}]},` + user + `]}`, key, 200, "", ""},
		{"system message image", `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":[{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]},` + user + `]}`, key, 400, "invalid_request_error", "messages.0.content.0: Input tag 'image'"},
		{"bad role", `{"model":"m","max_tokens":5,"messages":[{"role":"tool","content":"x"}]}`, key, 400, "invalid_request_error", "messages.0.role: Input should be 'user', 'assistant' or 'system'"},
		{"assistant first", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"x"}]}`, key, 400, "invalid_request_error", "first message must use the \"user\" role"},
		{"consecutive turns merge", `{"model":"m","max_tokens":5,"messages":[` + user + `,` + user + `]}`, key, 200, "", ""},
		{"merged turn answers the call", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[` + user + `,` + use + `,` + user +
			`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]}`, key, 200, "", ""},
		{"tool_result in assistant", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[` + user + `,{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]}`, key, 400, "invalid_request_error", "tool_result blocks are not allowed in assistant messages"},
		{"empty content", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":""}]}`, key, 400, "invalid_request_error", "messages.0: all messages must have non-empty content"},
		{"empty text block", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, key, 400, "invalid_request_error", "text content blocks must be non-empty"},
		{"final whitespace", `{"model":"m","max_tokens":5,"messages":[` + user + `,{"role":"assistant","content":"Sure "}]}`, key, 400, "invalid_request_error", "trailing whitespace"},
		{"prefill", `{"model":"m","max_tokens":5,"messages":[` + user + `,{"role":"assistant","content":"Sure"}]}`, key, 200, "", ""},
		{"unknown block", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, key, 400, "invalid_request_error", "Input tag 'image_url' found using 'type'"},
		{"image media type", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AAAA"}}]}]}`, key, 400, "invalid_request_error", "image.source.base64.media_type"},
		{"image base64", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"not base64!"}}]}]}`, key, 400, "invalid_request_error", "Invalid base64"},
		{"tool blocks without tools", `{"model":"m","max_tokens":5,"messages":[` + user + `,` + use + `]}`, key, 400, "invalid_request_error", "messages.1.content.0: Requests which include `tool_use` or `tool_result` blocks must define tools."},
		{"tool_use unanswered", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[` + user + `,` + use + `,` + user + `]}`, key, 400, "invalid_request_error", "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"},
		{"tool_result unexpected", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}`, key, 400, "invalid_request_error", "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9"},
		{"tool_use id pattern", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[` + user + `,{"role":"assistant","content":[{"type":"tool_use","id":"call 1","name":"f","input":{}}]}]}`, key, 400, "invalid_request_error", "tool_use.id: String should match pattern"},
		{"tool_use input", `{"model":"m","max_tokens":5,` + fTool + `,"messages":[` + user + `,{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":"{}"}]}]}`, key, 400, "invalid_request_error", "tool_use.input: Input should be a valid dictionary"},
		{"tool without schema", `{"model":"m","max_tokens":5,"tools":[{"name":"f"}],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "tools.0.custom.input_schema: Field required"},
		{"tool OpenAI-shaped", `{"model":"m","max_tokens":5,"tools":[{"type":"function","function":{"name":"f"}}],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "Input tag 'function'"},
		{"tool name", `{"model":"m","max_tokens":5,"tools":[{"name":"get weather","input_schema":{"type":"object"}}],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "tools.0.custom.name: String should match pattern"},
		{"duplicate tools", `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}},{"name":"f","input_schema":{"type":"object"}}],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "Tool names must be unique"},
		{"tool_choice unknown tool", `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"g"},"messages":[` + user + `]}`, key, 400, "invalid_request_error", "Tool 'g' not found"},
		{"tool_choice OpenAI-shaped", `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":"required","messages":[` + user + `]}`, key, 400, "invalid_request_error", "tool_choice: Input should be a valid dictionary"},
		{"stop whitespace", `{"model":"m","max_tokens":5,"stop_sequences":["\n"],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "stop_sequences.0"},
		{"temperature", `{"model":"m","max_tokens":5,"temperature":1.5,"messages":[` + user + `]}`, key, 400, "invalid_request_error", "temperature: Input should be less than or equal to 1"},
		{"thinking budget", `{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":4000},"messages":[` + user + `]}`, key, 400, "invalid_request_error", "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{"cache ttl", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"2h"}}]}]}`, key, 400, "invalid_request_error", "cache_control.ttl: Input should be '5m' or '1h'"},
		{"too many breakpoints", `{"model":"m","max_tokens":5,"system":[` + strings.Repeat(`{"type":"text","text":"s","cache_control":{"type":"ephemeral"}},`, 4) +
			`{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[` + user + `]}`, key, 400, "invalid_request_error", "A maximum of 4 blocks with cache_control may be provided. Found 5."},
		{"1h after 5m", `{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],` +
			`"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]}`, key, 400, "invalid_request_error", "ttl='1h'"},
		{"count_tokens takes no max_tokens", `{"model":"m","max_tokens":5,"messages":[` + user + `]}`, append([]string{"path", "/v1/messages/count_tokens"}, key...), 400, "invalid_request_error", "max_tokens: Extra inputs are not permitted"},
		{"unknown path", `{}`, append([]string{"path", "/v1/complete"}, key...), 404, "not_found_error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, header := "/v1/messages", []string{"anthropic-version", "2023-06-01"}
			for i := 0; i+1 < len(tc.header); i += 2 {
				if tc.header[i] == "path" {
					path = tc.header[i+1]
				} else {
					header = append(header, tc.header[i], tc.header[i+1])
				}
			}
			resp, text := post(t, s.URL+path, tc.body, header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, text)
			}
			if tc.status == 200 {
				return
			}
			var env struct {
				Type  string
				Error struct{ Type, Message string }
				ReqID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(text), &env); err != nil || env.Type != "error" || env.Error.Type != tc.typ ||
				!strings.Contains(env.Error.Message, tc.msg) {
				t.Errorf("body %s, want type %s and a message containing %q", text, tc.typ, tc.msg)
			}
			if env.ReqID == "" || env.ReqID != resp.Header.Get("request-id") {
				t.Errorf("request_id %q, header %q", env.ReqID, resp.Header.Get("request-id"))
			}
		})
	}
	if b := s.Billed(); b.Requests != 5 || b.Errors != 0 || b.Throttled != 0 {
		t.Errorf("refused requests were billed or counted as faults: %+v", b)
	}
}

func TestAnthropicSDKErrors(t *testing.T) {
	s := listen(t, Anthropic, Knobs{APIKey: "right"})
	wrong := anthropicClient(s, "wrong")
	_, err := wrong.Messages.New(context.Background(), claudeGreeting(10))
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Type() != "authentication_error" ||
		!strings.HasPrefix(apiErr.RequestID, "req_01") {
		t.Fatalf("wrong key: %v, want a 401 authentication_error", err)
	}

	s.SetKnobs(Knobs{APIKey: "right", ThrottleRate: 1, RetryAfter: 2500 * time.Millisecond})
	c := anthropicClient(s, "right")
	var resp *http.Response
	_, err = c.Messages.New(context.Background(), claudeGreeting(10), aoption.WithResponseInto(&resp))
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Type() != "rate_limit_error" {
		t.Fatalf("throttle: %v, want a 429 rate_limit_error", err)
	}
	h := apiErr.Response.Header
	if h.Get("retry-after") != "3" || h.Get("anthropic-ratelimit-input-tokens-remaining") != "0" {
		t.Errorf("throttle headers %v", h)
	}
	if reset, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-input-tokens-reset")); err != nil || reset.Before(time.Now()) {
		t.Errorf("input-tokens-reset %q (%v)", h.Get("anthropic-ratelimit-input-tokens-reset"), err)
	}

	// Injected server errors alternate: 500 api_error, then 529 overloaded_error.
	s.SetKnobs(Knobs{APIKey: "right", ErrorRate: 1})
	for i, want := range []struct {
		status int
		typ    string
	}{{500, "api_error"}, {529, "overloaded_error"}, {500, "api_error"}} {
		st := c.Messages.NewStreaming(context.Background(), claudeGreeting(10))
		for st.Next() {
		}
		if !errors.As(st.Err(), &apiErr) || apiErr.StatusCode != want.status || string(apiErr.Type()) != want.typ {
			t.Errorf("error %d: %v, want %d %s", i, st.Err(), want.status, want.typ)
		}
	}
	if b := s.Billed(); b.Received != 5 || b.Throttled != 1 || b.Errors != 3 || b.Requests != 0 {
		t.Errorf("billed %+v", b)
	}
	s.Reset()
	if _, err := c.Messages.New(context.Background(), claudeGreeting(10)); !errors.As(err, &apiErr) || apiErr.StatusCode != 500 {
		t.Errorf("after Reset the sequence restarts at 500: %v", err)
	}
}

func TestAnthropicQuota(t *testing.T) {
	s := listen(t, Anthropic, Knobs{RPM: 2})
	body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	for i := range 3 {
		resp, text := postClaude(t, s, body)
		h := resp.Header
		if i < 2 {
			if resp.StatusCode != 200 || h.Get("anthropic-ratelimit-requests-limit") != "2" ||
				h.Get("anthropic-ratelimit-requests-remaining") != strconv.Itoa(1-i) {
				t.Fatalf("request %d: %d %v", i, resp.StatusCode, h)
			}
			continue
		}
		secs, err := strconv.Atoi(h.Get("retry-after"))
		if resp.StatusCode != 429 || err != nil || secs < 1 || secs > 60 || !strings.Contains(text, "2 requests per minute") {
			t.Fatalf("third request: %d retry-after %q %s", resp.StatusCode, h.Get("retry-after"), text)
		}
		reset, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-requests-reset"))
		if err != nil || reset.Before(time.Now()) || reset.After(time.Now().Add(61*time.Second)) {
			t.Errorf("requests-reset %q", h.Get("anthropic-ratelimit-requests-reset"))
		}
	}
}

func TestAnthropicDisconnect(t *testing.T) {
	s := listen(t, Anthropic, Knobs{DisconnectRate: 1})
	c := anthropicClient(s, "k")
	st := c.Messages.NewStreaming(context.Background(), claudeGreeting(1024))
	var m anthropic.Message
	for st.Next() {
		_ = m.Accumulate(st.Current())
	}
	if st.Err() == nil {
		t.Fatal("a cut stream ended without an error")
	}
	got := strings.Fields(textOfClaude(&m))
	if len(got) != defaultOutputTokens/2 || m.StopReason != "" {
		t.Errorf("received %d words (stop %q) before the cut, want %d", len(got), m.StopReason, defaultOutputTokens/2)
	}
	b := s.Billed()
	if b.Disconnects != 1 || b.Requests != 1 || b.OutputTokens != int64(len(got)) || b.InputTokens != int64(greetingTokens) {
		t.Errorf("billed %+v, want the %d words sent", b, len(got))
	}
	if _, err := c.Messages.New(context.Background(), claudeGreeting(1024)); err != nil {
		t.Errorf("non-stream with DisconnectRate 1: %v", err)
	}
}

func TestAnthropicPromptCache(t *testing.T) {
	s := listen(t, Anthropic, Knobs{})
	c := anthropicClient(s, "k")
	long := strings.Repeat("You are a careful assistant. ", 40) // 1160 bytes: 290 tokens
	sysTokens := 3 + 4 + tok(long)
	params := anthropic.MessageNewParams{
		Model: "claude-sonnet-4-5", MaxTokens: 100,
		System:   []anthropic.TextBlockParam{{Text: long, CacheControl: anthropic.NewCacheControlEphemeralParam()}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
	}
	total := sysTokens + 4 + tok("Say hello.")
	type usage struct{ in, write, read, w5m, w1h int64 }
	check := func(name string, m *anthropic.Message, want usage) {
		t.Helper()
		u := m.Usage
		got := usage{u.InputTokens, u.CacheCreationInputTokens, u.CacheReadInputTokens,
			u.CacheCreation.Ephemeral5mInputTokens, u.CacheCreation.Ephemeral1hInputTokens}
		if got != want {
			t.Errorf("%s: usage %+v, want %+v", name, got, want)
		}
	}
	first, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	check("first", first, usage{int64(total - sysTokens), int64(sysTokens), 0, int64(sysTokens), 0})
	second := accumulateClaude(t, c, params)
	check("second (streamed)", &second, usage{int64(total - sysTokens), 0, int64(sysTokens), 0, 0})

	// The next turn marks its last message: the system prompt is read, and
	// the conversation after it written, for an hour.
	params.System[0].CacheControl = anthropic.CacheControlEphemeralParam{TTL: anthropic.CacheControlEphemeralTTLTTL1h}
	params.Messages = append(params.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.ContentBlockParamUnion{
		OfText: &anthropic.TextBlockParam{Text: "Again.",
			CacheControl: anthropic.CacheControlEphemeralParam{TTL: anthropic.CacheControlEphemeralTTLTTL1h}}}))
	turn2Total := total + 4 + tok(textOfClaude(first)) + 4 + tok("Again.")
	third, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	check("third", third, usage{0, int64(turn2Total - sysTokens), int64(sysTokens), 0, int64(turn2Total - sysTokens)})

	// A later turn with its breakpoint on its own last message finds the
	// previous turn's prefix among the boundaries before it.
	params.System[0].CacheControl = anthropic.NewCacheControlEphemeralParam()
	params.Messages[2].OfUser.Content[0].OfText.CacheControl = anthropic.CacheControlEphemeralParam{} // none
	params.Messages = append(params.Messages, third.ToParam(), anthropic.NewUserMessage(anthropic.ContentBlockParamUnion{
		OfText: &anthropic.TextBlockParam{Text: "Once more.", CacheControl: anthropic.NewCacheControlEphemeralParam()}}))
	turn3Total := turn2Total + 4 + tok(textOfClaude(third)) + 4 + tok("Once more.")
	fourth, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	check("fourth", fourth, usage{0, int64(turn3Total - turn2Total), int64(turn2Total), int64(turn3Total - turn2Total), 0})

	b := s.Billed()
	if b.InputTokens != int64(2*total+turn2Total+turn3Total) {
		t.Errorf("billed input %d, want every prompt whole: %d", b.InputTokens, 2*total+turn2Total+turn3Total)
	}

	// Reset forgets the cache, as a new emulator would.
	s.Reset()
	again, err := c.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if again.Usage.CacheReadInputTokens != 0 || again.Usage.CacheCreationInputTokens != int64(turn3Total) {
		t.Errorf("after Reset: usage %+v, want all %d written", again.Usage, turn3Total)
	}
}

// benchNativeCloud serves body to a zero-latency emulator in-process, measuring
// the emulator's own cost per request.
func benchNativeCloud(b *testing.B, kind Kind, path, body string, header ...string) {
	e, err := New(kind, Knobs{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		e.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

const claudeBenchBody = `{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are terse.",` +
	`"messages":[{"role":"user","content":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}]`

func BenchmarkAnthropic(b *testing.B) {
	for _, stream := range []bool{false, true} {
		body := claudeBenchBody + "}"
		if stream {
			body = claudeBenchBody + `,"stream":true}`
		}
		b.Run("stream="+strconv.FormatBool(stream), func(b *testing.B) {
			benchNativeCloud(b, Anthropic, "/v1/messages", body, "anthropic-version", "2023-06-01")
		})
	}
}

func TestAnthropicRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		retry time.Duration
		secs  string
	}{{0, "1"}, {2500 * time.Millisecond, "3"}, {10 * time.Millisecond, "1"}, {-1, "0"}} {
		s := listen(t, Anthropic, Knobs{ThrottleRate: 1, RetryAfter: tc.retry})
		resp, text := postClaude(t, s, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 429 || resp.Header.Get("retry-after") != tc.secs || !strings.Contains(text, `"type":"rate_limit_error"`) {
			t.Errorf("RetryAfter %v: %d retry-after %q %s", tc.retry, resp.StatusCode, resp.Header.Get("retry-after"), text)
		}
	}
}

// TestAnthropicPacing checks only lower bounds, which no scheduler can
// break: an answer never arrives before its tokens are due.
func TestAnthropicPacing(t *testing.T) {
	s := listen(t, Anthropic, Knobs{TTFT: 30 * time.Millisecond, TPS: 200})
	for _, stream := range []bool{false, true} {
		start := time.Now()
		resp, _ := postClaude(t, s, `{"model":"m","max_tokens":4,"stream":`+strconv.FormatBool(stream)+
			`,"messages":[{"role":"user","content":"hi"}]}`)
		// Whole: TTFT + 4/200 s. Streamed: the fourth word is due at TTFT + 3/200 s.
		if elapsed := time.Since(start); resp.StatusCode != 200 || elapsed < 45*time.Millisecond {
			t.Errorf("stream=%v: %d after %v", stream, resp.StatusCode, elapsed)
		}
	}
}

// TestAnthropicClientLeaves checks that a stream left mid-way is billed for
// what was sent, and a whole answer the client did not wait for is not.
func TestAnthropicClientLeaves(t *testing.T) {
	s := listen(t, Anthropic, Knobs{TTFT: time.Hour})
	c := anthropicClient(s, "k")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := c.Messages.New(ctx, claudeGreeting(100))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v, want the deadline", err)
	}
	s.SetKnobs(Knobs{TPS: 20})
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	st := c.Messages.NewStreaming(ctx, claudeGreeting(100))
	words := 0
	for st.Next() {
		if ev := st.Current(); ev.Type == "content_block_delta" {
			if words++; words == 3 {
				cancel()
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Billed().Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if b := s.Billed(); b.Requests != 1 || b.OutputTokens < 3 || b.OutputTokens >= defaultOutputTokens {
		t.Errorf("billed %+v after leaving at word 3 of %d", b, defaultOutputTokens)
	}
}

// TestToolRoundTripParity checks the promise that a conversation sent to
// each cloud in its own format gets the same words, tool call and result
// included.
func TestToolRoundTripParity(t *testing.T) {
	const schema = `{"type":"object","properties":{"city":{"type":"string"}}}`
	oa := chat(t, listen(t, OpenAI, Knobs{}).URL, `{"model":"m","messages":[`+
		`{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Oslo?"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},`+
		`{"role":"tool","tool_call_id":"call_1","content":"sunny"}],`+
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":`+schema+`}}]}`)
	cl := claudeMessage(t, listen(t, Anthropic, Knobs{}), `{"model":"m","max_tokens":1000,"system":"Be brief.","messages":[`+
		`{"role":"user","content":"Weather in Oslo?"},`+
		`{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city": "Oslo"}}]},`+
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"sunny"}]}],`+
		`"tools":[{"name":"get_weather","input_schema":`+schema+`}]}`)
	want := oa.Choices[0].Message.Content
	if got := textOfClaude(&cl); got != want || want == "" || cl.StopReason != "end_turn" {
		t.Errorf("anthropic %q (%s), openai %q", got, cl.StopReason, want)
	}
}
