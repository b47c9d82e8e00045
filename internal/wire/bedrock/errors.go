package bedrock

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// Bedrock errors (protocols.md §3.6): the exception name travels in the
// X-Amzn-ErrorType header ("ThrottlingException:http://internal.amazon.com/
// coral/com.amazon.bedrock/"), else in the body's __type or code; the body is
// {"message": ...} (some services spell it "Message"). In a stream the same
// exceptions arrive as eventstream messages named by :exception-type, in
// lowerCamelCase.

// typeSuffix is what Bedrock appends to the exception name in X-Amzn-ErrorType.
const typeSuffix = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

// exceptions maps Bedrock exception names to canonical kinds. The statuses
// Bedrock pairs with them (ModelNotReadyException is a 429, ModelTimeout a
// 408, ModelError a 424) say less to a client than the kind, so the decoded
// error keeps Status 0 and answers with the kind's status.
var exceptions = map[string]wire.ErrorKind{
	"ThrottlingException":                 wire.ErrRateLimit,
	"ServiceQuotaExceededException":       wire.ErrRateLimit,
	"ModelNotReadyException":              wire.ErrOverloaded,
	"ServiceUnavailableException":         wire.ErrOverloaded,
	"ValidationException":                 wire.ErrInvalidRequest,
	"ConflictException":                   wire.ErrInvalidRequest,
	"SerializationException":              wire.ErrInvalidRequest,
	"AccessDeniedException":               wire.ErrPermission,
	"UnrecognizedClientException":         wire.ErrAuthentication,
	"InvalidSignatureException":           wire.ErrAuthentication,
	"ExpiredTokenException":               wire.ErrAuthentication,
	"MissingAuthenticationTokenException": wire.ErrAuthentication,
	"IncompleteSignatureException":        wire.ErrAuthentication,
	"ResourceNotFoundException":           wire.ErrNotFound,
	"UnknownOperationException":           wire.ErrNotFound,
	"ModelTimeoutException":               wire.ErrTimeout,
	"InternalServerException":             wire.ErrServer,
	"ModelErrorException":                 wire.ErrServer,
	"ModelStreamErrorException":           wire.ErrServer,
}

// kindOfException returns the kind of a Bedrock exception name, in either
// UpperCamelCase (HTTP) or lowerCamelCase (eventstream :exception-type).
func kindOfException(name string) (wire.ErrorKind, bool) {
	if k, ok := exceptions[name]; ok {
		return k, true
	}
	if name != "" && name[0] >= 'a' && name[0] <= 'z' {
		k, ok := exceptions[string(name[0]-'a'+'A')+name[1:]]
		return k, ok
	}
	return 0, false
}

// sanitizeType strips the URI suffix and namespace prefix the way the AWS
// SDKs do: "ns#Name:uri" -> "Name".
func sanitizeType(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.IndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}

// DecodeError maps a Bedrock error answer to a canonical error. It never
// returns nil and accepts any body.
func DecodeError(status int, h http.Header, body []byte) *wire.Error {
	e := &wire.Error{}
	code := sanitizeType(h.Get("X-Amzn-ErrorType"))
	var root gjson.Result
	if jsoncheck.Valid(body) {
		root = gjson.ParseBytes(body)
	}
	if root.IsObject() {
		if code == "" {
			if t := root.Get("__type"); t.Type == gjson.String {
				code = sanitizeType(t.Str)
			} else if c := root.Get("code"); c.Type == gjson.String {
				code = sanitizeType(c.Str)
			}
		}
		for _, k := range [...]string{"message", "Message", "errorMessage"} {
			if m := root.Get(k); m.Type == gjson.String && m.Str != "" {
				e.Message = m.Str
				break
			}
		}
	}
	e.Code = code
	if k, ok := kindOfException(code); ok {
		e.Kind = k
	} else {
		e.Kind = wire.KindOf(status)
		// An unknown exception: the original status is all there is to go
		// by, so answer with it when it is a real error status.
		if status >= 400 && status <= 599 && status != e.Kind.Status() {
			e.Status = status
		}
	}
	if e.Message == "" {
		e.Message = fallbackMessage(status, code, body)
	}
	e.RetryAfter = retryAfter(h, time.Now())
	return e
}

// fallbackMessage describes an error whose body had no message: a proxy's
// HTML page, an empty body, garbage.
func fallbackMessage(status int, code string, body []byte) string {
	var b strings.Builder
	b.WriteString("Bedrock returned HTTP ")
	b.WriteString(strconv.Itoa(status))
	if t := http.StatusText(status); t != "" {
		b.WriteString(" " + t)
	}
	if code != "" {
		b.WriteString(" (" + code + ")")
	}
	snippet := strings.TrimSpace(string(body))
	if len(snippet) > 200 {
		snippet = snippet[:200]
	}
	if snippet = strings.ToValidUTF8(snippet, "\uFFFD"); snippet != "" {
		b.WriteString(": " + snippet)
	}
	return b.String()
}

// retryAfter reads Retry-After (seconds or an HTTP date) and retry-after-ms.
// Bedrock documents neither, but proxies in front of it may send them.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e10 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && s < 1e7 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// exceptionName is the Bedrock exception that expresses e: its own Code when
// that names a Bedrock exception of the same kind (an error decoded from
// Bedrock goes back out unchanged), else the usual one for its kind.
func exceptionName(e *wire.Error) string {
	if name := sanitizeType(e.Code); name != "" {
		if k, ok := kindOfException(name); ok && k == e.Kind {
			if name[0] >= 'a' && name[0] <= 'z' {
				name = string(name[0]-'a'+'A') + name[1:]
			}
			return name
		}
	}
	switch e.Kind {
	case wire.ErrAuthentication:
		return "UnrecognizedClientException"
	case wire.ErrPermission:
		return "AccessDeniedException"
	case wire.ErrNotFound:
		return "ResourceNotFoundException"
	case wire.ErrRateLimit:
		return "ThrottlingException"
	case wire.ErrOverloaded:
		return "ServiceUnavailableException"
	case wire.ErrTimeout:
		return "ModelTimeoutException"
	case wire.ErrInvalidRequest, wire.ErrTooLarge:
		// Bedrock answers an oversized input with a ValidationException.
		return "ValidationException"
	}
	return "InternalServerException"
}

// ErrorType returns the X-Amzn-ErrorType header value Bedrock would send
// with e, e.g. "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/".
// The AWS SDKs pick the exception type from this header.
func ErrorType(e *wire.Error) string {
	return exceptionName(e) + typeSuffix
}

// EncodeError returns the body Bedrock sends with an error: {"message": ...}.
// Send it with the X-Amzn-ErrorType header from ErrorType, the status
// e.HTTPStatus() and Content-Type application/json.
func EncodeError(e *wire.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("%s (HTTP %d)", exceptionName(e), e.HTTPStatus())
	}
	dst := make([]byte, 0, len(msg)+16)
	dst = append(dst, `{"message":`...)
	dst = appendString(dst, msg)
	return append(dst, '}')
}
