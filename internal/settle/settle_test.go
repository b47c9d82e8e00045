package settle

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// flatPricer charges 1 nano per token, unpriced for "free", errors for "gone".
type flatPricer struct{ calls *int }

func (p flatPricer) Price(d string, _ time.Time, u wire.Usage) (money.Nanos, string, bool, error) {
	*p.calls++
	switch d {
	case "free":
		return 0, "", true, nil
	case "gone":
		return 0, "", false, errors.New("no such deployment")
	}
	return money.Nanos(u.Total()), "pv_1", false, nil
}

type memJournal struct {
	got []string
	err error
}

func (j *memJournal) Append(e *usage.Event) error {
	if j.err != nil {
		return j.err
	}
	j.got = append(j.got, fmt.Sprintf("%s cost=%d", e.ID(), e.Cost))
	return nil
}

type hookFunc func(*usage.Event)

func (f hookFunc) Settle(e *usage.Event) { f(e) }

func TestSettle(t *testing.T) {
	tests := []struct {
		name       string
		deployment string
		usage      wire.Usage
		journalErr error
		wantCost   money.Nanos
		wantVer    string
		unpriced   bool
		wantPrices int
		wantErr    error
	}{
		{name: "priced once", deployment: "a", usage: wire.Usage{Prompt: 10, Completion: 5}, wantCost: 15, wantVer: "pv_1", wantPrices: 1},
		{name: "no usage is not priced", deployment: "a", wantPrices: 0},
		{name: "unpriced is marked, never a silent zero", deployment: "free", usage: wire.Usage{Prompt: 3}, unpriced: true, wantPrices: 1},
		{name: "journal failure reaches the caller", deployment: "a", usage: wire.Usage{Prompt: 1}, journalErr: errors.New("disk full"),
			wantCost: 1, wantVer: "pv_1", wantPrices: 1, wantErr: ErrJournal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			j := &memJournal{err: tt.journalErr}
			var order []string
			s := New(flatPricer{&calls}, j, nil,
				hookFunc(func(e *usage.Event) { order = append(order, "budgets") }),
				hookFunc(func(e *usage.Event) { order = append(order, "meter") }))
			e := &usage.Event{RequestID: "req_1", Attempt: 1, Deployment: tt.deployment, Usage: tt.usage}
			err := s.Settle(e)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantPrices {
				t.Errorf("priced %d times, want %d", calls, tt.wantPrices)
			}
			if e.Cost != tt.wantCost || e.PriceVersion != tt.wantVer || e.Unpriced != tt.unpriced {
				t.Errorf("event cost=%d version=%q unpriced=%v, want %d %q %v", e.Cost, e.PriceVersion, e.Unpriced, tt.wantCost, tt.wantVer, tt.unpriced)
			}
			if tt.journalErr == nil && (len(j.got) != 1 || j.got[0] != fmt.Sprintf("req_1/1 cost=%d", tt.wantCost)) {
				t.Errorf("journal got %v: the event must be journaled priced", j.got)
			}
			if len(order) != 2 || order[0] != "budgets" || order[1] != "meter" {
				t.Errorf("hooks ran %v, want both in order even when the journal fails", order)
			}
			if (tt.journalErr != nil) != (s.Failures() == 1) {
				t.Errorf("failures = %d", s.Failures())
			}
		})
	}
}

func TestSetPricerSwapsForLaterEvents(t *testing.T) {
	calls := 0
	s := New(flatPricer{&calls}, nil, nil)
	s.SetPricer(flatPricer{&calls})
	e := &usage.Event{Deployment: "free", Usage: wire.Usage{Prompt: 1}}
	if err := s.Settle(e); err != nil || !e.Unpriced {
		t.Fatalf("err=%v unpriced=%v", err, e.Unpriced)
	}
	e = &usage.Event{Deployment: "gone", Usage: wire.Usage{Prompt: 1}}
	if err := s.Settle(e); err == nil {
		t.Fatal("a deployment without a price must be an error, not $0")
	}
}
