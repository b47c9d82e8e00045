package openai

import (
	"crypto/rand"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/switchyard/switchyard/internal/wire/jsonw"
	"github.com/tidwall/gjson"
)

// Hand-written JSON helpers for the canonical translation. The encoders
// append into caller-owned slices so a stream costs no allocation per event;
// encoding/json would reflect and allocate on every call.

// appendJSONString appends s as a JSON string (see jsonw.Escaped).
func appendJSONString(dst []byte, s string) []byte { return jsonw.String(dst, s) }

// appendEscaped appends the inside of s as a JSON string, without quotes.
func appendEscaped(dst []byte, s string) []byte { return jsonw.Escaped(dst, s) }

// appendFloat appends a finite float as a JSON number, in the shortest form
// that reads back to the same value.
func appendFloat(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// jsonObject reports whether raw is valid JSON text holding an object.
func jsonObject(raw []byte) bool {
	return jsoncheck.ValidObject(raw)
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
