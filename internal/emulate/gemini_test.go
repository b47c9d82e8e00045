package emulate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"
)

// geminiClient is the official SDK pointed at a Gemini emulator. It does not
// retry unless told to.
func geminiClient(t testing.TB, s *Server, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: key, Backend: genai.BackendGeminiAPI, HTTPOptions: genai.HTTPOptions{BaseURL: s.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var geminiGreeting = []*genai.Content{genai.NewContentFromText("Say hello to the river.", genai.RoleUser)}

func geminiConfig() *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("You are terse.", genai.RoleUser)}
}

// geminiStream runs a streaming request and joins its chunks as a client
// would: text appended, function calls collected, the last usage kept.
func geminiStream(t *testing.T, c *genai.Client, model string, contents []*genai.Content,
	config *genai.GenerateContentConfig) (text string, calls []*genai.FunctionCall, finish genai.FinishReason,
	usage *genai.GenerateContentResponseUsageMetadata, chunks int) {
	t.Helper()
	for resp, err := range c.Models.GenerateContentStream(context.Background(), model, contents, config) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		chunks++
		text += resp.Text()
		calls = append(calls, resp.FunctionCalls()...)
		if len(resp.Candidates) > 0 && resp.Candidates[0].FinishReason != "" {
			finish = resp.Candidates[0].FinishReason
		}
		if resp.UsageMetadata == nil {
			t.Fatalf("chunk %d has no usageMetadata", chunks)
		}
		usage = resp.UsageMetadata
	}
	return text, calls, finish, usage, chunks
}

func TestGeminiGenerate(t *testing.T) {
	s := listen(t, Gemini, Knobs{APIKey: "test-key"})
	c := geminiClient(t, s, "test-key")
	resp, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", geminiGreeting, geminiConfig())
	if err != nil {
		t.Fatal(err)
	}
	text := resp.Text()
	if len(strings.Fields(text)) != defaultOutputTokens || !isWords(text) {
		t.Errorf("text %q: want %d vocabulary words", text, defaultOutputTokens)
	}
	if len(resp.Candidates) != 1 || resp.Candidates[0].FinishReason != genai.FinishReasonStop ||
		resp.Candidates[0].Content.Role != "model" {
		t.Errorf("candidates %+v", resp.Candidates)
	}
	u := resp.UsageMetadata
	if u.PromptTokenCount != int32(greetingTokens) || u.CandidatesTokenCount != defaultOutputTokens ||
		u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Errorf("usage %+v, want prompt %d candidates %d", u, greetingTokens, defaultOutputTokens)
	}
	if len(u.PromptTokensDetails) != 1 || u.PromptTokensDetails[0].Modality != genai.MediaModalityText ||
		u.PromptTokensDetails[0].TokenCount != u.PromptTokenCount {
		t.Errorf("prompt details %+v", u.PromptTokensDetails)
	}
	if resp.ModelVersion != "gemini-2.5-flash" || len(resp.ResponseID) != 22 {
		t.Errorf("model version %q response id %q", resp.ModelVersion, resp.ResponseID)
	}

	// The same conversation gets the same words from every cloud.
	oc := openaiClient(listen(t, OpenAI, Knobs{}))
	ref, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: greeting})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Choices[0].Message.Content != text {
		t.Errorf("gemini %q, openai %q for the same conversation", text, ref.Choices[0].Message.Content)
	}

	b := s.Billed()
	in, out := int64(u.PromptTokenCount), int64(u.CandidatesTokenCount)
	want := Billed{Requests: 1, InputTokens: in, OutputTokens: out, Received: 1,
		ByModel: map[string]ModelBilled{"gemini-2.5-flash": {Requests: 1, InputTokens: in, OutputTokens: out}}}
	if !equalBilled(b, want) {
		t.Errorf("billed %+v, want %+v", b, want)
	}

	count, err := c.Models.CountTokens(context.Background(), "gemini-2.5-flash", geminiGreeting, nil)
	if err != nil || count.TotalTokens != int32(3+4+tok("Say hello to the river.")) {
		t.Errorf("countTokens %+v (%v)", count, err)
	}
	if b := s.Billed(); b.Received != 1 {
		t.Errorf("countTokens was counted as a model request: %+v", b)
	}
}

