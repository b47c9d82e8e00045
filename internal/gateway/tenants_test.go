package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/switchyard/switchyard/internal/store"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/jackc/pgx/v5"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// lockedBuffer collects a gateway's log from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged is startGateway with the gateway's log, at debug level and
// with the access log on, captured in the returned buffer. stop shuts the
// gateway down (flushing what it logs on the way out).
func startLogged(t *testing.T, cfg *config.Config) (g *gateway.Gateway, logs *lockedBuffer, stop func()) {
	t.Helper()
	isolate(t, cfg)
	cfg.Log.Access = true
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	logs = &lockedBuffer{}
	g, err := gateway.New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			g.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(stop)
	waitReady(t, "http://"+g.Addr())
	return g, logs, stop
}

// adminDo sends a JSON request to the admin API and decodes the answer.
func adminDo(t *testing.T, g *gateway.Gateway, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+g.AdminAddr()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func mustAdmin(t *testing.T, g *gateway.Gateway, token string, want int, method, path, body string) map[string]any {
	t.Helper()
	code, out := adminDo(t, g, token, method, path, body)
	if code != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
	}
	return out
}

// chatWith sends one chat completion with key through the official SDK and
// returns the API error code ("" on success).
func chatWith(t *testing.T, g *gateway.Gateway, key string) string {
	t.Helper()
	c := openai.NewClient(option.WithBaseURL(g.URL()), option.WithAPIKey(key), option.WithMaxRetries(0))
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(10),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello from a tenant.")}})
	if err == nil {
		return ""
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("chat: %v", err)
	}
	if apiErr.StatusCode != http.StatusUnauthorized && apiErr.StatusCode != http.StatusNotFound {
		t.Fatalf("chat: %d %v, want 200, 401 or 404", apiErr.StatusCode, err)
	}
	return apiErr.Code
}

