package emulate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const converseBench = `{"system":[{"text":"You are terse."}],"inferenceConfig":{"maxTokens":16},"messages":[{"role":"user",` +
	`"content":[{"text":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}]}]}`

// BenchmarkConverse measures the Bedrock emulator's own cost per request, in
// process and without latency: verifying the signature, decoding,
// generation and rendering.
func BenchmarkConverse(b *testing.B) {
	for _, tc := range []struct {
		name, op string
		knobs    Knobs
	}{
		{"converse", opConverse, Knobs{}},
		{"stream", opConverseStream, Knobs{}},
		{"sigv4", opConverse, sigV4Knobs},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := New(Bedrock, tc.knobs)
			if err != nil {
				b.Fatal(err)
			}
			url := "http://127.0.0.1/model/" + strings.ReplaceAll(bedrockModel, ":", "%3A") + "/" + tc.op
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				var req *http.Request
				if tc.knobs.AWSAccessKeyID != "" {
					req = signedRequest(b, "http://127.0.0.1", strings.TrimPrefix(url, "http://127.0.0.1"), converseBench,
						"bedrock", time.Now())
				} else {
					req = httptest.NewRequest(http.MethodPost, url, strings.NewReader(converseBench))
				}
				w := httptest.NewRecorder()
				b.StartTimer()
				e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
