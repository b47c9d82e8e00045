package config

import "net/url"

// Metrics configures the Prometheus /metrics endpoint on the admin listener.
type Metrics struct {
	// TenantsTopN bounds the tenant label: the N tenants with the most
	// spend keep their own series, the rest count under tenant="other".
	// Default 20.
	TenantsTopN int `yaml:"tenants_top_n"`
	Pos         Pos `yaml:"-"`
}

// Tracing configures OpenTelemetry traces. Without an endpoint no span is
// made at all.
type Tracing struct {
	// OTLPEndpoint is the OTLP/HTTP collector's base URL, such as
	// http://127.0.0.1:4318; spans go to its /v1/traces. Empty: tracing off.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the share of new traces kept, 0 < r ≤ 1; a request
	// that arrives with a sampled traceparent is always kept. Default 1.
	SampleRatio float64 `yaml:"sample_ratio"`
	// ServiceName is the service.name resource attribute. Default switchyard.
	ServiceName string `yaml:"service_name"`
	Pos         Pos    `yaml:"-"`
}

// DefaultTenantsTopN is metrics.tenants_top_n's default.
const DefaultTenantsTopN = 20

func (c *Config) setObserveDefaults() {
	if c.Metrics.TenantsTopN == 0 {
		c.Metrics.TenantsTopN = DefaultTenantsTopN
	}
	if c.Tracing.SampleRatio == 0 {
		c.Tracing.SampleRatio = 1
	}
	setString(&c.Tracing.ServiceName, "switchyard")
}

func (v *validator) observe() {
	c := v.c
	if c.Metrics.TenantsTopN < 0 {
		v.errorf("metrics.tenants_top_n", c.Metrics.Pos, "must be 0 or more, got %d", c.Metrics.TenantsTopN)
	}
	t := c.Tracing
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		v.errorf("tracing.sample_ratio", t.Pos, "must be between 0 and 1, got %g", t.SampleRatio)
	}
	if t.OTLPEndpoint != "" {
		u, err := url.Parse(t.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf("tracing.otlp_endpoint", t.Pos, "must be an http:// or https:// URL such as http://127.0.0.1:4318, got %s",
				v.quote(t.OTLPEndpoint, "tracing.otlp_endpoint"))
		}
	}
}
