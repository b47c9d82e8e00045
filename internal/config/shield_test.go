package config

import (
	"strings"
	"testing"
)

// The config shape in DESIGN.md writes secrets unquoted inside flow mappings.
func TestFlowStyleReferences(t *testing.T) {
	yamlText := `listen: 127.0.0.1:8080
admin: {listen: 127.0.0.1:8081, token: ${SWITCHYARD_ADMIN_TOKEN}}
keys:
  - {name: dev, key: ${SWITCHYARD_KEY}}
providers:
  - {name: openai-main, type: openai, base_url: https://api.openai.com/v1, api_key: ${OPENAI_API_KEY}}
  - {name: azure-east, type: azure, base_url: https://RESOURCE.openai.azure.com,
     api_key: ${AZURE_OPENAI_API_KEY}, api_version: "2024-10-21"}
  - {name: quoted, type: openai, api_key: "${OPENAI_API_KEY}-$${literal}", headers: {X-Team: "${TEAM:-core}"}}
models:
  - name: gpt-oss-120b
    deployments:
      - {provider: azure-east, model: gpt-oss-120b, priority: 2, weight: 1,
         price: {input: "0.15", output: "0.60"}}
`
	env := map[string]string{
		"SWITCHYARD_ADMIN_TOKEN": "adm}n,{tok: en", // YAML syntax in a secret changes nothing
		"SWITCHYARD_KEY":         "sk-sy-0123456789abcdef",
		"OPENAI_API_KEY":         "sk-openai",
		"AZURE_OPENAI_API_KEY":   "az",
	}
	c, err := Parse("design.yaml", []byte(yamlText), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Token != env["SWITCHYARD_ADMIN_TOKEN"] || c.Keys[0].Key != env["SWITCHYARD_KEY"] ||
		c.Providers[0].APIKey != "sk-openai" || c.Providers[1].APIKey != "az" {
		t.Errorf("secrets not expanded: %+v %+v", c.Admin, c.Providers)
	}
	if got := c.Providers[2].APIKey; got != "sk-openai-${literal}" {
		t.Errorf("quoted reference with escape = %q", got)
	}
	if got := c.Providers[2].Headers["X-Team"]; got != "core" {
		t.Errorf("default = %q", got)
	}
}

// Placeholders keep columns exact, so errors after a reference still point at
// the right place.
func TestFlowStyleErrorPositions(t *testing.T) {
	yamlText := "keys:\n  - {name: dev, key: ${K}, color: blue}\n"
	_, err := Parse("c.yaml", []byte(yamlText), func(string) (string, bool) { return "sk-sy-0123456789abcdef", true })
	if err == nil || !strings.Contains(err.Error(), `unknown key "color"`) {
		t.Fatalf("err = %v", err)
	}
	es := err.(Errors)
	for _, e := range es {
		if strings.Contains(e.Msg, "color") && e.Line != 2 {
			t.Errorf("error at line %d, want 2: %v", e.Line, e)
		}
	}
	if _, err := Parse("c.yaml", []byte("keys:\n  - {name: dev, key: ${MISSING}}\n"), func(string) (string, bool) { return "", false }); err == nil ||
		!strings.Contains(err.Error(), "c.yaml:2:") || !strings.Contains(err.Error(), "MISSING is not set") {
		t.Errorf("missing variable error = %v", err)
	}
}
