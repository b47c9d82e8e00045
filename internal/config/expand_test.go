package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	lookup := env("KEY", "sk-123", "EMPTY", "", "HOST", "example.com", "_X1", "x")
	tests := []struct {
		in      string
		want    string
		fromEnv bool
		err     string // part of the error message; "" for none
	}{
		{"plain", "plain", false, ""},
		{"", "", false, ""},
		{"${KEY}", "sk-123", true, ""},
		{"Bearer ${KEY}", "Bearer sk-123", true, ""},
		{"https://${HOST}/v1", "https://example.com/v1", true, ""},
		{"${KEY}${HOST}", "sk-123example.com", true, ""},
		{"${_X1}", "x", true, ""},
		{"${EMPTY}", "", true, ""},
		{"${MISSING:-fallback}", "fallback", false, ""},
		{"${EMPTY:-fallback}", "fallback", false, ""},
		{"${KEY:-fallback}", "sk-123", true, ""},
		{"${MISSING:-}", "", false, ""},
		{"${MISSING:-a:-b}", "a:-b", false, ""},
		{"${MISSING:-$KEY}", "$KEY", false, ""},
		{"$$", "$", false, ""},
		{"$${KEY}", "${KEY}", false, ""},
		{"$$$${KEY}", "$${KEY}", false, ""},
		{"$$${KEY}", "$sk-123", true, ""},
		{"$", "$", false, ""},
		{"a$", "a$", false, ""},
		{"$5", "$5", false, ""},
		{"pa$word", "pa$word", false, ""},
		{"$KEY", "$KEY", false, ""},
		{"${MISSING}", "", false, "environment variable MISSING is not set"},
		{"x${KEY}${MISSING}", "", false, "environment variable MISSING is not set"},
		{"${KEY", "", false, "unterminated ${"},
		{"${", "", false, "unterminated ${"},
		{"${}", "", false, "empty environment variable name"},
		{"${:-x}", "", false, "empty environment variable name"},
		{"${1KEY}", "", false, `invalid environment variable name "1KEY"`},
		{"${KEY-x}", "", false, `invalid environment variable name "KEY-x"`},
		{"${K EY}", "", false, "invalid environment variable name"},
	}
	for _, tt := range tests {
		got, fromEnv, err := expand(tt.in, lookup)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || fromEnv != tt.fromEnv {
			t.Errorf("expand(%q) = %q, %v, %v; want %q, %v, nil", tt.in, got, fromEnv, err, tt.want, tt.fromEnv)
		}
	}
}

func TestExpandNilLookup(t *testing.T) {
	if _, _, err := expand("${A}", nil); err == nil {
		t.Error("expand with nil lookup: want unset-variable error")
	}
	if got, _, err := expand("${A:-b}", nil); err != nil || got != "b" {
		t.Errorf("expand with nil lookup = %q, %v; want default", got, err)
	}
}

// TestParseExpansion checks expansion through Parse: on string values only,
// after parsing, with positions for errors.
func TestParseExpansion(t *testing.T) {
	lookup := env(
		"DEV_KEY", "dev-key-0123456789",
		// YAML syntax in a secret cannot change the document.
		"OPENAI_API_KEY", "sk-: {a: [b]} # not a comment",
		"PORT", "9000",
		"RPM", "1200",
		"PRICE", "0.25",
		"TIMEOUT", "15s",
		"BOOL", "true",
	)
	c, err := Parse("test.yaml", []byte(doc(
		"listen: 127.0.0.1:${PORT}",
		`keys: [{name: dev, key: "${DEV_KEY}"}]`,
		"providers:",
		"  - name: oa",
		"    type: openai",
		"    api_key: ${OPENAI_API_KEY}",
		"    timeouts: {connect: '${TIMEOUT}'}",
		"    headers: {X-Cost: $$5, X-Dollar: $5, X-Region: '${REGION:-us-east-1}'}",
		"log: {access: '${BOOL}'}",
		`models: [{name: m, deployments: [{provider: oa, model: gpt, quota: {rpm: "${RPM}"}, price: {input: "${PRICE}", output: "1"}}]}]`,
	)), lookup)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Providers[0]
	d := c.Models[0].Deployments[0]
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, "127.0.0.1:9000"},
		{"api_key", p.APIKey, "sk-: {a: [b]} # not a comment"},
		{"timeout", p.Timeouts.Connect.String(), "15s"},
		{"$$", p.Headers["X-Cost"], "$5"},
		{"lone $", p.Headers["X-Dollar"], "$5"},
		{"default", p.Headers["X-Region"], "us-east-1"},
		{"bool", c.Log.Access, true},
		{"int", d.Quota.RPM, int64(1200)},
		{"price", int64(d.Price.Input), int64(250)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseExpansionErrors(t *testing.T) {
	_, err := Parse("test.yaml", []byte(doc(
		lineKeys,
		"providers:",
		"  - name: oa",
		"    type: openai",
		"    api_key: ${OPENAI_API_KEY}",
		"    base_url: https://${HOST",
		"    headers: {X-A: '${}'}",
		lineModels,
		"admin: {token: '${1X}'}",
	)), env())
	checkErrors(t, err, []want{
		{"providers[0].api_key", 5, "environment variable OPENAI_API_KEY is not set"},
		{"providers[0].base_url", 6, "unterminated ${"},
		{"providers[0].headers.X-A", 7, "empty environment variable name"},
		{"admin.token", 9, `invalid environment variable name "1X"`},
	})
	if e := err.(Errors)[0]; e.Column != 14 {
		t.Errorf("column = %d, want 14 (the value)", e.Column)
	}
}
