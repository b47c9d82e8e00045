package ledger

import (
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Charge is what a tenant is charged for one request, and under which plan.
// Its fields match the plan book's charge, so an adapter is a conversion.
type Charge struct {
	Revenue     money.Nanos
	PlanID      string
	PlanVersion string
	Experiment  string
	Arm         string
	PassThrough bool
}

// Rater prices a request for its tenant at the plan in force at a time.
type Rater interface {
	Rate(tenantID string, at time.Time, model string, u wire.Usage, cost money.Nanos) Charge
}

// PassThrough charges every tenant what its request cost: the rate of a
// tenant with no plan, and the default before plans exist.
type PassThrough struct{}

// Rate returns the cost as revenue.
func (PassThrough) Rate(_ string, _ time.Time, _ string, _ wire.Usage, cost money.Nanos) Charge {
	return Charge{Revenue: cost, PassThrough: true}
}

// Commitment is a spend commitment's term, for drawdown postings.
type Commitment struct {
	Name       string
	Start, End time.Time // End exclusive
}

// covers reports whether t lies within the term.
func (c Commitment) covers(t time.Time) bool { return !t.Before(c.Start) && t.Before(c.End) }

// Deriver turns usage events into transactions. Derivation is a pure
// function of each event (and the rater and commitments in force), and ids
// come from the events' ids, so deriving the same events again, in any
// batches, yields the same transactions, which the store books once.
type Deriver struct {
	Rater Rater // nil: PassThrough
	// Commitments maps a deployment to the spend commitment it draws on.
	// Capacity commitments are paid by the hour, not per attempt: their
	// deployments' attempts post to payable like any other.
	Commitments map[string]Commitment
}

// Charged reports whether the tenant is charged for the request whose
// attempt e is. Exactly one attempt of a request can be charged, since
// nothing follows a completed or client-aborted attempt:
//   - completed: the answer reached the client whole.
//   - client_aborted: the client left mid-answer. The cloud bills what it
//     generated, and the client asked for it and chose to leave, so it is
//     charged at its plan for the attempt's tokens (reported, or the
//     gateway's estimate of what was generated), as the clouds charge us.
//   - interrupted, failed, rejected: the client did not get a whole answer
//     through no fault of its own, so it is not charged; what a cloud
//     billed for it is our cost alone.
func Charged(e *usage.Event) bool {
	return e.Outcome == usage.Completed || e.Outcome == usage.ClientAborted
}

// RevenueID and CostID are the transaction ids derived from a request and
// an attempt.
func RevenueID(requestID string) string { return "rev:" + requestID }

// CostID is the id of the cost transaction of event id (request/attempt).
func CostID(eventID string) string { return "cost:" + eventID }

// Derive returns the transactions of events, in event order: for a charged
// attempt with a non-zero charge, one revenue transaction per request; for
// an attempt with a non-zero cost, one cost transaction. Unpriced attempts
// cost nothing in the books (their tokens stay in the usage report).
func (d *Deriver) Derive(events []usage.Event) []Txn {
	rater := d.Rater
	if rater == nil {
		rater = PassThrough{}
	}
	// This runs on every batch the journal writer applies: the
	// transactions, and their postings, each come from one allocation, and
	// an account's name is made again only when the tenant or provider
	// differs from the event before (a batch is mostly runs of a few).
	out := make([]Txn, 0, 2*len(events))
	postings := make([]Posting, 0, 4*len(events))
	pair := func(debit, credit string, amount money.Nanos) []Posting {
		n := len(postings)
		postings = append(postings, Posting{debit, amount}, Posting{credit, -amount})
		return postings[n : n+2 : n+2]
	}
	var tenant, receivable, provider, cost, payable string
	for i := range events {
		e := &events[i]
		if receivable == "" || e.TenantID != tenant {
			tenant, receivable = e.TenantID, Receivable(e.TenantID)
		}
		if cost == "" || e.Provider != provider {
			provider, cost, payable = e.Provider, Cost(e.Provider), Payable(e.Provider)
		}
		ch := rater.Rate(e.TenantID, e.Time, e.Model, e.Usage, e.Cost)
		dims := Dims{Tenant: e.TenantID, Key: e.KeyID, Model: e.Model, Deployment: e.Deployment, Provider: e.Provider,
			Plan: ch.PlanID, PlanVersion: ch.PlanVersion, Experiment: ch.Experiment, Arm: ch.Arm}
		if Charged(e) && ch.Revenue != 0 {
			out = append(out, Txn{ID: RevenueID(e.RequestID), Kind: KindRevenue, Time: e.Time, Source: e.RequestID, Dims: dims,
				Postings: pair(receivable, AccountRevenue, ch.Revenue)})
		}
		if e.Cost != 0 {
			credit := payable
			cd := dims
			if c, ok := d.Commitments[e.Deployment]; ok && c.covers(e.Time) {
				credit = Drawdown(c.Name)
				cd.Commitment = c.Name
			}
			id := e.ID()
			out = append(out, Txn{ID: CostID(id), Kind: KindCost, Time: e.Time, Source: id, Dims: cd,
				Postings: pair(cost, credit, e.Cost)})
		}
	}
	return out
}
