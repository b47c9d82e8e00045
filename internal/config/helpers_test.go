package config

import (
	"errors"
	"strings"
	"testing"
)

// Three lines that make a valid config; tests add to them or replace one.
const (
	lineKeys      = `keys: [{name: dev, key: dev-key-0123456789}]`
	lineProviders = `providers: [{name: oa, type: openai, api_key: sk-test}]`
	lineModels    = `models: [{name: m, deployments: [{provider: oa, model: gpt, price: {input: "1", output: "2"}}]}]`
)

// doc joins lines into a YAML document, so tests can count lines.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// env returns a lookup function over pairs of names and values.
func env(kv ...string) func(string) (string, bool) {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// want is one expected error: its key and line exactly, and a part of its
// message.
type want struct {
	Key  string
	Line int
	Msg  string
}

// checkErrors asserts that err holds exactly the wanted errors, in order.
func checkErrors(t *testing.T, err error, wants []want) {
	t.Helper()
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("unexpected error:\n%v", err)
		}
		return
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error = %v (%T), want Errors", err, err)
	}
	if len(errs) != len(wants) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(wants), err)
	}
	for i, w := range wants {
		e := errs[i]
		if e.Key != w.Key || e.Line != w.Line || !strings.Contains(e.Msg, w.Msg) {
			t.Errorf("error %d = %q (key %q, line %d), want key %q, line %d, message containing %q",
				i, e.Error(), e.Key, e.Line, w.Key, w.Line, w.Msg)
		}
	}
}
