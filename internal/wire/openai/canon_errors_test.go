package openai

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeError(t *testing.T) {
	fixed := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	old := now
	now = func() time.Time { return fixed }
	t.Cleanup(func() { now = old })

	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name   string
		status int
		h      http.Header
		body   string
		want   wire.Error
	}{
		{"openai 400", 400, nil,
			`{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			wire.Error{Kind: wire.ErrInvalidRequest, Message: "This model's maximum context length is 128000 tokens.", Param: "messages", Code: "context_length_exceeded"}},
		{"openai 401 typed as invalid request: the status decides", 401, nil,
			`{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			wire.Error{Kind: wire.ErrAuthentication, Message: "Incorrect API key provided.", Code: "invalid_api_key"}},
		{"openai 429 with the hint in the message", 429, nil,
			`{"error":{"message":"Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 1.2s. Visit https://platform.openai.com/account/rate-limits.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 1.2s. Visit https://platform.openai.com/account/rate-limits.", Code: "rate_limit_exceeded", RetryAfter: 1200 * time.Millisecond}},
		{"retry-after-ms beats retry-after and the message", 429, hdr("retry-after-ms", "250.5", "retry-after", "3"),
			`{"error":{"message":"Please try again in 20s.","type":"requests","code":"rate_limit_exceeded"}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "Please try again in 20s.", Code: "rate_limit_exceeded", RetryAfter: 250500 * time.Microsecond}},
		{"azure 429: string code, no type, retry-after seconds", 429, hdr("Retry-After", "45"),
			`{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Please retry after 45 seconds."}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "Requests to the ChatCompletions_Create Operation have exceeded token rate limit. Please retry after 45 seconds.", Code: "429", RetryAfter: 45 * time.Second}},
		{"azure 429 hint without headers", 429, nil,
			`{"error":{"code":"429","message":"Please retry after 7 seconds."}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "Please retry after 7 seconds.", Code: "429", RetryAfter: 7 * time.Second}},
		{"retry-after as an HTTP date", 503, hdr("Retry-After", fixed.Add(90*time.Second).Format(http.TimeFormat)),
			`{"error":{"message":"The engine is currently overloaded.","type":"service_unavailable_error","code":"server_is_overloaded"}}`,
			wire.Error{Kind: wire.ErrOverloaded, Message: "The engine is currently overloaded.", Code: "server_is_overloaded", RetryAfter: 90 * time.Second}},
		{"x-ratelimit reset of the exhausted limit", 429, hdr("x-ratelimit-remaining-requests", "5", "x-ratelimit-reset-requests", "1s", "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6m0s"),
			`{"error":{"message":"Rate limit reached.","type":"tokens","code":"rate_limit_exceeded"}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "Rate limit reached.", Code: "rate_limit_exceeded", RetryAfter: 6 * time.Minute}},
		{"absurd retry-after is capped", 429, hdr("Retry-After", "99999999999"), `{"error":{"message":"x","type":"requests"}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "x", RetryAfter: 24 * time.Hour}},
		{"insufficient quota stays a rate limit, keeps its code", 429, nil,
			`{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "You exceeded your current quota.", Code: "insufficient_quota"}},
		{"azure content filter", 400, nil,
			`{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}`,
			wire.Error{Kind: wire.ErrInvalidRequest, Message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", Param: "prompt", Code: "content_filter"}},
		{"vllm unwrapped", 404, nil,
			`{"object":"error","message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`,
			wire.Error{Kind: wire.ErrNotFound, Message: "The model `x` does not exist.", Code: "404"}},
		{"vllm 422 keeps its status", 422, nil,
			`{"error":{"message":"bad","type":"BadRequestError","param":null,"code":422}}`,
			wire.Error{Status: 422, Kind: wire.ErrInvalidRequest, Message: "bad", Code: "422"}},
		{"fastapi validation", 422, nil,
			`{"detail":[{"loc":["body","messages",0,"content"],"msg":"field required","type":"value_error.missing"}]}`,
			wire.Error{Status: 422, Kind: wire.ErrInvalidRequest, Message: "field required", Param: "messages.0.content"}},
		{"bare error string (ollama)", 404, nil, `{"error":"model \"llama9\" not found, try pulling it first"}`,
			wire.Error{Kind: wire.ErrNotFound, Message: `model "llama9" not found, try pulling it first`}},
		{"html from a proxy", 502, nil, "<html><body>Bad Gateway</body></html>",
			wire.Error{Status: 502, Kind: wire.ErrServer, Message: "upstream returned HTTP 502: <html><body>Bad Gateway</body></html>"}},
		{"empty body", 504, nil, "",
			wire.Error{Kind: wire.ErrTimeout, Message: "upstream returned HTTP 504 with an empty body"}},
		{"envelope without a message", 500, nil, `{"error":{"type":"server_error"}}`,
			wire.Error{Kind: wire.ErrServer, Message: "upstream returned HTTP 500"}},
		{"json that is no envelope", 500, nil, `[1,2]`,
			wire.Error{Kind: wire.ErrServer, Message: "upstream returned HTTP 500: [1,2]"}},
		{"in-stream error chunk: type decides", 0, nil, `{"error":{"message":"slow down","type":"rate_limit_error","code":null}}`,
			wire.Error{Kind: wire.ErrRateLimit, Message: "slow down"}},
		{"in-stream vllm error: integer code decides", 0, nil, `{"error":{"message":"too long","type":"SomethingError","code":400}}`,
			wire.Error{Kind: wire.ErrInvalidRequest, Message: "too long", Code: "400"}},
		{"in-stream overloaded", 0, nil, `{"error":{"message":"busy","type":"server_error","code":"server_is_overloaded"}}`,
			wire.Error{Kind: wire.ErrOverloaded, Message: "busy", Code: "server_is_overloaded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeError(tt.status, tt.h, []byte(tt.body))
			if got == nil || *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, &tt.want)
			}
		})
	}
}

