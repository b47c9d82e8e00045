package api

import (
	"bytes"
	"testing"
)

// TestModelPrefix checks that the per-stream shortcut splits every chunk of
// a stream exactly as splitModel does: chunks sharing the remembered prefix,
// a model that changes mid-stream, one already public, chunks without a
// model, and a prefix that stops matching one byte short.
func TestModelPrefix(t *testing.T) {
	const public = "gpt-4o"
	chunks := []string{
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"delta":{"content":"a"}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"delta":{"content":"b"}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06"}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-07","choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-07","choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o-2024-08-07","choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o","choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o","choices":[{"delta":{"content":"c"}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o"`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o-2024-08-06","choices":[]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":2,"model":"gpt-4o-2024-08-06\u00e9","choices":[]}`,
		`{"choices":[{"delta":{"model":"x"}}],"model":"gpt-4o-mini"}`,
		`{"choices":[{"delta":{"model":"x"}}],"model":"gpt-4o-mini"}`,
	}
	var m modelPrefix
	for i, c := range chunks {
		data := []byte(c)
		wh, wt, wok := splitModel(data, "model", public)
		gh, gt, gok := m.split(data, public)
		if gok != wok || !bytes.Equal(gh, wh) || !bytes.Equal(gt, wt) {
			t.Errorf("chunk %d: split = %q, %q, %v; splitModel = %q, %q, %v", i, gh, gt, gok, wh, wt, wok)
		}
	}
}
