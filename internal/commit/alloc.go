package commit

import (
	"cmp"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Part is one usage row split between the commitment its deployment draws
// on and on-demand. Committed + OnDemand is the row's tokens, and
// CommittedCost + OnDemandCost its list cost, exactly.
type Part struct {
	Usage
	// Commitment names the commitment the committed part drew on; empty
	// when nothing was committed.
	Commitment    string
	Committed     Tokens
	CommittedCost money.Nanos // list cost of the committed part
	// Effective is the committed part's share of the commitment's cost:
	// for spend its list cost (a dollar drawn is a dollar of the amount),
	// for capacity its share of the hour's used capacity cost.
	Effective money.Nanos
	// Quantity is what the committed part drew: nano-dollars for spend,
	// capacity tokens for capacity.
	Quantity     int64
	OnDemand     Tokens
	OnDemandCost money.Nanos
}

// ChargeKind tells a commitment's own charges apart.
type ChargeKind int

// Charge kinds.
const (
	// Purchase is what the commitment costs: a spend commitment's amount
	// once, at the start of its term; a capacity commitment's price for
	// each hour of it.
	Purchase ChargeKind = iota + 1
	// Unused is the part of a purchase no usage drew: a capacity hour's
	// unused capacity, or a spend commitment's shortfall at the end of its
	// term.
	Unused
)

// Charge is a purchase or the unused part of one, over [Start, End).
type Charge struct {
	Commitment string
	Kind       ChargeKind
	Start, End time.Time
	Cost       money.Nanos
	// Quantity is the commitment bought or left unused: nano-dollars for
	// spend, capacity tokens for capacity.
	Quantity int64
}

// HourUse is one hour of a capacity commitment.
type HourUse struct {
	Commitment string
	Start, End time.Time // the part of the hour within the term and before now
	Available  int64     // capacity tokens bought for the hour
	Demand     int64     // capacity tokens of the hour's usage on the covered deployments
	Used       int64     // min(Demand, Available)
	Cost       money.Nanos
	UnusedCost money.Nanos
}

// Overflow is the demand beyond the hour's capacity, served on demand.
func (h HourUse) Overflow() int64 { return h.Demand - h.Used }

// Allocation is usage split by commitment, with the commitments' charges.
type Allocation struct {
	Parts   []Part
	Charges []Charge
	Hours   []HourUse // capacity commitments only
}

// Allocate splits the usage rows in [from, to) (rounded out to whole hours)
// between commitments and on-demand, and derives the commitments' purchase
// and unused charges, up to now:
//
//   - capacity: each hour of the term is bought at price_per_hour (prorated
//     for a partial hour) and holds per_minute × 60 capacity tokens. The
//     hour's usage draws on it by its weighted tokens; the used share of
//     the hour's price is spread over the usage rows by weight, the rest is
//     the hour's unused charge, and demand beyond capacity is on-demand.
//   - spend: the amount is bought once, at the term's start. Usage draws
//     its list cost from it hour by hour until the amount is exhausted
//     (drawnBefore gives what the term drew before from), then goes
//     on-demand; what is left at the end of the term is its unused charge.
//
// So, per commitment, the effective cost of the usage plus the unused
// charges equals the purchases: per hour for capacity, over the term for
// spend (FOCUS's identity).
func Allocate(terms []Terms, rows []Usage, from, to, now time.Time, drawnBefore map[string]money.Nanos) Allocation {
	from, to = from.UTC().Truncate(time.Hour), ceilHour(to.UTC())
	byDep := map[string]*Terms{}
	for i := range terms {
		for _, d := range terms[i].Deployments {
			if _, ok := byDep[d]; !ok {
				byDep[d] = &terms[i]
			}
		}
	}
	// Sort indexes, not the rows: a row is large, and moving rows
	// dominated the time of a month's export.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &rows[i], &rows[j]
		if c := a.Hour.Compare(b.Hour); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Deployment, b.Deployment),
			cmp.Compare(a.Model, b.Model), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Provider, b.Provider))
	})
	a := Allocation{Parts: make([]Part, 0, len(rows))}
	hours := map[string]map[int64][]int{} // commitment → hour → indexes into a.Parts
	for _, i := range order {
		r := rows[i]
		r.Hour = r.Hour.UTC()
		if r.Hour.Before(from) || !r.Hour.Before(to) {
			continue
		}
		if t := byDep[r.Deployment]; t != nil && t.inTerm(r.Hour) {
			if hours[t.Name] == nil {
				hours[t.Name] = map[int64][]int{}
			}
			h := r.Hour.Unix()
			hours[t.Name][h] = append(hours[t.Name][h], len(a.Parts))
		}
		a.Parts = append(a.Parts, Part{Usage: r, OnDemand: r.Tokens, OnDemandCost: r.Cost})
	}
	for i := range terms {
		t := &terms[i]
		switch t.Kind {
		case Capacity:
			a.capacity(t, hours[t.Name], from, to, now)
		case Spend:
			a.spend(t, hours[t.Name], from, to, now, drawnBefore[t.Name])
		}
	}
	return a
}

