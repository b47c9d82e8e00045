package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/switchyard/switchyard/internal/admin"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// The dashboard on a running gateway: the shell without a token, and the
// data it reads (live deployments, latest events) behind it, with what the
// request just sent did.
func TestDashboardOnTheAdminListener(t *testing.T) {
	const token = "admin-secret-token"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	cfg.Admin.Token = token
	g := startGateway(t, cfg)
	p := openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(20),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Which yard?")}}
	gw := client(g)
	if _, err := gw.Chat.Completions.New(context.Background(), p); err != nil {
		t.Fatal(err)
	}

	if code, body := adminGet(t, g, "/ui/", ""); code != 200 || !strings.Contains(body, "Switchyard dashboard") {
		t.Fatalf("/ui/ without a token: %d", code)
	}
	for _, path := range []string{"/admin/v1/deployments", "/admin/v1/events?limit=5"} {
		if code, _ := adminGet(t, g, path, ""); code != 401 {
			t.Errorf("%s without the token: %d, want 401", path, code)
		}
	}

	var deps struct{ Deployments []admin.DeploymentStatus }
	code, body := adminGet(t, g, "/admin/v1/deployments", token)
	if err := json.Unmarshal([]byte(body), &deps); code != 200 || err != nil || len(deps.Deployments) != 1 {
		t.Fatalf("deployments: %d %s", code, body)
	}
	d := deps.Deployments[0]
	if d.Model != "chat" || d.Provider != "cloud" || !d.Available || d.Ejected || d.Attempts != 1 || d.Successes != 1 {
		t.Errorf("deployment after one answered request: %+v", d)
	}

	var page struct {
		Events []struct {
			Model, Deployment, Outcome string
		}
	}
	eventually(t, "the request in the latest events", func() bool {
		code, body := adminGet(t, g, "/admin/v1/events?limit=5&model=chat", token)
		json.Unmarshal([]byte(body), &page)
		return code == 200 && len(page.Events) == 1
	})
	if e := page.Events[0]; e.Deployment != d.Name || e.Outcome != "completed" {
		t.Errorf("latest event %+v, want completed on %s", e, d.Name)
	}
}
