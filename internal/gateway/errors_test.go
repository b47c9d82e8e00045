package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// TestClientErrors: each kind of bad input gets its own clear 4xx in OpenAI's
// error envelope, and none of them reaches a cloud.
func TestClientErrors(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "m")}})
	cfg.SetDefaults()
	cfg.Server.MaxBodyBytes = 4096
	g := startGateway(t, cfg)
	base := "http://" + g.Addr()
	auth := "Bearer " + testKey

	tests := []struct {
		name, method, path, auth, body string
		status                         int
		code, param                    string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", auth, `{"model":"chat","messages":[`, 400, "invalid_json", ""},
		{"not an object", "POST", "/v1/chat/completions", auth, `"hello"`, 400, "invalid_type", ""},
		{"missing model", "POST", "/v1/chat/completions", auth, `{"messages":[{"role":"user","content":"hi"}]}`, 400, "missing_required_parameter", "model"},
		{"missing messages", "POST", "/v1/chat/completions", auth, `{"model":"chat"}`, 400, "missing_required_parameter", "messages"},
		{"unknown model", "POST", "/v1/chat/completions", auth, `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404, "model_not_found", "model"},
		{"wrong key", "POST", "/v1/chat/completions", "Bearer sk-sy-wrong-key-0000000000", `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`, 401, "invalid_api_key", ""},
		{"no key", "POST", "/v1/chat/completions", "", `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`, 401, "missing_api_key", ""},
		{"oversized body", "POST", "/v1/chat/completions", auth, `{"model":"chat","messages":[{"role":"user","content":"` + strings.Repeat("x", 5000) + `"}]}`, 413, "request_too_large", ""},
		{"embeddings without input", "POST", "/v1/embeddings", auth, `{"model":"chat"}`, 400, "missing_required_parameter", "input"},
		{"wrong method", "GET", "/v1/chat/completions", auth, ``, 405, "method_not_allowed", ""},
		{"unknown path", "POST", "/v1/completions/legacy", auth, `{}`, 404, "unknown_url", ""},
		{"unknown model id", "GET", "/v1/models/gpt-9", auth, ``, 404, "model_not_found", "model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var env struct {
				Error *struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
					Code    *string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
				t.Fatalf("body %s is not an OpenAI error envelope", body)
			}
			e := env.Error
			if resp.StatusCode != tt.status || e.Code == nil || *e.Code != tt.code || e.Message == "" || e.Type == "" {
				t.Errorf("got %d %s, want %d code %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if (tt.param == "") != (e.Param == nil) || (e.Param != nil && *e.Param != tt.param) {
				t.Errorf("param = %v, want %q", e.Param, tt.param)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if got := emu.Billed().Received; got != 0 {
		t.Errorf("%d bad requests reached the cloud", got)
	}
}

func TestModelsAndProbes(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "m")}},
		config.Model{Name: "embed", Deployments: []config.Deployment{deployment("cloud", "e")}})
	g := startGateway(t, cfg)
	c := client(g)
	page, err := c.Models.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "chat,embed" {
		t.Errorf("models = %v", ids)
	}
	m, err := c.Models.Get(t.Context(), "embed")
	if err != nil || m.ID != "embed" {
		t.Errorf("get model: %v %v", m, err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + g.Addr() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, resp.StatusCode, err)
		}
	}
}

// TestAnthropicClientErrors: the Anthropic-format endpoint answers bad input
// in Anthropic's envelope, {"type":"error","error":{"type","message"}}, with
// the status Anthropic would use; none of it reaches a cloud.
func TestAnthropicClientErrors(t *testing.T) {
	emu := startEmu(t, emulate.Anthropic, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{{Name: "cloud", Type: config.TypeAnthropic, BaseURL: emu.URL, APIKey: "k"}},
		config.Model{Name: "claude", Deployments: []config.Deployment{deployment("cloud", "m")}})
	cfg.SetDefaults()
	cfg.Server.MaxBodyBytes = 4096
	g := startGateway(t, cfg)
	base := "http://" + g.Addr()
	msgs := `"messages":[{"role":"user","content":"hi"}]`

	tests := []struct {
		name, path, key, body string
		status                int
		typ, mentions         string
	}{
		{"malformed JSON", "/v1/messages", testKey, `{"model":"claude",`, 400, "invalid_request_error", ""},
		{"missing max_tokens", "/v1/messages", testKey, `{"model":"claude",` + msgs + `}`, 400, "invalid_request_error", "max_tokens"},
		{"bad role", "/v1/messages", testKey, `{"model":"claude","max_tokens":5,"messages":[{"role":"robot","content":"hi"}]}`, 400, "invalid_request_error", "role"},
		{"missing model", "/v1/messages", testKey, `{"max_tokens":5,` + msgs + `}`, 400, "invalid_request_error", "model"},
		{"unknown model", "/v1/messages", testKey, `{"model":"claude-9","max_tokens":5,` + msgs + `}`, 404, "not_found_error", "claude-9"},
		{"wrong key", "/v1/messages", "sk-sy-wrong-key-0000000000", `{"model":"claude","max_tokens":5,` + msgs + `}`, 401, "authentication_error", ""},
		{"no key", "/v1/messages", "", `{"model":"claude","max_tokens":5,` + msgs + `}`, 401, "authentication_error", "API key"},
		{"oversized body", "/v1/messages", testKey, `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"` + strings.Repeat("x", 5000) + `"}]}`, 413, "request_too_large", ""},
		{"count_tokens unknown model", "/v1/messages/count_tokens", testKey, `{"model":"claude-9",` + msgs + `}`, 404, "not_found_error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("x-api-key", tt.key)
			}
			req.Header.Set("anthropic-version", "2023-06-01")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var env struct {
				Type  string `json:"type"`
				Error *struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Type != "error" || env.Error == nil {
				t.Fatalf("body %s is not an Anthropic error envelope", body)
			}
			if resp.StatusCode != tt.status || env.Error.Type != tt.typ || env.Error.Message == "" {
				t.Errorf("got %d %s, want %d type %s", resp.StatusCode, body, tt.status, tt.typ)
			}
			if !strings.Contains(env.Error.Message, tt.mentions) {
				t.Errorf("message %q does not mention %q", env.Error.Message, tt.mentions)
			}
		})
	}
	if got := emu.Billed().Received; got != 0 {
		t.Errorf("%d bad requests reached the cloud", got)
	}

	// count_tokens answers from a local estimate, without the cloud.
	req, _ := http.NewRequest("POST", base+"/v1/messages/count_tokens", strings.NewReader(`{"model":"claude",`+msgs+`}`))
	req.Header.Set("x-api-key", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var count struct {
		InputTokens int `json:"input_tokens"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&count); err != nil || resp.StatusCode != 200 || count.InputTokens <= 0 {
		t.Errorf("count_tokens: %d %+v %v", resp.StatusCode, count, err)
	}
}
