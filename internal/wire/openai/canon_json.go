package openai

import (
	"crypto/rand"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Hand-written JSON helpers for the canonical translation. The encoders
// append into caller-owned slices so a stream costs no allocation per event;
// encoding/json would reflect and allocate on every call.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. It escapes what JSON requires
// (quotes, backslashes, control characters), replaces invalid UTF-8 with
// U+FFFD as encoding/json does, and escapes U+2028 and U+2029 so the output is
// also safe inside JavaScript. Unlike encoding/json it leaves <, > and & alone:
// HTML escaping only inflates model output.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends the inside of s as a JSON string, without quotes.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// appendFloat appends a finite float as a JSON number, in the shortest form
// that reads back to the same value.
func appendFloat(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// jsonObject reports whether raw is valid JSON text holding an object.
func jsonObject(raw []byte) bool {
	return gjson.ValidBytes(raw) && gjson.ParseBytes(raw).IsObject()
}

// nonNegInt parses a JSON number that must be a non-negative integer that
// fits an int32 (token counts, choice counts): anything else is malformed.
func nonNegInt(v gjson.Result) (int, bool) {
	if v.Type != gjson.Number {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Raw, 10, 32)
	if err != nil || n < 0 {
		return 0, false
	}
	return int(n), true
}

// typeName says what JSON type v holds, for error messages.
func typeName(v gjson.Result) string {
	switch v.Type {
	case gjson.Null:
		return "null"
	case gjson.False, gjson.True:
		return "a boolean"
	case gjson.Number:
		return "a number"
	case gjson.String:
		return "a string"
	}
	if v.IsArray() {
		return "an array"
	}
	return "an object"
}

// idx formats "name[i]" without fmt, for field paths in errors.
func idx(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}

// clock returns the Unix time put in "created" when the gateway makes up an
// answer (EncodeResponse). Tests replace it to get stable output; nothing else
// should.
var clock = func() int64 { return time.Now().Unix() }

// now is the wall clock used to turn a Retry-After HTTP-date into a duration.
var now = time.Now

// newID makes up a chat completion id ("chatcmpl-" and 24 random base62
// characters, the shape OpenAI uses) for answers whose provider gave none.
var newID = func() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b [24]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead of returning an error)
	var sb strings.Builder
	sb.Grow(len("chatcmpl-") + len(b))
	sb.WriteString("chatcmpl-")
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
