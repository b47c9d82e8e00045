package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// testRecentEvents: RecentEvents pages through exactly the matching events,
// newest first, each once, whatever the filters, and refuses a bad limit.
func testRecentEvents(t *testing.T, s store.Store) {
	rl, ok := s.(store.RecentLister)
	if !ok {
		t.Fatalf("%s store does not implement store.RecentLister", s.Backend())
	}
	ctx := context.Background()
	g := newGen(12)
	evs := g.Events(500)
	// Ties on time: the cursor must break them by request id and attempt.
	for i := 1; i < 40; i += 2 {
		evs[i].Time = evs[i-1].Time
	}
	apply(t, s, evs)

	for _, tc := range []struct {
		name string
		q    store.RecentQuery
		keep func(usage.Event) bool
	}{
		{"all", store.RecentQuery{}, func(usage.Event) bool { return true }},
		{"tenant", store.RecentQuery{Tenant: "t1"}, func(e usage.Event) bool { return e.TenantID == "t1" }},
		{"key", store.RecentQuery{KeyID: "key-0003"}, func(e usage.Event) bool { return e.KeyID == "key-0003" }},
		{"model and outcome", store.RecentQuery{Model: "gpt-x", Outcome: usage.Failed},
			func(e usage.Event) bool { return e.Model == "gpt-x" && e.Outcome == usage.Failed }},
		{"nothing", store.RecentQuery{Tenant: "nobody"}, func(usage.Event) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []usage.Event
			for _, e := range evs {
				if tc.keep(e) {
					e.Time = e.Time.UTC()
					want = append(want, e)
				}
			}
			sort.Slice(want, func(i, j int) bool {
				a, b := want[i], want[j]
				if !a.Time.Equal(b.Time) {
					return a.Time.After(b.Time)
				}
				if a.RequestID != b.RequestID {
					return a.RequestID > b.RequestID
				}
				return a.Attempt > b.Attempt
			})
			q := tc.q
			q.Limit = 37
			var got []usage.Event
			for pages := 0; ; pages++ {
				page, err := rl.RecentEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > q.Limit || pages > len(evs) {
					t.Fatalf("page of %d events, limit %d", len(page), q.Limit)
				}
				got = append(got, page...)
				if len(page) < q.Limit {
					break
				}
				last := page[len(page)-1]
				q.Before = &store.EventCursor{Time: last.Time, RequestID: last.RequestID, Attempt: last.Attempt}
			}
			if len(got) != len(want) {
				t.Fatalf("listed %d events, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("event %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
	for _, limit := range []int{-1, store.MaxRecent + 1} {
		if _, err := rl.RecentEvents(ctx, store.RecentQuery{Limit: limit}); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("limit %d: err = %v, want ErrBadQuery", limit, err)
		}
	}
}
