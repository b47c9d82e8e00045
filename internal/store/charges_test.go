package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// doubled charges twice the cost.
type doubled struct{}

func (doubled) Rate(_ string, _ time.Time, _ string, _ wire.Usage, cost money.Nanos) ledger.Charge {
	return ledger.Charge{Revenue: 2 * cost}
}

func TestChargesSQLite(t *testing.T)   { testCharges(t, openSQLite(t)) }
func TestChargesPostgres(t *testing.T) { testCharges(t, openPostgres(t)) }

// Charges reads each request's booked revenue, equal to what Transaction
// reads for it, and leaves out requests with none.
func testCharges(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var evs []usage.Event
	for i := range 5 {
		e := usage.Event{RequestID: fmt.Sprintf("req_%d", i), Attempt: 1, Time: t0.Add(time.Duration(i) * time.Second), TenantID: "acme",
			KeyID: "k1", Model: "m", Deployment: "d", Provider: "p", Op: "chat", Outcome: usage.Completed, Status: 200,
			Cost: money.Nanos(1000 * (i + 1)), Source: usage.Reported}
		if i == 3 {
			e.Outcome = usage.Failed // not charged
		}
		evs = append(evs, e)
	}
	if err := s.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d := ledger.Deriver{Rater: doubled{}}
	if _, err := s.Post(ctx, d.Derive(evs[:4])); err != nil { // req_4 is not booked yet
		t.Fatal(err)
	}
	cr := s.(store.ChargeReader)
	got, err := cr.Charges(ctx, []string{"req_0", "req_1", "req_2", "req_3", "req_4", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]money.Nanos{}
	for _, id := range []string{"req_0", "req_1", "req_2"} {
		txn, err := s.Transaction(ctx, ledger.RevenueID(id))
		if err != nil {
			t.Fatal(err)
		}
		want[id] = txn.Effect().Revenue
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || got["req_2"] != 6000 {
		t.Errorf("charges %v, want %v (req_2 charged 2 × 3000)", got, want)
	}
	if got, err := cr.Charges(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v %v", got, err)
	}
	if _, err := cr.Charges(ctx, make([]string, store.MaxRecent+1)); !errors.Is(err, store.ErrBadQuery) {
		t.Errorf("too many ids: %v, want ErrBadQuery", err)
	}
}
