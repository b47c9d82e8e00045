package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestParseChat(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		param string // "" means success
		code  string
		want  Request
	}{
		{name: "minimal", body: `{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
			want: Request{Model: "m", N: 1}},
		{name: "stream with usage", body: `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{}],"max_tokens":7,"n":2}`,
			want: Request{Model: "m", Stream: true, IncludeUsage: true, MaxTokens: 7, N: 2}},
		{name: "max_completion_tokens wins", body: `{"max_completion_tokens":9,"max_tokens":3,"model":"m","messages":[{}]}`,
			want: Request{Model: "m", MaxTokens: 9, N: 1}},
		{name: "escaped model", body: `{"model":"a\"b","messages":[{}]}`, want: Request{Model: `a"b`, N: 1}},
		{name: "malformed", body: `{"model":"m",`, param: "", code: "invalid_json"},
		{name: "empty", body: ``, code: "invalid_json"},
		{name: "not an object", body: `[1,2]`, code: "invalid_type"},
		{name: "missing model", body: `{"messages":[{}]}`, param: "model", code: "missing_required_parameter"},
		{name: "empty model", body: `{"model":"","messages":[{}]}`, param: "model", code: "missing_required_parameter"},
		{name: "model not string", body: `{"model":5,"messages":[{}]}`, param: "model", code: "invalid_type"},
		{name: "missing messages", body: `{"model":"m"}`, param: "messages", code: "missing_required_parameter"},
		{name: "empty messages", body: `{"model":"m","messages":[]}`, param: "messages", code: "missing_required_parameter"},
		{name: "messages not array", body: `{"model":"m","messages":"hi"}`, param: "messages", code: "invalid_type"},
		{name: "stream not bool", body: `{"model":"m","messages":[{}],"stream":"yes"}`, param: "stream", code: "invalid_type"},
		{name: "negative max", body: `{"model":"m","messages":[{}],"max_tokens":-1}`, param: "max_tokens", code: "invalid_value"},
		{name: "zero max", body: `{"model":"m","messages":[{}],"max_tokens":0}`, param: "max_tokens", code: "invalid_value"},
		{name: "zero max_completion", body: `{"model":"m","messages":[{}],"max_completion_tokens":0}`, param: "max_completion_tokens", code: "invalid_value"},
		{name: "n too big", body: `{"model":"m","messages":[{}],"n":1000}`, param: "n", code: "invalid_value"},
		{name: "options without stream", body: `{"model":"m","messages":[{}],"stream_options":{"include_usage":true}}`, param: "stream_options", code: "invalid_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChat([]byte(tt.body))
			if tt.code != "" {
				if err == nil {
					t.Fatalf("ParseChat(%s) succeeded, want %s", tt.body, tt.code)
				}
				if err.Status != 400 || err.Param != tt.param || err.Code != tt.code || err.Message == "" {
					t.Fatalf("error = %+v, want param %q code %q", err, tt.param, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseChat: %v", err)
			}
			got.modelAt, got.modelEnd, got.optsAt, got.optsEnd = 0, 0, 0, 0
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInvalidJSONNamesOffset(t *testing.T) {
	_, err := ParseChat([]byte(`{"model": "m", "messages": [}`))
	if err == nil || !strings.Contains(err.Message, "at byte") {
		t.Fatalf("err = %v, want a message naming the offset", err)
	}
}

func TestParseEmbeddings(t *testing.T) {
	for _, ok := range []string{`{"model":"e","input":"x"}`, `{"model":"e","input":["a","b"]}`, `{"model":"e","input":[1,2]}`} {
		if _, err := ParseEmbeddings([]byte(ok)); err != nil {
			t.Errorf("ParseEmbeddings(%s): %v", ok, err)
		}
	}
	for _, bad := range []string{`{"model":"e"}`, `{"model":"e","input":[]}`, `{"input":"x"}`} {
		if _, err := ParseEmbeddings([]byte(bad)); err == nil {
			t.Errorf("ParseEmbeddings(%s) succeeded", bad)
		}
	}
}

func TestRewrite(t *testing.T) {
	tests := []struct {
		name, body, model string
		force             bool
		want              map[string]any
	}{
		{"model only", `{"model":"pub","messages":[1]}`, "native-1", false,
			map[string]any{"model": "native-1", "messages": []any{1.0}}},
		{"same model, no force", `{"model":"m","messages":[1]}`, "m", false,
			map[string]any{"model": "m", "messages": []any{1.0}}},
		{"add stream_options", `{ "stream":true, "model":"pub","messages":[1]}`, "n", true,
			map[string]any{"model": "n", "stream": true, "messages": []any{1.0}, "stream_options": map[string]any{"include_usage": true}}},
		{"flip include_usage, model first", `{"model":"pub","stream":true,"stream_options":{"include_usage":false,"include_obfuscation":false},"messages":[1]}`, "n", true,
			map[string]any{"model": "n", "stream": true, "messages": []any{1.0}, "stream_options": map[string]any{"include_usage": true, "include_obfuscation": false}}},
		{"options before model", `{"stream":true,"stream_options":{},"model":"pub","messages":[1]}`, "native/x:1", true,
			map[string]any{"model": "native/x:1", "stream": true, "messages": []any{1.0}, "stream_options": map[string]any{"include_usage": true}}},
		{"quoted model", `{"model":"pub","messages":[1]}`, "a\"b\u0001", false,
			map[string]any{"model": "a\"b\u0001", "messages": []any{1.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, perr := ParseChat([]byte(tt.body))
			if perr != nil {
				t.Fatal(perr)
			}
			out := Rewrite([]byte(tt.body), &req, tt.model, tt.force)
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("rewritten body %s is not JSON: %v", out, err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Errorf("got %s, want %s", gj, wj)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	body := `{"id":"x","choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":999}"}}],
	 "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
	 "prompt_tokens_details":{"cached_tokens":4,"cache_write_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}}`
	u, ok := UsageOf([]byte(body))
	want := wire.Usage{Prompt: 10, Completion: 5, Cached: 4, CacheWrite: 1, Reasoning: 2}
	if !ok || u != want {
		t.Fatalf("UsageOf = %+v %v, want %+v", u, ok, want)
	}
	if _, ok := UsageOf([]byte(`{"usage":null}`)); ok {
		t.Error("null usage reported as present")
	}
}

func TestScanChunk(t *testing.T) {
	tests := []struct {
		data      string
		hasUsage  bool
		noChoices bool
	}{
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}`, false, false},
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`, true, true},
		{`{"id":"c","choices":null,"usage":{"prompt_tokens":3,"completion_tokens":4}}`, true, true}, // vLLM
		{`{"id":"c","usage":{"prompt_tokens":3,"completion_tokens":4}}`, true, true},                // choices omitted
		{`{"id":"c","choices":[ ],"usage":{"prompt_tokens":3}}`, true, true},
		{`{"id":"c","choices":[{"delta":{}}],"usage":{"prompt_tokens":3}}`, true, false}, // continuous usage stats
	}
	for _, tt := range tests {
		c := ScanChunk([]byte(tt.data))
		if c.HasUsage != tt.hasUsage || c.NoChoices != tt.noChoices {
			t.Errorf("ScanChunk(%s) = %+v", tt.data, c)
		}
	}
	if c := ScanChunk([]byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`)); c.Usage.Prompt != 3 || c.Usage.Completion != 4 {
		t.Errorf("usage = %+v", c.Usage)
	}
}

func TestNormalizeError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		typ    string
		code   any
		msg    string
	}{
		{"openai passes", 429, `{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, "requests", "rate_limit_exceeded", "slow down"},
		{"azure 429", 429, `{"error":{"code":"429","message":"Please retry after 3 seconds."}}`, "rate_limit_error", "429", "Please retry after 3 seconds."},
		{"vllm old", 404, `{"object":"error","message":"The model x does not exist.","type":"NotFoundError","param":null,"code":404}`, "not_found_error", "404", "The model x does not exist."},
		{"vllm new", 400, `{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}`, "invalid_request_error", "400", "bad"},
		{"html", 502, `<html>Bad gateway</html>`, "server_error", nil, "upstream returned HTTP 502: <html>Bad gateway</html>"},
		{"empty", 503, ``, "service_unavailable_error", nil, "upstream returned HTTP 503 with an empty body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Param   any    `json:"param"`
					Code    any    `json:"code"`
				} `json:"error"`
			}
			out := NormalizeError(tt.status, []byte(tt.body))
			if err := json.Unmarshal(out, &env); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if env.Error.Type != tt.typ || env.Error.Code != tt.code || env.Error.Message != tt.msg {
				t.Errorf("got %s", out)
			}
		})
	}
}

func TestCleanAzure(t *testing.T) {
	if _, keep := CleanAzureChunk([]byte(`{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0}]}`)); keep {
		t.Error("kept the empty prompt-filter chunk")
	}
	if _, keep := CleanAzureChunk([]byte(`{"id":"c","choices":[{"index":0,"finish_reason":null,"content_filter_results":{},"content_filter_offsets":{"check_offset":1}}]}`)); keep {
		t.Error("kept a delta-less content-filter chunk")
	}
	out, keep := CleanAzureChunk([]byte(`{"id":"c","choices":[{"index":0,"delta":{"content":"hi"},"content_filter_results":{"hate":{"filtered":false}}}],"usage":null}`))
	if !keep || strings.Contains(string(out), "content_filter") || !strings.Contains(string(out), `"content":"hi"`) {
		t.Errorf("cleaned chunk = %s", out)
	}
	usage := `{"id":"c","choices":[],"usage":{"prompt_tokens":1}}`
	if out, keep := CleanAzureChunk([]byte(usage)); !keep || string(out) != usage {
		t.Errorf("usage chunk changed: %s", out)
	}
	body := CleanAzureBody([]byte(`{"id":"c","choices":[{"index":0,"message":{"content":"x"},"content_filter_results":{}}],"prompt_filter_results":[],"usage":{}}`))
	if strings.Contains(string(body), "filter") || !json.Valid(body) {
		t.Errorf("cleaned body = %s", body)
	}
}

func FuzzParseChat(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`))
	f.Add([]byte(`{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[1]}`))
	f.Add([]byte(`{"model":"\u00e9","messages":[{}],"n":2,"max_tokens":10}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseChat(body)
		if err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		for _, force := range []bool{false, true} {
			if force && !req.Stream {
				continue
			}
			out := Rewrite(body, &req, "native-model", force)
			again, err := ParseChat(out)
			if err != nil {
				t.Fatalf("rewritten body %q does not parse: %v", out, err)
			}
			if again.Model != "native-model" || again.Stream != req.Stream || (force && !again.IncludeUsage) {
				t.Fatalf("rewrite of %q gave %q", body, out)
			}
		}
	})
}

func FuzzScanChunk(f *testing.F) {
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":3}}`))
	f.Add([]byte(`{"id":"","choices":[],"prompt_filter_results":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ScanChunk(data)
		CleanAzureChunk(data)
		CleanAzureBody(data)
		NormalizeError(500, data)
		UsageOf(data)
	})
}
