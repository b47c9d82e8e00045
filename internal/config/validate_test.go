package config

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateRules has one case per rule, through Parse, with the exact key
// and line of each error.
func TestValidateRules(t *testing.T) {
	const (
		kp = lineKeys + "\n" + lineProviders // lines 1-2
		km = lineKeys                        // line 1, providers on line 2
	)
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		// listeners
		{"listen without port", doc(kp, lineModels, "listen: localhost"), []want{{"listen", 4, "must be host:port"}}},
		{"listen port range", doc(kp, lineModels, "listen: 127.0.0.1:65536"), []want{{"listen", 4, "port must be a number from 0 to 65535"}}},
		{"listen port name", doc(kp, lineModels, "listen: 127.0.0.1:http"), []want{{"listen", 4, "port must be a number"}}},
		{"listen any host", doc(kp, lineModels, "listen: :8080"), nil},
		{"listen ipv6", doc(kp, lineModels, "listen: '[::1]:0'"), nil},
		{"admin listen", doc(kp, lineModels, "admin: {listen: nope}"), []want{{"admin.listen", 4, "must be host:port"}}},

		// server and log
		{"body too small", doc(kp, lineModels, "server: {max_body_bytes: 1023}"), []want{{"server.max_body_bytes", 4, "must be between 1KiB and 1GiB"}}},
		{"body too large", doc(kp, lineModels, "server: {max_body_bytes: 1025MiB}"), []want{{"server.max_body_bytes", 4, "must be between 1KiB and 1GiB"}}},
		{"body negative", doc(kp, lineModels, "server: {max_body_bytes: -1}"), []want{{"server.max_body_bytes", 4, "must be between"}}},
		{"body lower limit", doc(kp, lineModels, "server: {max_body_bytes: 1KiB}"), nil},
		{"headers too small", doc(kp, lineModels, "server: {max_header_bytes: 1KiB}"), []want{{"server.max_header_bytes", 4, "must be between 4KiB and 1MiB"}}},
		{"connections below -1", doc(kp, lineModels, "server: {max_connections: -2}"), []want{{"server.max_connections", 4, "-1 for no cap"}}},
		{"in flight below -1", doc(kp, lineModels, "server: {max_in_flight: -2}"), []want{{"server.max_in_flight", 4, "-1 for no cap"}}},
		{"no caps", doc(kp, lineModels, "server: {max_connections: -1, max_in_flight: -1}"), nil},
		{"body upper limit", doc(kp, lineModels, "server: {max_body_bytes: 1073741824}"), nil},
		{"negative durations", doc(kp, lineModels, "server:",
			"  read_header_timeout: -1s",
			"  body_read_timeout: -1s",
			"  idle_timeout: -1s",
			"  drain_delay: -1s",
			"  shutdown_grace: -1s"), []want{
			{"server.read_header_timeout", 5, "must not be negative"},
			{"server.body_read_timeout", 6, "must not be negative"},
			{"server.idle_timeout", 7, "must not be negative"},
			{"server.drain_delay", 8, "must not be negative"},
			{"server.shutdown_grace", 9, "must not be negative"},
		}},
		{"log level", doc(kp, lineModels, "log: {level: trace}"), []want{{"log.level", 4, `unknown level "trace"; want debug, info, warn or error`}}},
		{"log format", doc(kp, lineModels, "log: {format: yaml}"), []want{{"log.format", 4, `unknown format "yaml"; want text or json`}}},

		// keys
		{"no keys", doc(lineProviders, lineModels), []want{{"keys", 0, "at least one client key is required"}}},
		{"empty keys", doc("keys: []", lineProviders, lineModels), []want{{"keys", 1, "at least one client key is required"}}},
		{"key name required", doc("keys: [{key: dev-key-0123456789}]", lineProviders, lineModels), []want{{"keys[0].name", 1, "is required"}}},
		{"key name pattern", doc("keys: [{name: a/b, key: dev-key-0123456789}]", lineProviders, lineModels), []want{{"keys[0].name", 1, `"a/b" may contain only letters, digits`}}},
		{"key name unique", doc("keys:",
			"  - {name: dev, key: dev-key-0123456789}",
			"  - {name: dev, key: dev-key-9876543210}", lineProviders, lineModels),
			[]want{{"keys[1].name", 3, `duplicate name "dev" (also keys[0].name)`}}},
		{"key required", doc("keys: [{name: dev}]", lineProviders, lineModels), []want{{"keys[0].key", 1, "is required"}}},
		{"key too short", doc("keys: [{name: dev, key: 0123456789abcde}]", lineProviders, lineModels), []want{{"keys[0].key", 1, "must be at least 16 characters"}}},
		{"key 16 characters", doc("keys: [{name: dev, key: 0123456789abcdef}]", lineProviders, lineModels), nil},
		{"key unique", doc("keys:",
			"  - {name: a, key: dev-key-0123456789}",
			"  - {name: b, key: dev-key-0123456789}", lineProviders, lineModels),
			[]want{{"keys[1].key", 3, "same key as keys[0].key"}}},

		// providers
		{"provider name required", doc(km, "providers: [{type: openai, api_key: k}]", lineModels), []want{
			{"providers[0].name", 2, "is required"},
			{"models[0].deployments[0].provider", 3, `no provider named "oa"`},
		}},
		{"provider name pattern", doc(km, "providers: [{name: 'o a', type: openai, api_key: k}]", lineModels), []want{
			{"providers[0].name", 2, "may contain only"},
			{"models[0].deployments[0].provider", 3, `no provider named "oa"`},
		}},
		{"provider name unique", doc(km, "providers:",
			"  - {name: oa, type: openai, api_key: k}",
			"  - {name: oa, type: openai, api_key: k}", lineModels),
			[]want{{"providers[1].name", 4, `duplicate name "oa" (also providers[0].name)`}}},
		{"provider type required", doc(km, "providers: [{name: oa}]", lineModels), []want{{"providers[0].type", 2, "is required; want one of anthropic, azure, bedrock, gemini, openai, openai-compatible"}}},
		{"provider type unknown", doc(km, "providers: [{name: oa, type: vertex}]", lineModels), []want{{"providers[0].type", 2, `unknown provider type "vertex"; want one of anthropic, azure, bedrock, gemini, openai, openai-compatible`}}},
		{"bedrock needs region", doc(km, "providers: [{name: oa, type: bedrock}]", lineModels), []want{{"providers[0].region", 2, "is required for type bedrock"}}},
		{"bedrock region shape", doc(km, "providers: [{name: oa, type: bedrock, region: Mars}]", lineModels), []want{{"providers[0].region", 2, `"Mars" is not an AWS region`}}},
		{"bedrock half credentials", doc(km, "providers: [{name: oa, type: bedrock, region: us-east-1, access_key_id: AKIDEXAMPLE}]", lineModels), []want{{"providers[0].secret_access_key", 2, "go together"}}},
		{"aws credentials elsewhere", doc(km, "providers: [{name: oa, type: openai, api_key: k, access_key_id: AKIDEXAMPLE}]", lineModels), []want{{"providers[0].access_key_id", 2, "only to type bedrock"}}},
		{"anthropic needs api_key", doc(km, "providers: [{name: oa, type: anthropic}]", lineModels), []want{{"providers[0].api_key", 2, "is required for type anthropic"}}},
		{"gemini needs api_key", doc(km, "providers: [{name: oa, type: gemini}]", lineModels), []want{{"providers[0].api_key", 2, "is required for type gemini"}}},
		{"azure needs base_url and api_key", doc(km, "providers: [{name: oa, type: azure}]", lineModels), []want{
			{"providers[0].base_url", 2, "is required for type azure"},
			{"providers[0].api_key", 2, "is required for type azure"},
		}},
		{"compatible needs base_url only", doc(km, "providers: [{name: oa, type: openai-compatible}]", lineModels), []want{
			{"providers[0].base_url", 2, "is required for type openai-compatible"},
		}},
		{"openai needs api_key", doc(km, "providers: [{name: oa, type: openai}]", lineModels), []want{
			{"providers[0].api_key", 2, "is required for type openai"},
		}},
		{"base_url block position", doc(km,
			"providers:",
			"  - name: oa",
			"    type: openai-compatible",
			"    base_url: 127.0.0.1:8000",
			lineModels), []want{{"providers[0].base_url", 5, "must be an absolute http or https URL"}}},
		{"base_url relative", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: /v1}]", lineModels), []want{{"providers[0].base_url", 2, "must be an absolute http or https URL"}}},
		{"base_url scheme", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'ftp://host/v1'}]", lineModels), []want{{"providers[0].base_url", 2, "must be an absolute http or https URL"}}},
		{"base_url no host", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'http:///v1'}]", lineModels), []want{{"providers[0].base_url", 2, "must be an absolute http or https URL"}}},
		{"base_url query", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'http://h/v1?a=b'}]", lineModels), []want{{"providers[0].base_url", 2, "must not have a query or fragment"}}},
		{"base_url fragment", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'http://h/v1#x'}]", lineModels), []want{{"providers[0].base_url", 2, "must not have a query or fragment"}}},
		{"base_url bad", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'http://h:port'}]", lineModels), []want{{"providers[0].base_url", 2, "must be an absolute http or https URL"}}},
		{"base_url ok", doc(km, "providers: [{name: oa, type: openai-compatible, base_url: 'HTTP://[::1]:8000/v1/'}]", lineModels), nil},
		{"azure auth", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, auth: oauth}]", lineModels), []want{{"providers[0].auth", 2, `unknown auth "oauth"; want "api-key" or "bearer"`}}},
		{"azure bearer", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, auth: bearer}]", lineModels), nil},
		{"azure api_version", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, api_version: '2024-10'}]", lineModels), []want{{"providers[0].api_version", 2, "must be empty or \"v1\""}}},
		{"azure api_version preview", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, api_version: 2025-04-01-preview}]", lineModels), nil},
		{"azure api_version v1", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, api_version: v1}]", lineModels), nil},
		{"azure api_version unquoted date", doc(km, "providers: [{name: oa, type: azure, base_url: 'https://x', api_key: k, api_version: 2024-10-21}]", lineModels), nil},
		{"header name", doc(km, "providers: [{name: oa, type: openai, api_key: k, headers: {'X:Y': a, 'X Y': b, X-Z: c}}]", lineModels), []want{
			{"providers[0].headers[\"X:Y\"]", 2, "is not a valid HTTP header name"},
			{"providers[0].headers[\"X Y\"]", 2, "is not a valid HTTP header name"},
		}},
		{"header value", doc(km, "providers: [{name: oa, type: openai, api_key: k, headers: {X-A: \"a\\r\\nX-B: b\"}}]", lineModels), []want{
			{"providers[0].headers.X-A", 2, "must not contain control characters"},
		}},
		{"negative timeouts", doc(km, "providers: [{name: oa, type: openai, api_key: k, timeouts: {connect: -1s, first_byte: -1s}}]", lineModels), []want{
			{"providers[0].timeouts.connect", 2, "must not be negative"},
			{"providers[0].timeouts.first_byte", 2, "must not be negative"},
		}},

		// models and deployments
		{"no models", doc(kp), []want{{"models", 0, "at least one model is required"}}},
		{"empty models", doc(kp, "models: []"), []want{{"models", 3, "at least one model is required"}}},
		{"model name required", doc(kp, "models: [{deployments: [{provider: oa, model: gpt, price: unpriced}]}]"), []want{{"models[0].name", 3, "is required"}}},
		{"model name unique", doc(kp, "models:",
			"  - {name: m, deployments: [{provider: oa, model: a, price: unpriced}]}",
			"  - {name: m, deployments: [{provider: oa, model: b, price: unpriced}]}"),
			[]want{{"models[1].name", 5, `duplicate name "m" (also models[0].name)`}}},
		{"model name with slash", doc(kp, "models: [{name: openai/gpt-oss-120b, deployments: [{provider: oa, model: gpt, price: unpriced}]}]"), nil},
		{"routing", doc(kp, "models: [{name: m, routing: fastst, deployments: [{provider: oa, model: gpt, price: unpriced}]}]"), []want{{"models[0].routing", 3, `unknown routing policy "fastst"; want one of cheapest, commitment, fastest, priority, weighted`}}},
		{"no deployments", doc(kp, "models: [{name: m}]"), []want{{"models[0].deployments", 3, "at least one deployment is required"}}},
		{"deployment provider required", doc(kp, "models: [{name: m, deployments: [{model: gpt, price: unpriced}]}]"), []want{{"models[0].deployments[0].provider", 3, "is required"}}},
		{"deployment provider unknown", doc(kp, "models:", "  - name: m", "    deployments:", "      - model: gpt", "        provider: nope", "        price: unpriced"),
			[]want{{"models[0].deployments[0].provider", 7, `no provider named "nope"`}}},
		{"deployment model required", doc(kp, "models: [{name: m, deployments: [{provider: oa, price: unpriced}]}]"), []want{{"models[0].deployments[0].model", 3, "is required"}}},
		{"deployment names unique across models", doc(kp, "models:",
			"  - {name: a, deployments: [{provider: oa, model: gpt, price: unpriced}]}",
			"  - {name: b, deployments: [{provider: oa, model: gpt, price: unpriced}]}"),
			[]want{{"models[1].deployments[0].name", 5, `duplicate name "oa/gpt" (also models[0].deployments[0].name)`}}},
		{"deployment explicit name clash", doc(kp, "models:",
			"  - name: a",
			"    deployments:",
			"      - {provider: oa, model: x, price: unpriced}",
			"      - {provider: oa, model: y, name: oa/x, price: unpriced}"),
			[]want{{"models[0].deployments[1].name", 7, `duplicate name "oa/x"`}}},
		{"priority range", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, priority: 1001, price: unpriced}, {provider: oa, model: b, priority: -1, price: unpriced}]}]"), []want{
			{"models[0].deployments[0].priority", 3, "must be between 0 and 1000"},
			{"models[0].deployments[1].priority", 3, "must be between 0 and 1000"},
		}},
		{"priority limits", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, priority: 0, price: unpriced}, {provider: oa, model: b, priority: 1000, price: unpriced}]}]"), nil},
		{"weight range", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, weight: 0, price: unpriced}, {provider: oa, model: b, weight: 1000001, price: unpriced}]}]"), []want{
			{"models[0].deployments[0].weight", 3, "must be between 1 and 1000000"},
			{"models[0].deployments[1].weight", 3, "must be between 1 and 1000000"},
		}},
		{"weight limits", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, weight: 1, price: unpriced}, {provider: oa, model: b, weight: 1000000, price: unpriced}]}]"), nil},
		{"quota", doc(kp, "models:",
			"  - name: m",
			"    deployments:",
			"      - provider: oa",
			"        model: a",
			"        quota:",
			"          rpm: -1",
			"          tpm: -5",
			"        price: unpriced"), []want{
			{"models[0].deployments[0].quota.rpm", 9, "must not be negative"},
			{"models[0].deployments[0].quota.tpm", 10, "must not be negative"},
		}},
		{"price too precise", doc(kp, "models:",
			"  - name: m",
			"    deployments:",
			"      - provider: oa",
			"        model: a",
			"        price:",
			`          input: "0.0375"`,
			"          output: 0.0001"), []want{
			{"models[0].deployments[0].price.input", 9, `price "0.0375" is more precise than 0.001 USD per million tokens`},
			{"models[0].deployments[0].price.output", 10, "more precise than 0.001 USD per million tokens"},
		}},
		{"price invalid", doc(kp, `models: [{name: m, deployments: [{provider: oa, model: a, price: {input: "$1", output: -2, reasoning: [1]}}]}]`), []want{
			{"models[0].deployments[0].price.input", 3, "invalid price"},
			{"models[0].deployments[0].price.output", 3, "negative price"},
			{"models[0].deployments[0].price.reasoning", 3, "want a price"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), env())
			checkErrors(t, err, tt.want)
		})
	}
}

