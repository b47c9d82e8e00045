package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// TestLogsCarryRequestIDsAndNoSecrets: a gateway run at debug level with
// the access log on — throttles, server errors, failovers, a wrong key —
// writes structured lines where every request-scoped line names its
// request, no secret appears (client, provider and admin keys), and no
// duration is written without its unit.
func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	const token = "admin-token-logs-0123"
	throttled := startEmu(t, emulate.OpenAI, emulate.Knobs{ThrottleRate: 0.5, ErrorRate: 0.3, Seed: 3, RetryAfter: -1})
	steady := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	first, second := deployment("throttled", "native-a"), deployment("steady", "native-b")
	first.Priority, first.PrioritySet = 1, true
	second.Priority, second.PrioritySet = 2, true
	cfg := baseConfig([]config.Provider{providerFor("throttled", emulate.OpenAI, throttled.URL), providerFor("steady", emulate.OpenAI, steady.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{first, second}})
	cfg.Admin.Token = token
	g, logs, stop := startLogged(t, cfg)

	key := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+
		mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants", `{"name":"acme"}`)["id"].(string)+"/keys", `{"name":"ci"}`)["key"].(string)
	for range 6 {
		chatWith(t, g, key)
		chatWith(t, g, testKey)
	}
	bad := client(g, option.WithAPIKey("sk-sy-not-a-real-key-0123456789"))
	bad.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if code, _ := adminGet(t, g, "/admin/v1/usage", "wrong-token"); code != http.StatusUnauthorized {
		t.Fatalf("admin with a wrong token: %d", code)
	}
	stop()

	out := logs.String()
	for _, secret := range []string{key, testKey, "sk-sy-not-a-real-key", token, "openai-key"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log carries the secret %q", secret)
		}
	}
	scoped := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %s", line)
		}
		msg, _ := rec["msg"].(string)
		switch msg {
		case "request", "route", "attempt failed", "deployment cooling down":
			scoped[msg]++
			if id, _ := rec["request_id"].(string); !strings.HasPrefix(id, "req_") {
				t.Errorf("request-scoped line without its request id: %s", line)
			}
		}
		for k := range rec {
			switch k {
			case "duration", "for", "grace", "drain_delay", "timeout", "elapsed", "wait", "cooldown":
				t.Errorf("a duration without its unit, %q: %s", k, line)
			}
		}
		if msg == "request" {
			if _, ok := rec["duration_ms"].(float64); !ok {
				t.Errorf("access line without duration_ms: %s", line)
			}
		}
	}
	for _, msg := range []string{"request", "route", "attempt failed", "deployment cooling down"} {
		if scoped[msg] == 0 {
			t.Errorf("no %q line: the run did not exercise it (%v)", msg, scoped)
		}
	}
}
