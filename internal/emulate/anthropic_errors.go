package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// anthropicError is an error answer in Anthropic's envelope:
// {"type":"error","error":{"type","message"},"request_id"}.
type anthropicError struct {
	status  int
	typ     string
	message string
}

func (e *anthropicError) Error() string { return e.typ + ": " + e.message }

// writeAnthropicError answers with err. The request id in the body is the one
// in the request-id header, as Anthropic sends both.
func writeAnthropicError(w http.ResponseWriter, err *anthropicError) {
	b := make([]byte, 0, 128+len(err.message))
	b = append(b, `{"type":"error","error":{"type":`...)
	b = appendString(b, err.typ)
	b = append(b, `,"message":`...)
	b = appendString(b, err.message)
	b = append(b, `},"request_id":`...)
	b = appendString(b, w.Header().Get("Request-Id"))
	b = append(b, '}')
	h := w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if err.status >= 500 {
		// Anthropic tells its SDKs whether a failure is worth retrying.
		h.Set("X-Should-Retry", "true")
	}
	w.WriteHeader(err.status)
	_, _ = w.Write(b)
}

// anthropicInvalid returns a 400 invalid_request_error. Messages that name a
// field start with its dotted path ("messages.0.content.1.text: …"), as the
// real API's validation errors do.
func anthropicInvalid(format string, args ...any) *anthropicError {
	return &anthropicError{status: http.StatusBadRequest, typ: "invalid_request_error", message: fmt.Sprintf(format, args...)}
}

func anthropicRequired(path string) *anthropicError {
	return anthropicInvalid("%s: Field required", path)
}

func anthropicExtra(path string) *anthropicError {
	return anthropicInvalid("%s: Extra inputs are not permitted", path)
}

// anthropicWant reports a value of the wrong JSON type at path; want is
// "string", "integer", "number", "boolean", "list" or "dictionary".
func anthropicWant(path, want string) *anthropicError {
	if path == "" {
		return anthropicInvalid("Input should be a valid %s", want)
	}
	return anthropicInvalid("%s: Input should be a valid %s", path, want)
}

func anthropicServerError() *anthropicError {
	return &anthropicError{status: http.StatusInternalServerError, typ: "api_error", message: "Internal server error"}
}

func anthropicOverloaded() *anthropicError {
	return &anthropicError{status: 529, typ: "overloaded_error", message: "Overloaded"}
}

// anthropicPath appends a field or index to a dotted error path.
func anthropicPath(at, field string) string {
	if at == "" {
		return field
	}
	return at + "." + field
}

func anthropicIndex(at string, i int) string { return anthropicPath(at, strconv.Itoa(i)) }

// anthropicStrict decodes the JSON value raw into v, refusing object members
// v has no field for, the way the real API refuses extra inputs. Errors name
// the offending field under at.
func anthropicStrict(raw []byte, at string, v any) *anthropicError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return anthropicDecodeError(err, at)
	}
	return nil
}

// jsonUnknownField starts the message encoding/json gives for a member that
// DisallowUnknownFields refused; it has no typed error to match instead.
const jsonUnknownField = `json: unknown field "`

// anthropicDecodeError turns an encoding/json error into the 400 the real
// API would answer, in pydantic's words.
func anthropicDecodeError(err error, at string) *anthropicError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := at
		if te.Field != "" {
			path = anthropicPath(at, te.Field)
		}
		return anthropicWant(path, pydanticKind(te.Type))
	}
	if msg := err.Error(); strings.HasPrefix(msg, jsonUnknownField) {
		name := strings.TrimSuffix(strings.TrimPrefix(msg, jsonUnknownField), `"`)
		return anthropicExtra(anthropicPath(at, name))
	}
	return anthropicInvalid("There was an error parsing the body of your request: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// pydanticKind names what a Go type expects, as pydantic's messages do.
func pydanticKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	return "dictionary"
}
