package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/openai/openai-go/v3"
)

const (
	bedrockModel = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	awsKeyID     = "AKIDEXAMPLE"
	awsSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// sigV4Knobs require SigV4 by the test key pair.
var sigV4Knobs = Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret}

// bedrockClient is the official SDK pointed at a Bedrock emulator, signing
// with keyID and secret, without retries so that refusals reach the test.
func bedrockClient(t testing.TB, url, keyID, secret string, opts ...func(*bedrockruntime.Options)) *bedrockruntime.Client {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // else the SDK switches to bearer auth
	return bedrockruntime.New(bedrockruntime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: bufferedBodies{http.DefaultTransport.(*http.Transport).Clone()}},
	}, opts...)
}

// bufferedBodies sends request bodies from memory. It works around a race
// between the SDK and net/http that a server as fast as the emulator loses
// now and then: the SDK closes the request body as soon as the response
// headers arrive, but net/http reads the body once more after sending it,
// to check that it has ended, and smithy-go's closed body answers that read
// (through WriteTo) with io.EOF, which net/http takes for a failed write and
// closes the connection, in the middle of the response stream: "use of
// closed network connection". Real Bedrock is too slow to answer within
// that window. The signature is untouched: the bytes are the same.
type bufferedBodies struct{ rt http.RoundTripper }

func (b bufferedBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return b.rt.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	return b.rt.RoundTrip(req)
}

func converseUser(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

// converseGreeting is the OpenAI tests' greeting, in Converse's terms.
func converseGreeting() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:  aws.String(bedrockModel),
		System:   []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are terse."}},
		Messages: []types.Message{converseUser("Say hello to the river.")},
	}
}

// converseText returns the text of a Converse answer's one text block.
func converseText(t *testing.T, m types.Message) string {
	t.Helper()
	if m.Role != types.ConversationRoleAssistant || len(m.Content) != 1 {
		t.Fatalf("message %+v: want one assistant block", m)
	}
	text, ok := m.Content[0].(*types.ContentBlockMemberText)
	if !ok {
		t.Fatalf("block %T, want text", m.Content[0])
	}
	return text.Value
}

func TestBedrockConverse(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	out, err := c.Converse(context.Background(), converseGreeting())
	if err != nil {
		t.Fatal(err)
	}
	text := converseText(t, out.Output.(*types.ConverseOutputMemberMessage).Value)
	if words := strings.Fields(text); len(words) != defaultOutputTokens || !isWords(text) {
		t.Errorf("text %q: want %d vocabulary words", text, defaultOutputTokens)
	}
	if out.StopReason != types.StopReasonEndTurn {
		t.Errorf("stop reason %q", out.StopReason)
	}
	u := out.Usage
	if *u.InputTokens != int32(greetingTokens) || *u.OutputTokens != defaultOutputTokens || *u.TotalTokens != *u.InputTokens+*u.OutputTokens {
		t.Errorf("usage in %d out %d total %d, want in %d out %d", *u.InputTokens, *u.OutputTokens, *u.TotalTokens,
			greetingTokens, defaultOutputTokens)
	}
	if out.Metrics == nil || out.Metrics.LatencyMs == nil || *out.Metrics.LatencyMs < 0 {
		t.Errorf("metrics %+v", out.Metrics)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || len(id) != 36 {
		t.Errorf("request id %q", id)
	}

	// The same conversation gets the same words from the OpenAI emulator.
	o := listen(t, OpenAI, Knobs{})
	oc := openaiClient(o)
	resp, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: greeting})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != text || resp.Usage.PromptTokens != int64(*u.InputTokens) {
		t.Errorf("bedrock %q (%d prompt tokens), openai %q (%d)", text, *u.InputTokens,
			resp.Choices[0].Message.Content, resp.Usage.PromptTokens)
	}

	want := Billed{Requests: 1, InputTokens: int64(*u.InputTokens), OutputTokens: int64(*u.OutputTokens), Received: 1,
		ByModel: map[string]ModelBilled{bedrockModel: {Requests: 1, InputTokens: int64(*u.InputTokens), OutputTokens: int64(*u.OutputTokens)}}}
	if b := billedVia(t, s.URL); !equalBilled(b, want) {
		t.Errorf("billed %+v, want %+v", b, want)
	}
}

