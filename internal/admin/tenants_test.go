package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/store"
)

const testToken = "admin-token-for-tests"

type rig struct {
	t       *testing.T
	srv     *httptest.Server
	changes int
}

func newRig(t *testing.T) *rig {
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t}
	h := New(Options{Token: testToken, Store: st, Tenants: st, Keyring: access.NewKeyringPepper([]byte("pepper-for-admin-tests")),
		OnChange: func() { r.changes++ }})
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

// do sends a request with the admin token and decodes the JSON answer.
func (r *rig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (r *rig) must(want int, method, path, body string) map[string]any {
	r.t.Helper()
	code, out := r.do(method, path, body)
	if code != want {
		r.t.Fatalf("%s %s %s: %d %v, want %d", method, path, body, code, out, want)
	}
	return out
}

func TestEveryTenantEndpointNeedsTheToken(t *testing.T) {
	r := newRig(t)
	for _, route := range TenantRoutes() {
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{id}", "t_x")
		for _, auth := range []string{"", "Bearer wrong", "Basic " + testToken, testToken} {
			req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(`{"name":"x"}`))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with Authorization %q: %d, want 401", route, auth, resp.StatusCode)
			}
		}
	}
	if r.changes != 0 {
		t.Errorf("unauthorized requests changed something (%d changes)", r.changes)
	}
}

func TestTenantShapes(t *testing.T) {
	r := newRig(t)
	out := r.must(201, "POST", "/admin/v1/tenants", `{"name":"acme","budget":{"usd":"1.00","period":"month","hard":true},"limits":{"rpm":600,"tpm":100000}}`)
	id, _ := out["id"].(string)
	if !strings.HasPrefix(id, "t_") || out["name"] != "acme" || out["status"] != "active" {
		t.Fatalf("create answer %v", out)
	}
	b, _ := out["budget"].(map[string]any)
	l, _ := out["limits"].(map[string]any)
	if b["usd"] != "1.00" || b["period"] != "month" || b["hard"] != true || l["rpm"] != 600.0 || l["tpm"] != 100000.0 {
		t.Errorf("budget %v, limits %v", b, l)
	}
	if got := r.must(200, "GET", "/admin/v1/tenants/"+id, ""); got["name"] != "acme" {
		t.Errorf("GET = %v", got)
	}
	r.must(409, "POST", "/admin/v1/tenants", `{"name":"acme"}`)

	got := r.must(200, "PATCH", "/admin/v1/tenants/"+id, `{"tags":["enterprise"],"budget":null,"metadata":{"crm":"7"}}`)
	if got["budget"] != nil || fmt.Sprint(got["tags"]) != "[enterprise]" || got["name"] != "acme" {
		t.Errorf("PATCH = %v", got)
	}
	if got := r.must(200, "POST", "/admin/v1/tenants/"+id+"/disable", ""); got["status"] != "disabled" {
		t.Errorf("disable = %v", got)
	}
	if got := r.must(200, "POST", "/admin/v1/tenants/"+id+"/enable", ""); got["status"] != "active" {
		t.Errorf("enable = %v", got)
	}

	key := r.must(201, "POST", "/admin/v1/tenants/"+id+"/keys", `{"name":"ci"}`)
	secret, _ := key["key"].(string)
	kid, _ := key["id"].(string)
	if !strings.HasPrefix(secret, "sk-sy-") || len(secret) != 6+32 || !strings.HasPrefix(kid, "k_") || key["tenant_id"] != id {
		t.Fatalf("key answer %v", key)
	}
	// The secret is in the creation answer only.
	for _, path := range []string{"/admin/v1/keys/" + kid, "/admin/v1/tenants/" + id + "/keys"} {
		req, _ := http.NewRequest("GET", r.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, _ := http.DefaultClient.Do(req)
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), `"key"`) || !strings.Contains(buf.String(), kid) {
			t.Errorf("GET %s shows the secret or misses the key: %s", path, buf.String())
		}
	}
	rot := r.must(200, "POST", "/admin/v1/keys/"+kid+"/rotate", `{"grace":"1h"}`)
	if s2, _ := rot["key"].(string); s2 == secret || !strings.HasPrefix(s2, "sk-sy-") || rot["id"] != kid || rot["previous_valid_until"] == nil {
		t.Errorf("rotate = %v", rot)
	}
	if got := r.must(200, "POST", "/admin/v1/keys/"+kid+"/revoke", ""); got["status"] != "revoked" || got["revoked_at"] == nil {
		t.Errorf("revoke = %v", got)
	}
	r.must(409, "POST", "/admin/v1/keys/"+kid+"/revoke", "")
	r.must(409, "POST", "/admin/v1/keys/"+kid+"/rotate", "")
	if got := r.must(200, "PATCH", "/admin/v1/keys/"+kid, `{"limits":{"rpm":5},"budget":{"usd":"0.50","period":"rolling:7d"}}`); got["limits"].(map[string]any)["rpm"] != 5.0 {
		t.Errorf("PATCH key = %v", got)
	}
	if r.changes != 8 {
		t.Errorf("OnChange ran %d times, want once per write (8)", r.changes)
	}
}