// validConfig is a Config built in code, as the demo does.
func validConfig() *Config {
	c := &Config{
		Keys:      []Key{{Name: "demo", Key: "demo-key-0123456789"}},
		Providers: []Provider{{Name: "emu", Type: TypeOpenAICompatible, BaseURL: "http://127.0.0.1:9999/v1"}},
		Models:    []Model{{Name: "gpt", Deployments: []Deployment{{Provider: "emu", Model: "gpt", Price: Price{Unpriced: true}}}}},
	}
	c.SetDefaults()
	return c
}

func TestValidateCodeBuilt(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}

	c := validConfig()
	c.Listen = "nope"
	c.Keys[0].Key = "short"
	c.Providers[0].BaseURL = "ftp://x"
	c.Models[0].Deployments[0].Weight = 0
	c.Models[0].Deployments = append(c.Models[0].Deployments, Deployment{Name: "other/gpt", Provider: "other", Model: "gpt", Weight: 1,
		Price: Price{Input: 1, Output: 1}})
	err := c.Validate()
	checkErrors(t, err, []want{
		{"listen", 0, "must be host:port"},
		{"keys[0].key", 0, "must be at least 16 characters"},
		{"providers[0].base_url", 0, "must be an absolute http or https URL"},
		{"models[0].deployments[0].weight", 0, "must be between 1 and 1000000"},
		{"models[0].deployments[1].provider", 0, `no provider named "other"`},
	})
	if got := err.(Errors)[0].Error(); got != "listen: must be host:port, such as 127.0.0.1:8080" {
		t.Errorf("code-built error = %q, want no position", got)
	}

	// Without SetDefaults, omitted fields are reported, not guessed.
	bare := &Config{}
	var errs Errors
	if !errors.As(bare.Validate(), &errs) || len(errs) < 4 {
		t.Errorf("empty config: %v", errs)
	}

	// Validate works the same on a parsed config, keeping positions.
	parsed, err := Parse("test.yaml", []byte(doc(lineKeys, lineProviders, lineModels)), env())
	if err != nil {
		t.Fatal(err)
	}
	parsed.Models[0].Routing = "random"
	checkErrors(t, parsed.Validate(), []want{{"models[0].routing", 3, `unknown routing policy "random"`}})
}

