package config

import (
	"errors"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/money"
)

// Routing holds the settings shared by every model's routing: the weights of
// the commitment policy's penalties, passive health checking, the retry
// budget and how spend commitments are paced.
type Routing struct {
	Penalties   Penalties   `yaml:"penalties"`
	Health      Health      `yaml:"health"`
	RetryBudget RetryBudget `yaml:"retry_budget"`
	// SpendPacing is the step of a spend commitment's pace: routing steers
	// traffic to the commitment while the term's spend is below its amount
	// prorated to the end of the current step, so the pace is recomputed
	// every step and steering spreads over the term. Default 5m.
	SpendPacing Duration `yaml:"spend_pacing"`
	// ExpectedOutputTokens is the output a request is expected to produce
	// before traffic has taught the model's typical output. Default 256.
	ExpectedOutputTokens int64 `yaml:"expected_output_tokens"`
	Pos                  Pos   `yaml:"-"`
}

// Penalties turn expected latency and failure risk into money, so that the
// commitment policy can weigh them against price. YAML gives USD as decimal
// strings, parsed exactly into nano-dollars.
type Penalties struct {
	// Latency is what one second of expected latency is worth, per request.
	// Default "0.00001" (10 micro-dollars a second).
	Latency money.Nanos `yaml:"latency"`
	// Failure is what a certain failure is worth; the penalty is this times
	// the deployment's recent failure ratio. Default "0.001".
	Failure money.Nanos                     `yaml:"failure"`
	Set     struct{ Latency, Failure bool } `yaml:"-"`
	Pos     Pos                             `yaml:"-"`
}

// Health configures passive outlier detection: a deployment that fails too
// often is ejected for a growing time, then one probe request lets it back.
type Health struct {
	// ConsecutiveFailures ejects a deployment after this many failures in a
	// row. Default 5; 0 disables the check.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// ErrorRatio ejects a deployment when at least this share of its
	// attempts in the current window failed, once the window has MinRequests
	// attempts. Default 0.25; 0 disables the check.
	ErrorRatio  float64  `yaml:"error_ratio"`
	MinRequests int      `yaml:"min_requests"` // default 20
	Window      Duration `yaml:"window"`       // default 30s
	// BaseEjection is the first ejection's length; each further ejection
	// doubles it, up to MaxEjection. Defaults 30s and 5m.
	BaseEjection Duration `yaml:"base_ejection"`
	MaxEjection  Duration `yaml:"max_ejection"`
	// SlowStart ramps a readmitted deployment's traffic up from 10% to all
	// of its share over this time, as Envoy's slow start does: a deployment
	// that passed one probe may still be sick, and a burst of failures
	// would spend the retry budget. Default 30s; 0 disables it.
	SlowStart Duration                                                  `yaml:"slow_start"`
	Set       struct{ ConsecutiveFailures, ErrorRatio, SlowStart bool } `yaml:"-"`
	Pos       Pos                                                       `yaml:"-"`
}

// RetryBudget bounds the extra attempts in flight (Envoy's retry budget), so
// that an outage does not multiply the load on the clouds that still answer.
type RetryBudget struct {
	// Ratio is the share of a model's active requests that may be on a
	// second or later attempt at once. Default 0.2.
	Ratio float64 `yaml:"ratio"`
	// MinConcurrent extra attempts are always allowed, so that a quiet model
	// can still fail over. Default 3.
	MinConcurrent int                                 `yaml:"min_concurrent"`
	Set           struct{ Ratio, MinConcurrent bool } `yaml:"-"`
	Pos           Pos                                 `yaml:"-"`
}

// Commitment kinds.
const (
	// CommitSpend is a take-or-pay amount of money over a term (AWS EDP,
	// Azure MACC, prepaid credit): a dollar routed there is free as long as
	// the term would otherwise end short.
	CommitSpend = "spend"
	// CommitCapacity is provisioned throughput paid by the hour (Azure PTU,
	// Bedrock model units, OpenAI Scale Tier): tokens within this minute's
	// capacity are already paid for and cannot be banked.
	CommitCapacity = "capacity"
)

