package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/switchyard/switchyard/internal/wire"
)

// Fidelity against the official AWS SDK for Go v2: a loopback server plays
// Bedrock with this package's encoders, and the real bedrockruntime client
// (its restJson1 and eventstream deserializers) reads the answers. The
// client's own request serializer checks DecodeRequest and EncodeRequest.

const testModel = "anthropic.claude-3-5-sonnet-20240620-v1:0"

// sdkClient starts a loopback server with h and returns a client for it.
func sdkClient(t *testing.T, h http.HandlerFunc) *bedrockruntime.Client {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // else the client switches to bearer auth
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return bedrockruntime.New(bedrockruntime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// sdkConverseInput and sdkCanonical are the same request, in SDK types and
// in canonical form.
func sdkConverseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId: aws.String(testModel),
		System:  []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}},
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "Weather in Oslo? \"Quoted\" \u2028 ünïcode"},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatWebp, Source: &types.ImageSourceMemberBytes{Value: []byte("RIFF\x00\x01webp")}}},
			}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String("Call the tool."), Signature: aws.String("sig==")}}},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tooluse_1"), Name: aws.String("get_weather"), Input: document.NewLazyDocument(map[string]any{"city": "Oslo"})}},
			}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tooluse_1"), Status: types.ToolResultStatusError,
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "service down"}}}},
			}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(300), Temperature: aws.Float32(0.5), TopP: aws.Float32(0.25), StopSequences: []string{"END"}},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String("get_weather"), Description: aws.String("Forecast for a city."),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
					"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}})},
			}}},
			ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_weather")}},
		},
		OutputConfig: &types.OutputConfig{TextFormat: &types.OutputFormat{
			Type: types.OutputFormatTypeJsonSchema,
			Structure: &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{
				Name: aws.String("forecast"), Schema: aws.String(`{"type":"object","properties":{"summary":{"type":"string"}}}`)}},
		}},
	}
}

func f64(f float64) *float64 { return &f }

func sdkCanonical() *wire.Request {
	return &wire.Request{
		System: []wire.Part{{Kind: wire.Text, Text: "Be brief."}},
		Messages: []wire.Message{
			{Role: wire.User, Parts: []wire.Part{
				{Kind: wire.Text, Text: "Weather in Oslo? \"Quoted\" \u2028 ünïcode"},
				{Kind: wire.Image, MediaType: "image/webp", Data: "UklGRgABd2VicA=="},
			}},
			{Role: wire.Assistant, Parts: []wire.Part{
				{Kind: wire.Thinking, Text: "Call the tool.", Signature: "sig=="},
				{Kind: wire.ToolCall, ID: "tooluse_1", Name: "get_weather", Args: json.RawMessage(`{"city":"Oslo"}`)},
			}},
			{Role: wire.User, Parts: []wire.Part{
				{Kind: wire.ToolResult, ID: "tooluse_1", Text: "service down", IsError: true},
			}},
		},
		MaxTokens: 300, Temperature: f64(0.5), TopP: f64(0.25), Stop: []string{"END"},
		Tools: []wire.Tool{{Name: "get_weather", Description: "Forecast for a city.",
			Schema: json.RawMessage(`{"properties":{"city":{"type":"string"}},"required":["city"],"type":"object"}`)}},
		ToolChoice: wire.ToolChoice{Mode: wire.ToolNamed, Name: "get_weather"},
		Output:     wire.Output{Kind: wire.OutputJSONSchema, Name: "forecast", Schema: json.RawMessage(`{"type":"object","properties":{"summary":{"type":"string"}}}`), Strict: true},
	}
}

// jsonEqual compares JSON texts by value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

// canonEqual compares canonical values, treating JSON fields by value.
func canonEqual(t *testing.T, got, want any) bool {
	t.Helper()
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return jsonEqual(t, a, b)
}

