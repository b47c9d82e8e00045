package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// Truthful answers (issue 7): the status a client gets says what it should
// do next, the message names what was tried, and nothing internal leaks.

// send posts body to path with the test key and returns the status, headers
// and body.
func send(t *testing.T, g *gateway.Gateway, method, path, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+g.Addr()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestRetryableCauseWins: an Anthropic deployment that throttles, with a
// Bedrock fallback that cannot express top_k. The client must be told to
// retry (429 with Retry-After), on the request that met the 429 and on the
// next one, which finds the Anthropic deployment cooling down; never a 502
// or a 400 that SDKs would not retry.
func TestRetryableCauseWins(t *testing.T) {
	pa, hits := anthropicThrottle.start(t)
	pa.Name = "anthropic"
	bedrock := startEmu(t, emulate.Bedrock, emulate.Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret})
	pb := matrixClouds[3].provider(bedrock.URL)
	pb.Name = "aws"
	g := startGateway(t, baseConfig([]config.Provider{pa, pb},
		config.Model{Name: "claude", Deployments: []config.Deployment{
			{Name: "anthropic/claude", Provider: "anthropic", Model: "claude-x", Price: config.Price{Unpriced: true}},
			{Name: "aws/claude", Provider: "aws", Model: "anthropic.claude-x", Priority: 2, PrioritySet: true, Price: config.Price{Unpriced: true}}}}))
	body := `{"model":"claude","max_tokens":10,"top_k":5,"messages":[{"role":"user","content":"hi"}]}`
	for i, want := range []string{"rate limited", "cooling down"} {
		resp, got := send(t, g, "POST", "/v1/messages", body, nil)
		if resp.StatusCode != 429 {
			t.Fatalf("request %d: %d %s, want 429", i+1, resp.StatusCode, got)
		}
		if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 1 || ra > 7 {
			t.Errorf("request %d: Retry-After %q, want 1..7 (the cloud asked for 7 s)", i+1, resp.Header.Get("Retry-After"))
		}
		var env struct {
			Type  string `json:"type"`
			Error struct{ Type, Message string }
		}
		if err := json.Unmarshal([]byte(got), &env); err != nil || env.Type != "error" || env.Error.Type != "rate_limit_error" {
			t.Errorf("request %d: not Anthropic's rate-limit envelope: %s", i+1, got)
		}
		for _, name := range []string{"anthropic/claude (" + want, "aws/claude (cannot express 'top_k')"} {
			if !strings.Contains(env.Error.Message, name) {
				t.Errorf("request %d: message %q does not name %q", i+1, env.Error.Message, name)
			}
		}
	}
	if *hits != 1 {
		t.Errorf("the throttled cloud was asked %d times, want once (then it cools down)", *hits)
	}
	if n := bedrock.Billed().Received; n != 0 {
		t.Errorf("%d requests reached Bedrock, which cannot express them", n)
	}
}

// TestFailuresNameEveryDeployment: when nothing answers, the client's error
// names each deployment tried and why, and carries no internal address.
func TestFailuresNameEveryDeployment(t *testing.T) {
	dead := closedPort(t)
	p500, _ := cannedCloud{config.TypeOpenAI, 500, nil, `{"error":{"message":"boom at 10.0.0.7:8443","type":"server_error"}}`}.start(t)
	p500.Name = "flaky"
	g := startGateway(t, baseConfig([]config.Provider{
		{Name: "dead", Type: config.TypeOpenAI, BaseURL: "http://" + dead + "/v1", APIKey: "k"}, p500},
		config.Model{Name: "m", Deployments: []config.Deployment{
			{Name: "dead/m", Provider: "dead", Model: "m", Price: config.Price{Unpriced: true}},
			{Name: "flaky/m", Provider: "flaky", Model: "m", Priority: 2, PrioritySet: true, Price: config.Price{Unpriced: true}}}}))
	resp, got := send(t, g, "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 502 {
		t.Fatalf("%d %s, want 502", resp.StatusCode, got)
	}
	for _, want := range []string{"dead/m (unreachable)", "flaky/m (failed (HTTP 500))"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %s does not name %q", got, want)
		}
	}
	for _, leak := range []string{dead, "127.0.0.1", "10.0.0.7", "dial tcp"} {
		if strings.Contains(got, leak) {
			t.Errorf("error leaks %q: %s", leak, got)
		}
	}
}

