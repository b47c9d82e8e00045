package wire

import (
	"errors"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// CheckRequest runs the checks every client-body decoder runs before any
// recursive parser sees the body: JSON syntax, the nesting limit, UTF-8,
// and, when watch is set, a single exact spelling of each field the gateway
// reads or rewrites. A failure is an *Invalid naming the byte (syntax, depth,
// UTF-8) or the key (Field is its path), ready for the client's 400.
func CheckRequest(body []byte, watch *jsoncheck.Watch) *Invalid {
	var err error
	if watch != nil {
		err = watch.Check(body)
	} else {
		err = jsoncheck.Check(body)
	}
	if err == nil {
		return nil
	}
	var dup *jsoncheck.DupError
	if errors.As(err, &dup) {
		return &Invalid{Field: dup.Param(), Reason: dup.Error()}
	}
	if len(body) == 0 {
		return &Invalid{Reason: "the request body is empty; expected a JSON object"}
	}
	return &Invalid{Reason: "the request body is not valid JSON: " + err.Error()}
}

// CheckAnswer is CheckRequest for what a cloud sent (a response body, an
// error body, one stream payload): what names it in the message. A failure
// is a bad upstream answer, not the client's fault.
func CheckAnswer(what string, body []byte) *Invalid {
	if err := jsoncheck.Check(body); err != nil {
		return &Invalid{Reason: what + " is not valid JSON: " + err.Error()}
	}
	return nil
}
