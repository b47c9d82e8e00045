package route

import (
	"math/rand/v2"
)

// A Policy orders the deployments of a model for one request. Rank reorders ds
// (all available, sorted by priority) in place into the order they should be
// tried. Ranking runs on every request, so it must not allocate.
type Policy interface {
	Rank(ds []*Deployment)
}

// Priority tries lower priority numbers first and, among deployments with the
// same priority, draws the order at random in proportion to their weights, so
// equal deployments share load while a backup stays idle until needed.
type Priority struct{}

// Rank implements Policy. ds must be sorted by priority (Table keeps it so).
func (Priority) Rank(ds []*Deployment) {
	for i := 0; i < len(ds); {
		j := i + 1
		for j < len(ds) && ds[j].Priority == ds[i].Priority {
			j++
		}
		weightedOrder(ds[i:j])
		i = j
	}
}

// Weighted ignores priority and draws the whole order in proportion to weights.
type Weighted struct{}

// Rank implements Policy.
func (Weighted) Rank(ds []*Deployment) { weightedOrder(ds) }

// weightedOrder shuffles pool so that each next position is drawn with
// probability proportional to weight (sampling without replacement). Groups are
// small, so the quadratic walk beats anything clever.
func weightedOrder(pool []*Deployment) {
	total := 0
	for _, d := range pool {
		total += d.Weight
	}
	for k := 0; k < len(pool)-1; k++ {
		r := rand.IntN(total)
		pick := k
		for i := k; i < len(pool); i++ {
			r -= pool[i].Weight
			if r < 0 {
				pick = i
				break
			}
		}
		pool[k], pool[pick] = pool[pick], pool[k]
		total -= pool[k].Weight
	}
}
