package report

import (
	"time"

	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Event is a usage event as reports show it: enums by name, durations in
// milliseconds, money as exact decimal dollars beside the nano-dollars.
type Event struct {
	ID           string     `json:"id"`
	RequestID    string     `json:"request_id"`
	Attempt      int        `json:"attempt"`
	Time         time.Time  `json:"time"`
	TenantID     string     `json:"tenant_id,omitempty"`
	KeyID        string     `json:"key_id"`
	KeyName      string     `json:"key_name"`
	Model        string     `json:"model"`
	Deployment   string     `json:"deployment"`
	Provider     string     `json:"provider"`
	Op           string     `json:"op"`
	Stream       bool       `json:"stream"`
	Outcome      string     `json:"outcome"`
	Status       int        `json:"status"`
	Usage        wire.Usage `json:"usage"`
	Source       string     `json:"usage_source"` // reported | estimated | none
	CostUSD      string     `json:"cost_usd"`
	CostNanos    int64      `json:"cost_nanos"`
	PriceVersion string     `json:"price_version,omitempty"`
	Unpriced     bool       `json:"unpriced,omitempty"`
	TTFTMs       float64    `json:"ttft_ms"`
	DurationMs   float64    `json:"duration_ms"`
	Error        string     `json:"error,omitempty"`
}

// Events renders events for a report.
func Events(es []usage.Event) []Event {
	out := make([]Event, 0, len(es))
	for i := range es {
		e := &es[i]
		out = append(out, Event{
			ID: e.ID(), RequestID: e.RequestID, Attempt: e.Attempt, Time: e.Time.UTC(),
			TenantID: e.TenantID, KeyID: e.KeyID, KeyName: e.KeyName,
			Model: e.Model, Deployment: e.Deployment, Provider: e.Provider, Op: e.Op, Stream: e.Stream,
			Outcome: e.Outcome.String(), Status: e.Status, Usage: e.Usage, Source: e.Source.String(),
			CostUSD: e.Cost.String(), CostNanos: int64(e.Cost), PriceVersion: e.PriceVersion, Unpriced: e.Unpriced,
			TTFTMs: ms(e.TTFT), DurationMs: ms(e.Duration), Error: e.Error,
		})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