func TestSDKConverse(t *testing.T) {
	want := &wire.Response{
		Parts: []wire.Part{
			{Kind: wire.Thinking, Text: "Thinking…", Signature: "c2ln"},
			{Kind: wire.Text, Text: "Snow, \"light\".\n"},
			{Kind: wire.ToolCall, ID: "tooluse_9", Name: "get_weather", Args: json.RawMessage(`{"city":"Bergen","days":[1,2]}`)},
		},
		Finish:       wire.FinishToolCalls,
		Usage:        wire.Usage{Prompt: 1200, Completion: 40, Cached: 1000, CacheWrite: 100},
		StopSequence: "",
	}
	var gotPath string
	var gotBody []byte
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		gotBody, _ = io.ReadAll(r.Body)
		body, err := EncodeResponse(want)
		if err != nil {
			t.Errorf("EncodeResponse: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-RequestId", "11111111-2222-3333-4444-555555555555")
		_, _ = w.Write(body)
	})
	out, err := client.Converse(ctx(t), sdkConverseInput())
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}

	// The SDK's request body decodes to the canonical request, and our
	// encoding of that request is the SDK's body, value for value.
	if gotPath != "/model/"+testModel+"/converse" {
		t.Errorf("path %q", gotPath)
	}
	req, err := DecodeRequest(gotBody)
	if err != nil {
		t.Fatalf("DecodeRequest(SDK body): %v\n%s", err, gotBody)
	}
	if !canonEqual(t, req, sdkCanonical()) {
		t.Errorf("DecodeRequest(SDK body) = %+v\nwant %+v\nbody %s", req, sdkCanonical(), gotBody)
	}
	enc, err := EncodeRequest(sdkCanonical())
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, enc, gotBody) {
		t.Errorf("EncodeRequest differs from the SDK's body:\n%s\nSDK:\n%s", enc, gotBody)
	}

	// The SDK reads our response.
	if out.StopReason != types.StopReasonToolUse {
		t.Errorf("StopReason %q", out.StopReason)
	}
	u := out.Usage
	if u == nil || aws.ToInt32(u.InputTokens) != 100 || aws.ToInt32(u.OutputTokens) != 40 || aws.ToInt32(u.TotalTokens) != 1240 ||
		aws.ToInt32(u.CacheReadInputTokens) != 1000 || aws.ToInt32(u.CacheWriteInputTokens) != 100 {
		t.Errorf("Usage %+v", u)
	}
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("Output %T", out.Output)
	}
	if msg.Value.Role != types.ConversationRoleAssistant || len(msg.Value.Content) != 3 {
		t.Fatalf("message %+v", msg.Value)
	}
	rc, ok := msg.Value.Content[0].(*types.ContentBlockMemberReasoningContent)
	if !ok {
		t.Fatalf("content[0] %T", msg.Value.Content[0])
	}
	rt, ok := rc.Value.(*types.ReasoningContentBlockMemberReasoningText)
	if !ok || aws.ToString(rt.Value.Text) != "Thinking…" || aws.ToString(rt.Value.Signature) != "c2ln" {
		t.Errorf("reasoning %#v", rc.Value)
	}
	if txt, ok := msg.Value.Content[1].(*types.ContentBlockMemberText); !ok || txt.Value != "Snow, \"light\".\n" {
		t.Errorf("content[1] %#v", msg.Value.Content[1])
	}
	tu, ok := msg.Value.Content[2].(*types.ContentBlockMemberToolUse)
	if !ok {
		t.Fatalf("content[2] %T", msg.Value.Content[2])
	}
	var args map[string]any
	if err := tu.Value.Input.UnmarshalSmithyDocument(&args); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tu.Value.ToolUseId) != "tooluse_9" || aws.ToString(tu.Value.Name) != "get_weather" || args["city"] != "Bergen" {
		t.Errorf("toolUse %+v %v", tu.Value, args)
	}
}

func TestSDKConverseStream(t *testing.T) {
	evs := []wire.Event{
		{Kind: wire.EventStart},
		{Kind: wire.EventThinking, Index: 0, Text: "Hmm, "},
		{Kind: wire.EventThinking, Index: 0, Text: "weather.", Signature: "sig0"},
		{Kind: wire.EventText, Index: 1, Text: "Let me "},
		{Kind: wire.EventText, Index: 1, Text: "check \"Oslo\" ❄"},
		{Kind: wire.EventToolStart, Index: 2, ID: "tooluse_a", Name: "get_weather"},
		{Kind: wire.EventToolArgs, Index: 2, Text: `{"city":`},
		{Kind: wire.EventToolArgs, Index: 2, Text: `"Oslo"}`},
		{Kind: wire.EventBlockEnd, Index: 2},
		{Kind: wire.EventUsage, Usage: wire.Usage{Prompt: 50, Completion: 20, Cached: 30}},
		{Kind: wire.EventFinish, Finish: wire.FinishToolCalls},
	}
	frames := encodeStream(evs, nil)
	var gotBody []byte
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/model/"+testModel+"/converse-stream" {
			t.Errorf("path %q", r.URL.Path)
		}
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		_, _ = w.Write(frames)
	})
	in := sdkConverseInput()
	out, err := client.ConverseStream(ctx(t), &bedrockruntime.ConverseStreamInput{
		ModelId: in.ModelId, Messages: in.Messages, System: in.System, InferenceConfig: in.InferenceConfig,
		ToolConfig: in.ToolConfig, OutputConfig: in.OutputConfig,
	})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()

	// The ConverseStream body is the Converse body.
	req, err := DecodeRequest(gotBody)
	if err != nil || !canonEqual(t, req, sdkCanonical()) {
		t.Errorf("DecodeRequest(SDK stream body) = %+v, %v", req, err)
	}

	var got []string
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			got = append(got, "start "+string(v.Value.Role))
		case *types.ConverseStreamOutputMemberContentBlockStart:
			tu, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse)
			if !ok {
				t.Fatalf("start %T", v.Value.Start)
			}
			got = append(got, sprint("blockStart", *v.Value.ContentBlockIndex, aws.ToString(tu.Value.ToolUseId), aws.ToString(tu.Value.Name)))
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			idx := *v.Value.ContentBlockIndex
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				got = append(got, sprint("text", idx, d.Value))
			case *types.ContentBlockDeltaMemberToolUse:
				got = append(got, sprint("toolInput", idx, aws.ToString(d.Value.Input)))
			case *types.ContentBlockDeltaMemberReasoningContent:
				switch r := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					got = append(got, sprint("reasoning", idx, r.Value))
				case *types.ReasoningContentBlockDeltaMemberSignature:
					got = append(got, sprint("signature", idx, r.Value))
				default:
					t.Errorf("reasoning delta %T", d.Value)
				}
			default:
				t.Errorf("delta %T", v.Value.Delta)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			got = append(got, sprint("blockStop", *v.Value.ContentBlockIndex))
		case *types.ConverseStreamOutputMemberMessageStop:
			got = append(got, "stop "+string(v.Value.StopReason))
		case *types.ConverseStreamOutputMemberMetadata:
			u := v.Value.Usage
			got = append(got, sprint("usage", aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens), aws.ToInt32(u.TotalTokens), aws.ToInt32(u.CacheReadInputTokens)))
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream.Err: %v", err)
	}
	want := []string{
		"start assistant",
		"reasoning 0 Hmm, ",
		"reasoning 0 weather.",
		"signature 0 sig0",
		"blockStop 0",
		"text 1 Let me ",
		"text 1 check \"Oslo\" ❄",
		"blockStop 1",
		"blockStart 2 tooluse_a get_weather",
		`toolInput 2 {"city":`,
		`toolInput 2 "Oslo"}`,
		"blockStop 2",
		"stop tool_use",
		"usage 20 20 70 30", // inputTokens excludes the 30 cached; total = 50 + 20
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SDK events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func sprint(parts ...any) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		default:
			b.WriteString(strings.Trim(strings.TrimSpace(jsonString(v)), `"`))
		}
	}
	return b.String()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A mid-stream failure reaches the SDK as the typed exception.
