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
		"SWITCHYARD_EU_KEY", "sk-switchyard-eu-0123456789",
		"OPENAI_API_KEY", "sk-openai",
		"AZURE_EAST_API_KEY", "azure-east-key",
		"AZURE_EU_API_KEY", "azure-eu-key",
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
			// Routing: every policy is shown, commitments resolve, regions
			// default from the provider.
			policies := map[string]bool{}
			drawsOn := map[string]string{}
			regions := map[string]string{}
			for _, m := range c.Models {
				policies[m.Routing] = true
				for _, d := range m.Deployments {
					drawsOn[d.Name], regions[d.Name] = d.Commitment, d.Region
				}
			}
			for _, p := range []string{RoutePriority, RouteCheapest, RouteFastest, RouteCommitment} {
				if !policies[p] {
					t.Errorf("example has no model routed by %s", p)
				}
			}
			for d, want := range map[string]string{
				"azure-east/gpt-oss": "azure-macc", "azure-east/text-embedding-3-small": "azure-macc",
				"aws-east/gpt-oss-pt": "bedrock-pt", "azure-west/gpt-oss": "", "aws-east/openai.gpt-oss-120b-1:0": "",
			} {
				if drawsOn[d] != want {
					t.Errorf("%s draws on %q, want %q", d, drawsOn[d], want)
				}
			}
			if regions["vllm-local/openai/gpt-oss-120b"] != "westeurope" || regions["aws-east/openai.gpt-oss-120b-1:0"] != "us-east-1" {
				t.Errorf("regions = %v", regions)
			}
			if len(c.Commitments) != 2 || c.Commitments[1].CapacityPerMinute() != 60000 || len(c.Keys[1].AllowedRegions) != 1 {
				t.Errorf("commitments %+v, keys %+v", c.Commitments, c.Keys)
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