// billedVia reads the books through the control endpoint.
func billedVia(t *testing.T, url string) Billed {
	t.Helper()
	resp, err := http.Get(url + "/emulator/billed")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b Billed
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// converseStreamed is what a ConverseStream delivered, as a client accumulates it.
type converseStreamed struct {
	events  []string // event kinds in order
	text    string
	toolUse *types.ToolUseBlockStart
	input   string // tool input fragments joined
	reason  types.StopReason
	usage   *types.TokenUsage
	err     error
}

func converseStream(t *testing.T, c *bedrockruntime.Client, in *bedrockruntime.ConverseInput) converseStreamed {
	t.Helper()
	out, err := c.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: in.ModelId, Messages: in.Messages, System: in.System,
		InferenceConfig: in.InferenceConfig, ToolConfig: in.ToolConfig,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := out.GetStream()
	defer st.Close()
	var got converseStreamed
	for ev := range st.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			got.events = append(got.events, "messageStart:"+string(v.Value.Role))
		case *types.ConverseStreamOutputMemberContentBlockStart:
			got.events = append(got.events, "contentBlockStart")
			if tu, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				got.toolUse = &tu.Value
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			got.events = append(got.events, "contentBlockDelta")
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				got.text += d.Value
			case *types.ContentBlockDeltaMemberToolUse:
				got.input += aws.ToString(d.Value.Input)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			got.events = append(got.events, "contentBlockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			got.events = append(got.events, "messageStop")
			got.reason = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			got.events = append(got.events, "metadata")
			got.usage = v.Value.Usage
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	got.err = st.Err()
	return got
}

func TestBedrockConverseStream(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	whole, err := c.Converse(context.Background(), converseGreeting())
	if err != nil {
		t.Fatal(err)
	}
	got := converseStream(t, c, converseGreeting())
	if got.err != nil {
		t.Fatal(got.err)
	}
	want := []string{"messageStart:assistant"}
	for range defaultOutputTokens {
		want = append(want, "contentBlockDelta")
	}
	want = append(want, "contentBlockStop", "messageStop", "metadata")
	if strings.Join(got.events, " ") != strings.Join(want, " ") {
		t.Errorf("events %v, want %v", got.events, want)
	}
	if text := converseText(t, whole.Output.(*types.ConverseOutputMemberMessage).Value); got.text != text {
		t.Errorf("streamed %q, whole %q", got.text, text)
	}
	if got.reason != types.StopReasonEndTurn || got.usage == nil || *got.usage.InputTokens != *whole.Usage.InputTokens ||
		*got.usage.OutputTokens != *whole.Usage.OutputTokens || *got.usage.TotalTokens != *whole.Usage.TotalTokens {
		t.Errorf("stream stop %q usage %+v, whole usage %+v", got.reason, got.usage, whole.Usage)
	}
	b := s.Billed()
	if b.Requests != 2 || b.InputTokens != 2*int64(greetingTokens) || b.OutputTokens != 2*defaultOutputTokens {
		t.Errorf("billed %+v", b)
	}
}

// converseWeatherTools is the OpenAI tests' weather tool, as a Converse toolSpec.
func converseWeatherTools() *types.ToolConfiguration {
	return &types.ToolConfiguration{Tools: []types.Tool{
		&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name:        aws.String("get_weather"),
			Description: aws.String("The weather forecast for a city."),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(weatherSchema)},
		}},
		&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name:        aws.String("get_time"),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}},
	}}
}

