package bedrock

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestDecodeError(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		status  int
		h       http.Header
		body    string
		kind    wire.ErrorKind
		code    string
		message string
		st      int // want Status
	}{
		{"throttling header", 429, hdr("X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
			`{"message":"Too many requests, please wait before trying your request again."}`, wire.ErrRateLimit, "ThrottlingException", "Too many requests, please wait before trying your request again.", 0},
		{"quota", 400, hdr("X-Amzn-ErrorType", "ServiceQuotaExceededException"), `{"message":"quota"}`, wire.ErrRateLimit, "ServiceQuotaExceededException", "quota", 0},
		{"not ready", 429, hdr("X-Amzn-ErrorType", "ModelNotReadyException:http://internal.amazon.com/coral/com.amazon.bedrock/"), `{"message":"warming"}`, wire.ErrOverloaded, "ModelNotReadyException", "warming", 0},
		{"unavailable", 503, hdr("X-Amzn-ErrorType", "ServiceUnavailableException"), `{"Message":"busy"}`, wire.ErrOverloaded, "ServiceUnavailableException", "busy", 0},
		{"validation __type", 400, nil, `{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}`, wire.ErrInvalidRequest, "ValidationException", "bad", 0},
		{"access denied code", 403, nil, `{"code":"AccessDeniedException","Message":"nope"}`, wire.ErrPermission, "AccessDeniedException", "nope", 0},
		{"unrecognized", 403, hdr("X-Amzn-ErrorType", "UnrecognizedClientException"), `{"message":"The security token included in the request is invalid."}`, wire.ErrAuthentication, "UnrecognizedClientException", "The security token included in the request is invalid.", 0},
		{"signature", 403, hdr("X-Amzn-ErrorType", "InvalidSignatureException"), `{"message":"sig"}`, wire.ErrAuthentication, "InvalidSignatureException", "sig", 0},
		{"expired", 403, hdr("X-Amzn-ErrorType", "ExpiredTokenException"), `{"message":"expired"}`, wire.ErrAuthentication, "ExpiredTokenException", "expired", 0},
		{"not found", 404, hdr("X-Amzn-ErrorType", "ResourceNotFoundException"), `{"message":"no model"}`, wire.ErrNotFound, "ResourceNotFoundException", "no model", 0},
		{"timeout", 408, hdr("X-Amzn-ErrorType", "ModelTimeoutException"), `{"message":"slow"}`, wire.ErrTimeout, "ModelTimeoutException", "slow", 0},
		{"internal", 500, hdr("X-Amzn-ErrorType", "InternalServerException"), `{"message":"oops"}`, wire.ErrServer, "InternalServerException", "oops", 0},
		{"model error", 424, hdr("X-Amzn-ErrorType", "ModelErrorException"), `{"message":"model failed"}`, wire.ErrServer, "ModelErrorException", "model failed", 0},
		{"header wins over body", 429, hdr("X-Amzn-ErrorType", "ThrottlingException"), `{"__type":"ValidationException","message":"m"}`, wire.ErrRateLimit, "ThrottlingException", "m", 0},
		{"unknown type keeps status", 402, hdr("X-Amzn-ErrorType", "PaymentRequiredException"), `{"message":"pay"}`, wire.ErrInvalidRequest, "PaymentRequiredException", "pay", 402},
		{"html", 502, nil, "<html><body>Bad Gateway</body></html>", wire.ErrServer, "", "Bedrock returned HTTP 502 Bad Gateway: <html><body>Bad Gateway</body></html>", 502},
		{"empty", 503, nil, "", wire.ErrOverloaded, "", "Bedrock returned HTTP 503 Service Unavailable", 0},
		{"garbage bytes", 500, nil, "\xff\xfe\x00", wire.ErrServer, "", "Bedrock returned HTTP 500 Internal Server Error: \ufffd\x00", 0},
		{"json array", 400, nil, `[1,2]`, wire.ErrInvalidRequest, "", "Bedrock returned HTTP 400 Bad Request: [1,2]", 0},
		{"no status", 0, nil, `{}`, wire.ErrServer, "", "Bedrock returned HTTP 0: {}", 0},
	} {
		e := DecodeError(tc.status, tc.h, []byte(tc.body))
		if e == nil {
			t.Fatalf("%s: nil", tc.name)
		}
		if e.Kind != tc.kind || e.Code != tc.code || e.Message != tc.message || e.Status != tc.st {
			t.Errorf("%s: %+v, want kind %v code %q message %q status %d", tc.name, e, tc.kind, tc.code, tc.message, tc.st)
		}
	}
}

