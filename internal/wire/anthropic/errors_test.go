package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeError(t *testing.T) {
	envelope := func(typ, msg string) string {
		return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`
	}
	cases := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		kind    wire.ErrorKind
		message string // a fragment
		code    string
		retry   time.Duration
	}{
		{"invalid", 400, nil, envelope("invalid_request_error", "max_tokens: Field required"), wire.ErrInvalidRequest, "max_tokens: Field required", "", 0},
		{"auth", 401, nil, envelope("authentication_error", "invalid x-api-key"), wire.ErrAuthentication, "invalid x-api-key", "", 0},
		{"billing", 402, nil, envelope("billing_error", "credit balance too low"), wire.ErrPermission, "credit balance", "", 0},
		{"permission", 403, nil, envelope("permission_error", "no"), wire.ErrPermission, "no", "", 0},
		{"not found", 404, nil, envelope("not_found_error", "model: claude-x"), wire.ErrNotFound, "claude-x", "", 0},
		{"too large", 413, nil, envelope("request_too_large", "Request exceeds the maximum allowed number of bytes."), wire.ErrTooLarge, "maximum", "", 0},
		{"rate limit", 429, http.Header{"Retry-After": {"17"}}, envelope("rate_limit_error", "slow down"), wire.ErrRateLimit, "slow down", "", 17 * time.Second},
		{"retry-after-ms wins", 429, http.Header{"Retry-After": {"17"}, "Retry-After-Ms": {"1500.5"}}, envelope("rate_limit_error", "x"), wire.ErrRateLimit, "x", "", 1500500 * time.Microsecond},
		{"api", 500, nil, envelope("api_error", "Internal server error"), wire.ErrServer, "Internal", "", 0},
		{"timeout", 504, nil, envelope("timeout_error", "took too long"), wire.ErrTimeout, "too long", "", 0},
		{"overloaded 529", 529, nil, envelope("overloaded_error", "Overloaded"), wire.ErrOverloaded, "Overloaded", "", 0},
		{"529 without body", 529, nil, ``, wire.ErrOverloaded, "HTTP 529 with an empty body", "", 0},
		{"type beats status", 500, nil, envelope("overloaded_error", "busy"), wire.ErrOverloaded, "busy", "", 0},
		{"unknown type uses status", 409, nil, envelope("conflict_error", "again"), wire.ErrInvalidRequest, "again", "", 0},
		{"error code", 400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"too big","details":{"error_code":"image_dimensions_too_large"}}}`, wire.ErrInvalidRequest, "too big", "image_dimensions_too_large", 0},
		{"html from a proxy", 413, nil, `<html><body><h1>413 Request Entity Too Large</h1></body></html>`, wire.ErrTooLarge, "HTTP 413: <html>", "", 0},
		{"plain message", 502, nil, `{"message":"Bad gateway"}`, wire.ErrServer, "Bad gateway", "", 0},
		{"long body cut", 500, nil, strings.Repeat("é", 300), wire.ErrServer, "…", "", 0},
		{"stream error event", 0, nil, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, wire.ErrOverloaded, "Overloaded", "", 0},
		{"negative retry", 429, http.Header{"Retry-After": {"-3"}}, ``, wire.ErrRateLimit, "", "", 0},
		{"huge retry", 429, http.Header{"Retry-After": {"1e30"}}, ``, wire.ErrRateLimit, "", "", maxRetryAfter},
		{"garbage retry", 429, http.Header{"Retry-After": {"soon"}}, ``, wire.ErrRateLimit, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := DecodeError(c.status, c.header, []byte(c.body))
			if e == nil {
				t.Fatal("nil error")
			}
			if e.Kind != c.kind || !strings.Contains(e.Message, c.message) || e.Code != c.code || e.RetryAfter != c.retry {
				t.Errorf("got %+v; want kind %v, message containing %q, code %q, retry %v", e, c.kind, c.message, c.code, c.retry)
			}
			if e.Message == "" {
				t.Error("empty message")
			}
			if e.Status != 0 {
				t.Errorf("Status = %d, want 0 (the kind's status)", e.Status)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}
	if d := retryAfter(h, now); d != 90*time.Second {
		t.Errorf("retryAfter = %v, want 90s", d)
	}
	h = http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}
	if d := retryAfter(h, now); d != 0 {
		t.Errorf("a date in the past gave %v", d)
	}
}

func TestEncodeError(t *testing.T) {
	cases := []struct {
		err    wire.Error
		typ    string
		status int
		msg    string
	}{
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "Field required", Param: "max_tokens"}, "invalid_request_error", 400, "max_tokens: Field required"},
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "max_tokens is bad", Param: "max_tokens"}, "invalid_request_error", 400, "max_tokens is bad"},
		{wire.Error{Kind: wire.ErrAuthentication, Message: "bad key"}, "authentication_error", 401, "bad key"},
		{wire.Error{Kind: wire.ErrPermission, Message: "no"}, "permission_error", 403, "no"},
		{wire.Error{Kind: wire.ErrNotFound, Message: "no model"}, "not_found_error", 404, "no model"},
		{wire.Error{Kind: wire.ErrTooLarge}, "request_too_large", 413, "Request Entity Too Large"},
		{wire.Error{Kind: wire.ErrRateLimit, Message: "slow"}, "rate_limit_error", 429, "slow"},
		{wire.Error{Kind: wire.ErrServer, Message: "boom \"quoted\"\n"}, "api_error", 500, "boom \"quoted\"\n"},
		{wire.Error{Kind: wire.ErrOverloaded, Message: "Overloaded"}, "overloaded_error", 529, "Overloaded"},
		{wire.Error{Kind: wire.ErrOverloaded, Status: 503, Message: "Overloaded"}, "overloaded_error", 529, "Overloaded"},
		{wire.Error{Kind: wire.ErrTimeout, Message: "slow upstream"}, "timeout_error", 504, "slow upstream"},
		{wire.Error{Kind: wire.ErrServer, Status: 502, Message: "bad gateway"}, "api_error", 502, "bad gateway"},
	}
	for _, c := range cases {
		body := EncodeError(&c.err)
		var env struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if env.Type != "error" || env.Error.Type != c.typ || env.Error.Message != c.msg {
			t.Errorf("%+v encoded as %s", c.err, body)
		}
		if s := HTTPStatus(&c.err); s != c.status {
			t.Errorf("%+v: HTTPStatus = %d, want %d", c.err, s, c.status)
		}
		// And back: the kind survives, whatever status carries it.
		back := DecodeError(HTTPStatus(&c.err), nil, body)
		if back.Kind != c.err.Kind || back.Message != c.msg {
			t.Errorf("%+v came back as %+v", c.err, back)
		}
	}
	body := EncodeError(&wire.Error{Kind: wire.ErrInvalidRequest, Message: "x", Code: "context_length_exceeded"})
	if e := DecodeError(400, nil, body); e.Code != "context_length_exceeded" {
		t.Errorf("code lost: %s -> %+v", body, e)
	}
}
