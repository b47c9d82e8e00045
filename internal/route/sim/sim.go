// Package sim replays traffic through the real routing engine against simulated clouds on a virtual clock.
package sim

import (
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/settle"
)

// Scenario is one simulation: the gateway's config (providers, models,
// deployments with prices and quotas, commitments, routing settings), how
// each deployment behaves, the traffic, and the policies to compare. The
// same traffic is replayed once per policy.
type Scenario struct {
	Name string
	// Config is routed by a route.Table built from it, exactly as the
	// gateway would. Run applies defaults and validates it.
	Config *config.Config
	// Start and Duration bound the simulated time.
	Start    time.Time
	Duration time.Duration
	// Seed makes the run reproducible: the same seed gives the same traffic
	// and the same decisions.
	Seed uint64
	// Traffic is the requests to replay.
	Traffic Traffic
	// Behavior says how each deployment (by name) answers; a deployment
	// without an entry gets DefaultBehavior.
	Behavior map[string]Behavior
	// Policies are run one after another, each replacing every model's
	// routing. Empty: one run with the config's own policies.
	Policies []string
	// Trace, when set, is called for every finished attempt, in time
	// order, for tests and timelines.
	Trace func(Event)
	// Settler, when set, is the settlement point every attempt's usage
	// event goes through (failed attempts too, with no usage), as the
	// gateway's request path settles them: a gateway's own Settler puts the
	// simulated traffic in its journal, store and ledger. Nil: a settler of
	// the simulator's own, pricing with the config's price book and keeping
	// nothing. A scenario with a Settler runs one policy, so that its
	// traffic is settled once.
	Settler *settle.Settler
	// RequestIDs prefixes the request ids of the usage events: request n of
	// the run is RequestIDs+n. The same scenario gives the same ids, so
	// settling it again into a store is a no-op there.
	RequestIDs string
}

// Traffic is a stream of requests whose rate follows the time of day and
// the day of the week, grows, dips in shocks, and comes from streams
// (tenants) that may start and stop within the run.
type Traffic struct {
	// Rate is the mean number of requests per second at the start, with
	// every stream active. A stream outside its From–Until window sends
	// nothing, so the rate then is Rate times the active streams' share.
	Rate float64
	// Diurnal is the amplitude of the daily cycle, 0 to 1: the rate peaks
	// at (1+Diurnal)×Rate at 15:00 UTC and bottoms at (1−Diurnal)×Rate at
	// 03:00 UTC.
	Diurnal float64
	// Weekend scales Saturday and Sunday traffic (0 or 1: unchanged).
	Weekend float64
	// Growth is how much every stream's rate grows every 30 days,
	// compounded continuously: 0.05 is 5% a month; negative shrinks.
	Growth float64
	// Shocks scale the rate for a while: an outage of demand, a holiday.
	Shocks []Shock
	// Mix is the kinds of request, drawn in proportion to Share.
	Mix []Stream
}

// Shock scales the whole traffic by Factor between From and To, offsets
// from the scenario's start (To 0: until the end).
type Shock struct {
	From, To time.Duration
	Factor   float64
}

// Stream is one kind of request: a model, its size and who sends it.
type Stream struct {
	Name  string  // names the stream in reports, e.g. a tenant
	Share float64 // relative frequency
	Model string
	// PromptTokens and OutputTokens are mean sizes; actual sizes are drawn
	// from a log-normal distribution around them.
	PromptTokens int64
	OutputTokens int64
	// MaxTokens is sent with the request (0: none); outputs are capped at
	// it.
	MaxTokens int64
	// Constraints are the tenant's; nil allows everything.
	Constraints *route.Constraints
	// From and Until bound when the stream sends, as offsets from the
	// scenario's start (Until 0: to the end): a tenant that signs up or
	// leaves during the run.
	From, Until time.Duration
	// Tenant and Key are the ids its usage events carry (the key's name is
	// the stream's Name), as the gateway stamps them from the client key.
	Tenant, Key string
}

// Behavior is how a simulated deployment answers.
type Behavior struct {
	// TTFT is the median time to the first token; Jitter the σ of its
	// log-normal spread (0: constant).
	TTFT   time.Duration
	Jitter float64
	// TPS is the output tokens per second once the answer streams.
	TPS float64
	// ErrorRate is the share of attempts answered with a 5xx after
	// ErrorDelay; TimeoutRate the share that never answer, so that the
	// deployment's first-byte timeout fires.
	ErrorRate   float64
	TimeoutRate float64
	ErrorDelay  time.Duration
	// RPM and TPM are the provider's own limits: beyond them it answers
	// 429 with a Retry-After until the next minute.
	RPM, TPM int64
	// Phases change the behavior for a while: an incident, a slowdown.
	Phases []Phase
}

// Phase changes a deployment's behavior between From and To, offsets from
// the scenario's start.
type Phase struct {
	From, To time.Duration
	// TTFTFactor multiplies the time to first token (0: unchanged).
	TTFTFactor float64
	// ErrorRate and TimeoutRate add to the base rates.
	ErrorRate   float64
	TimeoutRate float64
}

// DefaultBehavior answers in 400 ms at 80 tokens a second, and never fails.
var DefaultBehavior = Behavior{TTFT: 400 * time.Millisecond, Jitter: 0.3, TPS: 80}

// Event is one finished attempt.
type Event struct {
	Time       time.Time // when the attempt ended
	Start      time.Time // when it was sent
	Request    int64     // the request's sequence number
	Stream     string
	Model      string // the model asked for
	Deployment string
	Attempt    int // 1 for the request's first attempt
	Outcome    route.Outcome
	Covered    bool // route counted it within a commitment
	Probe      bool
}