// Commitment is a contract with a provider that routing steers traffic to.
type Commitment struct {
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"` // a Provider.Name
	// Deployments lists the deployments (by name) that draw on the
	// commitment. Default: those that name it in their commitment key, or,
	// when none does, every deployment of the provider.
	Deployments []string `yaml:"deployments"`
	Kind        string   `yaml:"kind"` // spend | capacity

	// Amount is a spend commitment's total, in USD as a decimal string.
	Amount money.Nanos `yaml:"amount"`

	// A capacity commitment gives its tokens per minute either directly
	// (TPM) or as model units times the tokens per minute of one unit.
	TPM                 int64 `yaml:"tpm"`
	ModelUnits          int64 `yaml:"model_units"`
	TokensPerUnitMinute int64 `yaml:"tokens_per_unit_minute"`
	// TokenWeights convert each token type into capacity tokens (the
	// providers' burndown rates).
	TokenWeights TokenWeights `yaml:"token_weights"`
	// PricePerHour is what the capacity costs, in USD, for reports and the
	// simulator; routing treats it as already spent.
	PricePerHour money.Nanos `yaml:"price_per_hour"`

	// Start and End bound the term: a date (midnight UTC) or an RFC 3339
	// time. End is exclusive: a January term ends 2025-02-01.
	Start time.Time `yaml:"start"`
	End   time.Time `yaml:"end"`
	Pos   Pos       `yaml:"-"`
}

// CapacityPerMinute is a capacity commitment's capacity tokens per minute.
func (c *Commitment) CapacityPerMinute() int64 {
	if c.TPM > 0 {
		return c.TPM
	}
	return c.ModelUnits * c.TokensPerUnitMinute
}

// Covers reports whether deployment d draws on c. It holds after
// SetDefaults, which resolves the default coverage into d.Commitment.
func (c *Commitment) Covers(d *Deployment) bool {
	return d.Commitment == c.Name || slices.Contains(c.Deployments, d.Name)
}

// TokenWeights count each token type in capacity tokens. Default 1 for
// input and output; cached input defaults to input, reasoning to output.
type TokenWeights struct {
	Input       float64 `yaml:"input"`
	CachedInput float64 `yaml:"cached_input"`
	Output      float64 `yaml:"output"`
	Reasoning   float64 `yaml:"reasoning"`
	Set         struct {
		Input, CachedInput, Output, Reasoning bool
	} `yaml:"-"`
}

// RouteOverride says which routing policies a key may ask for per request:
// YAML true (all), false (none, the default) or a list of policies.
type RouteOverride struct {
	All      bool
	Policies []string
}

// Allows reports whether the key may ask for policy.
func (o RouteOverride) Allows(policy string) bool {
	return o.All || slices.Contains(o.Policies, policy)
}

// UnmarshalYAML decodes true, false or a list of policy names.
func (o *RouteOverride) UnmarshalYAML(n *yaml.Node) error {
	const want = "want true, false or a list of routing policies"
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Value {
		case "true", "True", "TRUE":
			*o = RouteOverride{All: true}
		case "false", "False", "FALSE":
			*o = RouteOverride{}
		default:
			return errors.New(want)
		}
		return nil
	case yaml.SequenceNode:
		out := RouteOverride{Policies: make([]string, 0, len(n.Content))}
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return errors.New(want)
			}
			out.Policies = append(out.Policies, e.Value)
		}
		*o = out
		return nil
	}
	return errors.New(want)
}

func (p *Penalties) given(key string) {
	switch key {
	case "latency":
		p.Set.Latency = true
	case "failure":
		p.Set.Failure = true
	}
}

func (h *Health) given(key string) {
	switch key {
	case "consecutive_failures":
		h.Set.ConsecutiveFailures = true
	case "error_ratio":
		h.Set.ErrorRatio = true
	case "slow_start":
		h.Set.SlowStart = true
	}
}

func (b *RetryBudget) given(key string) {
	switch key {
	case "ratio":
		b.Set.Ratio = true
	case "min_concurrent":
		b.Set.MinConcurrent = true
	}
}

func (w *TokenWeights) given(key string) {
	switch key {
	case "input":
		w.Set.Input = true
	case "cached_input":
		w.Set.CachedInput = true
	case "output":
		w.Set.Output = true
	case "reasoning":
		w.Set.Reasoning = true
	}
}
