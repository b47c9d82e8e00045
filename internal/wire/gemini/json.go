package gemini

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"unsafe"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/switchyard/switchyard/internal/wire/jsonw"
)

// Bodies and stream frames are written by appending to byte slices rather
// than through encoding/json: a stream is many small near-identical chunks,
// and the gateway is benchmarked on them.

// appendString appends s as a JSON string (see jsonw.Escaped).
func appendString(b []byte, s string) []byte { return jsonw.String(b, s) }

// appendKey appends "key": (the key must need no escaping).
func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func appendFloat(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) }

// isJSONObject reports whether raw is one valid JSON object.
func isJSONObject(raw []byte) bool {
	return jsoncheck.ValidObject(raw)
}

// isJSONObjectString is isJSONObject for a string.
func isJSONObjectString(s string) bool {
	return jsoncheck.ValidObject(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// view returns b as a string without copying. The caller must not keep the
// string (or gjson results taken from it) past the life of b.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// camel returns a field name in lowerCamelCase. Google's JSON mapping accepts
// both the proto names (system_instruction, inline_data) and the JSON names
// (systemInstruction, inlineData), and the REST samples use both.
func camel(k string) string {
	if strings.IndexByte(k, '_') < 0 {
		return k
	}
	var sb strings.Builder
	sb.Grow(len(k))
	up := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' && sb.Len() > 0 {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		sb.WriteByte(c)
	}
	return sb.String()
}

// newResponseID makes up a response id in the style of Google's (URL-safe
// base64), for answers whose source had none.
func newResponseID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// callID is the id given to a functionCall that came without one: clients
// of the other formats pair tool results with calls by id. It is derived
// from the response id, so calls of different turns do not collide (the
// gateway finds a result's function name by looking back for its id), and
// from the call's position, so a stream and a whole answer agree.
func callID(responseID string, n int) string {
	b := make([]byte, 0, 8+len(responseID)+4)
	b = append(b, "call_"...)
	for i := 0; i < len(responseID); i++ {
		c := responseID[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b = append(b, c)
		}
	}
	if len(b) > len("call_") {
		b = append(b, '_')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return string(b)
}
