package route

import (
	"math"
	"math/bits"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Contract is a commitment at run time: its terms, and how much of it
// traffic has drawn. Routing asks it one question: is a request sent to a
// deployment covered by this contract free at the margin right now?
//
//   - capacity (provisioned throughput): yes while this minute's capacity
//     has room for the request's weighted tokens. Unused capacity is lost
//     when the minute ends, so it is used first.
//   - spend (take-or-pay): yes while the spend (finished attempts, plus the
//     estimates of those in flight) is below the pace: what is left of the
//     amount, prorated evenly over what is left of the term, up to the end
//     of the current pacing period (routing.spend_pacing, a few minutes).
//     The pace moves up one step per period, so steering spreads over the
//     whole term instead of burning the commitment in its first days; a
//     shortfall (a quiet night) is caught up as soon as traffic allows; and
//     organic traffic that would reach the commitment anyway counts toward
//     the pace, so only what is missing is steered.
//
// The pace is anchored where the first table with the contract was built
// (a reload keeps the anchor unless the terms change): what was spent before
// is not known, so the term so far is taken to have been on pace, until
// SetSpent gives the books' figure. (Anchoring at the start of the term
// instead would make a restarted gateway steer everything until it caught
// up with spend it cannot see.)
//
// Outside its term a contract covers nothing.
type Contract struct {
	Name     string
	Provider string
	Kind     string // config.CommitSpend or config.CommitCapacity
	Start    time.Time
	End      time.Time

	// Spend commitments.
	Amount money.Nanos
	// Capacity commitments: capacity tokens per minute, and the weight of
	// each token type in thousandths.
	PerMinute    int64
	weights      [4]int64 // input, cached input, output, reasoning
	PricePerHour money.Nanos

	start, end int64 // Unix nanoseconds
	pacing     int64

	// The drawdown lives in the table's State, so that it survives a
	// reload.
	*contractState
}

// newContract builds the run-time state of c for a table built at now,
// drawing on the drawdown st keeps for it.
func newContract(c *config.Commitment, s *settings, st *State, now int64) *Contract {
	k := &Contract{
		Name: c.Name, Provider: c.Provider, Kind: c.Kind, Start: c.Start, End: c.End,
		Amount: c.Amount, PerMinute: c.CapacityPerMinute(), PricePerHour: c.PricePerHour,
		start: c.Start.UnixNano(), end: c.End.UnixNano(), pacing: s.pacing,
	}
	k.contractState = st.contract(c.Name, contractTerms{amount: int64(c.Amount), start: k.start, end: k.end}, now)
	w := c.TokenWeights
	for i, f := range [4]float64{w.Input, w.CachedInput, w.Output, w.Reasoning} {
		k.weights[i] = int64(math.Round(f * 1000))
	}
	return k
}

// active reports whether now lies within the term.
func (k *Contract) active(now int64) bool { return now >= k.start && now < k.end }

// need is the capacity tokens of a request estimated at in prompt and out
// output tokens.
func (k *Contract) need(in, out int64) int64 {
	return (in*k.weights[0] + out*k.weights[2] + 999) / 1000
}

// weighed is the capacity tokens of actual usage.
func (k *Contract) weighed(u wire.Usage) int64 {
	cached := min(max(u.Cached, 0), u.Prompt)
	reasoning := min(max(u.Reasoning, 0), u.Completion)
	return ((u.Prompt-cached)*k.weights[0] + cached*k.weights[1] +
		(u.Completion-reasoning)*k.weights[2] + reasoning*k.weights[3] + 999) / 1000
}

// free reports whether a request of in prompt and out output tokens sent
// now costs nothing at the margin. It only reads; reserve makes the claim.
func (k *Contract) free(now int64, in, out int64) bool {
	if !k.active(now) {
		return false
	}
	if k.Kind == config.CommitCapacity {
		return k.minute.used(now)+k.need(in, out) <= k.PerMinute
	}
	return k.spent.Load()+k.pending.Load() < k.pace(now)
}

// pace is the spend since the anchor that a spend commitment should have
// drawn by the end of the pacing period that holds now: what was left at
// the anchor, prorated evenly over the rest of the term. Periods are
// aligned to the start of the term, so that replaying the same traffic
// gives the same steps.
func (k *Contract) pace(now int64) int64 {
	at := k.anchorAt.Load()
	through := min(k.start+(now-k.start)/k.pacing*k.pacing+k.pacing, k.end)
	return prorate(k.left.Load(), through-at, k.end-at)
}

// prorate returns amount × part / whole, rounded down, for 0 ≤ part ≤
// whole, without overflowing: a large amount times a year of nanoseconds
// exceeds 64 bits.
func prorate(amount, part, whole int64) int64 {
	if amount <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	part = min(part, whole)
	hi, lo := bits.Mul64(uint64(amount), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(whole)) // part ≤ whole: the quotient fits
	return int64(q)
}

// claim is what an attempt drew on a contract at dispatch, to be corrected
// when it finishes.
type claim struct {
	at      int64 // when it was made
	amount  int64 // capacity tokens, or estimated nano-dollars
	covered bool  // within capacity or pace: free at the margin
}

// reserve draws an attempt's estimate on the contract at dispatch. For
// capacity the attempt is covered only if the whole estimate fits this
// minute; for spend every attempt counts toward the pace, and it is covered
// if the spend was still below the pace.
func (k *Contract) reserve(now int64, in, out int64, cost money.Nanos) claim {
	if !k.active(now) {
		return claim{}
	}
	if k.Kind == config.CommitCapacity {
		n := k.need(in, out)
		if k.minute.reserve(now, n, k.PerMinute) {
			return claim{at: now, amount: n, covered: true}
		}
		k.spilled.Add(1)
		return claim{}
	}
	covered := k.spent.Load()+k.pending.Load() < k.pace(now)
	k.pending.Add(int64(cost))
	return claim{at: now, amount: int64(cost), covered: covered}
}

// settle corrects a claim with the attempt's actual usage and cost.
func (k *Contract) settle(c claim, u wire.Usage, cost money.Nanos) {
	if c.at == 0 {
		return
	}
	if k.Kind == config.CommitCapacity {
		if c.covered {
			actual := k.weighed(u)
			k.minute.adjust(c.at, actual-c.amount)
			k.usedTokens.Add(actual)
		}
		return
	}
	k.spent.Add(int64(cost))
	k.pending.Add(-c.amount)
}

// SetSpent tells a spend contract, from the books, what its term had spent
// by at (this process's own attempts included): the pace then spreads what
// is left over the rest of the term. Call it at start-up, and whenever the
// books reconcile with the provider's invoices.
func (k *Contract) SetSpent(n money.Nanos, at time.Time) {
	k.anchorMu.Lock()
	defer k.anchorMu.Unlock()
	t := min(max(at.UnixNano(), k.start), k.end)
	k.anchorAt.Store(t)
	k.left.Store(int64(k.Amount) - int64(n))
	k.spent.Store(0)
}

// ContractStats is a snapshot of a contract's use.
type ContractStats struct {
	Spent      money.Nanos // spend: drawn by finished attempts since the pace was anchored (table built, or SetSpent)
	Pending    money.Nanos // spend: estimated cost of the attempts in flight
	Pace       money.Nanos // spend: what Spent may reach by the end of this pacing period
	Left       money.Nanos // spend: what was left to spend when the pace was anchored
	MinuteUsed int64       // capacity: tokens drawn in the current minute
	UsedTokens int64       // capacity: tokens drawn within capacity in the term
	Spilled    int64       // capacity: attempts sent while the minute was full
}

// Stats returns the contract's use at now.
func (k *Contract) Stats(now time.Time) ContractStats {
	s := ContractStats{
		Spent: money.Nanos(k.spent.Load()), Pending: money.Nanos(k.pending.Load()),
		MinuteUsed: k.minute.used(now.UnixNano()),
		UsedTokens: k.usedTokens.Load(), Spilled: k.spilled.Load(),
	}
	if k.Kind == config.CommitSpend {
		s.Left = money.Nanos(k.left.Load())
		if k.active(now.UnixNano()) {
			s.Pace = money.Nanos(k.pace(now.UnixNano()))
		}
	}
	return s
}
