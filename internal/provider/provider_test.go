package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

// seen is what a fake upstream received.
type seen struct {
	path, query string
	header      http.Header
	body        map[string]any
}

func upstream(t *testing.T) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.path, s.query, s.header = r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		s.body = nil
		json.Unmarshal(b, &s.body)
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func send(t *testing.T, p Provider, op Op, model, body string) {
	t.Helper()
	resp, err := p.Send(context.Background(), &Request{Op: op, Model: model, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestOpenAI(t *testing.T) {
	srv, s := upstream(t)
	p, err := New(config.Provider{Name: "o", Type: config.TypeOpenAI, BaseURL: srv.URL + "/v1", APIKey: "sk-upstream",
		Headers: map[string]string{"OpenAI-Organization": "org-1"}})
	if err != nil {
		t.Fatal(err)
	}
	send(t, p, Chat, "gpt-x", `{"model":"gpt-x","messages":[{"role":"developer","content":"d"}],"max_completion_tokens":5}`)
	if s.path != "/v1/chat/completions" || s.header.Get("Authorization") != "Bearer sk-upstream" || s.header.Get("Openai-Organization") != "org-1" {
		t.Errorf("got %s auth %q", s.path, s.header.Get("Authorization"))
	}
	// Real OpenAI gets the body untouched.
	if s.body["max_completion_tokens"] != 5.0 || s.body["messages"].([]any)[0].(map[string]any)["role"] != "developer" {
		t.Errorf("body changed: %v", s.body)
	}
	send(t, p, Embeddings, "e", `{"model":"e","input":"x"}`)
	if s.path != "/v1/embeddings" {
		t.Errorf("embeddings path %s", s.path)
	}
}

func TestOpenAICompatible(t *testing.T) {
	srv, s := upstream(t)
	p, _ := New(config.Provider{Name: "vllm", Type: config.TypeOpenAICompatible, BaseURL: srv.URL + "/v1"})
	send(t, p, Chat, "llama", `{"model":"llama","messages":[{"role":"developer","content":"d"},{"role":"user","content":"u"}],"max_completion_tokens":5}`)
	if s.header.Get("Authorization") != "" {
		t.Errorf("sent auth %q with no key configured", s.header.Get("Authorization"))
	}
	msgs := s.body["messages"].([]any)
	if msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["role"] != "user" {
		t.Errorf("developer role not mapped to system: %v", msgs)
	}
	if s.body["max_tokens"] != 5.0 || s.body["max_completion_tokens"] != nil {
		t.Errorf("max_completion_tokens not mapped to max_tokens: %v", s.body)
	}
}

func TestAzure(t *testing.T) {
	srv, s := upstream(t)
	tests := []struct {
		name      string
		cfg       config.Provider
		path      string
		query     string
		authName  string
		authValue string
	}{
		{"classic", config.Provider{APIVersion: "2024-10-21", APIKey: "az-key"},
			"/openai/deployments/gpt-4o-prod/chat/completions", "api-version=2024-10-21", "Api-Key", "az-key"},
		{"v1", config.Provider{APIKey: "az-key"}, "/openai/v1/chat/completions", "", "Api-Key", "az-key"},
		{"v1 given in base url", config.Provider{APIKey: "az-key", APIVersion: "v1", BaseURL: srv.URL + "/openai/v1"},
			"/openai/v1/chat/completions", "", "Api-Key", "az-key"},
		{"bearer", config.Provider{APIVersion: "2025-04-01-preview", APIKey: "entra-token", Auth: "bearer"},
			"/openai/deployments/gpt-4o-prod/chat/completions", "api-version=2025-04-01-preview", "Authorization", "Bearer entra-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Name, tt.cfg.Type = "az", config.TypeAzure
			if tt.cfg.BaseURL == "" {
				tt.cfg.BaseURL = srv.URL
			}
			p, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			send(t, p, Chat, "gpt-4o-prod", `{"model":"gpt-4o-prod","messages":[]}`)
			if s.path != tt.path || s.query != tt.query || s.header.Get(tt.authName) != tt.authValue {
				t.Errorf("got %s?%s %s=%q", s.path, s.query, tt.authName, s.header.Get(tt.authName))
			}
		})
	}
	p, _ := New(config.Provider{Name: "az", Type: config.TypeAzure, BaseURL: srv.URL, APIVersion: "2024-10-21", APIKey: "k"})
	send(t, p, Embeddings, "emb/1", `{"input":"x"}`)
	if s.path != "/openai/deployments/emb%2F1/embeddings" {
		t.Errorf("embeddings path %s (deployment names must be escaped)", s.path)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{map[string]string{"Retry-After-Ms": "1500", "Retry-After": "2"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"Retry-After": "-4"}, 0, false},
		{map[string]string{}, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.h {
			h.Set(k, v)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%v) = %v %v, want %v %v", tt.h, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	var leaked bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked = true }))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	p, _ := New(config.Provider{Name: "o", Type: config.TypeOpenAI, BaseURL: srv.URL + "/v1", APIKey: "sk-secret"})
	resp, err := p.Send(context.Background(), &Request{Op: Chat, Model: "m", Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || leaked {
		t.Errorf("status %d, followed: %v", resp.StatusCode, leaked)
	}
}
