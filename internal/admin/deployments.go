package admin

import (
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/route"
)

// Deployments reports the routing table's live state, for the dashboard's
// providers page. The gateway provides it (RouteDeployments).
type Deployments interface {
	Deployments() []DeploymentStatus
}

// DeploymentStatus is one deployment's state and counters since the process
// started. Counters are this replica's own.
type DeploymentStatus struct {
	Name         string     `json:"name"`
	Provider     string     `json:"provider"`
	Model        string     `json:"model"`
	Region       string     `json:"region,omitempty"`
	Available    bool       `json:"available"`
	Why          string     `json:"why,omitempty"` // why it cannot take a request now
	Ejected      bool       `json:"ejected"`
	EjectedUntil *time.Time `json:"ejected_until,omitempty"`
	CoolingUntil *time.Time `json:"cooling_until,omitempty"`
	InFlight     int64      `json:"in_flight"`
	// TTFTMs is the router's running estimate of time to first token (the
	// router keeps an estimate, not percentiles); 0 before any stream.
	TTFTMs       float64 `json:"ttft_ms"`
	TokensPerSec float64 `json:"tokens_per_sec"`
	FailureRatio float64 `json:"failure_ratio"`
	Attempts     int64   `json:"attempts"`
	Successes    int64   `json:"successes"`
	Failures     int64   `json:"failures"`
	Timeouts     int64   `json:"timeouts"`
	Throttled    int64   `json:"throttled"`
	Rejected     int64   `json:"rejected"`
	Ejections    int64   `json:"ejections"`
	Retries      int64   `json:"retries"`
	RPM          int64   `json:"rpm"`
	TPM          int64   `json:"tpm"`
	QuotaRPM     int64   `json:"quota_rpm,omitempty"`
	QuotaTPM     int64   `json:"quota_tpm,omitempty"`
	CostUSD      string  `json:"cost_usd"`
}

// DeploymentsFunc adapts a function to Deployments.
type DeploymentsFunc func() []DeploymentStatus

// Deployments implements Deployments.
func (f DeploymentsFunc) Deployments() []DeploymentStatus { return f() }

// RouteDeployments reads the table that table returns (the gateway's current
// one, which a reload replaces) at each call. It also tells each model's
// policy (Policies), for the traffic report's route reasons.
func RouteDeployments(table func() *route.Table) Deployments {
	return routeTable(table)
}

type routeTable func() *route.Table

// Policies implements Policies.
func (table routeTable) Policies() map[string]string {
	t := table()
	if t == nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range t.Models() {
		if m.Policy != nil {
			out[m.Name] = m.Policy.Name()
		}
	}
	return out
}

// Deployments implements Deployments.
func (table routeTable) Deployments() []DeploymentStatus {
	t := table()
	if t == nil {
		return nil
	}
	now := time.Now()
	var out []DeploymentStatus
	for _, d := range t.Deployments() {
		s := d.Stats(now)
		why, _, _ := d.Status(now)
		ds := DeploymentStatus{
			Name: d.Name, Provider: d.ProviderName, Model: d.Model, Region: d.Region,
			Available: why == "", Why: why, Ejected: s.EjectedUntil.After(now),
			InFlight: s.InFlight, TTFTMs: float64(s.TTFT.Microseconds()) / 1000, TokensPerSec: s.TokensPerSec,
			FailureRatio: s.FailureRatio, Attempts: s.Attempts, Successes: s.Successes, Failures: s.Failures,
			Timeouts: s.Timeouts, Throttled: s.Throttled, Rejected: s.Rejected, Ejections: s.Ejections,
			Retries: s.Retries, RPM: s.RPM, TPM: s.TPM, QuotaRPM: d.Quota.RPM, QuotaTPM: d.Quota.TPM,
			CostUSD: s.Cost.String(),
		}
		if ds.Ejected {
			ds.EjectedUntil = timePtr(s.EjectedUntil)
		}
		if !s.CoolingUntil.IsZero() {
			ds.CoolingUntil = timePtr(s.CoolingUntil)
		}
		out = append(out, ds)
	}
	return out
}

// deployments answers GET /admin/v1/deployments.
func (h *Handler) deployments(w http.ResponseWriter, _ *http.Request, deps Deployments) {
	if deps == nil {
		writeError(w, http.StatusNotFound, "not_found", "This admin listener has no routing table to report.")
		return
	}
	ds := deps.Deployments()
	if ds == nil {
		ds = []DeploymentStatus{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployments": ds})
}