// keyInfo fetches GET /v1/key with key.
func keyInfo(t *testing.T, g *gateway.Gateway, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", g.URL()+"/key", nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// TestTenantKeys: a tenant and key made through the admin API work with the
// official SDK at once; GET /v1/key shows the key's own settings; rotation
// keeps the old secret working through its grace period and not after;
// revocation and a disabled tenant refuse the key, saying why; and no
// secret ever reaches the log.
func TestTenantKeys(t *testing.T) {
	const token = "admin-token-tenants"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	cfg.Admin.Token = token
	g, logs, stop := startLogged(t, cfg)
	var secrets []string

	ten := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants",
		`{"name":"acme","budget":{"usd":"1.00","period":"month","hard":true},"limits":{"rpm":600,"tpm":100000}}`)
	tid := ten["id"].(string)
	key := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"ci"}`)
	kid, secret := key["id"].(string), key["key"].(string)
	secrets = append(secrets, secret)
	if code := chatWith(t, g, secret); code != "" {
		t.Fatalf("new key refused: %s", code)
	}
	if code := chatWith(t, g, testKey); code != "" {
		t.Fatalf("config key refused: %s", code)
	}

	// GET /v1/key shows the calling key, and only it.
	code, info := keyInfo(t, g, secret)
	d, _ := info["data"].(map[string]any)
	lim, _ := d["limits"].(map[string]any)
	bud, _ := d["budget"].(map[string]any)
	if code != 200 || d["id"] != kid || d["name"] != "ci" || d["tenant_id"] != tid || lim["rpm"] != 600.0 || lim["tpm"] != 100000.0 ||
		bud["limit_usd"] != "1.00" || bud["period"] != "month" || bud["hard"] != true || bud["spend_usd"] == nil || bud["resets_at"] == nil {
		t.Errorf("GET /v1/key = %d %v", code, info)
	}
	if !strings.HasPrefix(secret, strings.TrimSuffix(d["prefix"].(string), "…")) {
		t.Errorf("prefix %q is not the secret's", d["prefix"])
	}
	if code, info := keyInfo(t, g, testKey); code != 200 || info["data"].(map[string]any)["tenant_id"] != "bootstrap" {
		t.Errorf("GET /v1/key with the config key = %d %v", code, info)
	}
	if code, _ := keyInfo(t, g, ""); code != 401 {
		t.Errorf("GET /v1/key without a key = %d, want 401", code)
	}

	// Rotation: the same key id, a new secret; the old one works until the
	// grace period ends, and not after.
	rot := mustAdmin(t, g, token, 200, "POST", "/admin/v1/keys/"+kid+"/rotate", `{"grace":"1s"}`)
	fresh := rot["key"].(string)
	secrets = append(secrets, fresh)
	until, err := time.Parse(time.RFC3339Nano, rot["previous_valid_until"].(string))
	if err != nil || rot["id"] != kid || fresh == secret {
		t.Fatalf("rotate = %v", rot)
	}
	if code := chatWith(t, g, fresh); code != "" {
		t.Fatalf("rotated secret refused: %s", code)
	}
	if time.Now().Before(until) {
		// Within the grace period (the check is skipped on a machine so
		// slow that the second has already passed).
		if code := chatWith(t, g, secret); code != "" && time.Now().Before(until) {
			t.Errorf("old secret refused during its grace period: %s", code)
		}
	}
	time.Sleep(time.Until(until) + 10*time.Millisecond)
	if code := chatWith(t, g, secret); code != "api_key_expired" {
		t.Errorf("old secret after the grace period: %q, want api_key_expired", code)
	}
	if _, info := keyInfo(t, g, fresh); info["data"].(map[string]any)["id"] != kid {
		t.Errorf("rotated key has another id: %v", info)
	}

	// Disabling the tenant refuses its keys; enabling it restores them.
	mustAdmin(t, g, token, 200, "POST", "/admin/v1/tenants/"+tid+"/disable", "")
	if code := chatWith(t, g, fresh); code != "tenant_disabled" {
		t.Errorf("key of a disabled tenant: %q, want tenant_disabled", code)
	}
	mustAdmin(t, g, token, 200, "POST", "/admin/v1/tenants/"+tid+"/enable", "")
	if code := chatWith(t, g, fresh); code != "" {
		t.Errorf("key of a re-enabled tenant: %q", code)
	}

	// Revocation refuses the key at once; a second revocation is a conflict.
	mustAdmin(t, g, token, 200, "POST", "/admin/v1/keys/"+kid+"/revoke", "")
	if code := chatWith(t, g, fresh); code != "api_key_revoked" {
		t.Errorf("revoked key: %q, want api_key_revoked", code)
	}
	mustAdmin(t, g, token, 409, "POST", "/admin/v1/keys/"+kid+"/revoke", "")

	// A key with an expiry in the past... is refused as expired.
	exp := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"short","expires_at":"2020-01-01T00:00:00Z"}`)
	secrets = append(secrets, exp["key"].(string))
	if code := chatWith(t, g, exp["key"].(string)); code != "api_key_expired" {
		t.Errorf("expired key: %q, want api_key_expired", code)
	}

	// Model allowlists: the key's and its tenant's both apply.
	narrow := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"narrow","allowed_models":["other"]}`)
	secrets = append(secrets, narrow["key"].(string))
	if code := chatWith(t, g, narrow["key"].(string)); code != "model_not_found" {
		t.Errorf("model outside the key's allowlist: %q, want model_not_found", code)
	}
	// count_tokens asks a cloud too: the allowlist holds there as well.
	ac := anthropic.NewClient(aoption.WithBaseURL("http://"+g.Addr()), aoption.WithAPIKey(narrow["key"].(string)), aoption.WithMaxRetries(0))
	_, err = ac.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "chat",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
	})
	if apiErr := (*anthropic.Error)(nil); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("count_tokens for a model outside the key's allowlist: %v, want 404", err)
	}
	c := openai.NewClient(option.WithBaseURL(g.URL()), option.WithAPIKey(narrow["key"].(string)), option.WithMaxRetries(0))
	if page, err := c.Models.List(context.Background()); err != nil || len(page.Data) != 0 {
		t.Errorf("models listed for a key allowed none of them: %v, %v", page, err)
	}
	if _, err := c.Models.Get(context.Background(), "chat"); err == nil {
		t.Error("a model outside the key's allowlist was shown")
	}
	mustAdmin(t, g, token, 200, "PATCH", "/admin/v1/keys/"+narrow["id"].(string), `{"allowed_models":["chat"]}`)
	if page, err := c.Models.List(context.Background()); err != nil || len(page.Data) != 1 || page.Data[0].ID != "chat" {
		t.Errorf("models listed for a key allowed chat: %v, %v", page, err)
	}
	if code := chatWith(t, g, narrow["key"].(string)); code != "" {
		t.Errorf("model on the allowlist: %q", code)
	}
	mustAdmin(t, g, token, 200, "PATCH", "/admin/v1/tenants/"+tid, `{"allowed_models":["other"]}`)
	if code := chatWith(t, g, narrow["key"].(string)); code != "model_not_found" {
		t.Errorf("model outside the tenant's allowlist: %q, want model_not_found", code)
	}

	// Usage carries the key id and the tenant.
	eventually(t, "usage grouped by key shows the tenant key", func() bool {
		_, body := adminGet(t, g, "/admin/v1/usage?group_by=tenant,key&format=csv", token)
		return strings.Contains(body, kid) && strings.Contains(body, tid)
	})

	stop()
	out := logs.String()
	if !strings.Contains(out, kid) {
		t.Error("the log never names the key id: is it captured?")
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("a secret (%s…) appears in the log", s[:10])
		}
	}
}

// replicaPostgres returns a Postgres URL whose search_path is a fresh
// schema, dropped at cleanup; it skips (or fails under
// SWITCHYARD_REQUIRE_SERVICES=1) without SWITCHYARD_TEST_POSTGRES.
func replicaPostgres(t *testing.T) string {
	base := os.Getenv("SWITCHYARD_TEST_POSTGRES")
	if base == "1" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if base == "" {
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal("SWITCHYARD_REQUIRE_SERVICES=1 but SWITCHYARD_TEST_POSTGRES is unset")
		}
		t.Skip("set SWITCHYARD_TEST_POSTGRES=1 to run two replicas over Postgres")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("Postgres at SWITCHYARD_TEST_POSTGRES unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sy_tenants_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// refusedWithin polls until key gets wantCode from g, and reports how long
// that took; a test fails only past a generous bound (the poll is every
// second).
func refusedWithin(t *testing.T, g *gateway.Gateway, key, wantCode string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		if code := chatWith(t, g, key); code == wantCode {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("key did not get %q from the other replica within 10s", wantCode)
	return 0
}

// TestTenantKeysAcrossReplicas: two gateways share a Postgres store and a
// pepper. A key made on one works on the other; its revocation, its
// rotation and its tenant's disabling reach the other replica through the
// store's access version, with no Redis.
func TestTenantKeysAcrossReplicas(t *testing.T) {
	const token = "admin-token-replicas"
	pg := replicaPostgres(t)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	var gs []*gateway.Gateway
	var logs []*lockedBuffer
	for range 2 {
		cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
			config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
		cfg.Admin.Token = token
		cfg.Store.Postgres = pg
		cfg.KeysPepper = "a-pepper-both-replicas-share"
		g, l, _ := startLogged(t, cfg)
		gs, logs = append(gs, g), append(logs, l)
	}
	a, b := gs[0], gs[1]
	tid := mustAdmin(t, a, token, 201, "POST", "/admin/v1/tenants", `{"name":"acme"}`)["id"].(string)
	key := mustAdmin(t, a, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"ci"}`)
	kid, secret := key["id"].(string), key["key"].(string)
	secrets := []string{secret}
	refusedWithin(t, b, secret, "") // accepted: the empty code

	// The other replica's admin API sees the same key.
	if got := mustAdmin(t, b, token, 200, "GET", "/admin/v1/keys/"+kid, ""); got["tenant_id"] != tid {
		t.Errorf("replica b shows %v", got)
	}

	rot := mustAdmin(t, a, token, 200, "POST", "/admin/v1/keys/"+kid+"/rotate", `{"grace":"0s"}`)
	fresh := rot["key"].(string)
	secrets = append(secrets, fresh)
	t.Logf("rotation reached the other replica in %v", refusedWithin(t, b, secret, "api_key_expired"))
	if code := chatWith(t, b, fresh); code != "" {
		t.Errorf("rotated secret on replica b: %q", code)
	}

	mustAdmin(t, a, token, 200, "POST", "/admin/v1/tenants/"+tid+"/disable", "")
	t.Logf("disabling reached the other replica in %v", refusedWithin(t, b, fresh, "tenant_disabled"))
	mustAdmin(t, b, token, 200, "POST", "/admin/v1/tenants/"+tid+"/enable", "")
	refusedWithin(t, a, fresh, "")

	mustAdmin(t, b, token, 200, "POST", "/admin/v1/keys/"+kid+"/revoke", "")
	if code := chatWith(t, b, fresh); code != "api_key_revoked" {
		t.Errorf("revoked key on the replica that revoked it: %q", code)
	}
	t.Logf("revocation reached the other replica in %v", refusedWithin(t, a, fresh, "api_key_revoked"))

	for _, g := range gs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		g.Shutdown(ctx)
		cancel()
	}
	for i, l := range logs {
		for _, s := range secrets {
			if strings.Contains(l.String(), s) {
				t.Errorf("replica %d logged a secret (%s…)", i, s[:10])
			}
		}
	}
}

