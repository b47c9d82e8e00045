package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admin"
	"github.com/switchyard/switchyard/internal/store"
)

// TestTenantsAndKeysCLI runs the tenants and keys commands against an admin
// API, as a user would: JSON and tables, the secret printed once, errors
// with the API's message and a non-zero exit.
func TestTenantsAndKeysCLI(t *testing.T) {
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "cli-admin-token"
	srv := httptest.NewServer(admin.New(admin.Options{Token: token, Store: st, Tenants: st,
		Keyring: access.NewKeyringPepper([]byte("pepper-for-the-cli-test"))}))
	defer srv.Close()
	env := []string{"SWITCHYARD_ADMIN_TOKEN=" + token}
	cli := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, env, append(args, "--admin", srv.URL)...)
		if code != want {
			t.Fatalf("switchyard %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}

	out := cli(0, "tenants", "create", "acme", "--budget", "1.00", "--period", "month", "--hard", "--rpm", "600", "--tpm", "100000", "--json")
	var ten struct {
		ID     string
		Limits struct{ RPM int64 }
		Budget struct {
			USD  string
			Hard bool
		}
	}
	if err := json.Unmarshal([]byte(out), &ten); err != nil || !strings.HasPrefix(ten.ID, "t_") || ten.Limits.RPM != 600 || ten.Budget.USD != "1.00" || !ten.Budget.Hard {
		t.Fatalf("tenants create --json: %v\n%s", err, out)
	}
	if out := cli(0, "tenants", "list"); !regexp.MustCompile(`(?m)^ID\s+NAME\s+STATUS.*\n` + ten.ID + `\s+acme\s+active\s+600\s+100000\s+-\s+\$1\.00/month hard`).MatchString(out) {
		t.Errorf("tenants list:\n%s", out)
	}
	cli(0, "tenants", "update", ten.ID, "--rpm", "1200", "--tag", "enterprise")
	if out := cli(0, "tenants", "show", ten.ID, "--json"); !strings.Contains(out, `"rpm": 1200`) || !strings.Contains(out, "enterprise") {
		t.Errorf("tenants show after update:\n%s", out)
	}

	out = cli(0, "keys", "create", ten.ID, "--name", "ci", "--rpm", "60")
	secret := regexp.MustCompile(`key: (sk-sy-\S+)`).FindStringSubmatch(out)
	if secret == nil || !strings.Contains(out, "only time") {
		t.Fatalf("keys create:\n%s", out)
	}
	kid := regexp.MustCompile(`k_[0-9a-z]+`).FindString(out)
	if out := cli(0, "keys", "list", ten.ID); !strings.Contains(out, kid) || strings.Contains(out, secret[1]) {
		t.Errorf("keys list shows the secret or misses the key:\n%s", out)
	}
	if out := cli(0, "keys", "rotate", kid, "--grace", "1h"); !strings.Contains(out, "key: sk-sy-") || strings.Contains(out, secret[1]) || !strings.Contains(out, "previous secret works until") {
		t.Errorf("keys rotate:\n%s", out)
	}
	if out := cli(0, "keys", "revoke", kid); !strings.Contains(out, "revoked") {
		t.Errorf("keys revoke:\n%s", out)
	}
	if out := cli(1, "keys", "revoke", kid); !strings.Contains(out, "409") || !strings.Contains(out, "was revoked") {
		t.Errorf("second revoke:\n%s", out)
	}
	if out := cli(0, "tenants", "disable", ten.ID); !strings.Contains(out, "disabled") {
		t.Errorf("tenants disable:\n%s", out)
	}
	if out := cli(1, "tenants", "show", "t_nobody"); !strings.Contains(out, "404") {
		t.Errorf("unknown tenant:\n%s", out)
	}
	if out, code := run(t, nil, "tenants", "list", "--admin", srv.URL, "--token", "wrong"); code != 1 || !strings.Contains(out, "401") {
		t.Errorf("wrong token: exit %d\n%s", code, out)
	}
}
