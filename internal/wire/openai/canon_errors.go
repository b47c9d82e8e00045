package openai

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// maxRetryAfter bounds any retry hint: a larger one is a garbled header (or a
// daily quota, which no caller should sleep through either).
const maxRetryAfter = 24 * time.Hour

// DecodeError maps an error answer from an OpenAI-format cloud to canonical
// form. It never returns nil and accepts any body: OpenAI's envelope
// {"error":{message,type,param,code}}, Azure's type-less one with a string
// code, vLLM's unwrapped {"object":"error",…} with an integer code, a FastAPI
// {"detail":…}, a bare {"error":"text"}, or plain text and HTML from a proxy.
// status 0 (an error chunk inside a 200 stream) takes the kind from the
// envelope's type and code instead. RetryAfter comes from retry-after-ms,
// retry-after (seconds or an HTTP-date), then the hint in the message
// ("Please try again in 1.2s", Azure's "retry after 45 seconds"), then on a
// 429 the x-ratelimit-reset-* headers.
func DecodeError(status int, h http.Header, body []byte) *wire.Error {
	e := &wire.Error{}
	var typ, code string
	parsed := false
	if jsoncheck.Valid(body) {
		root := gjson.Parse(string(body))
		inner := root.Get("error")
		switch {
		case inner.IsObject():
		case inner.Type == gjson.String && inner.Str != "":
			e.Message, parsed = inner.Str, true
		case root.Get("message").Exists() || root.Get("object").Str == "error":
			inner = root // vLLM before 0.8: the fields at the top level
		case root.Get("detail").Exists():
			e.Message, e.Param = fastAPIDetail(root.Get("detail"))
			parsed = e.Message != ""
		}
		if inner.IsObject() {
			parsed = true
			inner.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "message":
					e.Message = v.String()
				case "type":
					typ = v.String()
				case "param":
					e.Param = v.String()
				case "code":
					code = v.String() // integer codes (vLLM) become their digits, as in openai-go
				}
				return true
			})
		}
	}
	e.Code = code
	e.Kind = errorKind(status, typ, code)
	if status >= 400 && status <= 599 && status != e.Kind.Status() {
		e.Status = status // e.g. 502 from a proxy, 422 from vLLM: keep what the cloud said
	}
	switch {
	case !parsed:
		e.Message = upstreamSnippet(status, body)
	case e.Message == "":
		e.Message = "upstream returned HTTP " + strconv.Itoa(status)
		if status == 0 {
			e.Message = "upstream reported an error without a message"
		}
	}
	e.RetryAfter = retryAfter(status, h, e.Message)
	return e
}

// fastAPIDetail reads FastAPI's {"detail":"…"} or its validation form
// {"detail":[{"loc":["body","field"],"msg":"…"}]}.
func fastAPIDetail(d gjson.Result) (msg, param string) {
	if d.Type == gjson.String {
		return d.Str, ""
	}
	first := d.Get("0")
	if !first.IsObject() {
		return "", ""
	}
	var loc []string
	first.Get("loc").ForEach(func(_, l gjson.Result) bool {
		if s := l.String(); s != "body" || len(loc) > 0 {
			loc = append(loc, s)
		}
		return true
	})
	return first.Get("msg").String(), strings.Join(loc, ".")
}

// errorKind classifies an error by its HTTP status when there is one, refined
// by the envelope: a 5xx that says it is overloaded is ErrOverloaded. Without
// a status (a stream's error chunk) the type and code decide.
func errorKind(status int, typ, code string) wire.ErrorKind {
	if status >= 400 {
		k := wire.KindOf(status)
		if k == wire.ErrServer && overloaded(typ, code) {
			return wire.ErrOverloaded
		}
		return k
	}
	if overloaded(typ, code) {
		return wire.ErrOverloaded
	}
	switch typ {
	case "invalid_request_error", "BadRequestError", "invalid_request", "UnprocessableEntityError":
		return wire.ErrInvalidRequest
	case "authentication_error", "AuthenticationError":
		return wire.ErrAuthentication
	case "permission_error", "PermissionDeniedError":
		return wire.ErrPermission
	case "not_found_error", "NotFoundError":
		return wire.ErrNotFound
	case "rate_limit_error", "RateLimitError", "tokens", "requests", "insufficient_quota":
		return wire.ErrRateLimit
	case "timeout_error", "APITimeoutError":
		return wire.ErrTimeout
	}
	switch code {
	case "rate_limit_exceeded", "insufficient_quota":
		return wire.ErrRateLimit
	case "context_length_exceeded", "invalid_value", "invalid_type", "content_filter":
		return wire.ErrInvalidRequest
	case "invalid_api_key":
		return wire.ErrAuthentication
	case "model_not_found", "DeploymentNotFound":
		return wire.ErrNotFound
	}
	if n, err := strconv.Atoi(code); err == nil && n >= 400 && n <= 599 {
		return wire.KindOf(n) // Azure's "429", vLLM's 400
	}
	return wire.ErrServer
}

