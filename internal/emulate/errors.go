package emulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an error answer. It renders as OpenAI's envelope,
// {"error":{"message","type","param","code"}}, or, when short is set, as the
// envelope Azure's API gateway uses for its own errors, {"error":{"code","message"}}.
type apiError struct {
	status  int
	message string
	typ     string // "" renders null
	param   string // "" renders null
	code    string // "" renders null
	short   bool
}

func writeError(w http.ResponseWriter, e *apiError) {
	b := make([]byte, 0, 128+len(e.message))
	b = append(b, `{"error":{`...)
	if e.short {
		b = append(b, `"code":`...)
		b = appendString(b, e.code)
		b = append(b, `,"message":`...)
		b = appendString(b, e.message)
	} else {
		b = append(b, `"message":`...)
		b = appendString(b, e.message)
		b = append(b, `,"type":`...)
		b = appendNullable(b, e.typ)
		b = append(b, `,"param":`...)
		b = appendNullable(b, e.param)
		b = append(b, `,"code":`...)
		b = appendNullable(b, e.code)
	}
	b = append(b, "}}\n"...)
	h := w.Header()
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func serverError() *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "server_error",
		message: "The server had an error while processing your request. Sorry about that!"}
}

// invalid returns a 400 naming the offending parameter.
func invalid(param, code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		param: param, code: code, message: fmt.Sprintf(format, args...)}
}

func missing(param string) *apiError {
	return invalid(param, "missing_required_parameter", "Missing required parameter: '%s'.", param)
}

func belowMin(param string, v, least int) *apiError {
	return invalid(param, "integer_below_min_value",
		"Invalid '%s': integer below minimum value. Expected a value >= %d, but got %d instead.", param, least, v)
}

func wrongType(param, want string, raw []byte) *apiError {
	return invalid(param, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.",
		param, want, jsonKind(raw))
}

// decodeError turns an encoding/json error into OpenAI's 400. Fields inside
// what was decoded get prefix, such as "messages[2]".
func decodeError(err error, prefix string) *apiError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		param := prefix
		if te.Field != "" {
			if param != "" {
				param += "."
			}
			param += te.Field
		}
		if param == "" {
			return invalid("", "", "Invalid request body: expected a JSON object, but got %s instead.", article(te.Value))
		}
		return invalid(param, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.",
			param, goKind(te.Type.Kind().String()), article(te.Value))
	}
	return invalid("", "", "We could not parse the JSON body of your request. (HINT: This likely means you aren't "+
		"using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "+
		"JSON. If you have trouble figuring out how to fix this, please contact us through our help center at "+
		"help.openai.com.)")
}

// article names a JSON value kind as encoding/json reports it ("number 1.5").
func article(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "bool":
		return "a boolean"
	case v == "object":
		return "an object"
	case v == "array":
		return "an array"
	case len(v) >= 6 && v[:6] == "number":
		return "a number"
	}
	return v
}

// goKind names what a Go kind expects in JSON terms.
func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	}
	return "an object"
}

// jsonKind names the kind of a raw JSON value as OpenAI's messages do.
func jsonKind(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			return "a string"
		case '{':
			return "an object"
		case '[':
			return "an array"
		case 't', 'f':
			return "a boolean"
		case 'n':
			return "null"
		}
		for _, d := range raw {
			if d == '.' || d == 'e' || d == 'E' {
				return "a decimal"
			}
		}
		return "an integer"
	}
	return "nothing"
}
