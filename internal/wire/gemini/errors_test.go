package gemini

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

const quota429 = `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[
 {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count","quotaId":"GenerateContentPaidTierInputTokensPerModelPerMinute","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"},"quotaValue":"4000000"}]},
 {"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},
 {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}`

const badKey400 = `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[
 {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},
 {"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}`

func TestDecodeError(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	env := func(code int, status, msg string, details ...string) string {
		return `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `","details":[` + strings.Join(details, ",") + `]}}`
	}
	retry := func(d string) string {
		return `{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"` + d + `"}`
	}
	cases := []struct {
		name   string
		status int
		h      http.Header
		body   string
		kind   wire.ErrorKind
		retry  time.Duration
		code   string
		param  string
		msg    string // substring
	}{
		{"quota", 429, nil, quota429, wire.ErrRateLimit, 38 * time.Second, "RESOURCE_EXHAUSTED", "", "exceeded your current quota"},
		{"fractional delay rounds up", 429, nil, env(429, "RESOURCE_EXHAUSTED", "slow down", retry("45.837906927s")), wire.ErrRateLimit, 46 * time.Second, "RESOURCE_EXHAUSTED", "", "slow down"},
		{"whole fraction", 429, nil, env(429, "RESOURCE_EXHAUSTED", "x", retry("20.000s")), wire.ErrRateLimit, 20 * time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"delay object", 429, nil, env(429, "RESOURCE_EXHAUSTED", "x", `{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":{"seconds":"3","nanos":1}}`), wire.ErrRateLimit, 4 * time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"header when no RetryInfo", 429, hdr("Retry-After", "7"), env(429, "RESOURCE_EXHAUSTED", "x"), wire.ErrRateLimit, 7 * time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"RetryInfo wins over header", 429, hdr("Retry-After", "7"), env(429, "RESOURCE_EXHAUSTED", "x", retry("2s")), wire.ErrRateLimit, 2 * time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"garbled delay falls back to header", 429, hdr("Retry-After", "5"), env(429, "RESOURCE_EXHAUSTED", "x", retry("soon")), wire.ErrRateLimit, 5 * time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"huge delay is capped", 429, nil, env(429, "RESOURCE_EXHAUSTED", "x", retry("99999999999999s")), wire.ErrRateLimit, maxRetryAfter, "RESOURCE_EXHAUSTED", "", "x"},
		{"retry-after-ms from a proxy", 429, hdr("Retry-After-Ms", "1500"), `rate limited`, wire.ErrRateLimit, 1500 * time.Millisecond, "", "", "rate limited"},
		{"bad API key", 400, nil, badKey400, wire.ErrAuthentication, 0, "API_KEY_INVALID", "", "API key not valid"},
		{"bad API key, no details", 400, nil, env(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."), wire.ErrAuthentication, 0, "INVALID_ARGUMENT", "", "API key"},
		{"field violation", 400, nil, env(400, "INVALID_ARGUMENT", "bad temperature", `{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"generation_config.temperature","description":"out of range"}]}`), wire.ErrInvalidRequest, 0, "INVALID_ARGUMENT", "generation_config.temperature", "bad temperature"},
		{"failed precondition", 400, nil, env(400, "FAILED_PRECONDITION", "User location is not supported for the API use."), wire.ErrInvalidRequest, 0, "FAILED_PRECONDITION", "", "location"},
		{"unauthenticated", 401, nil, env(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), wire.ErrAuthentication, 0, "UNAUTHENTICATED", "", "credentials"},
		{"permission", 403, nil, env(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."), wire.ErrPermission, 0, "PERMISSION_DENIED", "", "unregistered"},
		{"not found", 404, nil, env(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta"), wire.ErrNotFound, 0, "NOT_FOUND", "", "not found"},
		{"unavailable", 503, nil, env(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), wire.ErrOverloaded, 0, "UNAVAILABLE", "", "overloaded"},
		{"deadline", 504, nil, env(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."), wire.ErrTimeout, 0, "DEADLINE_EXCEEDED", "", "Deadline"},
		{"internal", 500, nil, env(500, "INTERNAL", "An internal error has occurred."), wire.ErrServer, 0, "INTERNAL", "", "internal error"},
		{"array-wrapped, from the non-SSE stream", 429, nil, `[` + env(429, "RESOURCE_EXHAUSTED", "x", retry("1s")) + `]`, wire.ErrRateLimit, time.Second, "RESOURCE_EXHAUSTED", "", "x"},
		{"HTML from a proxy", 502, nil, `<html><body>Bad Gateway</body></html>`, wire.ErrServer, 0, "", "", "HTTP 502: <html>"},
		{"empty body", 503, nil, ``, wire.ErrOverloaded, 0, "", "", "HTTP 503 with an empty body"},
		{"payload too large", 413, nil, `Request Entity Too Large`, wire.ErrTooLarge, 0, "", "", "Too Large"},
		{"JSON without envelope", 400, nil, `{"message":"nope"}`, wire.ErrInvalidRequest, 0, "", "", "nope"},
		{"status name only in body", 0, nil, env(429, "RESOURCE_EXHAUSTED", "x"), wire.ErrRateLimit, 0, "RESOURCE_EXHAUSTED", "", "x"},
		{"code only in body", 0, nil, `{"error":{"code":404,"message":"x"}}`, wire.ErrNotFound, 0, "", "", "x"},
		{"nothing at all", 0, nil, `garbage`, wire.ErrServer, 0, "", "", "garbage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := DecodeError(c.status, c.h, []byte(c.body))
			if e == nil {
				t.Fatal("nil error")
			}
			if e.Kind != c.kind || e.RetryAfter != c.retry || e.Code != c.code || e.Param != c.param || !strings.Contains(e.Message, c.msg) {
				t.Errorf("got {kind %v retry %v code %q param %q msg %q}\nwant {kind %v retry %v code %q param %q msg ~%q}",
					e.Kind, e.RetryAfter, e.Code, e.Param, e.Message, c.kind, c.retry, c.code, c.param, c.msg)
			}
			if e.Status != 0 {
				t.Errorf("Status = %d, want 0 (the kind's status)", e.Status)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	e := DecodeError(429, h, nil)
	if e.RetryAfter < 85*time.Second || e.RetryAfter > 91*time.Second {
		t.Errorf("RetryAfter = %v, want about 90s", e.RetryAfter)
	}
	h.Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
	if e := DecodeError(429, h, nil); e.RetryAfter != 0 {
		t.Errorf("a date in the past: RetryAfter = %v", e.RetryAfter)
	}
}

func TestEncodeError(t *testing.T) {
	got := string(EncodeError(&wire.Error{Kind: wire.ErrRateLimit, Message: "Slow \"down\"", RetryAfter: 20 * time.Second}))
	want := `{"error":{"code":429,"message":"Slow \"down\"","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"20s"}]}}`
	if got != want {
		t.Errorf("EncodeError:\n got %s\nwant %s", got, want)
	}
	// Every kind survives a round trip, with the details Google would send.
	for k := wire.ErrInvalidRequest; k <= wire.ErrTimeout; k++ {
		in := &wire.Error{Kind: k, Message: "m " + itoa(int(k)), Param: "contents[1]", RetryAfter: 1500 * time.Millisecond}
		body := EncodeError(in)
		if !jsoncheck.Valid(body) {
			t.Fatalf("invalid JSON: %s", body)
		}
		out := DecodeError(in.HTTPStatus(), nil, body)
		if out.Kind != k || out.Message != in.Message || out.Param != in.Param || out.RetryAfter != 2*time.Second {
			t.Errorf("kind %v: got %+v from %s", k, out, body)
		}
		if c := gjson.GetBytes(body, "error.code").Int(); c != int64(k.Status()) {
			t.Errorf("kind %v: code %d, want %d", k, c, k.Status())
		}
	}
	// A bad key keeps its reason; a status name of the same kind is kept.
	body := EncodeError(&wire.Error{Kind: wire.ErrAuthentication, Message: "API key not valid.", Code: "API_KEY_INVALID"})
	if e := DecodeError(401, nil, body); e.Kind != wire.ErrAuthentication || e.Code != "API_KEY_INVALID" {
		t.Errorf("bad key: %+v from %s", e, body)
	}
	body = EncodeError(&wire.Error{Kind: wire.ErrInvalidRequest, Message: "m", Code: "FAILED_PRECONDITION"})
	if s := gjson.GetBytes(body, "error.status").Str; s != "FAILED_PRECONDITION" {
		t.Errorf("status %q from %s", s, body)
	}
	body = EncodeError(&wire.Error{Kind: wire.ErrOverloaded, Status: 529, Code: "overloaded_error"})
	if gjson.GetBytes(body, "error.code").Int() != 529 || gjson.GetBytes(body, "error.status").Str != "UNAVAILABLE" ||
		gjson.GetBytes(body, "error.details").Exists() || gjson.GetBytes(body, "error.message").Str == "" {
		t.Errorf("overloaded from another format: %s", body)
	}
	if !jsoncheck.Valid(EncodeError(nil)) {
		t.Error("EncodeError(nil)")
	}
}

func itoa(n int) string { return string(appendInt(nil, int64(n))) }