// TestAnswersNameThePublicModel: a fallback's answer names the fallback, and
// the cloud's own id never reaches the client.
func TestAnswersNameThePublicModel(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	g := startGateway(t, baseConfig([]config.Provider{
		{Name: "dead", Type: config.TypeOpenAI, BaseURL: "http://" + closedPort(t) + "/v1", APIKey: "k"},
		providerFor("oai", emulate.OpenAI, emu.URL)},
		config.Model{Name: "big", Fallbacks: []string{"small"}, Deployments: []config.Deployment{deployment("dead", "big-2024-01-01")}},
		config.Model{Name: "small", Deployments: []config.Deployment{deployment("oai", "small-2024-07-18")}}))
	for _, stream := range []bool{false, true} {
		body := `{"model":"big","stream":` + strconv.FormatBool(stream) + `,"messages":[{"role":"user","content":"hi"}]}`
		resp, got := send(t, g, "POST", "/v1/chat/completions", body, nil)
		if resp.StatusCode != 200 || !strings.Contains(got, `"model":"small"`) || strings.Contains(got, "2024") {
			t.Errorf("stream=%v: %d %s, want the fallback's public name and no native id", stream, resp.StatusCode, got)
		}
	}
}

// TestRequestIDOnEveryAnswer: probes, listings and every kind of error carry
// x-switchyard-request-id.
func TestRequestIDOnEveryAnswer(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	g := startGateway(t, baseConfig([]config.Provider{providerFor("oai", emulate.OpenAI, emu.URL)},
		config.Model{Name: "m", Deployments: []config.Deployment{deployment("oai", "m")}}))
	for _, tt := range []struct {
		method, path string
		header       map[string]string
		status       int
	}{
		{"GET", "/v1/models", nil, 200},
		{"GET", "/v1/models/m", nil, 200},
		{"GET", "/v1/models/nope", nil, 404},
		{"GET", "/nope", nil, 404},
		{"DELETE", "/v1/chat/completions", nil, 405},
		{"GET", "/healthz", nil, 200},
		{"GET", "/readyz", nil, 200},
		{"GET", "/v1/models", map[string]string{"Authorization": ""}, 401},
		{"POST", "/v1/messages", map[string]string{"Authorization": "Bearer wrong-key-0123456789"}, 401},
	} {
		resp, body := send(t, g, tt.method, tt.path, "", tt.header)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.status)
		}
		if id := resp.Header.Get("X-Switchyard-Request-Id"); !strings.HasPrefix(id, "req_") {
			t.Errorf("%s %s: request id %q", tt.method, tt.path, id)
		}
	}
}

// TestRouteReasonOnlyForOverrideKeys: route reasons name deployments and
// prices, so only keys allowed to choose routes see them.
func TestRouteReasonOnlyForOverrideKeys(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("oai", emulate.OpenAI, emu.URL)},
		config.Model{Name: "m", Deployments: []config.Deployment{deployment("oai", "m")}})
	const opsKey = "sk-sy-ops-0123456789abcdef"
	cfg.Keys = append(cfg.Keys, config.Key{Name: "ops", Key: opsKey, AllowRouteOverride: config.RouteOverride{All: true}})
	g := startGateway(t, cfg)
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	resp, _ := send(t, g, "POST", "/v1/chat/completions", body, map[string]string{"X-Switchyard-Debug": "1"})
	if r := resp.Header.Get("X-Switchyard-Route-Reason"); resp.StatusCode != 200 || r != "" {
		t.Errorf("plain key: %d, route reason %q, want none", resp.StatusCode, r)
	}
	resp, _ = send(t, g, "POST", "/v1/chat/completions", body, map[string]string{"X-Switchyard-Debug": "1", "Authorization": "Bearer " + opsKey})
	if r := resp.Header.Get("X-Switchyard-Route-Reason"); resp.StatusCode != 200 || !strings.Contains(r, "oai/m") {
		t.Errorf("override key: %d, route reason %q, want one naming the deployment", resp.StatusCode, r)
	}
}

