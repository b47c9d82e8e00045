package commit

import (
	"math"
	"math/bits"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// RecentWindow is how far back the recent pace looks.
const RecentWindow = 7 * 24 * time.Hour

// Status is a commitment's report at a moment: use to date, pace against
// the straight line of the term, projections to its end, and FOCUS-style
// costs of the term so far.
type Status struct {
	Name        string    `json:"name"`
	Provider    string    `json:"provider"`
	Kind        string    `json:"kind"`
	Version     string    `json:"version"`
	Deployments []string  `json:"deployments"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	AsOf        time.Time `json:"as_of"`
	// Elapsed is the share of the term behind AsOf, 0 to 1.
	Elapsed float64 `json:"elapsed"`

	// Committed is what the term commits: a spend commitment's amount, or a
	// capacity commitment's price over the whole term.
	Committed money.Nanos `json:"committed_nanos"`
	// Drawn is what usage drew from the commitment so far: list cost for
	// spend, the used share of the capacity bought for capacity.
	Drawn money.Nanos `json:"drawn_nanos"`
	// Expected is what a straight line through the term draws by AsOf: the
	// prorated amount for spend, everything bought so far for capacity.
	Expected money.Nanos `json:"expected_nanos"`
	// Ahead is Drawn − Expected: negative when behind the line.
	Ahead money.Nanos `json:"ahead_nanos"`
	// Utilisation is Drawn / Committed for spend, and the used share of the
	// capacity tokens bought so far for capacity, 0 to 1.
	Utilisation float64 `json:"utilisation"`
	// Pace is Drawn / Expected: 1 is on the line.
	Pace float64 `json:"pace"`

	// Capacity commitments: capacity tokens bought so far, used within
	// them, and demanded beyond them (served on demand).
	CapacityAvailable int64 `json:"capacity_available,omitempty"`
	CapacityUsed      int64 `json:"capacity_used,omitempty"`
	CapacityOverflow  int64 `json:"capacity_overflow,omitempty"`

	Projections []Projection `json:"projections"`
	Costs       Costs        `json:"costs"`
	// Hours is the capacity commitment's hourly use over the report's
	// hourly window.
	Hours []HourUse `json:"hours,omitempty"`
	// History lists the versions of the commitment the store has seen
	// (AttachHistory), oldest first.
	History []Seen `json:"history,omitempty"`
}

// Projection is the end of the term, extrapolated linearly from one pace.
type Projection struct {
	Basis string `json:"basis"` // term_to_date | last_7_days
	// Use is the projected draw by the end of the term: eligible spend for
	// spend (may exceed the amount: the rest is on-demand), used capacity
	// cost for capacity.
	Use         money.Nanos `json:"use_nanos"`
	Utilisation float64     `json:"utilisation"`
	// Shortfall is Committed − Use, floored at 0: money paid for and not
	// used.
	Shortfall money.Nanos `json:"shortfall_nanos"`
}

// Costs are the term's costs so far in FOCUS's terms. List is the usage of
// the covered deployments at their on-demand prices, split into Committed
// (covered by the commitment) and OnDemand (beyond it). Contracted equals
// List (no negotiated discount is configured). Billed is the purchases plus
// the on-demand part; Effective is what the usage effectively cost plus the
// unused part of the purchases.
type Costs struct {
	List       money.Nanos `json:"list_nanos"`
	Contracted money.Nanos `json:"contracted_nanos"`
	Effective  money.Nanos `json:"effective_nanos"`
	Billed     money.Nanos `json:"billed_nanos"`
	Committed  money.Nanos `json:"committed_nanos"`
	OnDemand   money.Nanos `json:"on_demand_nanos"`
	Purchased  money.Nanos `json:"purchased_nanos"`
	Unused     money.Nanos `json:"unused_nanos"`
}

// Report computes t's status at now from rows, its covered deployments'
// hourly usage since the start of the term (rows outside it are ignored).
// The hourly table holds the capacity hours starting in [hoursFrom, hoursTo).
func Report(t Terms, rows []Usage, now, hoursFrom, hoursTo time.Time) Status {
	now = now.UTC()
	asOf := minTime(maxTime(now, t.Start), t.End)
	term, elapsed := t.End.Sub(t.Start), asOf.Sub(t.Start)
	s := Status{Name: t.Name, Provider: t.Provider, Kind: t.Kind, Version: t.Version,
		Deployments: append([]string{}, t.Deployments...), Start: t.Start, End: t.End, AsOf: asOf,
		Projections: []Projection{}}
	if term > 0 {
		s.Elapsed = float64(elapsed) / float64(term)
	}
	// Usage after the moment reported on is not known yet at that moment.
	known := make([]Usage, 0, len(rows))
	for _, r := range rows {
		if r.Hour.Before(now) {
			known = append(known, r)
		}
	}
	a := Allocate([]Terms{t}, known, t.Start, asOf.Add(time.Hour), now, nil)
	recentFrom := asOf.Add(-min(RecentWindow, elapsed))
	var recentEligible money.Nanos
	for _, p := range a.Parts {
		if !t.Covers(p.Deployment) || !t.inTerm(p.Hour) {
			continue
		}
		s.Costs.List += p.Cost
		s.Costs.Committed += p.CommittedCost
		s.Costs.OnDemand += p.OnDemandCost
		s.Drawn += p.Effective
		if !p.Hour.Before(recentFrom.Truncate(time.Hour)) {
			recentEligible += p.Cost
		}
	}
	for _, c := range a.Charges {
		switch c.Kind {
		case Purchase:
			s.Costs.Purchased += c.Cost
		case Unused:
			s.Costs.Unused += c.Cost
		}
	}
	s.Costs.Contracted = s.Costs.List
	s.Costs.Billed = s.Costs.Purchased + s.Costs.OnDemand
	s.Costs.Effective = s.Drawn + s.Costs.OnDemand + s.Costs.Unused
	left := term - elapsed
	switch t.Kind {
	case Spend:
		s.Committed = t.Amount
		s.Expected = money.Nanos(prorate(int64(t.Amount), int64(elapsed), int64(term)))
		s.Utilisation = ratio(s.Drawn, t.Amount)
		eligible := s.Costs.List
		s.Projections = append(s.Projections,
			s.spendProjection("term_to_date", eligible, eligible, elapsed, left),
			s.spendProjection("last_7_days", eligible, recentEligible, min(RecentWindow, elapsed), left))
	case Capacity:
		s.Committed = money.Nanos(mulDiv(int64(t.PricePerHour), int64(term), int64(time.Hour)))
		s.Expected = s.Costs.Purchased
		var recentBought, recentUnused money.Nanos
		for _, h := range a.Hours {
			s.CapacityAvailable += h.Available
			s.CapacityUsed += h.Used
			s.CapacityOverflow += h.Overflow()
			if !h.Start.Before(recentFrom.Truncate(time.Hour)) {
				recentBought += h.Cost
				recentUnused += h.UnusedCost
			}
			if !h.Start.Before(hoursFrom) && h.Start.Before(hoursTo) {
				s.Hours = append(s.Hours, h)
			}
		}
		s.Utilisation = ratio(money.Nanos(s.CapacityUsed), money.Nanos(s.CapacityAvailable))
		rest := s.Committed - s.Costs.Purchased
		s.Projections = append(s.Projections,
			s.capacityProjection("term_to_date", s.Drawn, s.Costs.Purchased, rest),
			s.capacityProjection("last_7_days", recentBought-recentUnused, recentBought, rest))
	}
	s.Ahead = s.Drawn - s.Expected
	s.Pace = ratio(s.Drawn, s.Expected)
	return s
}

// spendProjection extends the eligible spend so far by the rate of rate
// over the last window, for the left of the term.
func (s *Status) spendProjection(basis string, eligible, rate money.Nanos, window, left time.Duration) Projection {
	use := eligible
	if window > 0 {
		use += money.Nanos(mulDiv(int64(rate), int64(left), int64(window)))
	}
	return Projection{Basis: basis, Use: use, Utilisation: ratio(min(use, s.Committed), s.Committed),
		Shortfall: max(s.Committed-use, 0)}
}

// capacityProjection applies the utilisation used/bought to the capacity
// still to be bought.
func (s *Status) capacityProjection(basis string, used, bought, rest money.Nanos) Projection {
	use := s.Drawn
	if bought > 0 {
		use += money.Nanos(mulDiv(int64(rest), int64(used), int64(bought)))
	}
	return Projection{Basis: basis, Use: use, Utilisation: ratio(use, s.Committed), Shortfall: max(s.Committed-use, 0)}
}

func ratio(a, b money.Nanos) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// mulDiv is a × b / c rounded down for non-negative operands, saturating at
// the largest int64.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(min(q, math.MaxInt64))
}
