// Package target evaluates goals per period: actual to date, pace, a forecast to the period's end with an interval, and an alert when it will be missed.
package target

import (
	"fmt"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/forecast"
)

// Metric is what a goal counts.
type Metric string

// Metrics a goal can be set for.
const (
	Revenue       Metric = "revenue"        // what tenants are charged, nano-dollars
	GrossMargin   Metric = "gross_margin"   // revenue minus cost, nano-dollars
	NewTenants    Metric = "new_tenants"    // tenants whose first request falls in the period
	ActiveTenants Metric = "active_tenants" // tenants with a request in the period
	Tokens        Metric = "tokens"         // prompt plus completion tokens, reported and estimated
)

// Money reports whether m is counted in nano-dollars.
func (m Metric) Money() bool { return m == Revenue || m == GrossMargin }

// Segment dimensions. The store groups usage by the first five; plan and
// tag are read through the tenant directory (each tenant's current plan
// and tags).
var Segments = []string{"model", "tenant", "key", "provider", "deployment", "plan", "tag"}

// Goal is one target: a metric's goal for each period of a kind, for the
// usage whose Dimension matches Glob (all usage when Dimension is "").
type Goal struct {
	Name      string          `json:"name"`
	Metric    Metric          `json:"metric"`
	Goal      int64           `json:"goal"` // nano-dollars or a count
	Period    forecast.Period `json:"period"`
	Dimension string          `json:"dimension,omitempty"`
	Glob      string          `json:"glob,omitempty"`
	Webhook   string          `json:"-"`
}

// Segment describes the goal's segment, "all" for none.
func (g Goal) Segment() string {
	if g.Dimension == "" {
		return "all"
	}
	return g.Dimension + "=" + g.Glob
}

// FromConfig turns validated config targets into goals.
func FromConfig(ts []config.Target) ([]Goal, error) {
	goals := make([]Goal, 0, len(ts))
	for _, t := range ts {
		v, err := t.GoalValue()
		if err != nil {
			return nil, fmt.Errorf("target: %s: goal: %w", t.Name, err)
		}
		p, err := forecast.ParsePeriod(t.Period)
		if err != nil {
			return nil, fmt.Errorf("target: %s: %w", t.Name, err)
		}
		dim, glob := t.Segment.Dimension()
		goals = append(goals, Goal{Name: t.Name, Metric: Metric(t.Metric), Goal: v, Period: p, Dimension: dim, Glob: glob,
			Webhook: t.Webhook})
	}
	return goals, nil
}
