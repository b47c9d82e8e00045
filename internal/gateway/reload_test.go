package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
)

// reloadConfig is the config TestReload starts with and edits: "chat" goes
// to the cheaper of cloud a (whose streams are slow) and cloud b; "down"
// has one deployment nobody listens for, ejected after two failures.
func reloadConfig(aURL, bURL, deadAddr string, aInput money.Price) *config.Config {
	cfg := baseConfig([]config.Provider{
		providerFor("a", emulate.OpenAI, aURL),
		providerFor("b", emulate.OpenAI, bURL),
		{Name: "dead", Type: config.TypeOpenAI, BaseURL: "http://" + deadAddr + "/v1", APIKey: "k"},
	},
		config.Model{Name: "chat", Routing: config.RouteCheapest, Deployments: []config.Deployment{
			{Name: "a", Provider: "a", Model: "m", Price: config.Price{Input: aInput, Output: aInput}},
			{Name: "b", Provider: "b", Model: "m", Price: config.Price{Input: 2000, Output: 2000}},
		}},
		config.Model{Name: "down", Deployments: []config.Deployment{
			{Name: "x", Provider: "dead", Model: "m", Price: config.Price{Input: 1000, Output: 1000}},
		}})
	cfg.Routing.Health.ConsecutiveFailures = 2
	return cfg
}

// like gives next the settings of running that a reload may not change
// (the test rig picks a data dir and an admin port), then validates it as
// config.Load would.
func like(t *testing.T, running, next *config.Config) *config.Config {
	t.Helper()
	next.Listen, next.DataDir, next.Admin = running.Listen, running.DataDir, running.Admin
	next.SetDefaults()
	if err := next.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return next
}

// servedBy sends one whole chat request and returns the deployment that
// answered it.
func servedBy(t *testing.T, g *gateway.Gateway) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL()+"/chat/completions",
		strings.NewReader(`{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":3}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: HTTP %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Switchyard-Deployment")
}

// TestReload: a reload with a changed price takes effect for new requests
// at once, while a stream that started before it finishes whole on the old
// config, and an ejected deployment stays ejected. A reload that fails a
// check changes nothing.
func TestReload(t *testing.T) {
	a := startEmu(t, emulate.OpenAI, emulate.Knobs{TPS: 20})
	b := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	dead := closedPort(t)
	cfg := reloadConfig(a.URL, b.URL, dead, 1000)
	g := startGateway(t, cfg)

	if d := servedBy(t, g); d != "a" {
		t.Fatalf("before the reload, cheapest chat went to %q, want a", d)
	}
	c := client(g)
	for range 2 {
		if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "down", Messages: messages}); err == nil {
			t.Fatal("a request to a deployment nobody listens for succeeded")
		}
	}
	ejected := func(g *gateway.Gateway) time.Time {
		for _, d := range g.Table().Deployments() {
			if d.Name == "x" {
				return d.Stats(time.Now()).EjectedUntil
			}
		}
		t.Fatal("deployment x is gone")
		return time.Time{}
	}
	until := ejected(g)
	if until.IsZero() {
		t.Fatal("x was not ejected after two failures")
	}

	// A stream of ~1.5 s starts on a, then a's price triples.
	stream := c.Chat.Completions.NewStreaming(context.Background(),
		openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(30)})
	if !stream.Next() {
		t.Fatalf("stream did not start: %v", stream.Err())
	}
	first := stream.Current().Choices[0].Delta.Content
	if err := g.Reload(like(t, cfg, reloadConfig(a.URL, b.URL, dead, 3000))); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if d := servedBy(t, g); d != "b" {
		t.Errorf("after a's price rose above b's, chat went to %q, want b", d)
	}
	rest, err := collect(stream)
	if err != nil {
		t.Fatalf("in-flight stream cut by the reload: %v", err)
	}
	if n := len(strings.Fields(first + rest)); n != 30 {
		t.Errorf("in-flight stream carried %d words, want 30", n)
	}
	if got := ejected(g); !got.Equal(until) {
		t.Errorf("x ejected until %v after the reload, want %v (unchanged)", got, until)
	}

	// Refused reloads: a Bedrock provider without credentials (serve would
	// not start on it), and a new listen address. Nothing changes.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	broken := reloadConfig(a.URL, b.URL, dead, 1000)
	broken.Providers = append(broken.Providers, config.Provider{Name: "aws", Type: config.TypeBedrock, Region: "us-east-1"})
	broken.Models[1].Deployments = append(broken.Models[1].Deployments,
		config.Deployment{Name: "y", Provider: "aws", Model: "m", Price: config.Price{Input: 1, Output: 1}})
	if err := g.Reload(like(t, cfg, broken)); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("reload with a Bedrock provider without credentials: %v, want refused", err)
	}
	moved := like(t, cfg, reloadConfig(a.URL, b.URL, dead, 1000))
	moved.Listen = "127.0.0.1:1"
	if err := g.Reload(moved); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("reload with a new listen address: %v, want refused naming listen", err)
	}
	if d := servedBy(t, g); d != "b" {
		t.Errorf("after refused reloads, chat went to %q, want b (the last good config)", d)
	}
	if got := ejected(g); !got.Equal(until) {
		t.Errorf("x ejected until %v after refused reloads, want %v", got, until)
	}
}
