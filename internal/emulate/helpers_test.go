package emulate

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/switchyard/switchyard/internal/tokens"
)

// listen starts an emulator on a free loopback port for the test's lifetime.
func listen(t testing.TB, kind Kind, k Knobs) *Server {
	t.Helper()
	s, err := Listen(kind, "127.0.0.1:0", k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openaiClient is the official SDK pointed at an OpenAI emulator, without retries
// so that the emulator's refusals reach the test.
func openaiClient(s *Server, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(s.URL + "/v1"),
		option.WithAPIKey("test-key"),
		option.WithMaxRetries(0),
	}, opts...)...)
}

// post sends a raw JSON request and returns the response with its body read.
func post(t testing.TB, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return resp, string(b)
}

// tok is the package's token rule for a text: internal/tokens' count.
func tok(s string) int { return tokens.Count(s) }

// isWords reports whether s is vocabulary words joined by single spaces.
func isWords(s string) bool {
	if s == "" {
		return true
	}
	vocab := map[string]bool{}
	for _, w := range vocabulary {
		vocab[w] = true
	}
	for w := range strings.SplitSeq(s, " ") {
		if !vocab[w] {
			return false
		}
	}
	return true
}