// TestValidateExtensible checks that validation reads ProviderTypes and
// RoutingPolicies, which later versions extend.
func TestValidateExtensible(t *testing.T) {
	c := validConfig()
	c.Providers[0].Type = "ollama"
	c.Models[0].Routing = "random"
	if err := c.Validate(); err == nil {
		t.Fatal("want errors for unknown type and routing")
	}
	ProviderTypes["ollama"] = true
	RoutingPolicies["random"] = true
	defer delete(ProviderTypes, "ollama")
	defer delete(RoutingPolicies, "random")
	if err := c.Validate(); err != nil {
		t.Fatalf("after registering: %v", err)
	}
}

// TestErrorsNeverContainSecrets puts a secret from the environment in every
// field where it is wrong, and checks that no message repeats it.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const secret = "sk-LEAK-7f3a9c"
	lookup := env("S", secret, "SHORT", "sk-LEAK")
	_, err := Parse("test.yaml", []byte(doc(
		"listen: ${S}",
		"admin: {listen: '${S}', token: '${S}'}",
		"data_dir: ${S}",
		"server: {max_body_bytes: '${S}', idle_timeout: '${S}'}",
		"log: {level: '${S}', format: '${S}', access: '${S}'}",
		"keys:",
		"  - {name: '${S}', key: '${SHORT}'}",
		"  - {name: '${S}', key: '${S}0123456789'}",
		"  - {name: a, key: '${S}0123456789'}",
		"  - {name: b, key: '${S}9876543210', allowed_providers: ['x${S}'], allowed_regions: ['x${S}']}",
		"providers:",
		"  - {name: '${S}', type: '${S}', base_url: 'https://u:${S}@h/?k=${S}', api_key: '${S}'}",
		"  - {name: '${S}', type: azure, base_url: '${S}', api_key: '${S}', auth: '${S}', api_version: '${S}',",
		"     headers: {X-Key: \"${S}\\n\"}, timeouts: {connect: '${S}'}}",
		"models:",
		"  - name: '${S}'",
		"    routing: '${S}'",
		"    deployments:",
		"      - {provider: '${S}', model: '${S}', priority: '${S}', weight: '${S}',",
		"         price: {input: '${S}', output: '-${S}'}, quota: {rpm: '${S}'}}",
		"      - {provider: '${S}', model: '${S}'}",
		"      - {provider: '${S}', model: x, region: '${S} x', commitment: 'x${S}'}",
		"  - name: '${S}'",
		"    fallbacks: ['${S}']",
		"commitments:",
		"  - {name: '${S}', provider: '${S}', kind: '${S}', amount: '${S}', start: '${S}', end: '${S}', deployments: ['${S}']}",
		"  - {name: c, provider: oa, kind: capacity, tpm: '${S}', price_per_hour: '-${S}', start: 2025-01-01, end: 2026-01-01}",
		"routing: {penalties: {latency: '${S}'}, health: {window: '${S}'}}",
	)), lookup)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "LEAK") {
		t.Errorf("errors contain the secret:\n%s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n < 25 {
		t.Errorf("only %d errors; the test should exercise every message:\n%s", n, msg)
	}
	t.Logf("\n%s", msg)
}
