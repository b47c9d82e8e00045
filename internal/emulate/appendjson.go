package emulate

import (
	"strconv"

	"github.com/switchyard/switchyard/internal/wire/jsonw"
)

// Responses are written by appending to byte slices rather than through
// encoding/json: a stream is dozens of near-identical chunks, and the
// benchmarks push thousands of them a second through one core.

// appendString appends s as a JSON string (see jsonw.Escaped).
func appendString[S ~string | ~[]byte](b []byte, s S) []byte { return jsonw.String(b, s) }

func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }
