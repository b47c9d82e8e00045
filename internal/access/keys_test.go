package access

import (
	"net/http"
	"strings"
	"testing"
)

func TestKeyring(t *testing.T) {
	k := NewKeyring()
	key := NewKey()
	if !strings.HasPrefix(key, "sk-sy-") || len(key) < 30 {
		t.Fatalf("NewKey() = %q", key)
	}
	if err := k.Add("dev", key); err != nil {
		t.Fatal(err)
	}
	if err := k.Add("again", key); err != ErrDuplicate {
		t.Fatalf("Add duplicate = %v", err)
	}
	p, ok := k.Lookup(key)
	if !ok || p.KeyName != "dev" || !strings.HasPrefix(key, p.Prefix) || len(p.Prefix) >= len(key)/2 {
		t.Fatalf("Lookup = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", key + "x", key[:len(key)-1], strings.ToUpper(key)} {
		if _, ok := k.Lookup(bad); ok {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	// The keyring keeps digests, never the key itself.
	for d, e := range k.byHash {
		if strings.Contains(string(d[:]), key) || e.p.Prefix == key {
			t.Fatal("key stored in clear")
		}
	}
	// Another keyring has another pepper, so the same key digests differently.
	k2 := NewKeyring()
	if k2.digest(key) == k.digest(key) {
		t.Error("two keyrings share a pepper")
	}
}

func TestFromRequest(t *testing.T) {
	tests := []struct {
		h    map[string]string
		want string
	}{
		{map[string]string{"Authorization": "Bearer abc"}, "abc"},
		{map[string]string{"Authorization": "bearer  abc "}, "abc"},
		{map[string]string{"X-Api-Key": "xyz"}, "xyz"},
		{map[string]string{"Authorization": "Basic Zm9v"}, ""},
		{map[string]string{"Authorization": "Basic Zm9v", "X-Api-Key": "xyz"}, "xyz"},
		{map[string]string{"Authorization": "Bearer ", "X-Api-Key": "xyz"}, "xyz"},
		{map[string]string{"Authorization": "Bearer abc", "X-Api-Key": "xyz"}, "abc"},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		for k, v := range tt.h {
			r.Header.Set(k, v)
		}
		if got := FromRequest(r); got != tt.want {
			t.Errorf("FromRequest(%v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	k := NewKeyring()
	key := NewKey()
	k.Add("dev", key)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := k.Lookup(key); !ok {
			b.Fatal("miss")
		}
	}
}