func ceilHour(t time.Time) time.Time {
	if f := t.Truncate(time.Hour); !f.Equal(t) {
		return f.Add(time.Hour)
	}
	return t
}

// commit moves part of p to commitment c: q drawn, cost of list cost, eff
// effective, and its tokens in proportion num/den.
func (p *Part) commit(c string, cost, eff money.Nanos, q int64, num, den int64) {
	p.Commitment = c
	p.CommittedCost, p.Effective, p.Quantity = cost, eff, q
	p.Committed = p.Tokens.part(num, den)
	p.OnDemand = p.Tokens.Sub(p.Committed)
	p.OnDemandCost = p.Cost - cost
}

func (a *Allocation) capacity(t *Terms, byHour map[int64][]int, from, to, now time.Time) {
	const hourNs, minuteNs = int64(time.Hour), int64(time.Minute)
	for h := maxTime(from, t.Start.Truncate(time.Hour)); h.Before(to) && h.Before(t.End) && h.Before(now); h = h.Add(time.Hour) {
		lo, hi := maxTime(h, t.Start), minTime(minTime(h.Add(time.Hour), t.End), now)
		ns := hi.Sub(lo).Nanoseconds()
		if ns <= 0 {
			continue
		}
		price := money.Nanos(prorate(int64(t.PricePerHour), ns, hourNs))
		avail := mulDiv(t.PerMinute, ns, minuteNs)
		idx := byHour[h.Unix()]
		w := make([]int64, len(idx))
		var demand int64
		for k, i := range idx {
			w[k] = t.Weigh(a.Parts[i].Tokens)
			demand += w[k]
		}
		used := min(demand, avail)
		usedCost := money.Nanos(prorate(int64(price), used, avail))
		if avail > 0 {
			eff := split(int64(usedCost), w)
			q := w
			if demand > avail {
				q = split(avail, w)
			}
			for k, i := range idx {
				p := &a.Parts[i]
				if w[k] == 0 { // draws no capacity: wholly within it
					p.commit(t.Name, p.Cost, money.Nanos(eff[k]), 0, 1, 1)
					continue
				}
				p.commit(t.Name, money.Nanos(prorate(int64(p.Cost), q[k], w[k])), money.Nanos(eff[k]), q[k], q[k], w[k])
			}
		}
		a.Hours = append(a.Hours, HourUse{Commitment: t.Name, Start: lo, End: hi, Available: avail, Demand: demand,
			Used: used, Cost: price, UnusedCost: price - usedCost})
		a.Charges = append(a.Charges,
			Charge{Commitment: t.Name, Kind: Purchase, Start: lo, End: hi, Cost: price, Quantity: avail},
			Charge{Commitment: t.Name, Kind: Unused, Start: lo, End: hi, Cost: price - usedCost, Quantity: avail - used})
	}
}

func (a *Allocation) spend(t *Terms, byHour map[int64][]int, from, to, now time.Time, before money.Nanos) {
	if !t.Start.Before(from) && t.Start.Before(to) && !now.Before(t.Start) {
		a.Charges = append(a.Charges, Charge{Commitment: t.Name, Kind: Purchase, Start: t.Start, End: t.End,
			Cost: t.Amount, Quantity: int64(t.Amount)})
	}
	left := max(int64(t.Amount-before), 0)
	hs := make([]int64, 0, len(byHour))
	for h := range byHour {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	for _, h := range hs {
		idx := byHour[h]
		costs := make([]int64, len(idx))
		var total int64
		for k, i := range idx {
			costs[k] = max(int64(a.Parts[i].Cost), 0)
			total += costs[k]
		}
		share := costs
		if total > left {
			share = split(left, costs)
		}
		for k, i := range idx {
			p := &a.Parts[i]
			if share[k] == 0 && costs[k] > 0 {
				continue // wholly on demand
			}
			c := money.Nanos(share[k])
			p.commit(t.Name, c, c, share[k], share[k], costs[k])
			left -= share[k]
		}
	}
	if t.End.After(from) && !t.End.After(to) && !now.Before(t.End) && left > 0 {
		a.Charges = append(a.Charges, Charge{Commitment: t.Name, Kind: Unused,
			Start: maxTime(t.Start, t.End.Add(-time.Hour)), End: t.End, Cost: money.Nanos(left), Quantity: left})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