func TestGeminiStream(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	c := geminiClient(t, s, "k")
	for _, max := range []int32{0, 5} {
		config := geminiConfig()
		config.MaxOutputTokens = max
		whole, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", geminiGreeting, config)
		if err != nil {
			t.Fatal(err)
		}
		text, calls, finish, usage, chunks := geminiStream(t, c, "gemini-2.5-flash", geminiGreeting, config)
		if text != whole.Text() || len(calls) != 0 || finish != whole.Candidates[0].FinishReason {
			t.Errorf("max %d: streamed %q (%s), want %q (%s)", max, text, finish, whole.Text(), whole.Candidates[0].FinishReason)
		}
		if usage.PromptTokenCount != whole.UsageMetadata.PromptTokenCount ||
			usage.CandidatesTokenCount != whole.UsageMetadata.CandidatesTokenCount ||
			usage.TotalTokenCount != whole.UsageMetadata.TotalTokenCount {
			t.Errorf("max %d: streamed usage %+v, want %+v", max, usage, whole.UsageMetadata)
		}
		if want := len(strings.Fields(text)); chunks != want {
			t.Errorf("max %d: %d chunks for %d words", max, chunks, want)
		}
	}
	if b := s.Billed(); b.Requests != 4 || b.OutputTokens != 2*(defaultOutputTokens+5) {
		t.Errorf("billed %+v", b)
	}
}

