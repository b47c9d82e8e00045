package anthropic

import (
	"math"
	"strconv"

	"github.com/switchyard/switchyard/internal/wire/jsonw"
)

// The encoders build JSON by appending to a byte slice: no reflection and no
// intermediate maps, so a stream event costs one pass over its text.

// appendString appends s as a JSON string (see jsonw.Escaped).
func appendString(dst []byte, s string) []byte { return jsonw.String(dst, s) }

// appendKey appends ,"key": (or "key": right after an opening brace). Keys are
// constants of this package and need no escaping.
func appendKey(dst []byte, key string) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// appendFloat appends f as a JSON number; the caller has checked it is finite.
func appendFloat(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendStringOrNull appends s, or null when it is empty.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}
