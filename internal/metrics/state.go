package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/switchyard/switchyard/internal/route"
)

// State is the live state read at scrape time, so that it costs the
// request path nothing. A nil field is not exported.
type State struct {
	// Table returns the routing table new requests use.
	Table func() *route.Table
	// JournalLag is the events journaled and not yet applied to the store.
	JournalLag func() int64
	// InFlight, Shed and ConnsRefused read the API listener: requests
	// being handled, requests refused past server.max_in_flight, and
	// connections closed past server.max_connections.
	InFlight     func() int64
	Shed         func() int64
	ConnsRefused func() int64
	// LimitsDown and BudgetsDown report the shared (Redis) limiter and
	// budget backend unreachable; QuotasDown reports deployment quotas
	// enforced by this replica alone, not shared through it.
	LimitsDown  func() bool
	BudgetsDown func() bool
	QuotasDown  func() bool
}

var (
	descEjected = prometheus.NewDesc("switchyard_deployment_ejected",
		"1 while outlier detection keeps the deployment out of rotation.", []string{"deployment"}, nil)
	descCooling = prometheus.NewDesc("switchyard_deployment_cooling_down",
		"1 while the deployment cools down after a 429.", []string{"deployment"}, nil)
	descDepInFlight = prometheus.NewDesc("switchyard_deployment_in_flight_attempts",
		"Attempts in flight to the deployment.", []string{"deployment"}, nil)
	descEjections = prometheus.NewDesc("switchyard_deployment_ejections_total",
		"Times outlier detection ejected the deployment.", []string{"deployment"}, nil)
	descQuotaReq = prometheus.NewDesc("switchyard_deployment_quota_remaining_requests",
		"Requests left in the deployment's per-minute quota (rpm) over the last minute; only deployments with a quota.", []string{"deployment"}, nil)
	descQuotaTok = prometheus.NewDesc("switchyard_deployment_quota_remaining_tokens",
		"Tokens left in the deployment's per-minute quota (tpm) over the last minute; only deployments with a quota.", []string{"deployment"}, nil)
	descRetryLeft = prometheus.NewDesc("switchyard_retry_budget_available",
		"Extra attempts (failovers) the model's retry budget allows in flight now, beyond those already in flight.", []string{"model"}, nil)
	descRetryDenied = prometheus.NewDesc("switchyard_retry_budget_denied_total",
		"Failovers the model's retry budget refused.", []string{"model"}, nil)
	descLag = prometheus.NewDesc("switchyard_journal_lag_events",
		"Usage events journaled and not yet applied to the store.", nil, nil)
	descInFlight = prometheus.NewDesc("switchyard_requests_in_flight",
		"Client requests being handled, probes excluded.", nil, nil)
	descShed = prometheus.NewDesc("switchyard_shed_requests_total",
		"Requests refused with 503 past server.max_in_flight.", nil, nil)
	descConnsRefused = prometheus.NewDesc("switchyard_connections_refused_total",
		"Client connections refused past server.max_connections.", nil, nil)
	descBackendDown = prometheus.NewDesc("switchyard_cluster_backend_down",
		"1 while the shared (Redis) backend of rate limits, budgets or deployment quotas is unreachable.", []string{"backend"}, nil)
)

// stateCollector reads State at each scrape.
type stateCollector struct {
	s       State
	tenants *tenants
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEjected, descCooling, descDepInFlight, descEjections, descQuotaReq, descQuotaTok,
		descRetryLeft, descRetryDenied, descLag, descInFlight, descShed, descConnsRefused, descBackendDown} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	c.tenants.maybeRetop(now)
	s := c.s
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if s.Table != nil {
		if t := s.Table(); t != nil {
			for _, d := range t.Deployments() {
				st := d.Stats(now)
				gauge(descEjected, flag(st.EjectedUntil.After(now)), d.Name)
				gauge(descCooling, flag(!st.CoolingUntil.IsZero()), d.Name)
				gauge(descDepInFlight, float64(st.InFlight), d.Name)
				counter(descEjections, float64(st.Ejections), d.Name)
				if d.Quota.RPM > 0 {
					gauge(descQuotaReq, float64(max(d.Quota.RPM-st.RPM, 0)), d.Name)
				}
				if d.Quota.TPM > 0 {
					gauge(descQuotaTok, float64(max(d.Quota.TPM-st.TPM, 0)), d.Name)
				}
			}
			for _, m := range t.Models() {
				st := m.Stats()
				gauge(descRetryLeft, float64(max(st.RetryLimit-st.Retries, 0)), m.Name)
				counter(descRetryDenied, float64(st.RetriesDenied), m.Name)
			}
		}
	}
	if s.JournalLag != nil {
		gauge(descLag, float64(s.JournalLag()))
	}
	if s.InFlight != nil {
		gauge(descInFlight, float64(s.InFlight()))
	}
	if s.Shed != nil {
		counter(descShed, float64(s.Shed()))
	}
	if s.ConnsRefused != nil {
		counter(descConnsRefused, float64(s.ConnsRefused()))
	}
	if s.LimitsDown != nil {
		gauge(descBackendDown, flag(s.LimitsDown()), "limits")
	}
	if s.BudgetsDown != nil {
		gauge(descBackendDown, flag(s.BudgetsDown()), "budgets")
	}
	if s.QuotasDown != nil {
		gauge(descBackendDown, flag(s.QuotasDown()), "quotas")
	}
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