func TestGeminiStreamWire(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	body := `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":3}}`
	resp, text := post(t, s.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	if !strings.HasSuffix(text, "\r\n\r\n") || strings.Count(text, "\r\n\r\n") != 3 || strings.Contains(text, "[DONE]") {
		t.Fatalf("framing %q: want three data events, each ending in CRLF CRLF, and no terminator", text)
	}
	var words []string
	for i, ev := range strings.Split(strings.TrimSuffix(text, "\r\n\r\n"), "\r\n\r\n") {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			t.Fatalf("event %q is not a data line", ev)
		}
		var chunk struct {
			Candidates []struct {
				Content struct {
					Parts []struct{ Text string }
					Role  string
				}
				FinishReason string
				Index        *int
			}
			UsageMetadata map[string]any
			ModelVersion  string
			ResponseID    string `json:"responseId"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatal(err)
		}
		c := chunk.Candidates[0]
		words = append(words, c.Content.Parts[0].Text)
		if (c.FinishReason != "") != (i == 2) || c.Index == nil || chunk.ModelVersion == "" || chunk.ResponseID == "" {
			t.Errorf("chunk %d: %s", i, data)
		}
		if got := chunk.UsageMetadata["candidatesTokenCount"]; got != float64(i+1) {
			t.Errorf("chunk %d: running candidatesTokenCount %v, want %d", i, got, i+1)
		}
	}
	if words[0] == "" || words[0][0] == ' ' || words[1][0] != ' ' {
		t.Errorf("pieces %q: the first bare, the others with a leading space", words)
	}

	// Without alt=sse the stream is one JSON array.
	resp, text = post(t, s.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent", body)
	var chunks []json.RawMessage
	if err := json.Unmarshal([]byte(text), &chunks); err != nil || len(chunks) != 3 ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("array stream %q (%v)", text, err)
	}
}

var geminiWeather = &genai.FunctionDeclaration{
	Name:        "get_weather",
	Description: "Weather for a city",
	Parameters: &genai.Schema{
		Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{
			"city": {Type: genai.TypeString, MinLength: genai.Ptr[int64](3), MaxLength: genai.Ptr[int64](40)},
			"unit": {Type: genai.TypeString, Enum: []string{"celsius", "fahrenheit"}, Format: "enum"},
			"days": {Type: genai.TypeInteger, Minimum: genai.Ptr(1.0), Maximum: genai.Ptr(7.0)},
			"when": {Type: genai.TypeString, Format: "date"},
		},
		Required: []string{"city", "unit"},
	},
}

// weatherValidation is weatherSchema without additionalProperties, which
// Gemini's Schema cannot say.
var weatherValidation = map[string]any{"type": "object", "properties": weatherSchema["properties"], "required": weatherSchema["required"]}

func TestGeminiFunctionCall(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	c := geminiClient(t, s, "k")
	config := &genai.GenerateContentConfig{
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{geminiWeather,
			{Name: "get_time", ParametersJsonSchema: map[string]any{"type": "object", "properties": map[string]any{}}}}}},
		ToolConfig: &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}},
	}
	ask := []*genai.Content{genai.NewContentFromText("What should I wear tomorrow?", genai.RoleUser)}
	resp, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", ask, config)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.FunctionCalls()
	if len(calls) != 1 || calls[0].Name != "get_weather" || !strings.HasPrefix(calls[0].ID, "call_") ||
		resp.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Fatalf("answer %+v", resp.Candidates[0])
	}
	if err := validate(weatherValidation, calls[0].Args); err != nil {
		t.Errorf("args %v: %v", calls[0].Args, err)
	}
	part := resp.Candidates[0].Content.Parts[0]
	if len(part.ThoughtSignature) == 0 {
		t.Errorf("function call part has no thought signature")
	}
	argsJSON, _ := json.Marshal(calls[0].Args)
	if want := tok(calls[0].Name) + tok(string(argsJSON)); resp.UsageMetadata.CandidatesTokenCount != int32(want) {
		t.Errorf("candidates tokens %d, want %d", resp.UsageMetadata.CandidatesTokenCount, want)
	}

	_, scalls, finish, usage, chunks := geminiStream(t, c, "gemini-2.5-flash", ask, config)
	if chunks != 1 || len(scalls) != 1 || scalls[0].ID != calls[0].ID || !geminiSameJSON(scalls[0].Args, calls[0].Args) ||
		finish != genai.FinishReasonStop || usage.CandidatesTokenCount != resp.UsageMetadata.CandidatesTokenCount {
		t.Errorf("streamed %d chunks %+v finish %s usage %+v", chunks, scalls, finish, usage)
	}

	// allowedFunctionNames picks among the declarations.
	config.ToolConfig.FunctionCallingConfig.AllowedFunctionNames = []string{"get_time"}
	resp, err = c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", ask, config)
	if err != nil || len(resp.FunctionCalls()) != 1 || resp.FunctionCalls()[0].Name != "get_time" {
		t.Fatalf("allowed get_time: %+v %v", resp, err)
	}

	// The call goes back with its response, and is answered in words.
	history := append(ask, resp.Candidates[0].Content,
		genai.NewContentFromParts([]*genai.Part{genai.NewPartFromFunctionResponse("get_time", map[string]any{"time": "noon"})}, genai.RoleUser))
	config.ToolConfig = nil
	next, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", history, config)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.FunctionCalls()) != 0 || !isWords(next.Text()) || next.Text() == "" {
		t.Errorf("after the function response: %+v", next.Candidates[0])
	}
}

func geminiSameJSON(a, b any) bool { return mustJSON(a) == mustJSON(b) }

// geminiRaw posts a raw generateContent request that must succeed.
func geminiRaw(t *testing.T, s *Server, body string) *genai.GenerateContentResponse {
	t.Helper()
	resp, text := post(t, s.URL+"/v1beta/models/m:generateContent", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, text)
	}
	var r genai.GenerateContentResponse
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestGeminiToolChoice(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	const tools = `"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"}}}},` +
		`{"name":"Get_Time"}]},{"googleSearch":{}}]`
	const call = `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]}`
	for _, tc := range []struct {
		name, contents, config string
		want                   string
	}{
		{"auto names tool", `[{"role":"user","parts":[{"text":"please GET_WEATHER for Oslo"}]}]`, ``, "get_weather"},
		{"auto case-insensitive", `[{"role":"user","parts":[{"text":"what does get_time say"}]}]`, `{"functionCallingConfig":{"mode":"AUTO"}}`, "Get_Time"},
		{"auto without name", `[{"role":"user","parts":[{"text":"hello"}]}]`, ``, ""},
		{"none", `[{"role":"user","parts":[{"text":"get_weather"}]}]`, `{"functionCallingConfig":{"mode":"NONE"}}`, ""},
		{"any", `[{"role":"user","parts":[{"text":"hello"}]}]`, `{"function_calling_config":{"mode":"ANY"}}`, "get_weather"},
		{"any allowed", `[{"role":"user","parts":[{"text":"hello"}]}]`, `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["Get_Time"]}}`, "Get_Time"},
		{"auto allowed", `[{"role":"user","parts":[{"text":"get_weather and get_time"}]}]`, `{"functionCallingConfig":{"allowedFunctionNames":["Get_Time"]}}`, "Get_Time"},
		{"after function response", `[{"role":"user","parts":[{"text":"get_weather"}]},` + call +
			`,{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"t":1}}}]}]`, `{"functionCallingConfig":{"mode":"ANY"}}`, ""},
		{"text after function response", `[{"role":"user","parts":[{"text":"hi"}]},` + call +
			`,{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{}}},{"text":"now get_time"}]}]`, ``, "Get_Time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"contents":` + tc.contents + `,` + tools
			if tc.config != "" {
				body += `,"toolConfig":` + tc.config
			}
			r := geminiRaw(t, s, body+"}")
			var got string
			if calls := r.FunctionCalls(); len(calls) > 0 {
				got = calls[0].Name
			}
			if got != tc.want {
				t.Fatalf("called %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGeminiStopAndFormat(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	c := geminiClient(t, s, "k")
	full, err := c.Models.GenerateContent(context.Background(), "m", geminiGreeting, geminiConfig())
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(full.Text(), " ")
	config := geminiConfig()
	config.StopSequences = []string{" " + words[4]}
	cut, err := c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(words[:4], " ")
	stext, _, sfinish, susage, _ := geminiStream(t, c, "m", geminiGreeting, config)
	for _, got := range []struct {
		text   string
		finish genai.FinishReason
		tokens int32
	}{{cut.Text(), cut.Candidates[0].FinishReason, cut.UsageMetadata.CandidatesTokenCount}, {stext, sfinish, susage.CandidatesTokenCount}} {
		if got.text != want || got.finish != genai.FinishReasonStop || got.tokens != 4 {
			t.Errorf("cut: %q %s %d tokens, want %q STOP 4", got.text, got.finish, got.tokens, want)
		}
	}

	// A stop sequence at the very start leaves a content with no parts.
	config = geminiConfig()
	config.StopSequences = []string{words[0]}
	empty, err := c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config)
	if err != nil {
		t.Fatal(err)
	}
	if cand := empty.Candidates[0]; len(cand.Content.Parts) != 0 || cand.Content.Role != "model" ||
		cand.FinishReason != genai.FinishReasonStop || empty.UsageMetadata.CandidatesTokenCount != 0 {
		t.Errorf("cut at 0: %s", mustJSON(empty))
	}
	if _, _, finish, usage, chunks := geminiStream(t, c, "m", geminiGreeting, config); chunks != 1 ||
		finish != genai.FinishReasonStop || usage.TotalTokenCount != usage.PromptTokenCount {
		t.Errorf("cut at 0, streamed: %d chunks, finish %s, usage %+v", chunks, finish, usage)
	}

	// Two candidates, different words, each finishing MAX_TOKENS.
	config = geminiConfig()
	config.CandidateCount, config.MaxOutputTokens = 2, 6
	two, err := c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config)
	if err != nil {
		t.Fatal(err)
	}
	if len(two.Candidates) != 2 || two.Candidates[1].Index != 1 || two.UsageMetadata.CandidatesTokenCount != 12 ||
		two.Candidates[0].FinishReason != genai.FinishReasonMaxTokens ||
		two.Candidates[0].Content.Parts[0].Text == two.Candidates[1].Content.Parts[0].Text {
		t.Errorf("two candidates %s", mustJSON(two))
	}

	// JSON from a Gemini Schema, and from a JSON Schema.
	config = geminiConfig()
	config.ResponseMIMEType = "application/json"
	config.ResponseSchema = geminiWeather.Parameters
	r, err := c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(r.Text()), &v); err != nil || validate(weatherValidation, v) != nil {
		t.Errorf("responseSchema answer %q (%v, %v)", r.Text(), err, validate(weatherValidation, v))
	}
	config.ResponseSchema, config.ResponseJsonSchema = nil, planSchema
	r, err = c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(r.Text()), &v); err != nil || validate(planSchema, v) != nil {
		t.Errorf("responseJsonSchema answer %q (%v)", r.Text(), err)
	}
	if r.UsageMetadata.CandidatesTokenCount != int32(tok(r.Text())) || r.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("usage %+v for %d bytes", r.UsageMetadata, len(r.Text()))
	}
	config.ResponseJsonSchema = nil
	config.ResponseMIMEType = "text/x.enum"
	config.ResponseSchema = &genai.Schema{Type: genai.TypeString, Format: "enum", Enum: []string{"north", "south"}}
	if r, err = c.Models.GenerateContent(context.Background(), "m", geminiGreeting, config); err != nil || r.Text() != "north" {
		t.Errorf("text/x.enum answer %q (%v)", r.Text(), err)
	}
}

