package gemini

import (
	"bytes"
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

// Google's error envelope (AIP-193):
//
//	{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED",
//	  "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"20s"}, …]}}
//
// status is a google.rpc.Code name. Gemini sends no Retry-After header: the
// wait is in the RetryInfo detail, a protobuf duration ("45.837906927s").

const (
	typeRetryInfo  = "type.googleapis.com/google.rpc.RetryInfo"
	typeErrorInfo  = "type.googleapis.com/google.rpc.ErrorInfo"
	typeBadRequest = "type.googleapis.com/google.rpc.BadRequest"
)

// statusKinds maps google.rpc.Code names to error kinds.
var statusKinds = map[string]wire.ErrorKind{
	"INVALID_ARGUMENT":    wire.ErrInvalidRequest,
	"FAILED_PRECONDITION": wire.ErrInvalidRequest, // e.g. billing not enabled, region not supported
	"OUT_OF_RANGE":        wire.ErrInvalidRequest,
	"ALREADY_EXISTS":      wire.ErrInvalidRequest,
	"UNIMPLEMENTED":       wire.ErrInvalidRequest, // the model does not do what was asked
	"UNAUTHENTICATED":     wire.ErrAuthentication,
	"PERMISSION_DENIED":   wire.ErrPermission,
	"NOT_FOUND":           wire.ErrNotFound,
	"RESOURCE_EXHAUSTED":  wire.ErrRateLimit,
	"UNAVAILABLE":         wire.ErrOverloaded,
	"DEADLINE_EXCEEDED":   wire.ErrTimeout,
	"INTERNAL":            wire.ErrServer,
	"UNKNOWN":             wire.ErrServer,
	"DATA_LOSS":           wire.ErrServer,
	"ABORTED":             wire.ErrServer, // a conflict worth retrying
	"CANCELLED":           wire.ErrServer,
}

// statusName is the google.rpc.Code name for a kind.
func statusName(k wire.ErrorKind) string {
	switch k {
	case wire.ErrInvalidRequest, wire.ErrTooLarge:
		return "INVALID_ARGUMENT"
	case wire.ErrAuthentication:
		return "UNAUTHENTICATED"
	case wire.ErrPermission:
		return "PERMISSION_DENIED"
	case wire.ErrNotFound:
		return "NOT_FOUND"
	case wire.ErrRateLimit:
		return "RESOURCE_EXHAUSTED"
	case wire.ErrOverloaded:
		return "UNAVAILABLE"
	case wire.ErrTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}

// badKeyReasons are ErrorInfo reasons of a bad API key. Gemini answers a
// wrong key with 400 INVALID_ARGUMENT, not 401.
var badKeyReasons = map[string]bool{
	"API_KEY_INVALID":   true,
	"API_KEY_EXPIRED":   true,
	"API_KEY_NOT_FOUND": true,
}

// DecodeError maps a Gemini error answer to a *wire.Error. It accepts any
// body: Google's envelope (also wrapped in an array, as the non-SSE stream
// sends it), or garbage from a proxy, in which case the HTTP status decides.
// Code is the ErrorInfo reason when there is one (API_KEY_INVALID …), else
// the status name; Param is the first BadRequest field violation.
func DecodeError(status int, h http.Header, body []byte) *wire.Error {
	var obj gjson.Result
	if jsoncheck.Valid(body) {
		root := gjson.Parse(string(body))
		if root.IsArray() {
			root = root.Get("0")
		}
		if e := root.Get("error"); e.IsObject() {
			obj = e
		}
	}
	return errorFromObject(status, h, obj, body)
}

// errorFromObject builds the error from an envelope's "error" object (which
// may be missing), the HTTP status (0 inside a stream) and the headers.
func errorFromObject(status int, h http.Header, obj gjson.Result, body []byte) *wire.Error {
	e := &wire.Error{}
	code := status
	var name, reason string
	if obj.IsObject() {
		if c, ok := intValue(obj.Get("code")); ok && code == 0 {
			code = int(c)
		}
		// The object may point into a stream's read buffer: copy what is kept.
		name = strings.Clone(obj.Get("status").String())
		e.Message = strings.Clone(obj.Get("message").String())
		obj.Get("details").ForEach(func(_, d gjson.Result) bool {
			switch d.Get(`\@type`).String() {
			case typeRetryInfo:
				e.RetryAfter = retryDelay(d.Get("retryDelay"))
			case typeErrorInfo:
				if reason == "" {
					reason = strings.Clone(d.Get("reason").String())
				}
			case typeBadRequest:
				if e.Param == "" {
					e.Param = strings.Clone(d.Get("fieldViolations.0.field").String())
				}
			}
			return true
		})
	}
	kind, known := statusKinds[name]
	switch {
	case code == http.StatusRequestEntityTooLarge:
		kind = wire.ErrTooLarge
	case known:
	case code >= 400:
		kind = wire.KindOf(code)
	default:
		kind = wire.ErrServer
	}
	if badKeyReasons[reason] || (kind == wire.ErrInvalidRequest && strings.Contains(e.Message, "API key not valid")) {
		kind = wire.ErrAuthentication
	}
	e.Kind = kind
	e.Code = reason
	if e.Code == "" {
		e.Code = name
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = retryAfterHeader(h)
	}
	if e.Message == "" {
		e.Message = snippet(code, body)
	}
	return e
}

// maxRetryAfter bounds a retry hint, so a garbled one cannot overflow.
const maxRetryAfter = 7 * 24 * time.Hour

// retryDelay reads a protobuf Duration, rounded up to whole seconds: in JSON
// a string such as "20s" or "45.837906927s", and, from some proxies, the
// object form {"seconds":20,"nanos":5}.
func retryDelay(v gjson.Result) time.Duration {
	var secs int64
	var frac bool
	switch {
	case v.Type == gjson.String:
		s, ok := strings.CutSuffix(strings.TrimSpace(v.Str), "s")
		if !ok {
			return 0
		}
		whole, fraction, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || n < 0 {
			return 0
		}
		for i := 0; i < len(fraction); i++ {
			if fraction[i] < '0' || fraction[i] > '9' {
				return 0
			}
			frac = frac || fraction[i] != '0'
		}
		secs = n
	case v.IsObject():
		n, ok := intValue(v.Get("seconds"))
		if !ok && v.Get("seconds").Exists() {
			return 0
		}
		nanos, _ := intValue(v.Get("nanos"))
		if n < 0 || nanos < 0 {
			return 0
		}
		secs, frac = n, nanos > 0
	default:
		return 0
	}
	if frac {
		secs++
	}
	if secs > int64(maxRetryAfter/time.Second) {
		return maxRetryAfter
	}
	return time.Duration(secs) * time.Second
}

// retryAfterHeader reads retry-after-ms, or retry-after in seconds or as an
// HTTP date. Gemini sends neither, but a proxy in front of it may.
func retryAfterHeader(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return min(time.Duration(math.Ceil(ms))*time.Millisecond, maxRetryAfter)
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d.Round(time.Second), maxRetryAfter)
		}
	}
	return 0
}

