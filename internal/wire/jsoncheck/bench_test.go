package jsoncheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	// The baseline: the recursive validator jsoncheck replaces in internal/wire.
	baseline "github.com/tidwall/gjson"
)

// chatBody builds a Chat Completions body of about size bytes: a system
// prompt, turns of mixed ASCII and non-ASCII text, a tool.
func chatBody(size int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"max_tokens":512,"temperature":0.7,"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}],"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."}`)
	for i := 0; sb.Len() < size-200; i++ {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		fmt.Fprintf(&sb, `,{"role":%q,"content":"Turn %d: the quick brown fox jumps over the lazy dog, \"quoted\" and naïve café — 東京 ok.\nNext line with a tab\tand numbers 12345."}`, role, i)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

func BenchmarkValidate(b *testing.B) {
	w := NewWatch("model", "stream", "stream_options.include_usage", "max_tokens", "max_completion_tokens", "n", "tools", "messages", "temperature")
	for _, size := range []int{4 << 10, 1 << 20} {
		body := chatBody(size)
		if !json.Valid(body) || Check(body) != nil || w.Check(body) != nil {
			b.Fatal("bench body invalid")
		}
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run("jsoncheck/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Check(body)
			}
		})
		b.Run("jsoncheck-watch/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = w.Check(body)
			}
		})
		b.Run("gjson/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = baseline.ValidBytes(body)
			}
		})
	}
}