func TestGeminiPromptTokens(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	const png = `{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}`
	decls := `[{"functionDeclarations":[{"name":"f"}]}]`
	for _, tc := range []struct {
		name, body string
		want, img  int
	}{
		{"text", `"contents":[{"parts":[{"text":"abcde"}]}]`, 3 + 4 + 2, 0},
		{"system", `"system_instruction":{"role":"user","parts":[{"text":"abcd"}]},"contents":[{"parts":[{"text":"abcde"}]}]`, 3 + (4 + 1) + (4 + 2), 0},
		{"parts concatenated", `"contents":[{"parts":[{"text":"ab"},{"text":"cde"}]}]`, 3 + 4 + 2, 0},
		{"thoughts count nothing", `"contents":[{"parts":[{"text":"x"}]},{"role":"model","parts":[{"text":"hmm hmm","thought":true},{"text":"ok"}]},{"parts":[{"text":"y"}]}]`, 3 + 5 + 5 + 5, 0},
		{"images", `"contents":[{"parts":[{"text":"look"},` + png + `,{"fileData":{"mimeType":"image/jpeg","fileUri":"https://x/y.jpg"}},` +
			`{"fileData":{"mimeType":"application/pdf","fileUri":"https://x/y.pdf"}}]}]`, 3 + 4 + 1 + 2*85, 2 * 85},
		{"tools compacted", `"tools": ` + strings.ReplaceAll(decls, ":", ": ") + `,"contents":[{"parts":[{"text":"hi"}]}]`, 3 + 4 + 1 + tok(decls), 0},
		{"calls and responses", `"contents":[{"parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"lookup","args":{"q": 1}}}]},` +
			`{"role":"user","parts":[{"functionResponse":{"name":"lookup","response":{"r": "42"}}}]}]`,
			3 + (4 + 1) + (4 + tok("lookup"+`{"q":1}`)) + (4 + tok(`{"r":"42"}`+"lookup")), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := geminiRaw(t, s, `{`+tc.body+`}`)
			u := r.UsageMetadata
			if u.PromptTokenCount != int32(tc.want) {
				t.Errorf("prompt tokens %d, want %d", u.PromptTokenCount, tc.want)
			}
			var img int32
			for _, d := range u.PromptTokensDetails {
				if d.Modality == genai.MediaModalityImage {
					img = d.TokenCount
				}
			}
			if img != int32(tc.img) {
				t.Errorf("image tokens %d, want %d", img, tc.img)
			}
			resp, text := post(t, s.URL+"/v1beta/models/m:countTokens", `{"generateContentRequest":{`+tc.body+`}}`)
			if resp.StatusCode != 200 || !strings.HasPrefix(text, `{"totalTokens":`+strconv.Itoa(tc.want)+`,`) {
				t.Errorf("countTokens %d %s", resp.StatusCode, text)
			}
		})
	}
}

