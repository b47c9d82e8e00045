package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// testScanEvents: ScanEvents returns exactly the events in [from, to), each
// as it was written, in time order, and stops at fn's error.
func testScanEvents(t *testing.T, s store.Store) {
	sc, ok := s.(store.EventScanner)
	if !ok {
		t.Fatalf("%s store does not implement store.EventScanner", s.Backend())
	}
	ctx := context.Background()
	evs := newGen(11).Events(600)
	apply(t, s, evs)
	apply(t, s, evs[:50]) // written twice, scanned once

	from, to := t0.Add(17*time.Hour), t0.Add(41*time.Hour)
	var want []usage.Event
	for _, e := range evs {
		if !e.Time.Before(from) && e.Time.Before(to) {
			e.Time = e.Time.UTC()
			want = append(want, e)
		}
	}
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.RequestID != b.RequestID {
			return a.RequestID < b.RequestID
		}
		return a.Attempt < b.Attempt
	})
	var got []usage.Event
	if err := sc.ScanEvents(ctx, from, to, func(e usage.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("scanned %d events, want %d (of %d)", len(got), len(want), len(evs))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	var all int
	if err := sc.ScanEvents(ctx, time.Time{}, time.Time{}, func(usage.Event) error { all++; return nil }); err != nil || all != len(evs) {
		t.Errorf("open period: %d events, %v; want %d", all, err, len(evs))
	}
	stop := errors.New("enough")
	n := 0
	err := sc.ScanEvents(ctx, from, to, func(usage.Event) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("fn's error: ScanEvents = %v after %d events", err, n)
	}
}