// snippet describes a body that is not Google's envelope.
func snippet(status int, body []byte) string {
	s := string(bytes.TrimSpace(body))
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	switch {
	case s == "" && status > 0:
		return fmt.Sprintf("upstream returned HTTP %d with an empty body", status)
	case s == "":
		return "upstream returned an empty error"
	case status > 0:
		return fmt.Sprintf("upstream returned HTTP %d: %s", status, s)
	}
	return "upstream error: " + s
}

// EncodeError writes e in Google's envelope, which the genai SDKs read into
// their APIError (Code, Message, Status, Details). The status name follows
// e.Kind (e.Code when it is a status name of the same kind); e.Code that
// looks like an ErrorInfo reason goes into an ErrorInfo detail, e.Param into
// a BadRequest field violation and e.RetryAfter into RetryInfo.
func EncodeError(e *wire.Error) []byte {
	if e == nil {
		e = &wire.Error{Kind: wire.ErrServer, Message: "internal error"}
	}
	return appendError(make([]byte, 0, 192+len(e.Message)), e)
}

func appendError(b []byte, e *wire.Error) []byte {
	code := e.HTTPStatus()
	name := statusName(e.Kind)
	if k, ok := statusKinds[e.Code]; ok && k == e.Kind {
		name = e.Code
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Kind.Status())
	}
	b = append(b, `{"error":{"code":`...)
	b = appendInt(b, int64(code))
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"status":`...)
	b = appendString(b, name)
	_, isName := statusKinds[e.Code]
	reason := e.Code != "" && !isName && isReason(e.Code)
	if reason || e.Param != "" || e.RetryAfter > 0 {
		b = append(b, `,"details":[`...)
		n := 0
		if reason {
			b = append(b, `{"@type":"`+typeErrorInfo+`","reason":`...)
			b = appendString(b, e.Code)
			b = append(b, `,"domain":"googleapis.com"}`...)
			n++
		}
		if e.Param != "" {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"@type":"`+typeBadRequest+`","fieldViolations":[{"field":`...)
			b = appendString(b, e.Param)
			b = append(b, `,"description":`...)
			b = appendString(b, msg)
			b = append(b, `}]}`...)
			n++
		}
		if e.RetryAfter > 0 {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"@type":"`+typeRetryInfo+`","retryDelay":"`...)
			b = strconv.AppendFloat(b, e.RetryAfter.Seconds(), 'f', -1, 64)
			b = append(b, `s"}`...)
		}
		b = append(b, ']')
	}
	return append(b, '}', '}')
}

// isReason reports whether s looks like an ErrorInfo reason: UPPER_SNAKE_CASE.
func isReason(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
