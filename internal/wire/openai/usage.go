package openai

import (
	"bytes"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// UsageOf reads the top-level "usage" object of a response body. ok is false
// when there is none (or it is null).
func UsageOf(body []byte) (u wire.Usage, ok bool) {
	v := gjson.GetBytes(body, "usage")
	if !v.IsObject() {
		return u, false
	}
	return parseUsage(v), true
}

// Chunk describes one streamed chunk, as far as a relay needs to know.
type Chunk struct {
	Usage    wire.Usage
	HasUsage bool // a non-null usage object is present
	// NoChoices is true when choices is absent, null or empty: the shape of the
	// final usage chunk (and of Azure's prompt-filter chunk).
	NoChoices bool
}

// ScanChunk reads the top-level keys of a stream chunk's JSON data.
func ScanChunk(data []byte) Chunk {
	c := Chunk{NoChoices: true}
	gjson.Parse(bytesToString(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "usage":
			if v.IsObject() {
				c.Usage, c.HasUsage = parseUsage(v), true
			}
		case "choices":
			c.NoChoices = !v.IsArray() || isEmptyArray(v.Raw)
		}
		return true
	})
	return c
}

func isEmptyArray(raw string) bool {
	for i := 1; i < len(raw)-1; i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func parseUsage(v gjson.Result) wire.Usage {
	var u wire.Usage
	v.ForEach(func(k, f gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			u.Prompt = f.Int()
		case "completion_tokens":
			u.Completion = f.Int()
		case "prompt_tokens_details":
			f.ForEach(func(k, f gjson.Result) bool {
				switch k.Str {
				case "cached_tokens":
					u.Cached = f.Int()
				case "cache_write_tokens":
					u.CacheWrite = f.Int()
				}
				return true
			})
		case "completion_tokens_details":
			u.Reasoning = f.Get("reasoning_tokens").Int()
		}
		return true
	})
	return u
}

var usageKey = []byte(`"usage"`)

// MayHaveUsage is a fast pre-check for ScanChunk: false means the chunk has no
// non-null usage. With include_usage every chunk carries "usage":null, and
// skipping those saves a key scan per chunk. Each occurrence of "usage" is
// checked, so a string that merely contains the word cannot hide the real key.
func MayHaveUsage(data []byte) bool {
	for {
		i := bytes.Index(data, usageKey)
		if i < 0 {
			return false
		}
		data = data[i+len(usageKey):]
		j := skipSpace(data)
		if j >= len(data) || data[j] != ':' {
			continue
		}
		j++
		j += skipSpace(data[j:])
		if j < len(data) && data[j] != 'n' {
			return true
		}
	}
}

// IsErrorChunk reports whether a stream chunk is an error object
// ({"error":{...}}), as vLLM and others send mid-stream.
func IsErrorChunk(data []byte) bool {
	e := gjson.GetBytes(data, "error")
	return e.IsObject() || (e.Type == gjson.String && e.Str != "")
}