func TestGeminiValidation(t *testing.T) {
	s := listen(t, Gemini, Knobs{APIKey: "right"})
	const hi = `"contents":[{"parts":[{"text":"hi"}]}]`
	for _, tc := range []struct {
		name, path, body string
		header           []string
		code             int
		status, msg      string
	}{
		{"no key", "", `{` + hi + `}`, []string{}, 403, "PERMISSION_DENIED", "unregistered callers"},
		{"wrong key", "", `{` + hi + `}`, []string{"x-goog-api-key", "wrong"}, 400, "INVALID_ARGUMENT", "API key not valid"},
		{"key as bearer", "", `{` + hi + `}`, []string{"Authorization", "Bearer right"}, 401, "UNAUTHENTICATED", "OAuth 2"},
		{"key in query", "?key=right", `{` + hi + `}`, []string{}, 200, "", ""},
		{"v1 path", "/v1/models/m:generateContent", `{` + hi + `}`, nil, 200, "", ""},
		{"snake_case names", "", `{"contents":[{"parts":[{"text":"hi"}]}],"generation_config":{"max_output_tokens":"4","stop_sequences":["x"]}}`, nil, 200, "", ""},
		{"not json", "", `{"contents":`, nil, 400, "INVALID_ARGUMENT", "Invalid JSON payload"},
		{"unknown name", "", `{` + hi + `,"messages":[]}`, nil, 400, "INVALID_ARGUMENT", `Unknown name "messages": Cannot find field.`},
		{"unknown nested", "", `{` + hi + `,"generationConfig":{"max_tokens":5}}`, nil, 400, "INVALID_ARGUMENT", `Unknown name "max_tokens" at 'generation_config': Cannot find field.`},
		{"no contents", "", `{}`, nil, 400, "INVALID_ARGUMENT", "contents is not specified"},
		{"empty parts", "", `{"contents":[{"role":"user","parts":[]}]}`, nil, 400, "INVALID_ARGUMENT", "contents[0].parts: contents.parts must not be empty."},
		{"bad role", "", `{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, nil, 400, "INVALID_ARGUMENT", "Please use a valid role: user, model."},
		{"empty part", "", `{"contents":[{"parts":[{}]}]}`, nil, 400, "INVALID_ARGUMENT", "required oneof field 'data'"},
		{"two data", "", `{"contents":[{"parts":[{"text":"x","inlineData":{"mimeType":"image/png","data":"AAAA"}}]}]}`, nil, 400, "INVALID_ARGUMENT", "Oneof field 'data' is already set"},
		{"bad base64", "", `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"!!"}}]}]}`, nil, 400, "INVALID_ARGUMENT", "Base64 decoding failed"},
		{"max tokens type", "", `{` + hi + `,"generationConfig":{"maxOutputTokens":"many"}}`, nil, 400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32)"},
		{"lowercase mode", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"any"}}}`, nil, 400, "INVALID_ARGUMENT", "function_calling_config.mode"},
		{"lowercase type", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"STRING"}}}}]}]}`, nil, 400, "INVALID_ARGUMENT", "tools[0].function_declarations[0].parameters.type"},
		{"additionalProperties", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}},"additionalProperties":false}}]}]}`, nil, 400, "INVALID_ARGUMENT", `Unknown name "additionalProperties"`},
		{"empty object", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{}}}]}]}`, nil, 400, "INVALID_ARGUMENT", "parameters.properties: should be non-empty for OBJECT type"},
		{"required undefined", "", `{` + hi + `,"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"STRING"}},"required":["b"]}}}`, nil, 400, "INVALID_ARGUMENT", "response_schema.required[0]: property is not defined"},
		{"parameters not an object", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"string"}}]}]}`, nil, 400, "INVALID_ARGUMENT", "parameters_json_schema: the parameters schema must be of type OBJECT"},
		{"function name", "", `{` + hi + `,"tools":[{"functionDeclarations":[{"name":"get weather"}]}]}`, nil, 400, "INVALID_ARGUMENT", "Invalid function name"},
		{"config without declarations", "", `{` + hi + `,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`, nil, 400, "INVALID_ARGUMENT", "Function calling config is set without function_declarations."},
		{"call first", "", `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]}]}`, nil, 400, "INVALID_ARGUMENT", "function call turn comes immediately after a user turn"},
		{"call unanswered", "", `{"contents":[{"parts":[{"text":"x"}]},{"role":"model","parts":[{"functionCall":{"name":"f"}},{"functionCall":{"name":"g"}}]},` +
			`{"parts":[{"functionResponse":{"name":"f","response":{}}}]}]}`, nil, 400, "INVALID_ARGUMENT", "number of function response parts is equal to the number of function call parts"},
		{"response without call", "", `{"contents":[{"parts":[{"functionResponse":{"name":"f","response":{}}}]}]}`, nil, 400, "INVALID_ARGUMENT", "number of function response parts"},
		{"args not object", "", `{"contents":[{"parts":[{"text":"x"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":"{}"}}]}]}`, nil, 400, "INVALID_ARGUMENT", "function_call.args"},
		{"mime type", "", `{` + hi + `,"generationConfig":{"responseMimeType":"text/csv"}}`, nil, 400, "INVALID_ARGUMENT", "allowed mimetypes"},
		{"schema without json", "", `{` + hi + `,"generationConfig":{"responseSchema":{"type":"STRING"}}}`, nil, 400, "INVALID_ARGUMENT", "response_mime_type must be application/json"},
		{"too many candidates", "", `{` + hi + `,"generationConfig":{"candidateCount":9}}`, nil, 400, "INVALID_ARGUMENT", "candidate_count"},
		{"too many stops", "", `{` + hi + `,"generationConfig":{"stopSequences":["a","b","c","d","e","f"]}}`, nil, 400, "INVALID_ARGUMENT", "stop_sequences"},
		{"cached content", "", `{` + hi + `,"cachedContent":"cachedContents/abc"}`, nil, 403, "PERMISSION_DENIED", "CachedContent not found"},
		{"safety category", "", `{` + hi + `,"safetySettings":[{"category":"hate","threshold":"BLOCK_NONE"}]}`, nil, 400, "INVALID_ARGUMENT", "safety_settings[0].category"},
		{"unknown method", "/v1beta/models/m:embedText", `{}`, nil, 404, "NOT_FOUND", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := s.URL + "/v1beta/models/m:generateContent"
			switch {
			case strings.HasPrefix(tc.path, "?"):
				url += tc.path
			case tc.path != "":
				url = s.URL + tc.path
			}
			header := tc.header
			if header == nil {
				header = []string{"x-goog-api-key", "right"}
			}
			resp, text := post(t, url, tc.body, header...)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, text)
			}
			if tc.code == 200 {
				return
			}
			var env struct {
				Error struct {
					Code            int
					Message, Status string
				}
			}
			if err := json.Unmarshal([]byte(text), &env); err != nil || env.Error.Code != tc.code ||
				env.Error.Status != tc.status || !strings.Contains(env.Error.Message, tc.msg) {
				t.Errorf("body %s, want %d %s and a message containing %q", text, tc.code, tc.status, tc.msg)
			}
		})
	}
	if b := s.Billed(); b.Requests != 3 || b.Errors != 0 || b.Throttled != 0 {
		t.Errorf("refused requests were billed or counted as faults: %+v", b)
	}
}

