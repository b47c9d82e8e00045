package api

import (
	"bytes"

	"github.com/switchyard/switchyard/internal/wire/jsonw"
	"github.com/tidwall/gjson"
)

// An answer names the public model that served it: the name the client
// asked for, or a fallback's when a fallback answered. Clouds name their own
// (a dated snapshot, a region-prefixed Bedrock id, an Azure deployment
// name), which is the gateway's business, not the client's, and would tell a
// client which cloud it landed on. Pass-through answers are rewritten in
// place; translated ones are encoded with the public name.

// splitModel finds the value of the JSON object's "model" member at path
// ("model" at the top level, "message.model" in Anthropic's message_start)
// and returns the bytes before and after it, or ok false when it is absent or
// already name. The value is located by gjson, which skips nested values
// without decoding them, so a chunk costs one scan of its first members.
func splitModel(data []byte, path, name string) (head, tail []byte, ok bool) {
	v, end, ok := findModel(data, path)
	if !ok || v.Str == name {
		return nil, nil, false
	}
	return data[:v.Index], data[end:], true
}

// findModel locates the string at path in data: its value (v.Index is
// where its quoted form starts) and where that ends.
func findModel(data []byte, path string) (v gjson.Result, end int, ok bool) {
	v = gjson.GetBytes(data, path)
	if v.Type != gjson.String || v.Index <= 0 {
		return v, 0, false
	}
	end = v.Index + len(v.Raw)
	return v, end, end <= len(data)
}

// withModel returns data with its model member at path set to name, appended
// to dst; data itself when there is nothing to change.
func withModel(dst, data []byte, path, name string) []byte {
	head, tail, ok := splitModel(data, path, name)
	if !ok {
		return append(dst, data...)
	}
	dst = append(dst, head...)
	dst = jsonw.String(dst, name)
	return append(dst, tail...)
}

// modelPrefix remembers, for one stream, where the last chunk's model value
// ended and whether it needed rewriting. A stream's chunks mostly begin with
// the same bytes up to and past the model ({"id":…,"object":…,"created":…,
// "model":…): a chunk that begins with the remembered prefix has its model
// at the same place, with the same value, which a comparison of those bytes
// shows without parsing the chunk (gjson's scan was about 1,700 instructions
// a chunk). Any other chunk is parsed, and remembered in turn.
type modelPrefix struct {
	prefix  []byte // the chunk's bytes through the model value's closing quote
	at      int    // where the value starts within prefix
	rewrite bool   // the value is not the public name
}

// split is splitModel(data, "model", name) for the chunks of one stream.
func (m *modelPrefix) split(data []byte, name string) (head, tail []byte, ok bool) {
	if n := len(m.prefix); n > 0 && len(data) > n && bytes.Equal(data[:n], m.prefix) {
		if !m.rewrite {
			return nil, nil, false
		}
		return data[:m.at], data[n:], true
	}
	m.prefix = m.prefix[:0]
	v, end, found := findModel(data, "model")
	if !found {
		return nil, nil, false
	}
	m.prefix, m.at, m.rewrite = append(m.prefix, data[:end]...), v.Index, v.Str != name
	if !m.rewrite {
		return nil, nil, false
	}
	return data[:v.Index], data[end:], true
}
