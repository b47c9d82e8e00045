package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// TestTenantBudgetAndLimits: a tenant's hard budget refuses with 402 once
// spent, naming the budget, and a key's RPM limit answers 429 with
// Retry-After and OpenAI's rate-limit headers; after a restart on the same
// data directory the budget's spend is restored from the store, so the key
// stays refused and GET /v1/key shows the same spend.
func TestTenantBudgetAndLimits(t *testing.T) {
	const token = "admin-token-budgets"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	dir := t.TempDir()
	mk := func() *config.Config {
		cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
			config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
		cfg.DataDir, cfg.Admin.Token = dir, token
		return cfg
	}
	g, _, stop := startLogged(t, mk())
	// $1 in / $2 out per million tokens: a request of ~20 tokens costs
	// ~$0.00003, so a $0.0001 budget lasts a few requests.
	tenant := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants",
		`{"name":"acme","budget":{"usd":"0.0001","period":"month","hard":true}}`)
	key := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tenant["id"].(string)+"/keys", `{"name":"ci","limits":{"rpm":1000}}`)
	secret := key["key"].(string)
	c := openai.NewClient(option.WithBaseURL(g.URL()), option.WithAPIKey(secret), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(10),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello.")}}
	var hdr *http.Response
	var refusal *openai.Error
	served := 0
	for i := 0; i < 50 && refusal == nil; i++ {
		_, err := c.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&hdr))
		if err == nil {
			served++
			if hdr.Header.Get("x-ratelimit-limit-requests") != "1000" || hdr.Header.Get("x-ratelimit-remaining-requests") == "" {
				t.Errorf("rate-limit headers missing: %v", hdr.Header)
			}
			continue
		}
		if !errors.As(err, &refusal) {
			t.Fatal(err)
		}
	}
	if refusal == nil || refusal.StatusCode != http.StatusPaymentRequired || served == 0 {
		t.Fatalf("after %d requests: %v, want some served then 402", served, refusal)
	}
	if msg := refusal.Message; !contains(msg, "tenant:", "month", "resets at") {
		t.Errorf("402 message %q does not name the budget, period and reset", msg)
	}
	_, before := keyInfo(t, g, secret)
	stop()

	g2, _, _ := startLogged(t, mk())
	c2 := openai.NewClient(option.WithBaseURL(g2.URL()), option.WithAPIKey(secret), option.WithMaxRetries(0))
	_, err := c2.Chat.Completions.New(context.Background(), params)
	if !errors.As(err, &refusal) || refusal.StatusCode != http.StatusPaymentRequired {
		t.Errorf("after a restart: %v, want the budget still spent (402)", err)
	}
	_, after := keyInfo(t, g2, secret)
	if tb, ta := spendOf(before), spendOf(after); tb == "" || tb != ta {
		t.Errorf("tenant spend before restart %q, after %q", tb, ta)
	}

	// A key with a 2 RPM limit: the third request in the minute is a 429.
	k2 := mustAdmin(t, g2, token, 201, "POST", "/admin/v1/tenants/"+tenant["id"].(string)+"/keys", `{"name":"slow","limits":{"rpm":2}}`)
	mustAdmin(t, g2, token, 200, "PATCH", "/admin/v1/tenants/"+tenant["id"].(string), `{"budget":{"usd":"100","period":"month","hard":true}}`)
	c3 := openai.NewClient(option.WithBaseURL(g2.URL()), option.WithAPIKey(k2["key"].(string)), option.WithMaxRetries(0))
	for i := 0; i < 3; i++ {
		_, err = c3.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&hdr))
	}
	if !errors.As(err, &refusal) || refusal.StatusCode != http.StatusTooManyRequests || hdr.Header.Get("Retry-After") == "" {
		t.Errorf("third request at 2 RPM: %v (Retry-After %q), want 429 with Retry-After", err, hdr.Header.Get("Retry-After"))
	}
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// spendOf digs the tenant budget's spend out of a GET /v1/key answer.
func spendOf(info map[string]any) string {
	d, _ := info["data"].(map[string]any)
	for _, k := range []string{"tenant_budget", "budget"} {
		if b, ok := d[k].(map[string]any); ok {
			if s, ok := b["spend_usd"].(string); ok {
				return k + "=" + s
			}
		}
	}
	return ""
}
