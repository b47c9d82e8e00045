// Package ledger keeps the books in double entry: revenue and cost transactions derived idempotently from usage events.
package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Accounts. A posting's amount is signed: positive debits the account,
// negative credits it, and every transaction's postings sum to zero.
//
//	receivable:<tenant>    what a tenant owes (asset), debited by revenue
//	revenue                what tenants were charged (income), credited
//	cost:<provider>        cost of compute (expense), debited per billed attempt
//	payable:<provider>     what we owe a cloud (liability), credited
//	drawdown:<commitment>  a spend commitment's prepaid or promised pool,
//	                       credited instead of payable while its term runs
const (
	AccountRevenue    = "revenue"
	prefixReceivable  = "receivable:"
	prefixCost        = "cost:"
	prefixPayable     = "payable:"
	prefixDrawdown    = "drawdown:"
	noTenant          = "-" // config keys with no tenant
	reversalSeparator = ":reversal:"
)

// Receivable is tenant's receivable account.
func Receivable(tenant string) string {
	if tenant == "" {
		tenant = noTenant
	}
	return prefixReceivable + tenant
}

// Cost is provider's cost-of-compute account.
func Cost(provider string) string { return prefixCost + provider }

// Payable is provider's payable account.
func Payable(provider string) string { return prefixPayable + provider }

// Drawdown is a spend commitment's drawdown account.
func Drawdown(commitment string) string { return prefixDrawdown + commitment }

// Kinds of transaction.
const (
	KindRevenue  = "revenue"  // one per charged client request: receivable → revenue
	KindCost     = "cost"     // one per billed upstream attempt: cost → payable or drawdown
	KindReversal = "reversal" // the mirror of another transaction
	KindAdjust   = "adjustment"
)

// Posting is one line of a transaction.
type Posting struct {
	Account string      `json:"account"`
	Amount  money.Nanos `json:"amount_nanos"` // positive debits, negative credits
}

// Dims are what a transaction is about: the dimensions reports group by.
type Dims struct {
	Tenant      string `json:"tenant"`
	Key         string `json:"key"`
	Model       string `json:"model"`
	Deployment  string `json:"deployment"`
	Provider    string `json:"provider"`
	Plan        string `json:"plan"`
	PlanVersion string `json:"plan_version"`
	Experiment  string `json:"experiment"`
	Arm         string `json:"arm"`
	Commitment  string `json:"commitment"`
}

// Txn is one balanced transaction. Its ID is its idempotency key: posting
// the same id twice books it once.
type Txn struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"` // the period it belongs to (the event's time; a reversal keeps its original's)
	// Source is the usage it was derived from: the request id (revenue)
	// or the event id (cost).
	Source   string    `json:"source"`
	Dims     Dims      `json:"dims"`
	Reverses string    `json:"reverses,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Postings []Posting `json:"postings"`
}

// Errors callers may test with errors.Is.
var (
	ErrUnbalanced = errors.New("ledger: transaction does not balance")
	ErrMalformed  = errors.New("ledger: malformed transaction")
)

// Check refuses a transaction that the books must not hold: no id, fewer
// than two postings, an empty account, a zero posting, or postings that do
// not sum to zero (computed without overflow).
func (t *Txn) Check() error {
	if t.ID == "" || t.Kind == "" {
		return fmt.Errorf("%w: %q has no id or kind", ErrMalformed, t.ID)
	}
	if len(t.Postings) < 2 {
		return fmt.Errorf("%w: %q has %d postings, want at least 2", ErrUnbalanced, t.ID, len(t.Postings))
	}
	if y := t.Time.Year(); y < 1970 || y > 2200 {
		return fmt.Errorf("%w: %q has time %s", ErrMalformed, t.ID, t.Time)
	}
	var sum big.Int
	for _, p := range t.Postings {
		if p.Account == "" || p.Amount == 0 {
			return fmt.Errorf("%w: %q has an empty account or a zero posting", ErrMalformed, t.ID)
		}
		sum.Add(&sum, big.NewInt(int64(p.Amount)))
	}
	if sum.Sign() != 0 {
		return fmt.Errorf("%w: %q sums to %s nano-dollars", ErrUnbalanced, t.ID, sum.String())
	}
	return nil
}

// Effect is what a transaction adds to the books' rollups.
type Effect struct {
	Revenue   money.Nanos // credited to revenue
	Cost      money.Nanos // debited to cost of compute
	Committed money.Nanos // the part of Cost credited to commitment drawdown
	Requests  int64       // charged requests: +1 a revenue credit, -1 its reversal
	Attempts  int64       // billed attempts: +1 a cost debit, -1 its reversal
}

// Effect reads the transaction's postings. It depends on the postings
// alone, so a reversal's effect is exactly its original's negated.
func (t *Txn) Effect() Effect {
	var e Effect
	for _, p := range t.Postings {
		switch {
		case p.Account == AccountRevenue:
			e.Revenue -= p.Amount
		case strings.HasPrefix(p.Account, prefixCost):
			e.Cost += p.Amount
		case strings.HasPrefix(p.Account, prefixDrawdown):
			e.Committed -= p.Amount
		}
	}
	e.Requests = int64(sign(e.Revenue))
	e.Attempts = int64(sign(e.Cost))
	return e
}

func sign(n money.Nanos) int {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}

// ReversalID is the id of the n-th reversal of transaction id.
func ReversalID(id string, n int) string { return id + reversalSeparator + strconv.Itoa(n) }

// Reversal is the mirror of t: the same accounts with the amounts negated,
// booked in t's period, so that t and its reversal together leave every
// account and every report as if t had never been posted.
func (t *Txn) Reversal(n int, reason string) Txn {
	r := Txn{ID: ReversalID(t.ID, n), Kind: KindReversal, Time: t.Time, Source: t.Source, Dims: t.Dims,
		Reverses: t.ID, Reason: reason, Postings: make([]Posting, len(t.Postings))}
	for i, p := range t.Postings {
		r.Postings[i] = Posting{Account: p.Account, Amount: -p.Amount}
	}
	return r
}

// MarginPercent is margin / revenue × 100 as an exact decimal string with
// two places, rounded half away from zero; "" when revenue is zero.
// Integer arithmetic only: money never passes through a float.
func MarginPercent(margin, revenue money.Nanos) string {
	if revenue == 0 {
		return ""
	}
	// basis points ×100: margin × 10000 / revenue, rounded.
	num := new(big.Int).Mul(big.NewInt(int64(margin)), big.NewInt(20000))
	den := new(big.Int).Mul(big.NewInt(int64(revenue)), big.NewInt(2))
	neg := num.Sign()*den.Sign() < 0
	num.Abs(num)
	den.Abs(den)
	// round(x/y) = floor((2x + y) / 2y) with num = 2x·…, den = 2y: add y.
	num.Add(num, new(big.Int).Rsh(den, 1))
	q := new(big.Int).Quo(num, den)
	s := q.String()
	for len(s) < 3 {
		s = "0" + s
	}
	s = s[:len(s)-2] + "." + s[len(s)-2:]
	if neg && q.Sign() != 0 {
		s = "-" + s
	}
	return s
}
