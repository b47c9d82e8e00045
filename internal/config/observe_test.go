package config

import (
	"strings"
	"testing"
)

func TestObserveConfig(t *testing.T) {
	const base = "keys: [{name: k, key: k-0123456789abcdef}]\nproviders: [{name: p, type: openai, api_key: x}]\n" +
		"models: [{name: m, deployments: [{provider: p, model: n, price: {input: 1, output: 2}}]}]\n"
	cases := []struct {
		name, yaml string
		topN       int
		ratio      float64
		endpoint   string
		err        string // substring of the validation error; "" for none
	}{
		{name: "defaults", topN: 20, ratio: 1},
		{name: "set", yaml: "metrics: {tenants_top_n: 5}\ntracing: {otlp_endpoint: http://127.0.0.1:4318, sample_ratio: 0.25, service_name: sy}\n",
			topN: 5, ratio: 0.25, endpoint: "http://127.0.0.1:4318"},
		{name: "negative top n", yaml: "metrics: {tenants_top_n: -1}\n", err: "metrics.tenants_top_n"},
		{name: "ratio over 1", yaml: "tracing: {sample_ratio: 1.5}\n", err: "tracing.sample_ratio"},
		{name: "endpoint not a URL", yaml: "tracing: {otlp_endpoint: 127.0.0.1:4318}\n", err: "tracing.otlp_endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Parse sets the defaults and validates.
			c, err := Parse("t.yaml", []byte(base+tc.yaml), func(string) (string, bool) { return "", false })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse = %v, want an error naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Metrics.TenantsTopN != tc.topN || c.Tracing.SampleRatio != tc.ratio || c.Tracing.OTLPEndpoint != tc.endpoint || c.Tracing.ServiceName == "" {
				t.Fatalf("got metrics %+v tracing %+v", c.Metrics, c.Tracing)
			}
		})
	}
}
