// Package metrics keeps the gateway's Prometheus metrics: request and attempt counters, token and cost books, and live state read at scrape time.
package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure Metrics.
type Options struct {
	// TenantsTopN is how many tenants, by spend, keep their own series; the
	// rest count under tenant="other". 0 folds every tenant.
	TenantsTopN int
	// Retop is how often the top tenants are recomputed, at scrape time.
	// Default one minute.
	Retop time.Duration
	// State is read at scrape time; its nil fields are not exported.
	State State
	// Process adds the Go runtime and process collectors.
	Process bool
}

// Metrics holds every collector. Its per-request methods (Request, Settle,
// Refused, Applied) are safe for concurrent use and allocate nothing once a
// model, deployment and tenant have been seen.
type Metrics struct {
	reg *prometheus.Registry

	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	ttft       *prometheus.HistogramVec
	attempts   *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	cost       *prometheus.CounterVec
	refusals   *prometheus.CounterVec
	applied    prometheus.Counter
	tenantTok  *prometheus.CounterVec
	tenantCost *prometheus.CounterVec
	revenue    *prometheus.CounterVec

	// Children resolved once per model and deployment, copied on write so
	// that the request path reads a map without a lock.
	mu     sync.Mutex
	models atomic.Pointer[map[string]*modelSeries]
	deps   atomic.Pointer[map[string]*deploymentSeries]

	tenants *tenants
}

// Latency buckets, in seconds: model answers take from a fraction of a
// second to minutes.
var (
	durationBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320}
	ttftBuckets     = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32}
)

// New registers every metric on a registry of its own.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_requests_total",
		Help: "Client requests that reached routing, by public model, status class of the answer (2xx, 4xx, 5xx; none when the client left first) and API (chat, messages, embeddings)."},
		[]string{"model", "status_class", "api"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchyard_request_duration_seconds",
		Help: "Time from a request's arrival to its answer's last byte, failovers included, by public model.", Buckets: durationBuckets},
		[]string{"model"})
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchyard_ttft_seconds",
		Help: "Time to first token of attempts that got an answer: to the first byte sent to the client (streams) or the whole answer read, by deployment.", Buckets: ttftBuckets},
		[]string{"deployment"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_attempts_total",
		Help: "Upstream attempts settled, by deployment, provider and outcome (completed, failed, rejected, interrupted, client_aborted)."},
		[]string{"deployment", "provider", "outcome"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_tokens_total",
		Help: "Tokens billed by the clouds, by type (input excludes cached_input and cache_write; output excludes reasoning: the types add up to the total) and source (reported by the cloud, or estimated by the gateway)."},
		[]string{"deployment", "provider", "model", "type", "source"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_cost_nanodollars_total",
		Help: "What the attempts cost at the deployment's prices, in nano-dollars (1e-9 USD)."},
		[]string{"deployment", "provider", "model"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_admission_refusals_total",
		Help: "Requests refused at admission, by reason: rate_limit_exceeded, request_exceeds_limit, budget_exceeded, admission_unavailable."},
		[]string{"reason"})
	m.applied = prometheus.NewCounter(prometheus.CounterOpts{Name: "switchyard_store_applied_events_total",
		Help: "Usage events the journal's writer applied to the store."})
	m.tenantTok = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_tenant_tokens_total",
		Help: "Tokens billed by tenant and type; tenants outside the top N by spend count under tenant=\"other\", keys without a tenant under tenant=\"none\"."},
		[]string{"tenant", "type"})
	m.tenantCost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_tenant_cost_nanodollars_total",
		Help: "What each tenant's attempts cost at the deployments' prices, in nano-dollars; top N tenants by spend, the rest under tenant=\"other\"."},
		[]string{"tenant"})
	m.revenue = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_revenue_nanodollars_total",
		Help: "What each tenant is charged, in nano-dollars. Pass-through for now: revenue equals cost until tenant pricing exists."},
		[]string{"tenant"})
	// Refusal reasons start at zero, so a rate over them exists before the
	// first refusal.
	for _, r := range []string{"rate_limit_exceeded", "request_exceeds_limit", "budget_exceeded", "admission_unavailable"} {
		m.refusals.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.duration, m.ttft, m.attempts, m.tokens, m.cost, m.refusals, m.applied,
		m.tenantTok, m.tenantCost, m.revenue)

	m.models.Store(&map[string]*modelSeries{})
	m.deps.Store(&map[string]*deploymentSeries{})
	m.tenants = newTenants(m, o.TenantsTopN, o.Retop)
	m.reg.MustRegister(&stateCollector{s: o.State, tenants: m.tenants})
	if o.Process {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry is where the metrics are registered, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text or OpenMetrics format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Applied counts n events applied to the store.
func (m *Metrics) Applied(n int) { m.applied.Add(float64(n)) }

// Refused counts a request refused at admission, by the refusal's code.
func (m *Metrics) Refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }
