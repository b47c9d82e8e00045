package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// cannedCloud answers every request with one fixed error, as the named cloud
// words it (protocols.md §3.6, §4.5, §5.1).
type cannedCloud struct {
	typ    string // config provider type
	status int
	header map[string]string
	body   string
}

func (cc cannedCloud) start(t *testing.T) (config.Provider, *int) {
	t.Helper()
	hits := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		for k, v := range cc.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(cc.status)
		w.Write([]byte(cc.body))
	}))
	t.Cleanup(srv.Close)
	p := config.Provider{Name: "canned", Type: cc.typ, BaseURL: srv.URL, APIKey: "k"}
	if cc.typ == config.TypeBedrock {
		p.APIKey, p.Region, p.AccessKeyID, p.SecretAccessKey = "", "us-east-1", "AKIDX", "secret"
	}
	return p, hits
}

var (
	bedrockValidation = cannedCloud{config.TypeBedrock, 400, map[string]string{"X-Amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
		`{"message":"The model returned the following errors: temperature: must be <= 1"}`}
	bedrockThrottle = cannedCloud{config.TypeBedrock, 429, map[string]string{"X-Amzn-ErrorType": "ThrottlingException"},
		`{"message":"Too many requests, please wait before trying again."}`}
	bedrockAuth = cannedCloud{config.TypeBedrock, 403, map[string]string{"X-Amzn-ErrorType": "UnrecognizedClientException"},
		`{"message":"The security token included in the request is invalid."}`}
	anthropicValidation = cannedCloud{config.TypeAnthropic, 400, nil,
		`{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate"},"request_id":"req_1"}`}
	anthropicThrottle = cannedCloud{config.TypeAnthropic, 429, map[string]string{"retry-after": "7"},
		`{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`}
	anthropicOverload = cannedCloud{config.TypeAnthropic, 529, nil,
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}
	geminiValidation = cannedCloud{config.TypeGemini, 400, nil,
		`{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified","status":"INVALID_ARGUMENT"}}`}
	geminiThrottle = cannedCloud{config.TypeGemini, 429, nil,
		`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"19.3s"}]}}`}
	geminiBadKey = cannedCloud{config.TypeGemini, 400, nil,
		`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`}
)

// TestCloudErrorsReachClients: a cloud's error reaches each kind of client in
// the client's own envelope with the right status. Errors about the request
// pass through (another cloud would refuse it too); throttles become a 429
// with the cloud's Retry-After once no other deployment is left; overload and
// a deployment's bad credentials are the gateway's problem, not the client's,
// and come back as 503 and 502.
func TestCloudErrorsReachClients(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		cloud      cannedCloud
		status     int
		retryAfter string
		message    string
	}{
		{"bedrock validation", bedrockValidation, 400, "", "temperature: must be <= 1"},
		{"anthropic validation", anthropicValidation, 400, "", "roles must alternate"},
		{"gemini validation", geminiValidation, 400, "", "contents is not specified"},
		{"bedrock throttle", bedrockThrottle, 429, "1", "rate limited"},
		{"anthropic throttle", anthropicThrottle, 429, "7", "rate limited"},
		{"gemini throttle", geminiThrottle, 429, "20", "rate limited"},
		{"anthropic overload", anthropicOverload, 503, "1", "overloaded (HTTP 529)"},
		{"bedrock bad credentials", bedrockAuth, 502, "", "check its credentials"},
		{"gemini bad key", geminiBadKey, 502, "", "check its credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tt.cloud.start(t)
			g := startGateway(t, baseConfig([]config.Provider{p},
				config.Model{Name: "chat", Deployments: []config.Deployment{deployment("canned", "native")}}))

			// The OpenAI SDK sees an *openai.Error with the status.
			var hr *http.Response
			oc := client(g)
			_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}, option.WithResponseInto(&hr))
			var oe *openai.Error
			if !errors.As(err, &oe) {
				t.Fatalf("openai client: err = %v, want *openai.Error", err)
			}
			if oe.StatusCode != tt.status || !strings.Contains(oe.Message, tt.message) {
				t.Errorf("openai client: %d %q, want %d containing %q", oe.StatusCode, oe.Message, tt.status, tt.message)
			}
			if got := oe.Response.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("openai client: Retry-After %q, want %q", got, tt.retryAfter)
			}

			// The Anthropic SDK sees an *anthropic.Error with the status and
			// Anthropic's own envelope.
			ac := anthropicClient(g)
			_, err = ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "chat", MaxTokens: 16,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
			var ae *anthropic.Error
			if !errors.As(err, &ae) {
				t.Fatalf("anthropic client: err = %v, want *anthropic.Error", err)
			}
			raw := ae.RawJSON()
			if ae.StatusCode != tt.status || !strings.Contains(raw, `"type":"error"`) || !strings.Contains(raw, tt.message) {
				t.Errorf("anthropic client: %d %s, want %d in Anthropic's envelope containing %q", ae.StatusCode, raw, tt.status, tt.message)
			}
		})
	}
}

// TestCloudThrottleFailsOver: a throttling cloud of each kind is skipped for
// the next deployment, and cooled down so that the next request does not
// touch it.
func TestCloudThrottleFailsOver(t *testing.T) {
	ctx := context.Background()
	for _, cc := range []cannedCloud{bedrockThrottle, anthropicThrottle, geminiThrottle, anthropicOverload} {
		t.Run(cc.typ+"-"+http.StatusText(cc.status), func(t *testing.T) {
			p, hits := cc.start(t)
			backup := startEmu(t, emulate.OpenAI, emulate.Knobs{})
			g := startGateway(t, baseConfig([]config.Provider{p, providerFor("backup", emulate.OpenAI, backup.URL)},
				config.Model{Name: "chat", Deployments: []config.Deployment{
					deployment("canned", "native"),
					{Provider: "backup", Model: "m", Priority: 2, PrioritySet: true, Price: config.Price{Unpriced: true}},
				}}))
			oc := client(g)
			for i := range 2 {
				var hr *http.Response
				got, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}, option.WithResponseInto(&hr))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if got.Choices[0].Message.Content == "" || hr.Header.Get("X-Switchyard-Deployment") != "backup/m" {
					t.Errorf("request %d answered by %q", i, hr.Header.Get("X-Switchyard-Deployment"))
				}
			}
			want := 1
			if cc.status == 529 {
				want = 2 // overload is not a throttle: no Retry-After to honour
			}
			if *hits != want {
				t.Errorf("the failing cloud got %d requests, want %d", *hits, want)
			}
		})
	}
}

// TestUnsupportedFieldsAreRefused: what a cloud's format cannot express is
// refused with a 400 naming the field, never dropped; when another
// deployment of the model can express it, that one serves the request.
func TestUnsupportedFieldsAreRefused(t *testing.T) {
	bedrock := startEmu(t, emulate.Bedrock, emulate.Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret})
	openaiEmu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	pb := matrixClouds[3].provider(bedrock.URL)
	pb.Name = "aws"
	g := startGateway(t, baseConfig([]config.Provider{pb, providerFor("oai", emulate.OpenAI, openaiEmu.URL)},
		config.Model{Name: "only-bedrock", Deployments: []config.Deployment{deployment("aws", "m")}},
		config.Model{Name: "mixed", Deployments: []config.Deployment{
			{Name: "aws/mixed", Provider: "aws", Model: "m", Price: config.Price{Unpriced: true}}, {Provider: "oai", Model: "m", Priority: 2, PrioritySet: true, Price: config.Price{Unpriced: true}}}}))
	post := func(body string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", g.URL()+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, tt := range []struct{ field, body string }{
		{"n", `{"model":"only-bedrock","n":2,"messages":[{"role":"user","content":"hi"}]}`},
		{"logprobs", `{"model":"only-bedrock","logprobs":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"image", `{"model":"only-bedrock","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}`},
	} {
		resp, body := post(tt.body)
		if resp.StatusCode != 400 || !strings.Contains(body, tt.field) || !strings.Contains(body, "unsupported_parameter") {
			t.Errorf("%s to Bedrock: %d %s, want 400 naming it", tt.field, resp.StatusCode, body)
		}
	}
	if n := bedrock.Billed().Received; n != 0 {
		t.Errorf("%d refused requests reached Bedrock", n)
	}
	// The mixed model skips Bedrock for n=2 and answers from OpenAI.
	resp, body := post(`{"model":"mixed","n":2,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Deployment") != "oai/m" || !strings.Contains(body, `"index":1`) {
		t.Errorf("mixed model with n=2: %d from %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Deployment"), body)
	}
}
