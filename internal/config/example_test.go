package config

import (
	"errors"
	"os"
	"testing"
)

const exampleFile = "../../examples/switchyard.yaml"

// TestExampleConfig loads the shipped example with every variable it uses
// set, and once more with only the secrets set, so the documented defaults
// must work too.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		"SWITCHYARD_ADMIN_TOKEN", "admin-token-0123456789",
		"SWITCHYARD_KEY", "sk-switchyard-dev-0123456789",
		"OPENAI_API_KEY", "sk-openai",
		"AZURE_EAST_API_KEY", "azure-east-key",
		"ANTHROPIC_API_KEY", "sk-ant-example",
		"GEMINI_API_KEY", "gemini-example",
		"AZURE_WEST_ENTRA_TOKEN", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9",
	}
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"secrets only", secrets},
		{"everything", append(secrets, "SWITCHYARD_DATA_DIR", "/var/lib/switchyard", "AZURE_EAST_RESOURCE", "acme-east")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(exampleFile, data, env(tt.env...))
			if err != nil {
				t.Fatalf("example config:\n%v", err)
			}
			if len(c.Providers) < 3 || len(c.Models) < 2 {
				t.Errorf("example has %d providers and %d models", len(c.Providers), len(c.Models))
			}
			types := map[string]bool{}
			for _, p := range c.Providers {
				types[p.Type] = true
			}
			for typ := range ProviderTypes {
				if !types[typ] {
					t.Errorf("example has no %s provider", typ)
				}
			}
		})
	}

	// Without its secrets the example must name each missing variable.
	_, err = Parse(exampleFile, data, env())
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != len(secrets)/2 {
		t.Errorf("example without environment: want %d unset variables, got:\n%v", len(secrets)/2, err)
	}
}