func TestDecodeErrorLongBodyIsCut(t *testing.T) {
	body := strings.Repeat("é", 500)
	e := DecodeError(500, nil, []byte(body))
	if len(e.Message) > 260 || !strings.HasSuffix(e.Message, "…") {
		t.Errorf("message of %d bytes: %q", len(e.Message), e.Message)
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		in   wire.Error
		want string
	}{
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "messages[0]: bad \"x\"", Param: "messages[0]"},
			`{"error":{"message":"messages[0]: bad \"x\"","type":"invalid_request_error","param":"messages[0]","code":null}}`},
		{wire.Error{Kind: wire.ErrRateLimit, Message: "slow", RetryAfter: time.Second},
			`{"error":{"message":"slow","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{wire.Error{Kind: wire.ErrRateLimit, Message: "quota", Code: "insufficient_quota"},
			`{"error":{"message":"quota","type":"rate_limit_error","param":null,"code":"insufficient_quota"}}`},
		{wire.Error{Kind: wire.ErrOverloaded, Status: 529, Message: "Overloaded"},
			`{"error":{"message":"Overloaded","type":"service_unavailable_error","param":null,"code":null}}`},
		{wire.Error{Status: 404},
			`{"error":{"message":"Not Found","type":"not_found_error","param":null,"code":null}}`},
		{wire.Error{Kind: wire.ErrTooLarge, Message: "too big"},
			`{"error":{"message":"too big","type":"invalid_request_error","param":null,"code":null}}`},
	}
	for _, tt := range tests {
		got := EncodeError(&tt.in)
		if string(got) != tt.want {
			t.Errorf("EncodeError(%+v)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// TestErrorRoundTrip: what EncodeError writes decodes to the same kind,
// message, param and code.
func TestErrorRoundTrip(t *testing.T) {
	for k := wire.ErrInvalidRequest; k <= wire.ErrTimeout; k++ {
		in := wire.Error{Kind: k, Message: "m<&>\n", Param: "p", Code: "c"}
		got := DecodeError(in.HTTPStatus(), nil, EncodeError(&in))
		if *got != in {
			t.Errorf("kind %d: got %+v", k, got)
		}
		// Inside a stream there is no status: the envelope alone must say.
		// OpenAI has no type of its own for 413 and 504 (they go out as
		// invalid_request_error and server_error).
		got = DecodeError(0, nil, EncodeError(&wire.Error{Kind: k, Message: "m"}))
		if k != wire.ErrTooLarge && k != wire.ErrTimeout && got.Kind != k {
			t.Errorf("kind %d from the envelope alone: %v", k, got.Kind)
		}
		if !json.Valid(EncodeError(&in)) {
			t.Errorf("kind %d: invalid JSON", k)
		}
	}
}
