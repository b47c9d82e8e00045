package openai

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/tidwall/sjson"
)

// Rewrite returns body with the model replaced by model and, when forceUsage is
// set, stream_options.include_usage set to true. It returns body itself when
// nothing changes. The result is a new slice: body is never modified in place,
// since the caller may still hold views into it.
func Rewrite(body []byte, req *Request, model string, forceUsage bool) []byte {
	sameModel := req.Model == model
	if sameModel && !forceUsage {
		return body
	}
	out := make([]byte, 0, len(body)+len(model)+48)
	switch {
	case !forceUsage:
		out = append(out, body[:req.modelAt]...)
		out = appendString(out, model)
		out = append(out, body[req.modelEnd:]...)
	case req.optsAt < 0:
		// No stream_options: add one right after the opening brace.
		i := 0
		for i < len(body) && body[i] != '{' {
			i++
		}
		out = append(out, body[:i+1]...)
		out = append(out, `"stream_options":{"include_usage":true}`...)
		rest := body[i+1:]
		if j := skipSpace(rest); j < len(rest) && rest[j] != '}' {
			out = append(out, ',')
		}
		// The model sits after the insertion point, so its offsets shift.
		at, end := req.modelAt-(i+1), req.modelEnd-(i+1)
		out = append(out, rest[:at]...)
		out = appendString(out, model)
		out = append(out, rest[end:]...)
	default:
		// stream_options exists (perhaps with include_usage false or other
		// options): set the flag inside it, keeping the other options.
		opts, err := sjson.SetBytes(append([]byte(nil), body[req.optsAt:req.optsEnd]...), "include_usage", true)
		if err != nil {
			opts = []byte(`{"include_usage":true}`)
		}
		first, second := [2]int{req.modelAt, req.modelEnd}, [2]int{req.optsAt, req.optsEnd}
		firstVal, secondVal := []byte(nil), opts
		modelFirst := req.modelAt < req.optsAt
		if !modelFirst {
			first, second = second, first
			firstVal, secondVal = opts, nil
		}
		out = append(out, body[:first[0]]...)
		if firstVal == nil {
			out = appendString(out, model)
		} else {
			out = append(out, firstVal...)
		}
		out = append(out, body[first[1]:second[0]]...)
		if secondVal == nil {
			out = appendString(out, model)
		} else {
			out = append(out, secondVal...)
		}
		out = append(out, body[second[1]:]...)
	}
	return out
}

func skipSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	q, _ := json.Marshal(s) // rare: model ids are plain ASCII
	return append(dst, q...)
}
