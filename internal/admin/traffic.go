package admin

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// GET /admin/v1/traffic: what the newest stored attempts say about each
// deployment (TTFT p50/p95, error and 429 rates) and why each provider got
// its traffic (first choice under the model's policy, or a failover and
// what caused it).
//
// It reads raw events from the store, newest first, over a stated window
// and at most a stated number of them: percentiles need the samples, and
// the router keeps only a moving average of TTFT (and the Prometheus
// histogram is this replica's alone, since it started, in coarse buckets).
// The store holds every replica's attempts, so the answer is the cluster's.
// On a busy gateway the cap is reached before the window's start; the
// answer then says which part of the window it read.

// Traffic window bounds and sample sizes.
const (
	defaultTrafficWindow = time.Hour
	maxTrafficWindow     = 31 * 24 * time.Hour
	defaultTrafficLimit  = 10000
	maxTrafficLimit      = 50000
)

// Policies tells each public model's routing policy as configured now. The
// routing table (RouteDeployments) provides it.
type Policies interface {
	Policies() map[string]string
}

// Reasons a provider got an attempt (the "reason" of a providerReason).
// "policy:<name>" is a first attempt, won under the model's policy; the
// failover reasons name what happened to the request's previous attempt.
const (
	reasonFirst            = "first_choice" // first attempt of a model with no known policy
	reasonFailover429      = "failover:429"
	reasonFailover5xx      = "failover:5xx"
	reasonFailoverTimeout  = "failover:timeout_or_connection"
	reasonFailoverBroken   = "failover:broken_stream"
	reasonFailover4xx      = "failover:4xx"
	reasonFailoverUnknown  = "failover:earlier_attempt_not_read"
	policyReasonPrefix     = "policy:"
	trafficQueryPageLength = 500
)

type deploymentTraffic struct {
	Deployment  string   `json:"deployment"`
	Provider    string   `json:"provider"`
	Model       string   `json:"model"`
	Attempts    int64    `json:"attempts"`
	TTFTSamples int64    `json:"ttft_samples"`
	TTFTP50Ms   *float64 `json:"ttft_p50_ms"` // null without samples
	TTFTP95Ms   *float64 `json:"ttft_p95_ms"`
	// Errors are attempts that failed or broke off for a reason other than
	// a 429; Throttled are 429s. Rejected requests (the client's fault)
	// are neither.
	Errors       int64   `json:"errors"`
	Throttled    int64   `json:"throttled"`
	ErrorRate    float64 `json:"error_rate"`
	ThrottleRate float64 `json:"throttle_rate"`

	ttfts []time.Duration
}

type providerReason struct {
	Reason   string `json:"reason"`
	Attempts int64  `json:"attempts"`
}

type providerTraffic struct {
	Provider      string           `json:"provider"`
	Attempts      int64            `json:"attempts"`
	FirstAttempts int64            `json:"first_attempts"`
	Failovers     int64            `json:"failovers"`
	Reasons       []providerReason `json:"reasons"`

	by map[string]int64
}

type trafficJSON struct {
	From time.Time `json:"from"` // the window asked for
	To   time.Time `json:"to"`
	// ReadFrom is the time of the oldest attempt read: From when Complete,
	// later when the limit was reached first.
	ReadFrom     time.Time           `json:"read_from"`
	AttemptsRead int                 `json:"attempts_read"`
	Limit        int                 `json:"limit"`
	Complete     bool                `json:"complete"`
	Deployments  []deploymentTraffic `json:"deployments"`
	Providers    []providerTraffic   `json:"providers"`
}

// attemptKey finds a request's other attempts in the sample.
type attemptKey struct {
	request string
	attempt int
}

// traffic answers GET /admin/v1/traffic?window=1h&limit=10000.
func (h *Handler) traffic(w http.ResponseWriter, r *http.Request, deps Deployments) {
	rl, ok := h.store.(store.RecentLister)
	if !ok {
		writeError(w, http.StatusNotImplemented, "unavailable", "This store cannot list recent events.")
		return
	}
	v := r.URL.Query()
	window := defaultTrafficWindow
	if s := v.Get("window"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > maxTrafficWindow {
			writeError(w, http.StatusBadRequest, "bad_query", "window "+strconv.Quote(s)+": want a duration from 1m to 744h, such as 1h or 24h")
			return
		}
		window = d
	}
	limit := defaultTrafficLimit
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTrafficLimit {
			writeError(w, http.StatusBadRequest, "bad_query", "limit "+strconv.Quote(s)+": want 1 to "+strconv.Itoa(maxTrafficLimit))
			return
		}
		limit = n
	}
	var policies map[string]string
	if p, ok := deps.(Policies); ok {
		policies = p.Policies()
	}
	to := h.now().UTC()
	out, err := summarizeTraffic(r.Context(), rl, to.Add(-window), to, limit, policies)
	if err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// summarizeTraffic reads at most limit attempts of [from, to), newest