// TestTenantKeysSurviveReload: config reloads, even while admin writes
// land, keep the stored keys working and their changes applying.
func TestTenantKeysSurviveReload(t *testing.T) {
	const token = "admin-token-reload"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	mk := func() *config.Config {
		c := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
			config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
		c.Admin.Token = token
		return c
	}
	cfg := mk()
	g, _, _ := startLogged(t, cfg)
	tid := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants", `{"name":"acme","allowed_providers":["cloud"]}`)["id"].(string)
	key := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"ci"}`)
	kid, secret := key["id"].(string), key["key"].(string)

	// The configs are made here: t.Fatal must not run on another goroutine.
	var nexts []*config.Config
	for range 10 {
		next := mk()
		isolate(t, next)
		next.Log = cfg.Log
		nexts = append(nexts, like(t, cfg, next))
	}
	done := make(chan error, 1)
	go func() {
		for _, next := range nexts {
			if err := g.Reload(next); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range 10 {
		mustAdmin(t, g, token, 200, "PATCH", "/admin/v1/tenants/"+tid, fmt.Sprintf(`{"tags":["t%d"]}`, i))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if code := chatWith(t, g, secret); code != "" {
		t.Fatalf("tenant key after reloads: %q", code)
	}
	if code := chatWith(t, g, testKey); code != "" {
		t.Fatalf("config key after reloads: %q", code)
	}
	mustAdmin(t, g, token, 200, "POST", "/admin/v1/keys/"+kid+"/revoke", "")
	if code := chatWith(t, g, secret); code != "api_key_revoked" {
		t.Errorf("revoked after reloads: %q", code)
	}
}

// TestAdminPlansSurviveRestart: a plan and an assignment made through the
// admin API are in force again after the gateway restarts on the same
// store, and the tenant is still charged at that plan.
func TestAdminPlansSurviveRestart(t *testing.T) {
	const token = "admin-token-plans"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	dir := t.TempDir()
	mk := func() *config.Config {
		c := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
			config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
		c.Admin.Token, c.DataDir = token, dir
		return c
	}
	g, _, stop := startLogged(t, mk())
	tid := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants", `{"name":"acme"}`)["id"].(string)
	mustAdmin(t, g, token, 201, "POST", "/admin/v1/plans", `{"id":"double","versions":[{"markup":"+100%"},{"from":"2030-01-01T00:00:00Z","markup":"+50%"}]}`)
	made := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tid+"/plan", `{"plan":"double","experiment":"x","arm":"b"}`)
	planBefore := mustAdmin(t, g, token, 200, "GET", "/admin/v1/plans/double", "")
	stop()

	g2, _, _ := startLogged(t, mk())
	planAfter := mustAdmin(t, g2, token, 200, "GET", "/admin/v1/plans/double", "")
	if fmt.Sprint(planAfter) != fmt.Sprint(planBefore) {
		t.Errorf("after a restart the plan is\n%v\nwas\n%v", planAfter, planBefore)
	}
	cur := mustAdmin(t, g2, token, 200, "GET", "/admin/v1/tenants/"+tid+"/plan", "")["current"]
	if fmt.Sprint(cur) != fmt.Sprint(made) {
		t.Errorf("after a restart the tenant's plan is %v, was assigned %v", cur, made)
	}
	// Charged at it: a request's revenue is twice its cost.
	key := mustAdmin(t, g2, token, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", `{"name":"ci"}`)["key"].(string)
	if code := chatWith(t, g2, key); code != "" {
		t.Fatalf("request with the tenant's key: %s", code)
	}
	eventually(t, "the request booked", func() bool {
		rows, err := g2.Store.Books(context.Background(), store.BooksQuery{GroupBy: []string{"tenant"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Group["tenant"] == tid && r.Requests == 1 {
				if r.Revenue != 2*r.Cost || r.Cost == 0 {
					t.Fatalf("revenue %s for cost %s, want twice (plan double, +100%%)", r.Revenue, r.Cost)
				}
				return true
			}
		}
		return false
	})
}