func TestNotFound(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/admin/v1/tenants/t_none", ""},
		{"PATCH", "/admin/v1/tenants/t_none", `{"plan":"x"}`},
		{"POST", "/admin/v1/tenants/t_none/disable", ""},
		{"POST", "/admin/v1/tenants/t_none/keys", `{"name":"ci"}`},
		{"GET", "/admin/v1/tenants/t_none/keys", ""},
		{"GET", "/admin/v1/keys/k_none", ""},
		{"PATCH", "/admin/v1/keys/k_none", `{"name":"x"}`},
		{"POST", "/admin/v1/keys/k_none/rotate", ""},
		{"POST", "/admin/v1/keys/k_none/revoke", ""},
	} {
		if code, out := r.do(c.method, c.path, c.body); code != 404 {
			t.Errorf("%s %s: %d %v, want 404", c.method, c.path, code, out)
		}
	}
}

func TestValidationNamesTheField(t *testing.T) {
	r := newRig(t)
	id := r.must(201, "POST", "/admin/v1/tenants", `{"name":"acme"}`)["id"].(string)
	kid := r.must(201, "POST", "/admin/v1/tenants/"+id+"/keys", `{"name":"ci"}`)["id"].(string)
	for _, c := range []struct{ path, body, field string }{
		{"/admin/v1/tenants", `{}`, "name"},
		{"/admin/v1/tenants", `{"name":"a b"}`, "name"},
		{"/admin/v1/tenants", `{"name":"x","budget":{"usd":"-1"}}`, "budget.usd"},
		{"/admin/v1/tenants", `{"name":"x","budget":{"usd":"1.00","period":"fortnight"}}`, "budget.period"},
		{"/admin/v1/tenants", `{"name":"x","budget":{"usd":"1","tz":"Mars/Base"}}`, "budget.tz"},
		{"/admin/v1/tenants", `{"name":"x","budget":{"usd":"1","cap":2}}`, "budget"},
		{"/admin/v1/tenants", `{"name":"x","limits":{"rpm":-1}}`, "limits.rpm"},
		{"/admin/v1/tenants", `{"name":"x","limits":{"tpm":"many"}}`, "limits.tpm"},
		{"/admin/v1/tenants", `{"name":"x","colour":"red"}`, "colour"},
		{"/admin/v1/tenants", `{"name":"x","allowed_models":[""]}`, "allowed_models[0]"},
		{"/admin/v1/tenants", `{"name":"x","status":"paused"}`, "status"},
		{"/admin/v1/tenants/" + id + "/keys", `{}`, "name"},
		{"/admin/v1/tenants/" + id + "/keys", `{"name":"k","expires_in":"soon"}`, "expires_in"},
		{"/admin/v1/keys/" + kid + "/rotate", `{"grace":"forever"}`, "grace"},
		{"/admin/v1/tenants?limit=0", ``, "limit"},
	} {
		method := "POST"
		if strings.Contains(c.path, "?") {
			method = "GET"
		}
		code, out := r.do(method, c.path, c.body)
		e, _ := out["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if code != 400 || e["param"] != c.field || !strings.Contains(msg, c.field) {
			t.Errorf("%s %s: %d %v; want 400 naming %s", c.path, c.body, code, out, c.field)
		}
	}
	if code, _ := r.do("POST", "/admin/v1/tenants", `{"name":`); code != 400 {
		t.Errorf("truncated JSON: %d, want 400", code)
	}
}

func TestPagination(t *testing.T) {
	r := newRig(t)
	var made []string
	for i := range 5 {
		made = append(made, r.must(201, "POST", "/admin/v1/tenants", fmt.Sprintf(`{"name":"t%d"}`, i))["id"].(string))
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		out := r.must(200, "GET", "/admin/v1/tenants?limit=2&cursor="+cursor, "")
		for _, d := range out["data"].([]any) {
			seen = append(seen, d.(map[string]any)["id"].(string))
		}
		cursor, _ = out["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(made) {
		t.Errorf("pages gave %v, want %v in creation order", seen, made)
	}
	id := made[0]
	for i := range 3 {
		r.must(201, "POST", "/admin/v1/tenants/"+id+"/keys", fmt.Sprintf(`{"name":"k%d"}`, i))
	}
	r.must(201, "POST", "/admin/v1/tenants/"+made[1]+"/keys", `{"name":"other"}`)
	out := r.must(200, "GET", "/admin/v1/tenants/"+id+"/keys?limit=2", "")
	if len(out["data"].([]any)) != 2 || out["next_cursor"] == "" {
		t.Fatalf("first key page %v", out)
	}
	out = r.must(200, "GET", "/admin/v1/tenants/"+id+"/keys?limit=2&cursor="+out["next_cursor"].(string), "")
	if d := out["data"].([]any); len(d) != 1 || d[0].(map[string]any)["tenant_id"] != id || out["next_cursor"] != "" {
		t.Errorf("second key page %v", out)
	}
}