// first, and sums them per deployment and per provider.
func summarizeTraffic(ctx context.Context, rl store.RecentLister, from, to time.Time, limit int, policies map[string]string) (*trafficJSON, error) {
	out := &trafficJSON{From: from, To: to, ReadFrom: to, Limit: limit, Deployments: []deploymentTraffic{}, Providers: []providerTraffic{}}
	var evs []usage.Event
	// The cursor (to, "", 0) selects events strictly before to. One event
	// past the limit is asked for, to tell a window read whole from one cut
	// short.
	cur := store.EventCursor{Time: to}
	for !out.Complete && len(evs) <= limit {
		n := min(trafficQueryPageLength, limit+1-len(evs))
		page, err := rl.RecentEvents(ctx, store.RecentQuery{Limit: n, Before: &cur})
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Time.Before(from) {
				out.Complete = true
				break
			}
			evs = append(evs, e)
		}
		if len(page) < n {
			out.Complete = true
		}
		if len(page) > 0 {
			last := page[len(page)-1]
			cur = store.EventCursor{Time: last.Time, RequestID: last.RequestID, Attempt: last.Attempt}
		}
	}
	if len(evs) > limit {
		evs, out.Complete = evs[:limit], false
	}
	out.AttemptsRead = len(evs)
	if out.Complete {
		out.ReadFrom = from
	} else if len(evs) > 0 {
		out.ReadFrom = evs[len(evs)-1].Time
	}

	prev := make(map[attemptKey]*usage.Event, len(evs))
	for i := range evs {
		prev[attemptKey{evs[i].RequestID, evs[i].Attempt}] = &evs[i]
	}
	deps := map[string]*deploymentTraffic{}
	provs := map[string]*providerTraffic{}
	for i := range evs {
		e := &evs[i]
		d := deps[e.Deployment]
		if d == nil {
			// Newest first: the latest provider and model a deployment had.
			d = &deploymentTraffic{Deployment: e.Deployment, Provider: e.Provider, Model: e.Model}
			deps[e.Deployment] = d
		}
		d.Attempts++
		if e.TTFT > 0 {
			d.ttfts = append(d.ttfts, e.TTFT)
		}
		switch {
		case e.Status == http.StatusTooManyRequests:
			d.Throttled++
		case e.Outcome == usage.Failed || e.Outcome == usage.Interrupted:
			d.Errors++
		}

		p := provs[e.Provider]
		if p == nil {
			p = &providerTraffic{Provider: e.Provider, by: map[string]int64{}}
			provs[e.Provider] = p
		}
		p.Attempts++
		if e.Attempt <= 1 {
			p.FirstAttempts++
			reason := reasonFirst
			if name, ok := policies[e.Model]; ok {
				reason = policyReasonPrefix + name
			}
			p.by[reason]++
		} else {
			p.Failovers++
			p.by[failoverReason(prev[attemptKey{e.RequestID, e.Attempt - 1}])]++
		}
	}
	for _, d := range deps {
		d.TTFTSamples = int64(len(d.ttfts))
		if len(d.ttfts) > 0 {
			slices.Sort(d.ttfts)
			p50, p95 := ms(percentile(d.ttfts, 0.50)), ms(percentile(d.ttfts, 0.95))
			d.TTFTP50Ms, d.TTFTP95Ms = &p50, &p95
		}
		d.ErrorRate = float64(d.Errors) / float64(d.Attempts)
		d.ThrottleRate = float64(d.Throttled) / float64(d.Attempts)
		out.Deployments = append(out.Deployments, *d)
	}
	slices.SortFunc(out.Deployments, func(a, b deploymentTraffic) int {
		return cmp.Or(cmp.Compare(b.Attempts, a.Attempts), cmp.Compare(a.Deployment, b.Deployment))
	})
	for _, p := range provs {
		for reason, n := range p.by {
			p.Reasons = append(p.Reasons, providerReason{reason, n})
		}
		slices.SortFunc(p.Reasons, func(a, b providerReason) int {
			return cmp.Or(cmp.Compare(b.Attempts, a.Attempts), cmp.Compare(a.Reason, b.Reason))
		})
		out.Providers = append(out.Providers, *p)
	}
	slices.SortFunc(out.Providers, func(a, b providerTraffic) int {
		return cmp.Or(cmp.Compare(b.Attempts, a.Attempts), cmp.Compare(a.Provider, b.Provider))
	})
	return out, nil
}

// failoverReason names what sent a request on from its previous attempt.
func failoverReason(prev *usage.Event) string {
	switch {
	case prev == nil:
		return reasonFailoverUnknown
	case prev.Status == http.StatusTooManyRequests:
		return reasonFailover429
	case prev.Status >= 500:
		return reasonFailover5xx
	case prev.Outcome == usage.Interrupted:
		return reasonFailoverBroken
	case prev.Status == 0:
		return reasonFailoverTimeout
	default:
		return reasonFailover4xx
	}
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
