package emulate

import (
	"fmt"
	"net/http"
	"strconv"
)

// Namespaces AWS appends to X-Amzn-ErrorType. Bedrock's own exceptions carry
// the service's; those of the authentication layer in front of every AWS
// JSON service carry Coral's.
const (
	bedrockNS = "http://internal.amazon.com/coral/com.amazon.bedrock/"
	coralNS   = "http://internal.amazon.com/coral/com.amazon.coral.service/"
)

// bedrockError is an error answer as AWS sends it: the exception's name in
// X-Amzn-ErrorType, which is what the SDKs read, and {"message": …} in the
// body. Coral's authorizer writes "Message" for some errors; capital keeps
// that spelling, which the SDKs read as well, case-insensitively.
type bedrockError struct {
	status  int
	code    string // exception name, e.g. ThrottlingException
	ns      string
	message string
	capital bool
}

func writeBedrockError(w http.ResponseWriter, e *bedrockError) {
	b := make([]byte, 0, 32+len(e.message))
	if e.capital {
		b = append(b, `{"Message":`...)
	} else {
		b = append(b, `{"message":`...)
	}
	b = appendString(b, e.message)
	b = append(b, '}')
	h := w.Header()
	h.Set("X-Amzn-Errortype", e.code+":"+e.ns)
	h["Content-Type"] = jsonContent
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// bedrockInvalid is a 400 ValidationException.
func bedrockInvalid(format string, args ...any) *bedrockError {
	return &bedrockError{status: http.StatusBadRequest, code: "ValidationException", ns: bedrockNS,
		message: fmt.Sprintf(format, args...)}
}

// The constraint violations below are worded as AWS's request validation
// words them, naming the member by its path with list items as "N.member".

func awsNotNull(path string) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value null at '%s' failed to satisfy constraint: "+
		"Member must not be null", path)
}

func awsPattern(value, path, pattern string) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
		"Member must satisfy regular expression pattern: %s", value, path, pattern)
}

func awsTooShort(value, path string, least int) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
		"Member must have length greater than or equal to %d", value, path, least)
}

func awsTooLong(value, path string, most int) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
		"Member must have length less than or equal to %d", value, path, most)
}

func awsEnum(value, path, set string) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "+
		"Member must satisfy enum value set: [%s]", value, path, set)
}

func awsBelow(value any, path string, least any) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: "+
		"Member must have value greater than or equal to %v", value, path, least)
}

func awsAbove(value any, path string, most any) *bedrockError {
	return bedrockInvalid("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: "+
		"Member must have value less than or equal to %v", value, path, most)
}

// awsNotObject is Bedrock's answer to a JSON document that must be an object.
func awsNotObject(path string) *bedrockError {
	return bedrockInvalid("The format of the value at %s is invalid. Provide a json object for the field and try again.", path)
}

// awsMalformed answers a body that is not JSON, or not the request's shape.
func awsMalformed(detail string) *bedrockError {
	return bedrockInvalid("Malformed input request: %s, please reformat your input and try again.", detail)
}

func bedrockThrottled() *bedrockError {
	return &bedrockError{status: http.StatusTooManyRequests, code: "ThrottlingException", ns: bedrockNS,
		message: "Too many requests, please wait before trying again."}
}

func bedrockServerError() *bedrockError {
	return &bedrockError{status: http.StatusInternalServerError, code: "InternalServerException", ns: bedrockNS,
		message: "The system encountered an unexpected error during processing. Try your request again."}
}

func bedrockUnknownOperation(r *http.Request) *bedrockError {
	return &bedrockError{status: http.StatusNotFound, code: "UnknownOperationException", ns: coralNS,
		message: "Unknown operation " + r.Method + " " + r.URL.Path + ": this emulator serves POST " +
			"/model/{modelId}/converse, /model/{modelId}/converse-stream and /model/{modelId}/count-tokens."}
}

// Authentication failures. All are 403s.

func awsAuthMissing() *bedrockError {
	return &bedrockError{status: http.StatusForbidden, code: "AccessDeniedException", ns: coralNS, capital: true,
		message: "Authorization header is missing"}
}

func awsAPIKeyInvalid() *bedrockError {
	return &bedrockError{status: http.StatusForbidden, code: "AccessDeniedException", ns: coralNS, capital: true,
		message: "Authentication failed: Please make sure your API Key is valid."}
}

func awsUnrecognizedClient() *bedrockError {
	return &bedrockError{status: http.StatusForbidden, code: "UnrecognizedClientException", ns: coralNS,
		message: "The security token included in the request is invalid."}
}

func awsIncompleteSignature(message string) *bedrockError {
	return &bedrockError{status: http.StatusForbidden, code: "IncompleteSignatureException", ns: coralNS, message: message}
}

func awsInvalidSignature(format string, args ...any) *bedrockError {
	return &bedrockError{status: http.StatusForbidden, code: "InvalidSignatureException", ns: coralNS,
		message: fmt.Sprintf(format, args...)}
}

const awsSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