func TestBedrockToolUse(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	for _, tc := range []struct {
		name   string
		choice types.ToolChoice
		prompt string
		want   string
	}{
		{"any", &types.ToolChoiceMemberAny{}, "What should I wear tomorrow?", "get_weather"},
		{"named", &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_time")}}, "Hi", "get_time"},
		{"auto names it", &types.ToolChoiceMemberAuto{}, "Please GET_WEATHER in Oslo", "get_weather"},
		{"no choice names it", nil, "what does get_time say", "get_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tools := converseWeatherTools()
			tools.ToolChoice = tc.choice
			in := &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockModel), Messages: []types.Message{converseUser(tc.prompt)},
				ToolConfig: tools}
			out, err := c.Converse(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			msg := out.Output.(*types.ConverseOutputMemberMessage).Value
			if out.StopReason != types.StopReasonToolUse || len(msg.Content) != 1 {
				t.Fatalf("stop %q content %+v", out.StopReason, msg.Content)
			}
			use, ok := msg.Content[0].(*types.ContentBlockMemberToolUse)
			if !ok {
				t.Fatalf("block %T, want toolUse", msg.Content[0])
			}
			id, name := aws.ToString(use.Value.ToolUseId), aws.ToString(use.Value.Name)
			if name != tc.want || !strings.HasPrefix(id, "tooluse_") || len(id) != 30 || !identifierChars(id, "_") {
				t.Errorf("tool use %q %q", id, name)
			}
			raw, err := use.Value.Input.MarshalSmithyDocument()
			if err != nil {
				t.Fatal(err)
			}
			var args map[string]any
			if err := json.Unmarshal(raw, &args); err != nil {
				t.Fatal(err)
			}
			if name == "get_weather" {
				if err := validate(weatherSchema, args); err != nil {
					t.Errorf("input %v: %v", args, err)
				}
			}
			compact, _ := json.Marshal(args)
			if want := tok(name) + tok(string(compact)); *out.Usage.OutputTokens != int32(want) {
				t.Errorf("output tokens %d, want %d (%s)", *out.Usage.OutputTokens, want, compact)
			}

			got := converseStream(t, c, in)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.toolUse == nil || aws.ToString(got.toolUse.ToolUseId) != id || aws.ToString(got.toolUse.Name) != name {
				t.Fatalf("streamed start %+v, want %s %s", got.toolUse, id, name)
			}
			var streamedArgs map[string]any
			if err := json.Unmarshal([]byte(got.input), &streamedArgs); err != nil || !sameJSON(streamedArgs, args) {
				t.Errorf("streamed input %q (%v), whole %v", got.input, err, args)
			}
			if got.events[1] != "contentBlockStart" || got.reason != types.StopReasonToolUse ||
				*got.usage.OutputTokens != *out.Usage.OutputTokens {
				t.Errorf("streamed events %v stop %q usage %+v", got.events, got.reason, got.usage)
			}
		})
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// converseRaw posts a raw Converse body, unsigned, and returns the answer.
func converseRaw(t *testing.T, url, op, body string, header ...string) (*http.Response, string) {
	t.Helper()
	return post(t, url+"/model/"+strings.ReplaceAll(bedrockModel, ":", "%3A")+"/"+op, body, header...)
}

// converseJSON posts a raw Converse body that must succeed and decodes the answer.
func converseJSON(t *testing.T, url, body string) (stop string, blocks []map[string]any, usage map[string]int) {
	t.Helper()
	resp, text := converseRaw(t, url, "converse", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, text)
	}
	var out struct {
		Output struct {
			Message struct {
				Role    string           `json:"role"`
				Content []map[string]any `json:"content"`
			} `json:"message"`
		} `json:"output"`
		StopReason string         `json:"stopReason"`
		Usage      map[string]int `json:"usage"`
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return out.StopReason, out.Output.Message.Content, out.Usage
}

func TestBedrockToolChoiceRule(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	const tools = `"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}},` +
		`{"toolSpec":{"name":"Get_Time","inputSchema":{"json":{}}}},{"cachePoint":{"type":"default"}}]`
	const toolTurn = `{"role":"user","content":[{"text":"get_weather please"}]},` +
		`{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"sunny"}]}}]}`
	for _, tc := range []struct {
		name, messages, choice, want string
	}{
		{"auto names tool", `{"role":"user","content":[{"text":"please GET_WEATHER for Oslo"}]}`, ``, "get_weather"},
		{"auto without name", `{"role":"user","content":[{"text":"hello"}]}`, `,"toolChoice":{"auto":{}}`, ""},
		{"auto prefill", `{"role":"user","content":[{"text":"get_weather"}]},{"role":"assistant","content":[{"text":"ok"}]}`, ``, ""},
		{"any", `{"role":"user","content":[{"text":"hello"}]}`, `,"toolChoice":{"any":{}}`, "get_weather"},
		{"tool", `{"role":"user","content":[{"text":"hello"}]}`, `,"toolChoice":{"tool":{"name":"Get_Time"}}`, "Get_Time"},
		{"after tool result", toolTurn, `,"toolChoice":{"any":{}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop, blocks, _ := converseJSON(t, s.URL, `{"messages":[`+tc.messages+`],`+tools+tc.choice+`}}`)
			got := ""
			if len(blocks) == 1 && blocks[0]["toolUse"] != nil {
				got = blocks[0]["toolUse"].(map[string]any)["name"].(string)
			}
			if got != tc.want || (got != "") != (stop == "tool_use") {
				t.Errorf("called %q with stop %q, want %q (%v)", got, stop, tc.want, blocks)
			}
		})
	}
}

func TestBedrockStopSequences(t *testing.T) {
	s := listen(t, Bedrock, sigV4Knobs)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	full, err := c.Converse(context.Background(), converseGreeting())
	if err != nil {
		t.Fatal(err)
	}
	text := converseText(t, full.Output.(*types.ConverseOutputMemberMessage).Value)
	words := strings.Split(text, " ")
	for _, tc := range []struct {
		name   string
		config types.InferenceConfiguration
		text   string
		tokens int32
		reason types.StopReason
	}{
		{"max tokens", types.InferenceConfiguration{MaxTokens: aws.Int32(5)}, strings.Join(words[:5], " "), 5, types.StopReasonMaxTokens},
		{"cut at a word", types.InferenceConfiguration{StopSequences: []string{" " + words[3] + " " + words[4]}},
			strings.Join(words[:3], " "), 3, types.StopReasonStopSequence},
		{"cut inside a word", types.InferenceConfiguration{StopSequences: []string{"zz", words[6][1:] + " " + words[7]}},
			strings.Join(words[:6], " ") + " " + words[6][:1], 7, types.StopReasonStopSequence},
		{"max before stop", types.InferenceConfiguration{MaxTokens: aws.Int32(2), StopSequences: []string{words[9]}},
			strings.Join(words[:2], " "), 2, types.StopReasonMaxTokens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := converseGreeting()
			in.InferenceConfig = &tc.config
			for _, stop := range tc.config.StopSequences {
				// The cases assume that no stop sequence occurs before the intended cut.
				if i := strings.Index(text, stop); i >= 0 && i < len(tc.text) || tc.reason == types.StopReasonMaxTokens && strings.Contains(tc.text, stop) {
					t.Fatalf("stop sequence %q occurs at %d in %q", stop, i, text)
				}
			}
			out, err := c.Converse(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got := converseText(t, out.Output.(*types.ConverseOutputMemberMessage).Value)
			if got != tc.text || out.StopReason != tc.reason || *out.Usage.OutputTokens != tc.tokens {
				t.Errorf("got %q %q %d, want %q %q %d", got, out.StopReason, *out.Usage.OutputTokens, tc.text, tc.reason, tc.tokens)
			}
			st := converseStream(t, c, in)
			if st.err != nil || st.text != got || st.reason != tc.reason || *st.usage.OutputTokens != tc.tokens {
				t.Errorf("streamed %q %q %+v %v", st.text, st.reason, st.usage, st.err)
			}
		})
	}

	// A stop sequence at the very start leaves no content block at all.
	in := converseGreeting()
	in.InferenceConfig = &types.InferenceConfiguration{StopSequences: []string{words[0]}}
	out, err := c.Converse(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if msg := out.Output.(*types.ConverseOutputMemberMessage).Value; len(msg.Content) != 0 || *out.Usage.OutputTokens != 0 ||
		out.StopReason != types.StopReasonStopSequence {
		t.Errorf("content %+v tokens %d stop %q", msg.Content, *out.Usage.OutputTokens, out.StopReason)
	}
	st := converseStream(t, c, in)
	if strings.Join(st.events, " ") != "messageStart:assistant messageStop metadata" || st.err != nil {
		t.Errorf("streamed events %v (%v)", st.events, st.err)
	}
}

func TestBedrockStructuredOutput(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	schema, _ := json.Marshal(weatherSchema)
	format, _ := json.Marshal(string(schema))
	body := `{"messages":[{"role":"user","content":[{"text":"forecast"}]}],"inferenceConfig":{"maxTokens":3},` +
		`"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"name":"w","schema":` + string(format) + `}}}}}`
	stop, blocks, usage := converseJSON(t, s.URL, body)
	text, _ := blocks[0]["text"].(string)
	var v map[string]any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("text %q: %v", text, err)
	}
	if err := validate(weatherSchema, v); err != nil {
		t.Errorf("%s: %v", text, err)
	}
	if stop != "end_turn" || usage["outputTokens"] != tok(text) {
		t.Errorf("stop %q usage %v for %d bytes", stop, usage, len(text))
	}
}

func TestBedrockPromptTokens(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	const png = "iVBORw0KGgo="
	tools := `[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]`
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"one message", `{"messages":[{"role":"user","content":[{"text":"hello there"}]}]}`, 3 + 4 + tok("hello there")},
		{"blocks join", `{"messages":[{"role":"user","content":[{"text":"ab"},{"text":"cde"}]}]}`, 3 + 4 + tok("abcde")},
		{"system", `{"system":[{"text":"be"},{"cachePoint":{"type":"default"}},{"text":" brief"}],` +
			`"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, 3 + 4 + tok("be brief") + 4 + tok("hi")},
		{"system without text", `{"system":[{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
			3 + 4 + tok("hi")},
		{"images", `{"messages":[{"role":"user","content":[{"text":"what is this"},` +
			`{"image":{"format":"png","source":{"bytes":"` + png + `"}}},{"image":{"format":"jpeg","source":{"s3Location":{"uri":"s3://b/k"}}}}]}]}`,
			3 + 4 + tok("what is this") + 2*85},
		{"tool round trip", `{"toolConfig":{"tools":` + tools + `},"messages":[{"role":"user","content":[{"text":"call f"}]},` +
			`{"role":"assistant","content":[{"text":"sure"},{"toolUse":{"toolUseId":"t1","name":"f","input":{ "a" : [1, 2] }}}]},` +
			`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok "},{"json":{"b": true}},` +
			`{"image":{"format":"gif","source":{"bytes":"` + png + `"}}}]}}]}]}`,
			3 + 4 + tok("call f") + 4 + tok(`suref{"a":[1,2]}`) + 4 + tok(`ok {"b":true}t1`) + 85 + tok(tools)},
		{"documents count nothing", `{"messages":[{"role":"user","content":[{"text":"read"},` +
			`{"document":{"format":"txt","name":"d","source":{"bytes":"aGVsbG8="}}}]}]}`, 3 + 4 + tok("read")},
		{"reasoning counts", `{"messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[` +
			`{"reasoningContent":{"reasoningText":{"text":"think","signature":"s"}}},{"text":"a"}]},` +
			`{"role":"user","content":[{"text":"more"}]}]}`, 3 + 4 + tok("q") + 4 + tok("thinka") + 4 + tok("more")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, usage := converseJSON(t, s.URL, tc.body)
			if usage["inputTokens"] != tc.want {
				t.Errorf("converse counted %d, want %d", usage["inputTokens"], tc.want)
			}
			resp, text := converseRaw(t, s.URL, "count-tokens", `{"input":{"converse":`+tc.body+`}}`)
			if resp.StatusCode != http.StatusOK || text != `{"inputTokens":`+bedrockItoa(tc.want)+`}` {
				t.Errorf("count-tokens: %d %s, want %d", resp.StatusCode, text, tc.want)
			}
		})
	}
	if b := s.Billed(); b.Received != 8 {
		t.Errorf("count-tokens is not an answer, but received %d", b.Received)
	}
}

func bedrockItoa(n int) string { return string(appendInt(nil, n)) }

// bedrockEvent is one decoded eventstream message.
type bedrockEvent struct {
	headers map[string]string
	payload map[string]any
}

// decodeEventstream decodes a ConverseStream body frame by frame with the SDK's
// decoder, which checks both CRCs of every frame.
func decodeEventstream(t *testing.T, body []byte) []bedrockEvent {
	t.Helper()
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(body)
	var evs []bedrockEvent
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("frame %d: %v", len(evs), err)
		}
		ev := bedrockEvent{headers: map[string]string{}}
		for _, h := range msg.Headers {
			ev.headers[h.Name] = h.Value.String()
		}
		if err := json.Unmarshal(msg.Payload, &ev.payload); err != nil {
			t.Fatalf("frame %d payload %q: %v", len(evs), msg.Payload, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestBedrockStreamWire(t *testing.T) {
	s := listen(t, Bedrock, Knobs{OutputTokens: 3})
	resp, body := converseRaw(t, s.URL, "converse-stream", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" ||
		resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	evs := decodeEventstream(t, []byte(body))
	var kinds []string
	for i, ev := range evs {
		kind := ev.headers[":event-type"]
		kinds = append(kinds, kind)
		if ev.headers[":message-type"] != "event" || ev.headers[":content-type"] != "application/json" || len(ev.headers) != 3 {
			t.Errorf("event %d headers %v", i, ev.headers)
		}
		pad, padded := ev.payload["p"].(string)
		if padded != (kind != "metadata") || !strings.HasPrefix(eventPadding, pad) {
			t.Errorf("event %d (%s) padding %q", i, kind, pad)
		}
	}
	want := "messageStart contentBlockDelta contentBlockDelta contentBlockDelta contentBlockStop messageStop metadata"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("events %v", kinds)
	}
	// Text deltas carry no type field and no contentBlockStart precedes them.
	if d := evs[2].payload; d["contentBlockIndex"] != 0.0 || len(d["delta"].(map[string]any)) != 1 ||
		!strings.HasPrefix(d["delta"].(map[string]any)["text"].(string), " ") {
		t.Errorf("second delta %v", d)
	}
	if m := evs[6].payload; m["usage"].(map[string]any)["outputTokens"] != 3.0 || m["metrics"].(map[string]any)["latencyMs"] == nil {
		t.Errorf("metadata %v", m)
	}
}

func TestBedrockFaults(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		knobs Knobs
		check func(error) bool
		want  Billed
	}{
		{"throttle", Knobs{ThrottleRate: 1}, func(err error) bool {
			var te *types.ThrottlingException
			return errors.As(err, &te) && te.ErrorMessage() == "Too many requests, please wait before trying again."
		}, Billed{Received: 1, Throttled: 1}},
		{"server error", Knobs{ErrorRate: 1}, func(err error) bool {
			var ie *types.InternalServerException
			return errors.As(err, &ie)
		}, Billed{Received: 1, Errors: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.knobs
			k.AWSAccessKeyID, k.AWSSecretAccessKey = awsKeyID, awsSecret
			s := listen(t, Bedrock, k)
			_, err := bedrockClient(t, s.URL, awsKeyID, awsSecret).Converse(ctx, converseGreeting())
			if !tc.check(err) {
				t.Fatalf("got %v (%T)", err, errors.Unwrap(err))
			}
			if b := s.Billed(); !equalBilled(b, tc.want) || b.Received != tc.want.Received || b.Errors != tc.want.Errors ||
				b.Throttled != tc.want.Throttled || b.Requests != 0 {
				t.Errorf("billed %+v", b)
			}
		})
	}

	// The RPM quota throttles the request past it, with no Retry-After.
	s := listen(t, Bedrock, Knobs{RPM: 1})
	for i, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		resp, text := converseRaw(t, s.URL, "converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, text)
		}
		if want == http.StatusTooManyRequests && (!strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "ThrottlingException:") ||
			text != `{"message":"Too many requests, please wait before trying again."}` || resp.Header.Get("Retry-After") != "") {
			t.Errorf("429 %v %s", resp.Header, text)
		}
	}
}

func TestBedrockDisconnect(t *testing.T) {
	k := sigV4Knobs
	k.DisconnectRate = 1
	s := listen(t, Bedrock, k)
	c := bedrockClient(t, s.URL, awsKeyID, awsSecret)
	got := converseStream(t, c, converseGreeting())
	if !errors.Is(got.err, syscall.ECONNRESET) {
		t.Fatalf("a cut stream ended with %v, want a connection reset", got.err)
	}
	words := strings.Fields(got.text)
	if len(words) != defaultOutputTokens/2 || got.reason != "" || got.usage != nil {
		t.Errorf("received %d words, stop %q, usage %v before the cut; want %d words only", len(words), got.reason,
			got.usage, defaultOutputTokens/2)
	}
	if b := s.Billed(); b.Disconnects != 1 || b.Requests != 1 || b.OutputTokens != int64(len(words)) ||
		b.InputTokens != int64(greetingTokens) {
		t.Errorf("billed %+v, want the %d words sent", b, len(words))
	}
	// Non-stream answers are never cut.
	if _, err := c.Converse(context.Background(), converseGreeting()); err != nil {
		t.Errorf("converse with DisconnectRate 1: %v", err)
	}
}

func TestBedrockRoutes(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	const hi = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	escaped := strings.NewReplacer(":", "%3A", "/", "%2F").Replace(arn)
	resp, text := post(t, s.URL+"/model/"+escaped+"/converse", hi)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ARN model id: %d %s", resp.StatusCode, text)
	}
	if _, ok := s.Billed().ByModel[arn]; !ok {
		t.Errorf("billed %+v, want the ARN", s.Billed().ByModel)
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/model/m/invoke"},
		{http.MethodGet, "/model/m/converse"},
		{http.MethodPost, "/model//converse"},
		{http.MethodPost, "/v1/chat/completions"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(hi))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "UnknownOperationException:") ||
			!json.Valid(b) || resp.Header.Get("X-Amzn-RequestId") == "" {
			t.Errorf("%s %s: %d %v %s", tc.method, tc.path, resp.StatusCode, resp.Header, b)
		}
	}
}

func TestBedrockPacing(t *testing.T) {
	s := listen(t, Bedrock, Knobs{TTFT: 30 * time.Millisecond, TPS: 200})
	body := `{"inferenceConfig":{"maxTokens":4},"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	for _, op := range []string{"converse", "converse-stream"} {
		start := time.Now()
		resp, text := converseRaw(t, s.URL, op, body)
		// Whole: TTFT + 4/200 s. Streamed: the fourth word is due at TTFT + 3/200 s.
		want := 30*time.Millisecond + 15*time.Millisecond
		if elapsed := time.Since(start); resp.StatusCode != http.StatusOK || elapsed < want {
			t.Errorf("%s: %d after %v, want at least %v", op, resp.StatusCode, elapsed, want)
		}
		if op == "converse" {
			var out struct{ Metrics struct{ LatencyMs int64 } }
			if err := json.Unmarshal([]byte(text), &out); err != nil || out.Metrics.LatencyMs < want.Milliseconds() {
				t.Errorf("latencyMs %d, want at least %d (%v)", out.Metrics.LatencyMs, want.Milliseconds(), err)
			}
		}
	}
}