func TestSDKConverseStreamException(t *testing.T) {
	for _, tc := range []struct {
		err   *wire.Error
		check func(error) bool
	}{
		{&wire.Error{Kind: wire.ErrRateLimit, Message: "Too many tokens"}, func(err error) bool {
			var e *types.ThrottlingException
			return errors.As(err, &e) && e.ErrorMessage() == "Too many tokens"
		}},
		{&wire.Error{Kind: wire.ErrServer, Code: "ModelStreamErrorException", Message: "model broke"}, func(err error) bool {
			var e *types.ModelStreamErrorException
			return errors.As(err, &e) && e.ErrorMessage() == "model broke"
		}},
		{&wire.Error{Kind: wire.ErrOverloaded, Message: "busy"}, func(err error) bool {
			var e *types.ServiceUnavailableException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrInvalidRequest, Message: "bad"}, func(err error) bool {
			var e *types.ValidationException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrTimeout, Message: "slow"}, func(err error) bool {
			var e *types.InternalServerException
			return errors.As(err, &e)
		}},
	} {
		t.Run(tc.err.Message, func(t *testing.T) {
			frames := encodeStream([]wire.Event{{Kind: wire.EventStart}, {Kind: wire.EventText, Text: "par"}}, tc.err)
			client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
				_, _ = w.Write(frames)
			})
			out, err := client.ConverseStream(ctx(t), &bedrockruntime.ConverseStreamInput{
				ModelId:  aws.String(testModel),
				Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			stream := out.GetStream()
			defer stream.Close()
			n := 0
			for range stream.Events() {
				n++
			}
			if n != 2 {
				t.Errorf("%d events before the exception, want 2", n)
			}
			if err := stream.Err(); !tc.check(err) {
				t.Errorf("stream.Err() = %T %v", err, err)
			}
			// And our decoder reads the same frames back to the same kind.
			_, derr := decodeAll(strings.NewReader(string(frames)))
			var we *wire.Error
			if !errors.As(derr, &we) || we.Kind != tc.err.Kind || we.Message != tc.err.Message {
				if tc.err.Kind != wire.ErrTimeout { // timeouts travel as internalServerException
					t.Errorf("decoded %v, want kind %d", derr, tc.err.Kind)
				}
			}
		})
	}
}

// Errors written with EncodeError and ErrorType reach the SDK typed.
func TestSDKErrors(t *testing.T) {
	for _, tc := range []struct {
		err   *wire.Error
		check func(error) bool
	}{
		{&wire.Error{Kind: wire.ErrRateLimit, Message: "Too many requests, please wait before trying your request again."}, func(err error) bool {
			var e *types.ThrottlingException
			return errors.As(err, &e) && e.ErrorMessage() == "Too many requests, please wait before trying your request again."
		}},
		{&wire.Error{Kind: wire.ErrInvalidRequest, Message: "messages: bad"}, func(err error) bool {
			var e *types.ValidationException
			return errors.As(err, &e) && e.ErrorMessage() == "messages: bad"
		}},
		{&wire.Error{Kind: wire.ErrPermission, Message: "no access"}, func(err error) bool {
			var e *types.AccessDeniedException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrNotFound, Message: "no model"}, func(err error) bool {
			var e *types.ResourceNotFoundException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrTimeout, Message: "slow"}, func(err error) bool {
			var e *types.ModelTimeoutException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrOverloaded, Message: "busy"}, func(err error) bool {
			var e *types.ServiceUnavailableException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrOverloaded, Code: "ModelNotReadyException", Message: "warming"}, func(err error) bool {
			var e *types.ModelNotReadyException
			return errors.As(err, &e)
		}},
		{&wire.Error{Kind: wire.ErrServer, Message: "oops"}, func(err error) bool {
			var e *types.InternalServerException
			return errors.As(err, &e)
		}},
	} {
		t.Run(tc.err.Message, func(t *testing.T) {
			client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Amzn-ErrorType", ErrorType(tc.err))
				w.WriteHeader(tc.err.HTTPStatus())
				_, _ = w.Write(EncodeError(tc.err))
			})
			_, err := client.Converse(ctx(t), &bedrockruntime.ConverseInput{
				ModelId:  aws.String(testModel),
				Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
			})
			if !tc.check(err) {
				t.Errorf("Converse error = %T %v", err, err)
			}
		})
	}
}
