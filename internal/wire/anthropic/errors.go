package anthropic

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/wire"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// maxRetryAfter bounds a provider's retry hint, so that a bogus header cannot
// park a request for days.
const maxRetryAfter = 24 * time.Hour

// DecodeError maps an Anthropic error answer — {"type":"error","error":{"type",
// "message","details":{"error_code"}},"request_id"} — to the canonical form.
// It accepts any body: a proxy's HTML page, an empty body or another cloud's
// envelope yields an error classified by the status and a message quoting the
// body. The error type decides the kind when it is known (an "overloaded_error"
// under any status is ErrOverloaded); otherwise the status does (529 is
// ErrOverloaded, answered as 503 to clients of other formats). The request id
// is left out: it names the upstream request, which the gateway logs itself.
func DecodeError(status int, h http.Header, body []byte) *wire.Error {
	e := &wire.Error{}
	var typ string
	if jsoncheck.Valid(body) {
		root := gjson.ParseBytes(body)
		inner := root.Get("error")
		switch {
		case inner.IsObject():
			typ = inner.Get("type").Str
			e.Message = inner.Get("message").Str
			if c := inner.Get("details.error_code"); c.Type == gjson.String {
				e.Code = c.Str
			}
		case inner.Type == gjson.String: // {"error":"…"} from some proxies
			e.Message = inner.Str
		case root.Get("message").Type == gjson.String: // {"message":"…"}: AWS and API gateways
			e.Message = root.Get("message").Str
		}
	}
	e.Kind = kindOfType(typ)
	if e.Kind == 0 {
		e.Kind = wire.KindOf(status)
	}
	if e.Message == "" {
		e.Message = snippet(status, body)
	}
	e.RetryAfter = retryAfter(h, time.Now())
	return e
}

// kindOfType maps Anthropic's error types; 0 for one it does not know.
func kindOfType(t string) wire.ErrorKind {
	switch t {
	case "invalid_request_error":
		return wire.ErrInvalidRequest
	case "authentication_error":
		return wire.ErrAuthentication
	case "permission_error", "billing_error":
		// A billing problem is the gateway operator's, like a permission.
		return wire.ErrPermission
	case "not_found_error":
		return wire.ErrNotFound
	case "request_too_large":
		return wire.ErrTooLarge
	case "rate_limit_error":
		return wire.ErrRateLimit
	case "api_error":
		return wire.ErrServer
	case "overloaded_error":
		return wire.ErrOverloaded
	case "timeout_error":
		return wire.ErrTimeout
	}
	return 0
}

// errorType is the Anthropic error type for a kind.
func errorType(k wire.ErrorKind) string {
	switch k {
	case wire.ErrInvalidRequest:
		return "invalid_request_error"
	case wire.ErrAuthentication:
		return "authentication_error"
	case wire.ErrPermission:
		return "permission_error"
	case wire.ErrNotFound:
		return "not_found_error"
	case wire.ErrTooLarge:
		return "request_too_large"
	case wire.ErrRateLimit:
		return "rate_limit_error"
	case wire.ErrOverloaded:
		return "overloaded_error"
	case wire.ErrTimeout:
		return "timeout_error"
	}
	return "api_error"
}

// snippet describes a body that carried no usable message.
func snippet(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	switch {
	case s == "" && status == 0:
		return "upstream error with an empty body"
	case s == "":
		return fmt.Sprintf("upstream returned HTTP %d with an empty body", status)
	case status == 0:
		return "upstream error: " + s
	}
	return fmt.Sprintf("upstream returned HTTP %d: %s", status, s)
}

// retryAfter reads retry-after-ms (fractional milliseconds), then
// retry-after (seconds, or an HTTP date), as the Anthropic SDKs do.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	clamp := func(d time.Duration) time.Duration {
		return min(max(d, 0), maxRetryAfter)
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && finite(ms) && ms > 0 {
			return clamp(time.Duration(math.Min(ms, float64(maxRetryAfter/time.Millisecond)) * float64(time.Millisecond)))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !finite(s) || s <= 0 {
			return 0
		}
		return clamp(time.Duration(math.Min(s, maxRetryAfter.Seconds()) * float64(time.Second)))
	}
	if t, err := http.ParseTime(v); err == nil {
		return clamp(t.Sub(now))
	}
	return 0
}

// EncodeError encodes e in Anthropic's envelope. The HTTP status to send with
// it is HTTPStatus(e). A Param the message does not already name is put in
// front of it, the way Anthropic words its own messages ("max_tokens: Field
// required"); a Code travels as details.error_code, where the SDKs look.
func EncodeError(e *wire.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus())
		if msg == "" {
			msg = "error"
		}
	}
	if e.Param != "" && !strings.Contains(msg, e.Param) {
		msg = e.Param + ": " + msg
	}
	dst := make([]byte, 0, 96+len(msg)+len(e.Code))
	dst = append(dst, `{"type":"error","error":{"type":"`...)
	dst = append(dst, errorType(e.Kind)...)
	dst = append(dst, `","message":`...)
	dst = appendString(dst, msg)
	if e.Code != "" {
		dst = append(dst, `,"details":{"error_code":`...)
		dst = appendString(dst, e.Code)
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

// HTTPStatus is the status to answer an Anthropic client with: e's own, but
// 529 for an overload, as Anthropic itself answers: clients written against
// Anthropic look for that status.
func HTTPStatus(e *wire.Error) int {
	if e.Kind == wire.ErrOverloaded && (e.Status == 0 || e.Status == http.StatusServiceUnavailable) {
		return 529
	}
	return e.HTTPStatus()
}