func TestGeminiSDKErrors(t *testing.T) {
	s := listen(t, Gemini, Knobs{APIKey: "right"})
	_, err := geminiClient(t, s, "wrong").Models.GenerateContent(context.Background(), "m", geminiGreeting, nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 400 || apiErr.Status != "INVALID_ARGUMENT" ||
		len(apiErr.Details) == 0 || apiErr.Details[0]["reason"] != "API_KEY_INVALID" {
		t.Fatalf("wrong key: %v, want a 400 with reason API_KEY_INVALID", err)
	}

	c := geminiClient(t, s, "right")
	s.SetKnobs(Knobs{APIKey: "right", ThrottleRate: 1, RetryAfter: 2500 * time.Millisecond})
	for _, stream := range []bool{false, true} {
		if stream {
			for _, e := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", geminiGreeting, nil) {
				err = e
			}
		} else {
			_, err = c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", geminiGreeting, nil)
		}
		if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" {
			t.Fatalf("stream=%v throttle: %v, want a 429 RESOURCE_EXHAUSTED", stream, err)
		}
		var delay string
		for _, d := range apiErr.Details {
			if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
				delay, _ = d["retryDelay"].(string)
			}
		}
		if delay != "2.5s" {
			t.Errorf("retryDelay %q, want 2.5s; details %v", delay, apiErr.Details)
		}
	}

	s.SetKnobs(Knobs{APIKey: "right", ErrorRate: 1})
	for i, want := range []struct {
		code   int
		status string
	}{{500, "INTERNAL"}, {503, "UNAVAILABLE"}, {500, "INTERNAL"}} {
		_, err = c.Models.GenerateContent(context.Background(), "m", geminiGreeting, nil)
		if !errors.As(err, &apiErr) || apiErr.Code != want.code || apiErr.Status != want.status {
			t.Errorf("error %d: %v, want %d %s", i, err, want.code, want.status)
		}
	}
	if b := s.Billed(); b.Received != 6 || b.Throttled != 2 || b.Errors != 3 || b.Requests != 0 {
		t.Errorf("billed %+v", b)
	}
}

