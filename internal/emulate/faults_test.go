package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

const hello = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

func TestInjectedServerError(t *testing.T) {
	s := listen(t, OpenAI, Knobs{ErrorRate: 1})
	c := openaiClient(s)
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: greeting})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError || apiErr.Type != "server_error" {
		t.Fatalf("got %v, want a 500 server_error", err)
	}
	if b := s.Billed(); b.Errors != 1 || b.Received != 1 || b.Requests != 0 {
		t.Errorf("billed %+v", b)
	}
}

func TestInjectedThrottle(t *testing.T) {
	for _, tc := range []struct {
		retry      time.Duration
		secs, msec string
	}{
		{0, "1", "1000"}, // the default
		{2500 * time.Millisecond, "3", "2500"},
		{10 * time.Millisecond, "1", "10"},
		{-1, "0", "0"},
	} {
		// The OpenAI-format clouds; the others' throttles (Anthropic's
		// retry-after, Bedrock's none, Gemini's RetryInfo) have their own tests.
		for _, kind := range []Kind{OpenAI, Azure} {
			s := listen(t, kind, Knobs{ThrottleRate: 1, RetryAfter: tc.retry})
			url := s.URL + "/v1/chat/completions"
			if kind == Azure {
				url = s.URL + "/openai/deployments/d/chat/completions?api-version=2024-10-21"
			}
			resp, text := post(t, url, hello)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("retry-after") != tc.secs ||
				resp.Header.Get("retry-after-ms") != tc.msec {
				t.Errorf("%s RetryAfter %v: %d retry-after %q retry-after-ms %q", kind, tc.retry, resp.StatusCode,
					resp.Header.Get("retry-after"), resp.Header.Get("retry-after-ms"))
			}
			var env struct{ Error map[string]any }
			_ = json.Unmarshal([]byte(text), &env)
			switch kind {
			case OpenAI:
				if env.Error["code"] != "rate_limit_exceeded" {
					t.Errorf("openai 429 %s", text)
				}
			case Azure:
				msg, _ := env.Error["message"].(string)
				if env.Error["code"] != "429" || !strings.Contains(msg, "ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21") ||
					!strings.Contains(msg, "Please retry after "+tc.secs+" second") {
					t.Errorf("azure 429 %s", text)
				}
			}
			if b := s.Billed(); b.Throttled != 1 || b.Requests != 0 {
				t.Errorf("%s billed %+v", kind, b)
			}
		}
	}
}

func TestQuota(t *testing.T) {
	s := listen(t, OpenAI, Knobs{RPM: 2})
	var last *http.Response
	for i := range 3 {
		resp, _ := post(t, s.URL+"/v1/chat/completions", hello)
		if i < 2 {
			if resp.StatusCode != http.StatusOK || resp.Header.Get("x-ratelimit-remaining-requests") != strconv.Itoa(1-i) ||
				resp.Header.Get("x-ratelimit-limit-requests") != "2" {
				t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
			}
		}
		last = resp
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", last.StatusCode)
	}
	secs, err := strconv.Atoi(last.Header.Get("retry-after"))
	if err != nil || secs < 1 || secs > 60 {
		t.Errorf("retry-after %q, want 1 to 60 seconds", last.Header.Get("retry-after"))
	}
	ms, err := strconv.Atoi(last.Header.Get("retry-after-ms"))
	if err != nil || ms > secs*1000 || ms <= (secs-1)*1000 {
		t.Errorf("retry-after-ms %q disagrees with retry-after %d", last.Header.Get("retry-after-ms"), secs)
	}
	if b := s.Billed(); b.Requests != 2 || b.Throttled != 1 || b.Received != 3 {
		t.Errorf("billed %+v", b)
	}

	// The quota window is a minute from its first request.
	var q quota
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		at   time.Duration
		ok   bool
		left time.Duration
	}{{0, true, time.Minute}, {10 * time.Second, true, 50 * time.Second}, {59 * time.Second, false, time.Second},
		{60 * time.Second, true, time.Minute}} {
		ok, rl := q.take(2, t0.Add(tc.at))
		if ok != tc.ok || rl.reset != tc.left {
			t.Errorf("take %d at %v: %v %v, want %v %v", i, tc.at, ok, rl.reset, tc.ok, tc.left)
		}
	}
}

