package config

import (
	"strings"
	"time"
)

// Defaults for omitted fields.
const (
	DefaultListen        = "127.0.0.1:8080"
	DefaultAdminListen   = "127.0.0.1:8081"
	DefaultDataDir       = "./switchyard-data"
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	// DefaultAnthropicBaseURL and DefaultGeminiBaseURL are the public APIs;
	// Bedrock's default is derived from the region.
	DefaultAnthropicBaseURL = "https://api.anthropic.com"
	DefaultGeminiBaseURL    = "https://generativelanguage.googleapis.com"
	DefaultAnthropicVersion = "2023-06-01"
	DefaultMaxBodyBytes     = 32 * MiB
)

// Azure authentication schemes.
const (
	AuthAPIKey = "api-key" // header api-key: KEY (default)
	AuthBearer = "bearer"  // Authorization: Bearer TOKEN, e.g. an Entra ID token
)

// SetDefaults fills the fields left empty. A zero value means "omitted":
// a zero timeout gets its default rather than meaning "no timeout". The
// exceptions are deployment priority and weight and the derived prices,
// which consult the Set flags that Parse records, so that an explicit 0
// survives. Code that builds a Config and wants an explicit zero there sets
// the flag too.
//
// SetDefaults is idempotent; Parse calls it before Validate.
func (c *Config) SetDefaults() {
	setString(&c.Listen, DefaultListen)
	setString(&c.Admin.Listen, DefaultAdminListen)
	setString(&c.DataDir, DefaultDataDir)

	s := &c.Server
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	setDuration(&s.ReadHeaderTimeout, 10*time.Second)
	setDuration(&s.BodyReadTimeout, 60*time.Second)
	setDuration(&s.IdleTimeout, 120*time.Second)
	// DrainDelay defaults to 0: not every deployment has a load balancer
	// to wait for.
	setDuration(&s.ShutdownGrace, 30*time.Second)

	setString(&c.Log.Level, "info")
	setString(&c.Log.Format, "text")

	for i := range c.Providers {
		c.Providers[i].setDefaults()
	}
	for i := range c.Models {
		m := &c.Models[i]
		setString(&m.Routing, RoutePriority)
		for j := range m.Deployments {
			m.Deployments[j].setDefaults()
		}
	}
}

func (p *Provider) setDefaults() {
	switch p.Type {
	case TypeOpenAI:
		setString(&p.BaseURL, DefaultOpenAIBaseURL)
	case TypeAnthropic:
		setString(&p.BaseURL, DefaultAnthropicBaseURL)
		setString(&p.APIVersion, DefaultAnthropicVersion)
	case TypeGemini:
		setString(&p.BaseURL, DefaultGeminiBaseURL)
	case TypeBedrock:
		if p.Region != "" {
			setString(&p.BaseURL, "https://bedrock-runtime."+p.Region+".amazonaws.com")
		}
	}
	// Paths are appended to the base URL; a trailing slash would double.
	p.BaseURL = strings.TrimRight(p.BaseURL, "/")
	if p.Type == TypeAzure {
		setString(&p.Auth, AuthAPIKey)
	}
	setDuration(&p.Timeouts.Connect, 5*time.Second)
	setDuration(&p.Timeouts.FirstByte, 60*time.Second)
	setDuration(&p.Timeouts.Response, 10*time.Minute)
}

func (d *Deployment) setDefaults() {
	if d.Name == "" && d.Provider != "" && d.Model != "" {
		d.Name = d.Provider + "/" + d.Model
	}
	if d.Priority == 0 && !d.PrioritySet {
		d.Priority = 1
	}
	if d.Weight == 0 && !d.WeightSet {
		d.Weight = 1
	}
	p := &d.Price
	// Providers that do not price cached or reasoning tokens separately
	// bill them as ordinary input or output.
	if p.CachedInput == 0 && !p.Set.CachedInput {
		p.CachedInput = p.Input
	}
	if p.CacheWrite == 0 && !p.Set.CacheWrite {
		p.CacheWrite = p.Input
	}
	if p.Reasoning == 0 && !p.Set.Reasoning {
		p.Reasoning = p.Output
	}
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func setDuration(d *Duration, def time.Duration) {
	if *d == 0 {
		*d = Duration(def)
	}
}
