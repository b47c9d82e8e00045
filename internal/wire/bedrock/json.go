package bedrock

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/switchyard/switchyard/internal/wire/jsonw"
	"github.com/tidwall/gjson"
)

// Hand-written JSON helpers: encoders append straight into the output slice
// (no reflection per value), decoders parse with gjson over a string view of
// the input and copy out only the strings they keep.

// appendString appends s as a JSON string (see jsonw.Escaped).
func appendString(dst []byte, s string) []byte { return jsonw.String(dst, s) }

// appendFloat appends f the way encoding/json formats a float64. The caller
// has rejected NaN and infinities, which JSON cannot carry.
func appendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, 64)
}

// appendKey appends "name": after a comma when the object already has members.
func appendKey(dst []byte, first *bool, name string) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// view returns b as a string without copying. Anything taken from it that
// outlives b must be copied (see str and raw).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// str returns the string value of r as a string of its own. gjson returns
// escape-free strings as slices of the input, which may be a reused buffer or
// the caller's body; strings with escapes were already unescaped into fresh
// memory.
func str(r gjson.Result) string {
	if strings.IndexByte(r.Raw, '\\') >= 0 {
		return r.Str
	}
	return strings.Clone(r.Str)
}

// raw returns a copy of r's JSON text.
func raw(r gjson.Result) []byte {
	return []byte(r.Raw)
}

// isInt reports whether r is a JSON integer (no fraction or exponent) that
// fits in an int32, the width Bedrock uses for counts and indexes.
func isInt(r gjson.Result) bool {
	if r.Type != gjson.Number || len(r.Raw) == 0 || len(r.Raw) > 11 {
		return false
	}
	s := r.Raw
	if s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseInt(r.Raw, 10, 64)
	return err == nil && n >= math.MinInt32 && n <= math.MaxInt32
}

// emptyObject reports whether r is {} (whitespace allowed).
func emptyObject(r gjson.Result) bool {
	if !r.IsObject() {
		return false
	}
	empty := true
	r.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
	return empty
}
