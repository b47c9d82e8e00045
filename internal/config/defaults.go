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
	DefaultMaxHeaderBytes   = 64 * KiB
	DefaultMaxConnections   = 10000
	DefaultMaxInFlight      = 4096
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
	setString(&c.Journal.Fsync, "interval")
	setDuration(&c.Journal.FsyncInterval, 100*time.Millisecond)
	setDuration(&c.Store.Retention, 30*24*time.Hour)

	s := &c.Server
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	setDuration(&s.ReadHeaderTimeout, 10*time.Second)
	setDuration(&s.BodyReadTimeout, 60*time.Second)
	setDuration(&s.IdleTimeout, 120*time.Second)
	if s.MaxJSONDepth == 0 {
		s.MaxJSONDepth = 128
	}
	if s.MaxHeaderBytes == 0 {
		s.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.MaxConnections == 0 {
		s.MaxConnections = DefaultMaxConnections
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = DefaultMaxInFlight
	}
	// DrainDelay defaults to 0: not every deployment has a load balancer
	// to wait for.
	setDuration(&s.ShutdownGrace, 30*time.Second)

	setString(&c.Log.Level, "info")
	setString(&c.Log.Format, "text")
	c.setObserveDefaults()

	for i := range c.Providers {
		c.Providers[i].setDefaults()
	}
	regions := make(map[string]string, len(c.Providers))
	for _, p := range c.Providers {
		regions[p.Name] = p.Region
	}
	for i := range c.Models {
		m := &c.Models[i]
		setString(&m.Routing, RoutePriority)
		for j := range m.Deployments {
			d := &m.Deployments[j]
			d.setDefaults()
			setString(&d.Region, regions[d.Provider])
		}
	}
	c.Routing.setDefaults()
	for i := range c.Commitments {
		c.Commitments[i].TokenWeights.setDefaults()
	}
	c.resolveCommitments()
}

// Routing defaults.
const (
	DefaultLatencyPenalty       = 10_000    // nano-dollars per second: 0.00001 USD
	DefaultFailurePenalty       = 1_000_000 // nano-dollars: 0.001 USD
	DefaultConsecutiveFailures  = 5         // Envoy's consecutive_5xx
	DefaultErrorRatio           = 0.25      // failing one attempt in four is worse than failing over
	DefaultMinRequests          = 20
	DefaultHealthWindow         = 30 * time.Second
	DefaultBaseEjection         = 30 * time.Second // Envoy's base_ejection_time
	DefaultMaxEjection          = 5 * time.Minute  // Envoy's max_ejection_time
	DefaultSlowStart            = 30 * time.Second
	DefaultRetryRatio           = 0.2 // Envoy's budget_percent
	DefaultRetryMinConcurrent   = 3   // Envoy's min_retry_concurrency
	DefaultSpendPacing          = 5 * time.Minute
	DefaultExpectedOutputTokens = 256
	DefaultIdleTimeout          = 5 * time.Minute // Envoy's stream_idle_timeout
)

func (r *Routing) setDefaults() {
	p := &r.Penalties
	if p.Latency == 0 && !p.Set.Latency {
		p.Latency = DefaultLatencyPenalty
	}
	if p.Failure == 0 && !p.Set.Failure {
		p.Failure = DefaultFailurePenalty
	}
	h := &r.Health
	if h.ConsecutiveFailures == 0 && !h.Set.ConsecutiveFailures {
		h.ConsecutiveFailures = DefaultConsecutiveFailures
	}
	if h.ErrorRatio == 0 && !h.Set.ErrorRatio {
		h.ErrorRatio = DefaultErrorRatio
	}
	if h.MinRequests == 0 {
		h.MinRequests = DefaultMinRequests
	}
	setDuration(&h.Window, DefaultHealthWindow)
	setDuration(&h.BaseEjection, DefaultBaseEjection)
	setDuration(&h.MaxEjection, max(DefaultMaxEjection, h.BaseEjection.D()))
	if h.SlowStart == 0 && !h.Set.SlowStart {
		h.SlowStart = Duration(DefaultSlowStart)
	}
	b := &r.RetryBudget
	if b.Ratio == 0 && !b.Set.Ratio {
		b.Ratio = DefaultRetryRatio
	}
	if b.MinConcurrent == 0 && !b.Set.MinConcurrent {
		b.MinConcurrent = DefaultRetryMinConcurrent
	}
	setDuration(&r.SpendPacing, DefaultSpendPacing)
	if r.ExpectedOutputTokens == 0 {
		r.ExpectedOutputTokens = DefaultExpectedOutputTokens
	}
}

func (w *TokenWeights) setDefaults() {
	if w.Input == 0 && !w.Set.Input {
		w.Input = 1
	}
	if w.Output == 0 && !w.Set.Output {
		w.Output = 1
	}
	if w.CachedInput == 0 && !w.Set.CachedInput {
		w.CachedInput = w.Input
	}
	if w.Reasoning == 0 && !w.Set.Reasoning {
		w.Reasoning = w.Output
	}
}

// resolveCommitments fills each deployment's commitment that the config
// leaves implicit: the commitment that lists the deployment, else the one
// commitment of its provider that lists none and is named by no deployment
// (and so covers all the provider's deployments). Ambiguous cases stay
// empty; Validate reports them.
func (c *Config) resolveCommitments() {
	if len(c.Commitments) == 0 {
		return
	}
	listed := make(map[string]*Commitment) // deployment name -> commitment listing it
	named := make(map[string]bool)         // commitments some deployment names
	catchAll := make(map[string]string)    // provider -> its one catch-all commitment
	ambiguous := make(map[string]bool)
	for _, m := range c.Models {
		for _, d := range m.Deployments {
			if d.Commitment != "" {
				named[d.Commitment] = true
			}
		}
	}
	for i := range c.Commitments {
		for _, d := range c.Commitments[i].Deployments {
			if _, dup := listed[d]; !dup {
				listed[d] = &c.Commitments[i]
			}
		}
	}
	for _, cm := range c.Commitments {
		if len(cm.Deployments) > 0 || named[cm.Name] || cm.Provider == "" {
			continue
		}
		if _, dup := catchAll[cm.Provider]; dup {
			ambiguous[cm.Provider] = true
		}
		catchAll[cm.Provider] = cm.Name
	}
	for i := range c.Models {
		for j := range c.Models[i].Deployments {
			d := &c.Models[i].Deployments[j]
			if d.Commitment != "" {
				continue
			}
			if cm, ok := listed[d.Name]; ok && cm.Provider == d.Provider {
				d.Commitment = cm.Name
			} else if name, ok := catchAll[d.Provider]; ok && !ambiguous[d.Provider] {
				d.Commitment = name
			}
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
	setDuration(&p.Timeouts.Idle, DefaultIdleTimeout)
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
	d.Price.setDefaults()
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