// TestOtherAuthorizationSchemeKeepsAPIKey: an Authorization header that is
// not a bearer token (a proxy's Basic credentials) does not hide x-api-key.
func TestOtherAuthorizationSchemeKeepsAPIKey(t *testing.T) {
	emu := startEmu(t, emulate.Anthropic, emulate.Knobs{APIKey: "anthropic-key"})
	g := startGateway(t, baseConfig([]config.Provider{matrixClouds[4].provider(emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "claude-x")}}))
	resp, body := send(t, g, "POST", "/v1/messages", `{"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Basic dXNlcjpwYXNz", "X-Api-Key": testKey})
	if resp.StatusCode != 200 {
		t.Errorf("%d %s, want 200", resp.StatusCode, body)
	}
}

// TestZeroMaxTokensRefusedForEveryModel: a limit below one token gets the
// same 400 naming the field whichever cloud serves the model, on both APIs,
// and never reaches the cloud.
func TestZeroMaxTokensRefusedForEveryModel(t *testing.T) {
	for _, mc := range matrixClouds {
		t.Run(mc.name, func(t *testing.T) {
			g, emu := matrixGateway(t, mc)
			for _, tc := range []struct{ path, body, param string }{
				{"/v1/chat/completions", `{"model":"chat","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, "max_tokens"},
				{"/v1/chat/completions", `{"model":"chat","max_completion_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, "max_completion_tokens"},
				{"/v1/messages", `{"model":"chat","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, "max_tokens"},
			} {
				resp, got := send(t, g, "POST", tc.path, tc.body, nil)
				if resp.StatusCode != 400 || !strings.Contains(got, tc.param) || !strings.Contains(got, "invalid_request_error") {
					t.Errorf("%s %s: %d %s, want 400 invalid_request_error naming %s", tc.path, tc.param, resp.StatusCode, got, tc.param)
				}
			}
			if b := emu.Billed(); b.Received != 0 {
				t.Errorf("the cloud received %d requests; a refused limit must not reach it", b.Received)
			}
		})
	}
}

// TestHostileBodies: issue 7's findings 1 and 3 over a real socket — a body
// nested millions deep and smuggled duplicate or case-variant fields get a
// 400 naming the problem, in the client's envelope, and never reach the
// cloud; the gateway stays up.
func TestHostileBodies(t *testing.T) {
	g, emu := matrixGateway(t, matrixClouds[4]) // Anthropic: count_tokens asks the cloud
	deep := strings.Repeat("[", 6_000_000)
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"deep count_tokens", "/v1/messages/count_tokens", deep, "128-level limit"},
		{"deep messages", "/v1/messages", `{"model":"chat","max_tokens":5,"messages":` + strings.Repeat("[", 200) + `}`, "128-level limit"},
		{"deep chat", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":` + strings.Repeat(`{"a":`, 300) + `}]}`, "128-level limit"},
		{"case-variant model", "/v1/chat/completions", `{"model":"chat","Model":"o1-pro","messages":[{"role":"user","content":"hi"}]}`, `"Model"`},
		{"duplicate model", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}],"model":"o1-pro"}`, `"model"`},
		{"case-variant max_tokens", "/v1/messages", `{"model":"chat","max_tokens":5,"MAX_TOKENS":100000,"messages":[{"role":"user","content":"hi"}]}`, `MAX_TOKENS`},
		{"escaped variant", "/v1/messages", `{"model":"chat","max_tokens":5,"\u004dodel":"o1","messages":[{"role":"user","content":"hi"}]}`, `Model`},
		{"invalid UTF-8", "/v1/chat/completions", "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", "UTF-8"},
		{"malformed anthropic names the byte", "/v1/messages", `{"model":"chat",,}`, "byte 17"},
	} {
		resp, got := send(t, g, "POST", tc.path, tc.body, nil)
		if resp.StatusCode != 400 || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, resp.StatusCode, clip(got), tc.want)
		}
		anth := strings.HasPrefix(tc.path, "/v1/messages")
		if anth != strings.Contains(got, `"type":"error"`) {
			t.Errorf("%s: not in the client's envelope: %s", tc.name, clip(got))
		}
	}
	if b := emu.Billed(); b.Received != 0 {
		t.Errorf("the cloud received %d requests; hostile bodies must stop at the gateway", b.Received)
	}
	if resp, _ := send(t, g, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Errorf("gateway unhealthy after hostile bodies: %d", resp.StatusCode)
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