func TestGeminiQuota(t *testing.T) {
	s := listen(t, Gemini, Knobs{RPM: 1})
	body := `{"contents":[{"parts":[{"text":"hi"}]}]}`
	if resp, text := post(t, s.URL+"/v1beta/models/m:generateContent", body); resp.StatusCode != 200 {
		t.Fatalf("first: %d %s", resp.StatusCode, text)
	}
	resp, text := post(t, s.URL+"/v1beta/models/m:generateContent", body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("second: %d %v %s", resp.StatusCode, resp.Header, text)
	}
	var env struct {
		Error struct {
			Details []map[string]any
		}
	}
	_ = json.Unmarshal([]byte(text), &env)
	var delay string
	for _, d := range env.Error.Details {
		if d["@type"] == "type.googleapis.com/google.rpc.QuotaFailure" && !strings.Contains(mustJSON(d), `"quotaValue":"1"`) {
			t.Errorf("quota failure %v", d)
		}
		if s, ok := d["retryDelay"].(string); ok {
			delay = s
		}
	}
	wait, err := time.ParseDuration(delay)
	if err != nil || wait <= 0 || wait > time.Minute {
		t.Errorf("retryDelay %q, want the time left in the minute", delay)
	}
}

func TestGeminiDisconnect(t *testing.T) {
	s := listen(t, Gemini, Knobs{DisconnectRate: 1})
	c := geminiClient(t, s, "k")
	var text string
	var streamErr error
	for resp, err := range c.Models.GenerateContentStream(context.Background(), "m", geminiGreeting, geminiConfig()) {
		if err != nil {
			streamErr = err
			break
		}
		text += resp.Text()
	}
	if streamErr == nil {
		t.Fatal("a cut stream ended without an error")
	}
	got := strings.Fields(text)
	if len(got) != defaultOutputTokens/2 {
		t.Errorf("received %d words before the cut, want %d", len(got), defaultOutputTokens/2)
	}
	b := s.Billed()
	if b.Disconnects != 1 || b.Requests != 1 || b.OutputTokens != int64(len(got)) || b.InputTokens != int64(greetingTokens) {
		t.Errorf("billed %+v, want the %d words sent", b, len(got))
	}
}

