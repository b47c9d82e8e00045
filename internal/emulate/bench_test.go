package emulate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const benchBody = `{"model":"gpt-4o","max_tokens":16,"messages":[{"role":"system","content":"You are terse."},` +
	`{"role":"user","content":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}]`

// benchChat serves body to a zero-latency emulator in-process, measuring the
// emulator's own cost per request: decoding, generation and rendering.
func benchChat(b *testing.B, kind Kind, path, body string) {
	e, err := New(kind, Knobs{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkChat(b *testing.B) {
	benchChat(b, OpenAI, "/v1/chat/completions", benchBody+"}")
}

func BenchmarkChatStream(b *testing.B) {
	b.Run("openai", func(b *testing.B) {
		benchChat(b, OpenAI, "/v1/chat/completions", benchBody+`,"stream":true,"stream_options":{"include_usage":true}}`)
	})
	b.Run("azure", func(b *testing.B) {
		benchChat(b, Azure, "/openai/deployments/d/chat/completions?api-version=2024-10-21", benchBody+`,"stream":true}`)
	})
}

// BenchmarkChatStreamHTTP streams through a real loopback connection, as the
// gateway's benchmarks will.
func BenchmarkChatStreamHTTP(b *testing.B) {
	s := listen(b, OpenAI, Knobs{})
	body := benchBody + `,"stream":true}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 32<<10)
		for pb.Next() {
			resp, err := client.Post(s.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					break
				}
			}
			resp.Body.Close()
		}
	})
}