func TestDisconnect(t *testing.T) {
	s := listen(t, OpenAI, Knobs{DisconnectRate: 1})
	c := openaiClient(s)
	st := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: greeting})
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if st.Err() == nil {
		t.Fatal("a cut stream ended without an error")
	}
	got := strings.Fields(acc.Choices[0].Message.Content)
	if len(got) != defaultOutputTokens/2 {
		t.Errorf("received %d words before the cut, want %d", len(got), defaultOutputTokens/2)
	}
	b := s.Billed()
	if b.Disconnects != 1 || b.Requests != 1 || b.OutputTokens != int64(len(got)) || b.InputTokens != int64(greetingTokens) {
		t.Errorf("billed %+v, want the %d words sent", b, len(got))
	}

	// Non-stream answers are never cut.
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: greeting}); err != nil {
		t.Errorf("non-stream with DisconnectRate 1: %v", err)
	}
}

func TestAuthAndValidation(t *testing.T) {
	s := listen(t, OpenAI, Knobs{APIKey: "sk-right-key-1234"})
	auth := []string{"Authorization", "Bearer sk-right-key-1234"}
	for _, tc := range []struct {
		name, path, body string
		header           []string
		status           int
		param, code      string
	}{
		{"no key", "/v1/chat/completions", hello, nil, 401, "", "invalid_api_key"},
		{"wrong key", "/v1/chat/completions", hello, []string{"Authorization", "Bearer sk-wrong-key-5678"}, 401, "", "invalid_api_key"},
		{"not bearer", "/v1/chat/completions", hello, []string{"Authorization", "Basic abc"}, 401, "", "invalid_api_key"},
		{"malformed", "/v1/chat/completions", `{"model":`, auth, 400, "", ""},
		{"not an object", "/v1/chat/completions", `[1,2]`, auth, 400, "", ""},
		{"no model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "model", "missing_required_parameter"},
		{"no messages", "/v1/chat/completions", `{"model":"m"}`, auth, 400, "messages", "missing_required_parameter"},
		{"empty messages", "/v1/chat/completions", `{"model":"m","messages":[]}`, auth, 400, "messages", "empty_array"},
		{"model type", "/v1/chat/completions", `{"model":5,"messages":[]}`, auth, 400, "model", "invalid_type"},
		{"n type", "/v1/chat/completions", `{"model":"m","n":"2","messages":[{"role":"user","content":"hi"}]}`, auth, 400, "n", "invalid_type"},
		{"n zero", "/v1/chat/completions", `{"model":"m","n":0,"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "n", "integer_below_min_value"},
		{"bad role", "/v1/chat/completions", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`, auth, 400, "messages[0].role", "invalid_value"},
		{"content type", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":7}]}`, auth, 400, "messages[1].content", "invalid_type"},
		{"part type", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, auth, 400, "messages[0].content[0].text", "invalid_type"},
		{"message not object", "/v1/chat/completions", `{"model":"m","messages":["hi"]}`, auth, 400, "messages[0]", "invalid_type"},
		{"tool message without id", "/v1/chat/completions", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, auth, 400, "messages[0].tool_call_id", "missing_required_parameter"},
		{"stop type", "/v1/chat/completions", `{"model":"m","stop":3,"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "stop", "invalid_type"},
		{"max_tokens type", "/v1/chat/completions", `{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "max_tokens", "invalid_type"},
		{"stream type", "/v1/chat/completions", `{"model":"m","stream":"yes","messages":[{"role":"user","content":"hi"}]}`, auth, 400, "stream", "invalid_type"},
		{"stream_options without stream", "/v1/chat/completions", `{"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "stream_options", "invalid_value"},
		{"tool_choice without tools", "/v1/chat/completions", `{"model":"m","tool_choice":"required","messages":[{"role":"user","content":"hi"}]}`, auth, 400, "tool_choice", "invalid_value"},
		{"unknown named tool", "/v1/chat/completions", `{"model":"m","tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}},"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "tool_choice", "invalid_value"},
		{"response_format type", "/v1/chat/completions", `{"model":"m","response_format":{"type":"yaml"},"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "response_format.type", "invalid_value"},
		{"embedding input", "/v1/embeddings", `{"model":"e","input":""}`, auth, 400, "input", "invalid_value"},
		{"embedding format", "/v1/embeddings", `{"model":"e","input":"x","encoding_format":"hex"}`, auth, 400, "encoding_format", "invalid_value"},
		{"unknown path", "/v1/completions/nope", hello, auth, 404, "", ""},
		{"wrong method", "/v1/embeddings", "", auth, 404, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			var text string
			if tc.name == "wrong method" {
				req, _ := http.NewRequest(http.MethodGet, s.URL+tc.path, nil)
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				resp = r
			} else {
				resp, text = post(t, s.URL+tc.path, tc.body, tc.header...)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, text)
			}
			if text == "" {
				return
			}
			var env struct {
				Error struct {
					Message, Type string
					Param, Code   *string
				}
			}
			if err := json.Unmarshal([]byte(text), &env); err != nil || env.Error.Message == "" || env.Error.Type == "" {
				t.Fatalf("envelope %s (%v)", text, err)
			}
			if p := deref(env.Error.Param); p != tc.param {
				t.Errorf("param %q, want %q: %s", p, tc.param, text)
			}
			if c := deref(env.Error.Code); c != tc.code {
				t.Errorf("code %q, want %q: %s", c, tc.code, text)
			}
			if strings.Contains(text, "sk-wrong-key-5678") {
				t.Errorf("the 401 echoes the whole key: %s", text)
			}
		})
	}
	if b := s.Billed(); b.Requests != 0 || b.Errors != 0 {
		t.Errorf("refused requests were billed or counted as errors: %+v", b)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// statuses sends n requests straight to an emulator and returns their status codes.
func statuses(e *Emulator, n int, stream bool) []int {
	body := hello
	if stream {
		body = `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	}
	var out []int
	for range n {
		w := httptest.NewRecorder()
		func() {
			defer func() {
				if recover() != nil { // a disconnect
					w.Code = -1
				}
			}()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
		}()
		out = append(out, w.Code)
	}
	return out
}

func TestFaultDeterminism(t *testing.T) {
	k := Knobs{ErrorRate: 0.2, ThrottleRate: 0.2, DisconnectRate: 0.3, Seed: 42}
	newEm := func(k Knobs) *Emulator {
		e, err := New(OpenAI, k)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := newEm(k), newEm(k)
	got, want := statuses(a, 60, true), statuses(b, 60, true)
	if !equalInts(got, want) {
		t.Fatalf("same seed, different faults:\n%v\n%v", got, want)
	}
	seen := map[int]int{}
	for _, c := range got {
		seen[c]++
	}
	if seen[200] == 0 || seen[429] == 0 || seen[500] == 0 || seen[-1] == 0 {
		t.Errorf("60 requests at these rates should meet every fault: %v", seen)
	}
	if d := a.Billed().Disconnects; d != int64(seen[-1]) {
		t.Errorf("%d disconnects billed, %d seen", d, seen[-1])
	}

	k.Seed = 43
	if other := statuses(newEm(k), 60, true); equalInts(other, want) {
		t.Error("another seed gave the same faults")
	}
	// Reset restarts the sequence.
	a.Reset()
	if again := statuses(a, 60, true); !equalInts(again, want) {
		t.Errorf("after Reset:\n%v\nwant\n%v", again, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCancel checks that waits end with the client: a request whose first
// token is an hour away returns when its context ends, and is not billed.
func TestCancel(t *testing.T) {
	s := listen(t, OpenAI, Knobs{TTFT: time.Hour})
	c := openaiClient(s)
	for _, streaming := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		params := openai.ChatCompletionNewParams{Model: "m", Messages: greeting}
		var err error
		if streaming {
			st := c.Chat.Completions.NewStreaming(ctx, params)
			for st.Next() {
			}
			err = st.Err()
		} else {
			_, err = c.Chat.Completions.New(ctx, params)
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("stream=%v: %v, want the deadline", streaming, err)
		}
	}

	// A stream left mid-way is billed for what was sent.
	s.SetKnobs(Knobs{TPS: 20})
	ctx, cancel := context.WithCancel(context.Background())
	st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "m", Messages: greeting})
	words := 0
	for st.Next() {
		if st.Current().Choices[0].Delta.Content != "" {
			if words++; words == 3 {
				cancel()
			}
		}
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for s.Billed().Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	b := s.Billed()
	if b.Requests != 1 || b.OutputTokens < 3 || b.OutputTokens >= defaultOutputTokens {
		t.Errorf("billed %+v after leaving at word 3 of %d", b, defaultOutputTokens)
	}
}

// TestPacing checks only lower bounds, which no scheduler can break: an
// answer never arrives before its tokens are due.
func TestPacing(t *testing.T) {
	s := listen(t, OpenAI, Knobs{TTFT: 30 * time.Millisecond, TPS: 200})
	body := `{"model":"m","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}`
	for _, stream := range []bool{false, true} {
		b := body
		if stream {
			b = strings.Replace(body, `{`, `{"stream":true,`, 1)
		}
		start := time.Now()
		resp, _ := post(t, s.URL+"/v1/chat/completions", b)
		// Whole: TTFT + 4/200 s. Streamed: the fourth word is due at TTFT + 3/200 s.
		want := 30*time.Millisecond + 15*time.Millisecond
		if elapsed := time.Since(start); resp.StatusCode != 200 || elapsed < want {
			t.Errorf("stream=%v: %d after %v, want at least %v", stream, resp.StatusCode, elapsed, want)
		}
	}
}

// TestConcurrentBooks hammers one emulator from many goroutines; with -race
// it checks the shared state, and the books must balance: every received
// request was billed, refused with a fault, or cut (and billed).
func TestConcurrentBooks(t *testing.T) {
	s := listen(t, OpenAI, Knobs{ErrorRate: 0.1, ThrottleRate: 0.1, DisconnectRate: 0.2, Seed: 9})
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 10 {
				body := hello
				if (g+i)%2 == 0 {
					body = `{"model":"n","stream":true,"messages":[{"role":"user","content":"hi"}]}`
				}
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/chat/completions", strings.NewReader(body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 8 {
		<-done
	}
	b := s.Billed()
	if b.Received != 80 || b.Requests+b.Errors+b.Throttled != b.Received {
		t.Errorf("books do not balance: %+v", b)
	}
	var sum int64
	for _, m := range b.ByModel {
		sum += m.Requests
	}
	if sum != b.Requests {
		t.Errorf("by model %v sums to %d requests, total %d", b.ByModel, sum, b.Requests)
	}
}

func TestDisconnectToolCall(t *testing.T) {
	full := listen(t, OpenAI, Knobs{})
	cut := listen(t, OpenAI, Knobs{DisconnectRate: 1})
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"tool_choice":"required",` +
		`"messages":[{"role":"user","content":"plan my week"}],` +
		`"tools":[{"type":"function","function":{"name":"plan","parameters":` + mustJSON(planSchema) + `}}]}`
	_, whole := post(t, full.URL+"/v1/chat/completions", body)
	resp, err := http.Post(cut.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading a cut stream: %v, want an unexpected EOF", err)
	}
	partial := string(b)
	if strings.Contains(partial, "[DONE]") || !strings.Contains(whole, "[DONE]") || len(partial) >= len(whole) {
		t.Fatalf("cut stream:\n%s", partial)
	}
	fb, cb := full.Billed(), cut.Billed()
	if cb.Disconnects != 1 || cb.Requests != 1 || cb.InputTokens != fb.InputTokens ||
		cb.OutputTokens <= 0 || cb.OutputTokens >= fb.OutputTokens {
		t.Errorf("cut billed %+v, whole %+v", cb, fb)
	}
}

// TestHang: a hung request gets no answer until the client gives up, and is
// counted, not billed.
func TestHang(t *testing.T) {
	s := listen(t, OpenAI, Knobs{HangRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/v1/chat/completions", strings.NewReader(hello))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung request: err %v, want the client's own deadline", err)
	}
	if b := s.Billed(); b.Hung != 1 || b.Requests != 0 {
		t.Errorf("billed %+v", b)
	}
}