// TestGeminiStreamUsageRuns checks what a raw client sees: the running
// counts grow by one word a chunk, for every candidate together.
func TestGeminiStreamUsageRuns(t *testing.T) {
	s := listen(t, Gemini, Knobs{})
	resp, err := http.Post(s.URL+"/v1beta/models/m:streamGenerateContent?alt=sse", "application/json",
		strings.NewReader(`{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":2,"maxOutputTokens":4}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var counts []int
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var chunk struct {
			Candidates    []struct{ Index int }
			UsageMetadata struct{ CandidatesTokenCount int }
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil || len(chunk.Candidates) != 2 {
			t.Fatalf("chunk %s (%v)", data, err)
		}
		counts = append(counts, chunk.UsageMetadata.CandidatesTokenCount)
	}
	if mustJSON(counts) != "[2,4,6,8]" {
		t.Errorf("running counts %v, want [2,4,6,8]", counts)
	}
}

const geminiBenchBody = `{"systemInstruction":{"parts":[{"text":"You are terse."}]},"contents":[{"role":"user",` +
	`"parts":[{"text":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}]}]}`

func BenchmarkGemini(b *testing.B) {
	b.Run("stream=false", func(b *testing.B) {
		benchNativeCloud(b, Gemini, "/v1beta/models/gemini-2.5-flash:generateContent", geminiBenchBody)
	})
	b.Run("stream=true", func(b *testing.B) {
		benchNativeCloud(b, Gemini, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", geminiBenchBody)
	})
}

func TestGeminiRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		retry time.Duration
		delay string
	}{{0, "1s"}, {2500 * time.Millisecond, "2.5s"}, {10 * time.Millisecond, "0.01s"}, {-1, "0s"}} {
		s := listen(t, Gemini, Knobs{ThrottleRate: 1, RetryAfter: tc.retry})
		resp, text := post(t, s.URL+"/v1beta/models/m:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
		if resp.StatusCode != 429 || !strings.Contains(text, `"retryDelay":"`+tc.delay+`"`) || !strings.Contains(text, "Please retry in "+tc.delay) {
			t.Errorf("RetryAfter %v: %d %s", tc.retry, resp.StatusCode, text)
		}
	}
}

// TestGeminiPacing checks only lower bounds, which no scheduler can break.
func TestGeminiPacing(t *testing.T) {
	s := listen(t, Gemini, Knobs{TTFT: 30 * time.Millisecond, TPS: 200})
	body := `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":4}}`
	for _, method := range []string{"generateContent", "streamGenerateContent?alt=sse"} {
		start := time.Now()
		resp, _ := post(t, s.URL+"/v1beta/models/m:"+method, body)
		if elapsed := time.Since(start); resp.StatusCode != 200 || elapsed < 45*time.Millisecond {
			t.Errorf("%s: %d after %v", method, resp.StatusCode, elapsed)
		}
	}
}

// TestGeminiClientLeaves checks that a stream left mid-way is billed for
// what was sent.
func TestGeminiClientLeaves(t *testing.T) {
	s := listen(t, Gemini, Knobs{TPS: 20})
	c := geminiClient(t, s, "k")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	words := 0
	for resp, err := range c.Models.GenerateContentStream(ctx, "m", geminiGreeting, nil) {
		if err != nil {
			break
		}
		if resp.Text() != "" {
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
