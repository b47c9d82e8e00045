package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// Error is an error in OpenAI's envelope:
// {"error":{"message","type","param","code"}}.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Param   string `json:"param"`
	Code    string `json:"code"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

// BadRequest is a 400 invalid_request_error about param (empty for none).
func BadRequest(param, code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param, Code: code, Message: msg}
}

// MarshalJSON writes the envelope, with null for an empty param or code as
// OpenAI does.
func (e *Error) MarshalJSON() ([]byte, error) {
	type inner struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	in := inner{Message: e.Message, Type: e.Type}
	if e.Param != "" {
		in.Param = &e.Param
	}
	if e.Code != "" {
		in.Code = &e.Code
	}
	return json.Marshal(struct {
		Error inner `json:"error"`
	}{in})
}

// Body is the envelope as bytes.
func (e *Error) Body() []byte {
	b, _ := e.MarshalJSON()
	return b
}

// TypeForStatus is the OpenAI error type conventionally used with an HTTP status.
func TypeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusServiceUnavailable:
		return "service_unavailable_error"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

// NormalizeError turns an upstream error body from any OpenAI-format server into
// the standard envelope. OpenAI's own bodies pass unchanged; vLLM's older
// unwrapped {"object":"error",...}, Azure's type-less {"error":{"code":"429"}},
// integer codes and non-JSON bodies (an HTML page from a proxy) are rewritten,
// so clients always see {"error":{"message","type","param","code"}}.
func NormalizeError(status int, body []byte) []byte {
	if jsoncheck.Valid(body) {
		root := gjson.ParseBytes(body)
		inner, wrapped := root.Get("error"), true
		if !inner.IsObject() && root.Get("message").Exists() {
			inner, wrapped = root, false // vLLM before 0.8: the fields at top level
		}
		if inner.IsObject() {
			typ, code, msg := inner.Get("type"), inner.Get("code"), inner.Get("message")
			if wrapped && typ.Type == gjson.String && typ.Str != "" && code.Type != gjson.Number && msg.Str != "" {
				return body // already a standard envelope
			}
			e := &Error{Status: status, Message: msg.String(), Type: typ.String(), Param: inner.Get("param").String(), Code: code.String()}
			// vLLM names Python exception classes ("BadRequestError"); Azure
			// sends no type at all. Use OpenAI's type for the status instead.
			if e.Type == "" || (strings.HasSuffix(e.Type, "Error") && !strings.Contains(e.Type, "_")) {
				e.Type = TypeForStatus(status)
			}
			if e.Message == "" {
				e.Message = fmt.Sprintf("upstream returned HTTP %d", status)
			}
			return e.Body()
		}
	}
	return (&Error{Status: status, Type: TypeForStatus(status), Message: upstreamSnippet(status, body)}).Body()
}

func upstreamSnippet(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	if s == "" {
		return fmt.Sprintf("upstream returned HTTP %d with an empty body", status)
	}
	return fmt.Sprintf("upstream returned HTTP %d: %s", status, s)
}
