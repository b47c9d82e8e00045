package access

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

func TestStoredCheck(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	k := NewKeyringPepper([]byte("0123456789abcdef0123"))
	cfgKey := NewKey()
	if err := k.Add("dev", cfgKey); err != nil {
		t.Fatal(err)
	}
	s := NewStored()
	k.Attach(s)
	secrets := map[string]string{}
	var keys []StoredKey
	for _, c := range []struct {
		name string
		sk   StoredKey
	}{
		{"ok", StoredKey{}},
		{"revoked", StoredKey{Revoked: true}},
		{"disabled", StoredKey{TenantDisabled: true}},
		{"expired", StoredKey{ExpiresAt: now}},
		{"later", StoredKey{ExpiresAt: now.Add(time.Second)}},
		{"grace", StoredKey{GraceUntil: now.Add(time.Second)}},
		{"graceover", StoredKey{GraceUntil: now}},
	} {
		secrets[c.name] = NewKey()
		c.sk.Digest = k.Digest(secrets[c.name])
		c.sk.Principal = &Principal{KeyID: "k_" + c.name, KeyName: "t/" + c.name}
		keys = append(keys, c.sk)
	}
	s.Replace(keys)
	for name, want := range map[string]error{
		"ok": nil, "revoked": ErrRevoked, "disabled": ErrTenantDisabled, "expired": ErrExpired,
		"later": nil, "grace": nil, "graceover": ErrExpired,
	} {
		p, err := k.Check(secrets[name], now)
		if !errors.Is(err, want) || (err == nil) != (p != nil) || (p != nil && p.KeyID != "k_"+name) {
			t.Errorf("%s: Check = %+v, %v; want %v", name, p, err, want)
		}
	}
	if p, err := k.Check(cfgKey, now); err != nil || p.KeyName != "dev" {
		t.Errorf("config key: %+v, %v", p, err)
	}
	if _, err := k.Check(NewKey(), now); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	used := s.TakeUsed()
	if len(used) != 3 || !used["k_ok"].Equal(now) {
		t.Errorf("TakeUsed = %v; want k_ok, k_later and k_grace at %v", used, now)
	}
	if again := s.TakeUsed(); len(again) != 0 {
		t.Errorf("second TakeUsed = %v; want nothing new", again)
	}
	// Replace keeps the use counters of keys still present.
	s.Replace(keys[:1])
	k.Check(secrets["ok"], now.Add(time.Minute))
	if _, err := k.Check(secrets["later"], now); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("key gone from the set: %v", err)
	}
	if used := s.TakeUsed(); len(used) != 1 || !used["k_ok"].Equal(now.Add(time.Minute)) {
		t.Errorf("after Replace, TakeUsed = %v", used)
	}
}

func TestParseUSD(t *testing.T) {
	for _, c := range []struct {
		in   string
		want money.Nanos
		ok   bool
	}{
		{"1.00", money.PerDollar, true},
		{"0.000000001", 1, true},
		{"250", 250 * money.PerDollar, true},
		{".5", money.PerDollar / 2, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"0.0000000001", 0, false},
		{"2000000000", 0, false},
	} {
		got, err := ParseUSD(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseUSD(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestEffective(t *testing.T) {
	got := Effective(Limits{RPM: 10, TPM: 0, Concurrent: 5}, Limits{RPM: 20, TPM: 100})
	if got != (Limits{RPM: 10, TPM: 100, Concurrent: 5}) {
		t.Errorf("Effective = %+v", got)
	}
}

func TestNewIDSorts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := NewID("t_", t0), NewID("t_", t0.Add(time.Millisecond))
	if len(a) != 2+26 || a >= b || a == NewID("t_", t0) {
		t.Errorf("NewID: %q then %q", a, b)
	}
}

func TestLoadPepper(t *testing.T) {
	t.Setenv(PepperEnv, "")
	dir := t.TempDir()
	if p, found, err := LoadPepper("", dir, false); p != nil || found || err != nil {
		t.Fatalf("no pepper, no create: %q %v %v", p, found, err)
	}
	p1, found, err := LoadPepper("", dir, true)
	if err != nil || !found || len(p1) < 32 {
		t.Fatalf("create: %q %v %v", p1, found, err)
	}
	fi, err := os.Stat(filepath.Join(dir, PepperFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pepper file: %v, %v; want mode 0600", fi, err)
	}
	if p2, _, _ := LoadPepper("", dir, true); string(p2) != string(p1) {
		t.Error("a second load made a new pepper: digests would not survive a restart")
	}
	t.Setenv(PepperEnv, "from-the-environment-123")
	if p, _, _ := LoadPepper("", dir, true); string(p) != "from-the-environment-123" {
		t.Errorf("env pepper not used: %q", p)
	}
	if p, _, _ := LoadPepper("from-the-config-file-1", dir, true); string(p) != "from-the-config-file-1" {
		t.Errorf("config pepper not used: %q", p)
	}
	if _, _, err := LoadPepper("short", dir, true); err == nil {
		t.Error("a 5-character pepper was accepted")
	}
}