func overloaded(typ, code string) bool {
	return typ == "service_unavailable_error" || typ == "ServiceUnavailableError" || typ == "overloaded_error" ||
		code == "server_is_overloaded" || code == "slow_down" || code == "overloaded"
}

func retryAfter(status int, h http.Header, msg string) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && finite(ms) && ms >= 0 {
			return clampRetry(ms * float64(time.Millisecond))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && finite(s) && s >= 0 {
			return clampRetry(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now()); d > 0 {
				return clampRetry(float64(d))
			}
			return 0
		}
	}
	if d := retryHint(msg); d > 0 {
		return d
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	// OpenAI's rate-limit headers: the reset of the limit that ran out.
	var best time.Duration
	for _, lim := range [...]string{"requests", "tokens"} {
		reset, err := time.ParseDuration(strings.TrimSpace(h.Get("X-Ratelimit-Reset-" + lim)))
		if err != nil || reset <= 0 {
			continue
		}
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+lim)) == "0" {
			return clampRetry(float64(reset))
		}
		best = max(best, reset)
	}
	return clampRetry(float64(best))
}

func clampRetry(ns float64) time.Duration {
	if ns <= 0 || math.IsNaN(ns) {
		return 0
	}
	if ns > float64(maxRetryAfter) {
		return maxRetryAfter
	}
	return time.Duration(ns)
}

// retryHint reads the wait an error message suggests: OpenAI's "Please try
// again in 1.2s." / "in 20ms" / "in 6m0s", Azure's "Please retry after 45
// seconds." Zero when there is none.
func retryHint(msg string) time.Duration {
	lower := strings.ToLower(msg)
	for _, marker := range [...]string{"try again in ", "retry after ", "retry in "} {
		i := strings.Index(lower, marker)
		if i < 0 {
			continue
		}
		rest := lower[i+len(marker):]
		// The number and its unit: "1.2s", "6m0s", "45 seconds", "500 ms".
		end := 0
		for end < len(rest) && (rest[end] == '.' || unicode.IsDigit(rune(rest[end])) || unicode.IsLetter(rune(rest[end]))) {
			end++
		}
		tok := strings.TrimSuffix(rest[:end], ".")
		if d, err := time.ParseDuration(tok); err == nil {
			return clampRetry(float64(d))
		}
		n, err := strconv.ParseFloat(tok, 64)
		if err != nil || !finite(n) {
			continue
		}
		unit := strings.TrimLeft(rest[end:], " ")
		scale := float64(time.Second) // a bare number, or "seconds"
		switch {
		case strings.HasPrefix(unit, "ms"), strings.HasPrefix(unit, "millisecond"):
			scale = float64(time.Millisecond)
		case strings.HasPrefix(unit, "minute"):
			scale = float64(time.Minute)
		}
		return clampRetry(n * scale)
	}
	return 0
}

// EncodeError writes e as OpenAI's error envelope, the one openai-go and the
// other SDKs parse: {"error":{"message","type","param","code"}}, with null
// for an absent param or code. The type follows the kind (the types this
// gateway uses on its own errors: invalid_request_error, authentication_error,
// permission_error, not_found_error, rate_limit_error, server_error,
// service_unavailable_error); a rate limit without a code of its own gets
// OpenAI's "rate_limit_exceeded". The caller sends it with e.HTTPStatus().
func EncodeError(e *wire.Error) []byte {
	kind := e.Kind
	if kind == 0 {
		kind = wire.KindOf(e.HTTPStatus())
	}
	env := &Error{Message: e.Message, Type: TypeForStatus(kind.Status()), Param: e.Param, Code: e.Code}
	if kind == wire.ErrTooLarge {
		env.Type = "invalid_request_error"
	}
	if env.Code == "" && kind == wire.ErrRateLimit {
		env.Code = "rate_limit_exceeded"
	}
	if env.Message == "" {
		env.Message = http.StatusText(e.HTTPStatus())
		if env.Message == "" {
			env.Message = "error"
		}
	}
	return appendErrorEnvelope(nil, env)
}

// appendErrorEnvelope writes the envelope by hand (stream encoders append it
// to their output).
func appendErrorEnvelope(b []byte, e *Error) []byte {
	b = append(b, `{"error":{"message":`...)
	b = appendJSONString(b, e.Message)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"param":`...)
	b = appendOptString(b, e.Param)
	b = append(b, `,"code":`...)
	b = appendOptString(b, e.Code)
	return append(b, "}}"...)
}

func appendOptString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}
