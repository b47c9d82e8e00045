package emulate

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Google's APIs parse JSON into protocol buffers: a member's name may be
// the field's lowerCamel JSON name or its snake_case proto name, an unknown
// name is an error, null means the field is unset, 64-bit integers may come
// as strings, and errors name fields by their proto paths
// ("contents[0].parts[1].function_call"). protoObj reads one message that way.

// protoFields is the set of a message's fields, by lowerCamel name.
type protoFields map[string]bool

func geminiFieldSet(names ...string) protoFields {
	s := make(protoFields, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// protoObj is one decoded message: its members by lowerCamel name, nulls
// left out, and its proto path for errors.
type protoObj struct {
	at string
	m  map[string]json.RawMessage
}

// decodeProto reads raw as a message of type typ (for errors) with the given
// fields, at proto path at.
func decodeProto(raw json.RawMessage, at, typ string, fields protoFields) (*protoObj, *geminiError) {
	if jsonKind(raw) != "an object" {
		if at == "" {
			return nil, geminiPayload("", "Invalid JSON payload received. Expected an object at the top level.")
		}
		return nil, geminiBadValue(at, geminiType(typ), raw)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, geminiPayload(at, "Invalid JSON payload received. "+strings.TrimPrefix(err.Error(), "json: "))
	}
	o := &protoObj{at: at, m: make(map[string]json.RawMessage, len(members))}
	for k, v := range members {
		name := geminiCamel(k)
		if !fields[name] {
			return nil, geminiUnknown(k, at)
		}
		if jsonKind(v) != "null" {
			o.m[name] = v
		}
	}
	return o, nil
}

// lowerCamel turns a snake_case proto name into its JSON name; JSON names
// pass through.
func geminiCamel(s string) string {
	if strings.IndexByte(s, '_') < 0 {
		return s
	}
	var b strings.Builder
	up := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			up = true
		case up && c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
			up = false
		default:
			b.WriteByte(c)
			up = false
		}
	}
	return b.String()
}

// snake turns a JSON name into its proto name, for error paths.
func geminiSnake(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// path names field name of o.
func (o *protoObj) path(name string) string {
	if o.at == "" {
		return geminiSnake(name)
	}
	return o.at + "." + geminiSnake(name)
}

func (o *protoObj) has(name string) bool { _, ok := o.m[name]; return ok }

func (o *protoObj) str(name string) (string, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return "", nil
	}
	var s string
	if jsonKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		return "", geminiBadValue(o.path(name), "TYPE_STRING", raw)
	}
	return s, nil
}

func (o *protoObj) boolean(name string) (bool, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return false, nil
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, geminiBadValue(o.path(name), "TYPE_BOOL", raw)
}

// integer reads an integer field of the given proto type (TYPE_INT32 or
// TYPE_INT64): a number without a fraction, or a string holding one.
func (o *protoObj) integer(name, typ string) (int64, bool, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return 0, false, nil
	}
	v, err := protoInt(raw, typ)
	if err {
		return 0, false, geminiBadValue(o.path(name), typ, raw)
	}
	return v, true, nil
}

func protoInt(raw []byte, typ string) (int64, bool) {
	s := string(raw)
	if jsonKind(raw) == "a string" {
		if json.Unmarshal(raw, &s) != nil {
			return 0, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) {
		return 0, true
	}
	limit := float64(math.MaxInt32)
	if typ == "TYPE_INT64" {
		limit = 1 << 62
	}
	if math.Abs(f) > limit {
		return 0, true
	}
	return int64(f), false
}

// number reads a float field: a number, or a string holding one.
func (o *protoObj) number(name string) (float64, bool, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return 0, false, nil
	}
	s := string(raw)
	if jsonKind(raw) == "a string" {
		_ = json.Unmarshal(raw, &s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false, geminiBadValue(o.path(name), "TYPE_FLOAT", raw)
	}
	return f, true, nil
}

// list reads a repeated field.
func (o *protoObj) list(name, typ string) ([]json.RawMessage, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return nil, nil
	}
	var l []json.RawMessage
	if jsonKind(raw) != "an array" || json.Unmarshal(raw, &l) != nil {
		return nil, geminiBadValue(o.path(name), typ, raw)
	}
	return l, nil
}

// strings reads a repeated string field.
func (o *protoObj) strings(name string) ([]string, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return nil, nil
	}
	var l []string
	if jsonKind(raw) != "an array" || json.Unmarshal(raw, &l) != nil {
		return nil, geminiBadValue(o.path(name), "TYPE_STRING", raw)
	}
	return l, nil
}

// enum reads an enum field: one of names, or its number.
func (o *protoObj) enum(name, typ string, names ...string) (string, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		for _, n := range names {
			if n == s {
				return s, nil
			}
		}
	} else if i, bad := protoInt(raw, "TYPE_INT32"); !bad && i >= 0 && int(i) < len(names) {
		return names[i], nil
	}
	return "", geminiBadValue(o.path(name), geminiType(typ), raw)
}

// bytes checks a bytes field: base64, standard or URL-safe, padded or not.
func (o *protoObj) bytes(name string) *geminiError {
	s, err := o.str(name)
	if err != nil {
		return geminiBadValue(o.path(name), "TYPE_BYTES", o.m[name])
	}
	t := strings.TrimRight(s, "=")
	if _, e := base64.RawStdEncoding.DecodeString(t); e == nil {
		return nil
	}
	if _, e := base64.RawURLEncoding.DecodeString(t); e == nil {
		return nil
	}
	return geminiPayload(o.path(name), "Invalid value at '"+o.path(name)+"' (TYPE_BYTES), Base64 decoding failed for \""+
		geminiShorten(s, 32)+"\"")
}

func geminiShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// object reads a message-typed field as raw JSON, checking only that it is
// an object.
func (o *protoObj) object(name, typ string) (json.RawMessage, *geminiError) {
	raw, ok := o.m[name]
	if !ok {
		return nil, nil
	}
	if jsonKind(raw) != "an object" {
		return nil, geminiBadValue(o.path(name), geminiType(typ), raw)
	}
	return raw, nil
}
