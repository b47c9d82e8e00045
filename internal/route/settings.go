package route

import (
	"math/rand/v2"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
)

// settings are the table-wide routing settings, converted once from
// config.Routing into the units the hot path uses.
type settings struct {
	consecutive  int     // failures in a row that eject; 0: off
	errorRatio   float64 // failed share of a window that ejects; 0: off
	minRequests  int
	window       int64 // nanoseconds
	baseEjection int64
	maxEjection  int64
	slowStart    int64

	retryRatio float64
	retryMin   int64

	pacing int64 // spend commitment pace period, nanoseconds

	latencyPenalty money.Nanos // per second
	failurePenalty money.Nanos

	expectedOutput int64
}

func newSettings(r config.Routing) settings {
	return settings{
		consecutive:    r.Health.ConsecutiveFailures,
		errorRatio:     r.Health.ErrorRatio,
		minRequests:    max(r.Health.MinRequests, 1),
		window:         int64(max(r.Health.Window.D(), time.Second)),
		baseEjection:   int64(max(r.Health.BaseEjection.D(), time.Second)),
		maxEjection:    int64(max(r.Health.MaxEjection.D(), r.Health.BaseEjection.D(), time.Second)),
		slowStart:      int64(max(r.Health.SlowStart.D(), 0)),
		retryRatio:     r.RetryBudget.Ratio,
		retryMin:       int64(r.RetryBudget.MinConcurrent),
		pacing:         int64(max(r.SpendPacing.D(), time.Second)),
		latencyPenalty: r.Penalties.Latency,
		failurePenalty: r.Penalties.Failure,
		expectedOutput: max(r.ExpectedOutputTokens, 1),
	}
}

// defaultSettings serve deployments and models built by hand.
var defaultSettings = func() settings {
	c := &config.Config{}
	c.SetDefaults()
	return newSettings(c.Routing)
}()

// Clock tells the time. The gateway uses the wall clock; the simulator
// drives a virtual one.
type Clock interface {
	Now() time.Time
}

// WallClock is the real time.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now() }

// Options adjust a table for simulation and tests.
type Options struct {
	// Clock supplies the time when a Request or Result leaves it zero.
	// Default: the wall clock.
	Clock Clock
	// Rand draws the random numbers that share load among equal candidates.
	// It must be safe for concurrent use if the table is. Default:
	// math/rand/v2, which is. The simulator passes a seeded source to replay
	// the same decisions.
	Rand func() uint64
	// State is the live state to build on: a reload passes the running
	// table's State(). Default: a new one.
	State *State
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = WallClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Uint64
	}
	return o
}