func TestDecodeErrorRetryAfter(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"-3"}}, 0},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		if got := retryAfter(tc.h, now); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.h, got, tc.want)
		}
	}
	date := http.Header{"Retry-After": {now.Add(30 * time.Second).UTC().Format(http.TimeFormat)}}
	if got := retryAfter(date, now); got < 28*time.Second || got > 30*time.Second {
		t.Errorf("HTTP date: %v", got)
	}
	e := DecodeError(429, http.Header{"X-Amzn-Errortype": {"ThrottlingException"}, "Retry-After": {"2"}}, nil)
	if e.RetryAfter != 2*time.Second || e.Kind != wire.ErrRateLimit {
		t.Errorf("%+v", e)
	}
}

func TestEncodeError(t *testing.T) {
	for _, tc := range []struct {
		e    wire.Error
		typ  string
		body string
	}{
		{wire.Error{Kind: wire.ErrRateLimit, Message: "slow down"}, "ThrottlingException", `{"message":"slow down"}`},
		{wire.Error{Kind: wire.ErrInvalidRequest, Message: "bad \"x\"\n"}, "ValidationException", `{"message":"bad \"x\"\n"}`},
		{wire.Error{Kind: wire.ErrTooLarge, Message: "too long"}, "ValidationException", `{"message":"too long"}`},
		{wire.Error{Kind: wire.ErrAuthentication, Message: "who"}, "UnrecognizedClientException", `{"message":"who"}`},
		{wire.Error{Kind: wire.ErrPermission, Message: "no"}, "AccessDeniedException", `{"message":"no"}`},
		{wire.Error{Kind: wire.ErrNotFound, Message: "gone"}, "ResourceNotFoundException", `{"message":"gone"}`},
		{wire.Error{Kind: wire.ErrServer, Message: "boom"}, "InternalServerException", `{"message":"boom"}`},
		{wire.Error{Kind: wire.ErrOverloaded, Message: "busy"}, "ServiceUnavailableException", `{"message":"busy"}`},
		{wire.Error{Kind: wire.ErrTimeout, Message: "late"}, "ModelTimeoutException", `{"message":"late"}`},
		// A Bedrock code of the same kind survives; one of another kind does not.
		{wire.Error{Kind: wire.ErrOverloaded, Code: "ModelNotReadyException", Message: "w"}, "ModelNotReadyException", `{"message":"w"}`},
		{wire.Error{Kind: wire.ErrServer, Code: "modelStreamErrorException", Message: "m"}, "ModelStreamErrorException", `{"message":"m"}`},
		{wire.Error{Kind: wire.ErrServer, Code: "ThrottlingException", Message: "m"}, "InternalServerException", `{"message":"m"}`},
		{wire.Error{Kind: wire.ErrRateLimit, Code: "rate_limit_exceeded"}, "ThrottlingException", `{"message":"ThrottlingException (HTTP 429)"}`},
	} {
		if got := ErrorType(&tc.e); got != tc.typ+typeSuffix {
			t.Errorf("%+v: ErrorType %q, want %q", tc.e, got, tc.typ+typeSuffix)
		}
		body := EncodeError(&tc.e)
		if string(body) != tc.body {
			t.Errorf("%+v: body %s, want %s", tc.e, body, tc.body)
		}
		if !json.Valid(body) {
			t.Errorf("invalid JSON %s", body)
		}
		// What we encode decodes to the same kind and message.
		h := http.Header{"X-Amzn-Errortype": {ErrorType(&tc.e)}}
		back := DecodeError(tc.e.HTTPStatus(), h, body)
		if back.Kind != tc.e.Kind && !(tc.e.Kind == wire.ErrTooLarge && back.Kind == wire.ErrInvalidRequest) {
			t.Errorf("%+v: decoded kind %v", tc.e, back.Kind)
		}
		if tc.e.Message != "" && back.Message != tc.e.Message {
			t.Errorf("%+v: decoded message %q", tc.e, back.Message)
		}
		if !strings.HasPrefix(ErrorType(&tc.e), back.Code) || back.Code == "" {
			t.Errorf("%+v: decoded code %q", tc.e, back.Code)
		}
	}
}
