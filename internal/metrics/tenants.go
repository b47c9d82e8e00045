package metrics

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Tenant label values outside the top N.
const (
	OtherTenant = "other" // tenants outside the top N by spend
	NoTenant    = "none"  // keys that belong to no tenant (config keys)
)

// tenants folds the tenant label into a bounded set: the top N tenants by
// spend keep their own series, every other tenant counts under "other".
// Which series an attempt counts in is decided when it is counted, so every
// series only ever goes up; a tenant that drops out of the top N has its
// series deleted (the sum over tenants then steps down once, as when a
// replica restarts).
type tenants struct {
	m     *Metrics
	topN  int
	retop time.Duration

	mu     sync.RWMutex
	byID   map[string]*tenant
	own    int // tenants with their own series, "none" excluded
	other  *tenantSeries
	last   atomic.Int64 // unix nanos of the last recompute
	retopM sync.Mutex   // one recompute at a time
}

// tenant is one tenant's running spend and the series it counts in now.
type tenant struct {
	id     string
	spend  atomic.Int64
	series atomic.Pointer[tenantSeries]
}

// tenantSeries are one tenant label's children.
type tenantSeries struct {
	label   string
	tokens  [numTokenTypes]prometheus.Counter
	cost    prometheus.Counter
	revenue prometheus.Counter
}

func newTenants(m *Metrics, topN int, retop time.Duration) *tenants {
	if retop <= 0 {
		retop = time.Minute
	}
	t := &tenants{m: m, topN: max(topN, 0), retop: retop, byID: map[string]*tenant{}}
	t.other = t.series(OtherTenant)
	t.last.Store(time.Now().UnixNano())
	return t
}

func (t *tenants) series(label string) *tenantSeries {
	s := &tenantSeries{label: label, cost: t.m.tenantCost.WithLabelValues(label), revenue: t.m.revenue.WithLabelValues(label)}
	for i := range s.tokens {
		s.tokens[i] = t.m.tenantTok.WithLabelValues(label, tokenTypes[i])
	}
	return s
}

func (t *tenants) delete(label string) {
	t.m.tenantCost.DeleteLabelValues(label)
	t.m.revenue.DeleteLabelValues(label)
	for _, typ := range tokenTypes {
		t.m.tenantTok.DeleteLabelValues(label, typ)
	}
}

// settle counts one attempt's tokens and cost for tenant id.
func (t *tenants) settle(id string, tok *[numTokenTypes]int64, cost int64) {
	t.mu.RLock()
	e := t.byID[id]
	t.mu.RUnlock()
	if e == nil {
		e = t.add(id)
	}
	e.spend.Add(cost)
	s := e.series.Load()
	for i, n := range tok {
		if n > 0 {
			s.tokens[i].Add(float64(n))
		}
	}
	if cost > 0 {
		s.cost.Add(float64(cost))
		// Revenue is cost until tenant pricing exists.
		s.revenue.Add(float64(cost))
	}
}

// add registers a tenant on first sight: its own series while the top N has
// room, else "other" until the next recompute.
func (t *tenants) add(id string) *tenant {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byID[id]; e != nil {
		return e
	}
	e := &tenant{id: id}
	switch {
	case id == "":
		e.series.Store(t.series(NoTenant))
	case t.own < t.topN:
		t.own++
		e.series.Store(t.series(id))
	default:
		e.series.Store(t.other)
	}
	t.byID[id] = e
	return e
}

// maybeRetop recomputes the top N when it is due; scrapes call it, so the
// request path never sorts.
func (t *tenants) maybeRetop(now time.Time) {
	if now.UnixNano()-t.last.Load() < int64(t.retop) {
		return
	}
	t.Retop()
}

// Retop gives the N tenants with the most spend their own series and folds
// the others into "other".
func (t *tenants) Retop() {
	t.retopM.Lock()
	defer t.retopM.Unlock()
	t.last.Store(time.Now().UnixNano())
	t.mu.RLock()
	all := make([]*tenant, 0, len(t.byID))
	for _, e := range t.byID {
		if e.id != "" {
			all = append(all, e)
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(all, func(a, b *tenant) int {
		if d := b.spend.Load() - a.spend.Load(); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	own := 0
	for i, e := range all {
		cur := e.series.Load()
		switch {
		case i < t.topN && cur == t.other:
			e.series.Store(t.series(e.id))
		case i >= t.topN && cur != t.other:
			e.series.Store(t.other)
			t.delete(e.id)
		}
		if i < t.topN {
			own++
		}
	}
	t.mu.Lock()
	t.own = own
	t.mu.Unlock()
}
