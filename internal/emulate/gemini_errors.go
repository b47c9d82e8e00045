package emulate

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// geminiError is an error answer in Google's envelope:
// {"error":{"code","message","status","details"}}.
type geminiError struct {
	code    int
	status  string
	message string
	details []byte // the members of the details array, as JSON; nil for none
}

func (e *geminiError) Error() string { return e.status + ": " + e.message }

// geminiJSON is the Content-Type of Google's JSON answers.
var geminiJSON = []string{"application/json; charset=UTF-8"}

func writeGeminiError(w http.ResponseWriter, err *geminiError) {
	b := make([]byte, 0, 160+len(err.message)+len(err.details))
	b = append(b, `{"error":{"code":`...)
	b = appendInt(b, err.code)
	b = append(b, `,"message":`...)
	b = appendString(b, err.message)
	b = append(b, `,"status":`...)
	b = appendString(b, err.status)
	if err.details != nil {
		b = append(b, `,"details":[`...)
		b = append(b, err.details...)
		b = append(b, ']')
	}
	b = append(b, "}}\n"...)
	h := w.Header()
	h["Content-Type"] = geminiJSON
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(err.code)
	_, _ = w.Write(b)
}

// geminiInvalid is a 400 INVALID_ARGUMENT without details, as Google answers
// the checks it makes after parsing a request.
func geminiInvalid(format string, args ...any) *geminiError {
	return &geminiError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: fmt.Sprintf(format, args...)}
}

// geminiRule is a 400 for a request that parsed but breaks a rule about
// one field, in the "* Request.field: message" form Google uses for them.
func geminiRule(path, format string, args ...any) *geminiError {
	if path == "" {
		return geminiInvalid("* GenerateContentRequest: "+format+"\n", args...)
	}
	return geminiInvalid("* GenerateContentRequest."+path+": "+format+"\n", args...)
}

// geminiPayload is a 400 for JSON the request's proto cannot hold, with the
// BadRequest detail Google attaches to those.
func geminiPayload(field, message string) *geminiError {
	d := append([]byte(nil), `{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":`...)
	d = appendString(d, field)
	d = append(d, `,"description":`...)
	d = appendString(d, message)
	d = append(d, "}]}"...)
	return &geminiError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: message, details: d}
}

// geminiUnknown refuses a member the message at path has no field for.
func geminiUnknown(name, at string) *geminiError {
	if at == "" {
		return geminiPayload("", `Invalid JSON payload received. Unknown name "`+name+`": Cannot find field.`)
	}
	return geminiPayload(at, `Invalid JSON payload received. Unknown name "`+name+`" at '`+at+`': Cannot find field.`)
}

// geminiBadValue refuses a value of the wrong kind for a field of type typ
// (TYPE_STRING, TYPE_INT32, a message or enum type URL, …).
func geminiBadValue(at, typ string, raw []byte) *geminiError {
	shown := strings.TrimSpace(string(raw))
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	return geminiPayload(at, "Invalid value at '"+at+"' ("+typ+"), "+shown)
}

// geminiType names a message or enum type of the Gemini API, as Google's
// errors do.
func geminiType(name string) string {
	return "type.googleapis.com/google.ai.generativelanguage.v1beta." + name
}

func geminiServerError() *geminiError {
	return &geminiError{code: http.StatusInternalServerError, status: "INTERNAL",
		message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"}
}

func geminiUnavailable() *geminiError {
	return &geminiError{code: http.StatusServiceUnavailable, status: "UNAVAILABLE",
		message: "The model is overloaded. Please try again later."}
}

// geminiKeyInvalid is Google's answer to a key it does not know: a 400, not a 401.
func geminiKeyInvalid() *geminiError {
	const msg = "API key not valid. Please pass a valid API key."
	return &geminiError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: msg,
		details: []byte(`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID",` +
			`"domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},` +
			`{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"` + msg + `"}`)}
}

// geminiUnregistered is Google's answer to a request with no credential at all.
func geminiUnregistered() *geminiError {
	return &geminiError{code: http.StatusForbidden, status: "PERMISSION_DENIED",
		message: "Method doesn't allow unregistered callers (callers without established identity). " +
			"Please use API Key or other form of API consumer identity to call this API."}
}

// geminiBadToken is Google's answer to a bearer token that is not an OAuth
// access token, such as an API key sent as one.
func geminiBadToken() *geminiError {
	return &geminiError{code: http.StatusUnauthorized, status: "UNAUTHENTICATED",
		message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or " +
			"other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		details: []byte(`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_TYPE_UNSUPPORTED",` +
			`"domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com",` +
			`"method":"google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent"}}`)}
}

// protoDuration renders a wait as a google.protobuf.Duration in JSON:
// seconds with the fraction it needs and an "s".
func protoDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// geminiExhausted is a 429 RESOURCE_EXHAUSTED: the quota a request
// exceeded, where to read about quotas, and when to retry.
func geminiExhausted(model, metric, quotaID string, limit int, wait time.Duration) *geminiError {
	lim := strconv.Itoa(limit)
	msg := "You exceeded your current quota, please check your plan and billing details. For more information on " +
		"this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, " +
		"head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: " + metric + ", limit: " + lim +
		", model: " + model + "\nPlease retry in " + protoDuration(wait) + "."
	d := append([]byte(nil), `{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":`...)
	d = appendString(d, metric)
	d = append(d, `,"quotaId":`...)
	d = appendString(d, quotaID)
	d = append(d, `,"quotaDimensions":{"location":"global","model":`...)
	d = appendString(d, model)
	d = append(d, `},"quotaValue":`...)
	d = appendString(d, lim)
	d = append(d, `}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas",`+
		`"url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"`...)
	d = append(d, protoDuration(wait)...)
	d = append(d, `"}`...)
	return &geminiError{code: http.StatusTooManyRequests, status: "RESOURCE_EXHAUSTED", message: msg, details: d}
}
