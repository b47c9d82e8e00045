// Package storetest is the conformance suite every store backend must pass, so that both give identical results.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Run runs the suite; open returns a new, empty store for each subtest and
// arranges its cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"EventsRoundTrip", testEventsRoundTrip},
		{"ApplyIdempotent", testApplyIdempotent},
		{"RollupsMatchEvents", testRollupsMatchEvents},
		{"EveryGroupBy", testEveryGroupBy},
		{"HourBoundaries", testHourBoundaries},
		{"Spend", testSpend},
		{"ClosedDays", testClosedDays},
		{"PruneKeepsRollups", testPruneKeepsRollups},
		{"PriceVersions", testPriceVersions},
		{"BadQuery", testBadQuery},
		{"BadEventRejectsBatch", testBadEvent},
		{"ConcurrentApply", testConcurrentApply},
		{"Tenants", testTenants},
		{"Keys", testKeys},
		{"ScanEvents", testScanEvents},
		{"RecentEvents", testRecentEvents},
		{"Ledger", testLedger},
		{"ApplyPost", testApplyPost},
		{"PlanDocs", testPlanDocs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)

// Gen makes random but plausible events; exported for benchmarks.
type Gen struct {
	R      *rand.Rand
	Start  time.Time
	Span   time.Duration
	Keys   int
	nextID int
}

var (
	models      = []string{"gpt-x", "claude-y", "gemini-z"}
	deployments = map[string][][2]string{ // model -> (deployment, provider)
		"gpt-x":    {{"azure-east", "azure"}, {"openai-main", "openai"}},
		"claude-y": {{"bedrock-us", "bedrock"}, {"anthropic-main", "anthropic"}},
		"gemini-z": {{"vertex-eu", "vertex"}},
	}
	outcomes = []usage.Outcome{usage.Completed, usage.Completed, usage.Completed, usage.Failed, usage.Rejected, usage.Interrupted, usage.ClientAborted}
)

// Event returns a new event (a new request id each time).
func (g *Gen) Event() usage.Event {
	g.nextID++
	r := g.R
	m := models[r.IntN(len(models))]
	dp := deployments[m][r.IntN(len(deployments[m]))]
	k := r.IntN(max(g.Keys, 1))
	e := usage.Event{
		RequestID:  fmt.Sprintf("req-%d-%d", g.nextID, r.IntN(1000)),
		Attempt:    1 + r.IntN(3),
		Time:       g.Start.Add(time.Duration(r.Int64N(int64(g.Span)))),
		TenantID:   fmt.Sprintf("t%d", k%3),
		KeyID:      fmt.Sprintf("key-%04d", k),
		KeyName:    fmt.Sprintf("name %d", k),
		Model:      m,
		Deployment: dp[0],
		Provider:   dp[1],
		Op:         "chat",
		Stream:     r.IntN(2) == 0,
		Outcome:    outcomes[r.IntN(len(outcomes))],
		Status:     200,
		TTFT:       time.Duration(r.IntN(1e9)),
		Duration:   time.Duration(r.IntN(5e9)),
	}
	if e.Outcome == usage.Failed {
		e.Status, e.Error, e.Source = 503, "upstream 503", usage.NoUsage
		return e
	}
	cached := int64(r.IntN(100))
	reasoning := int64(r.IntN(50))
	e.Usage = wire.Usage{Prompt: cached + int64(r.IntN(5000)), Completion: reasoning + int64(r.IntN(2000)), Cached: cached, CacheWrite: int64(r.IntN(3)), Reasoning: reasoning}
	e.Source = usage.Reported
	if e.Outcome == usage.Interrupted || e.Outcome == usage.ClientAborted || r.IntN(10) == 0 {
		e.Source = usage.Estimated
	}
	if r.IntN(20) == 0 {
		e.Unpriced = true
	} else {
		e.Cost = money.Nanos(e.Usage.Prompt*2500 + e.Usage.Completion*10000)
		e.PriceVersion = dp[0] + "@2026-11-01"
	}
	return e
}

// Events returns n new events.
func (g *Gen) Events(n int) []usage.Event {
	out := make([]usage.Event, n)
	for i := range out {
		out[i] = g.Event()
	}
	return out
}

// NewGen returns a generator of events over three days from 2026-11-30
// 20:00 UTC, from keys client keys.
func NewGen(seed uint64, keys int) *Gen {
	return &Gen{R: rand.New(rand.NewPCG(seed, 7)), Start: t0, Span: 3 * 24 * time.Hour, Keys: keys}
}

func newGen(seed uint64) *Gen { return NewGen(seed, 7) }

func apply(t *testing.T, s store.Store, evs []usage.Event) {
	t.Helper()
	if err := s.Apply(context.Background(), evs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func usageOf(t *testing.T, s store.Store, q store.UsageQuery) []store.UsageRow {
	t.Helper()
	rows, err := s.Usage(context.Background(), q)
	if err != nil {
		t.Fatalf("Usage(%+v): %v", q, err)
	}
	return rows
}

// Naive computes what Usage must return straight from the events.
func Naive(evs []usage.Event, q store.UsageQuery) []store.UsageRow {
	from, to := int64(0), int64(1<<62)
	if !q.From.IsZero() {
		from = q.From.Truncate(time.Hour).Unix()
	}
	if !q.To.IsZero() {
		to = q.To.Truncate(time.Hour).Unix()
		if !q.To.Equal(q.To.Truncate(time.Hour)) {
			to += 3600
		}
	}
	groups := map[string]*store.UsageRow{}
	var order []string
	for i := range evs {
		e := &evs[i]
		hour := e.Time.UTC().Truncate(time.Hour)
		if h := hour.Unix(); h < from || h >= to {
			continue
		}
		g := map[string]string{}
		for _, d := range q.GroupBy {
			switch d {
			case "deployment":
				g[d] = e.Deployment
			case "model":
				g[d] = e.Model
			case "key":
				g[d], g["key_name"] = e.KeyID, e.KeyName
			case "tenant":
				g[d] = e.TenantID
			case "provider":
				g[d] = e.Provider
			case "day":
				g[d] = hour.Format(time.DateOnly)
			case "hour":
				g[d] = hour.Format("2006-01-02T15:04:05Z")
			}
		}
		id := fmt.Sprint(g)
		row := groups[id]
		if row == nil {
			row = &store.UsageRow{}
			if len(g) > 0 {
				row.Group = g
			}
			groups[id] = row
			order = append(order, id)
		}
		row.Attempts++
		switch e.Outcome {
		case usage.Completed:
			row.Completed++
		case usage.Interrupted:
			row.Interrupted++
		case usage.ClientAborted:
			row.ClientAborted++
		}
		if e.Outcome != usage.Completed {
			row.Failed++
		}
		if e.Unpriced {
			row.UnpricedAttempts++
		}
		tk := &row.Estimated
		if e.Source == usage.Reported {
			tk = &row.Reported
			row.CostReported += e.Cost
		} else {
			row.CostEstimated += e.Cost
		}
		row.Cost += e.Cost
		tk.Prompt += e.Usage.Prompt
		tk.Completion += e.Usage.Completion
		tk.Cached += e.Usage.Cached
		tk.CacheWrite += e.Usage.CacheWrite
		tk.Reasoning += e.Usage.Reasoning
	}
	out := make([]store.UsageRow, 0, len(order))
	for _, id := range order {
		out = append(out, *groups[id])
	}
	labels := []string{}
	for _, d := range q.GroupBy {
		labels = append(labels, d)
		if d == "key" {
			labels = append(labels, "key_name")
		}
	}
	sort.Slice(out, func(i, j int) bool {
		for _, l := range labels {
			if a, b := out[i].Group[l], out[j].Group[l]; a != b {
				return a < b
			}
		}
		return false
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func checkUsage(t *testing.T, s store.Store, evs []usage.Event, q store.UsageQuery) {
	t.Helper()
	got := usageOf(t, s, q)
	want := Naive(evs, q)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Usage(from=%s to=%s group_by=%v):\n got %d rows %+v\nwant %d rows %+v", q.From, q.To, q.GroupBy, len(got), head(got), len(want), head(want))
	}
}

func head(rows []store.UsageRow) []store.UsageRow {
	return rows[:min(len(rows), 3)]
}

// unique drops later copies of an id, as the store does.
func unique(evs []usage.Event) []usage.Event {
	seen := map[string]bool{}
	var out []usage.Event
	for _, e := range evs {
		if !seen[e.ID()] {
			seen[e.ID()] = true
			out = append(out, e)
		}
	}
	return out
}

func testEventsRoundTrip(t *testing.T, s store.Store) {
	g := newGen(1)
	evs := g.Events(20)
	// A request with three attempts, given out of order and in a non-UTC zone.
	zone := time.FixedZone("x", 5*3600+1800)
	for i, a := range []int{3, 1, 2} {
		e := g.Event()
		e.RequestID, e.Attempt = "multi", a
		e.Time = t0.Add(time.Duration(i)*time.Second + 123456789).In(zone)
		e.Error = "it's \"quoted\" ; and ünïcode"
		evs = append(evs, e)
	}
	apply(t, s, evs)
	got, err := s.Events(context.Background(), "multi")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Events(multi) = %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.Attempt != i+1 {
			t.Errorf("attempt order: got %d at %d", e.Attempt, i)
		}
		var want usage.Event
		for _, w := range evs {
			if w.ID() == e.ID() {
				want = w
			}
		}
		if !e.Time.Equal(want.Time) {
			t.Errorf("time %s, want %s", e.Time, want.Time)
		}
		want.Time = e.Time
		if !reflect.DeepEqual(e, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", e, want)
		}
	}
	for _, w := range evs[:20] {
		got, err := s.Events(context.Background(), w.RequestID)
		if err != nil || len(got) != 1 || got[0].Cost != w.Cost || got[0].Usage != w.Usage || got[0].Source != w.Source {
			t.Fatalf("Events(%s) = %+v, %v; want the one event %+v", w.RequestID, got, err, w)
		}
	}
	if got, err := s.Events(context.Background(), "nope"); err != nil || len(got) != 0 {
		t.Fatalf("Events(unknown) = %v, %v; want none", got, err)
	}
}

func testApplyIdempotent(t *testing.T, s store.Store) {
	g := newGen(2)
	evs := g.Events(300)
	apply(t, s, evs)
	apply(t, s, evs)          // whole batch again
	apply(t, s, evs[100:200]) // a subset
	// A batch holding copies of itself and of stored events, plus new ones.
	more := g.Events(50)
	mixed := append(append(append([]usage.Event{}, more...), more[:10]...), evs[:30]...)
	// A changed copy of a stored event is still the same event: first write wins.
	changed := evs[0]
	changed.Cost += 1e9
	changed.Usage.Prompt += 1000
	mixed = append(mixed, changed)
	apply(t, s, mixed)
	all := unique(append(evs, more...))
	for _, gb := range [][]string{nil, {"key"}, {"deployment", "hour"}} {
		checkUsage(t, s, all, store.UsageQuery{GroupBy: gb})
	}
	got, err := s.Events(context.Background(), evs[0].RequestID)
	if err != nil || len(got) != 1 || got[0].Cost != evs[0].Cost {
		t.Fatalf("Events after a changed re-apply = %+v, %v; want the first write", got, err)
	}
}

// randomQuery picks a random range (aligned or not, open or not) and group-by.
func randomQuery(r *rand.Rand, span time.Duration) store.UsageQuery {
	var q store.UsageQuery
	pick := func() time.Time {
		t := t0.Add(time.Duration(r.Int64N(int64(span+4*time.Hour))) - 2*time.Hour)
		switch r.IntN(3) {
		case 0:
			return t.Truncate(time.Hour)
		case 1:
			return t.Truncate(24 * time.Hour)
		}
		return t
	}
	if r.IntN(5) > 0 {
		q.From = pick()
	}
	if r.IntN(5) > 0 {
		q.To = pick()
		if !q.From.IsZero() && q.To.Before(q.From) {
			q.From, q.To = q.To, q.From
		}
	}
	dims := append([]string(nil), store.Dimensions...)
	r.Shuffle(len(dims), func(i, j int) { dims[i], dims[j] = dims[j], dims[i] })
	q.GroupBy = dims[:r.IntN(4)]
	return q
}

func testRollupsMatchEvents(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(3, 3))
	g := newGen(3)
	var all []usage.Event
	for range 15 {
		b := g.Events(1 + r.IntN(120))
		// Re-send a few earlier events in the batch, as a journal replay does.
		for i := 0; i < 5 && len(all) > 0; i++ {
			b = append(b, all[r.IntN(len(all))])
		}
		apply(t, s, b)
		all = unique(append(all, b...))
	}
	for range 60 {
		checkUsage(t, s, all, randomQuery(r, g.Span))
	}
}

func testEveryGroupBy(t *testing.T, s store.Store) {
	g := newGen(4)
	evs := g.Events(400)
	apply(t, s, evs)
	ranges := []store.UsageQuery{
		{},
		{From: t0.Add(90 * time.Minute), To: t0.Add(50*time.Hour + 10*time.Minute)},
	}
	dims := store.Dimensions
	for _, rg := range ranges {
		for i := range dims {
			rg.GroupBy = []string{dims[i]}
			checkUsage(t, s, evs, rg)
			for j := range dims {
				if j != i {
					rg.GroupBy = []string{dims[i], dims[j]}
					checkUsage(t, s, evs, rg)
				}
			}
		}
		rg.GroupBy = dims
		checkUsage(t, s, evs, rg)
	}
}

func testHourBoundaries(t *testing.T, s store.Store) {
	g := newGen(5)
	h := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := []time.Time{h.Add(-time.Nanosecond), h, h.Add(59*time.Minute + 59*time.Second + 999999999*time.Nanosecond), h.Add(time.Hour), h.Add(14 * time.Hour)}
	var evs []usage.Event
	for _, tm := range at {
		e := g.Event()
		e.Time = tm
		evs = append(evs, e)
	}
	apply(t, s, evs)
	attempts := func(from, to time.Time) int64 {
		rows := usageOf(t, s, store.UsageQuery{From: from, To: to})
		if len(rows) == 0 {
			return 0
		}
		return rows[0].Attempts
	}
	cases := []struct {
		name     string
		from, to time.Time
		want     int64
	}{
		{"one hour", h, h.Add(time.Hour), 2},
		{"inside one hour rounds out to it", h.Add(30 * time.Minute), h.Add(45 * time.Minute), 2},
		{"from the next hour", h.Add(time.Hour), time.Time{}, 2},
		{"up to the hour", time.Time{}, h, 1},
		{"open", time.Time{}, time.Time{}, 5},
		{"empty range", h, h, 0},
		{"across midnight", h.Add(-11 * time.Hour), h.Add(15 * time.Hour), 5},
		{"whole day", h.Truncate(24 * time.Hour), h.Truncate(24 * time.Hour).Add(24 * time.Hour), 4},
	}
	for _, c := range cases {
		if got := attempts(c.from, c.to); got != c.want {
			t.Errorf("%s: [%s, %s) has %d attempts, want %d", c.name, c.from, c.to, got, c.want)
		}
	}
	rows := usageOf(t, s, store.UsageQuery{GroupBy: []string{"day", "hour"}})
	var got []string
	for _, r := range rows {
		got = append(got, r.Group["day"]+" "+r.Group["hour"])
	}
	want := []string{"2026-12-01 2026-12-01T09:00:00Z", "2026-12-01 2026-12-01T10:00:00Z", "2026-12-01 2026-12-01T11:00:00Z", "2026-12-02 2026-12-02T00:00:00Z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("day/hour groups = %q, want %q", got, want)
	}
}

func naiveSpend(evs []usage.Event, from, to time.Time) map[string]money.Nanos {
	out := map[string]money.Nanos{}
	for _, e := range evs {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out[e.Deployment] += e.Cost
		}
	}
	return out
}

func testSpend(t *testing.T, s store.Store) {
	g := newGen(6)
	evs := g.Events(500)
	apply(t, s, evs)
	r := rand.New(rand.NewPCG(6, 6))
	ranges := [][2]time.Time{
		{t0, t0.Add(72 * time.Hour)},
		{t0.Add(-time.Hour), t0.Add(100 * time.Hour)},
		{t0.Add(time.Minute), t0.Add(2 * time.Minute)},
		{t0.Add(4 * time.Hour), t0.Add(50 * time.Hour)},
	}
	for range 30 {
		a := t0.Add(time.Duration(r.Int64N(int64(g.Span))))
		b := a.Add(time.Duration(r.Int64N(int64(g.Span))))
		ranges = append(ranges, [2]time.Time{a, b})
	}
	for _, rg := range ranges {
		got, err := s.Spend(context.Background(), rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		want := naiveSpend(evs, rg[0], rg[1])
		for k, v := range want {
			if v == 0 {
				delete(want, k)
			}
		}
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Spend(%s, %s) = %v, want %v", rg[0], rg[1], got, want)
		}
	}
}

func testPruneKeepsRollups(t *testing.T, s store.Store) {
	g := newGen(7)
	evs := g.Events(300)
	apply(t, s, evs)
	cut := t0.Add(36*time.Hour + 17*time.Minute)
	var old int64
	var oldEv usage.Event
	for _, e := range evs {
		if e.Time.Before(cut) {
			old++
			oldEv = e
		}
	}
	n, err := s.Prune(context.Background(), cut)
	if err != nil {
		t.Fatal(err)
	}
	if n != old {
		t.Fatalf("Prune removed %d events, want %d", n, old)
	}
	if got, _ := s.Events(context.Background(), oldEv.RequestID); len(got) != 0 {
		t.Fatalf("pruned event still there: %+v", got)
	}
	// Rollups are intact, and replaying pruned events does not count them again.
	apply(t, s, evs)
	for _, gb := range [][]string{nil, {"key", "day"}, {"hour"}} {
		checkUsage(t, s, evs, store.UsageQuery{GroupBy: gb})
	}
	// Pruning less later does not move the horizon back.
	if _, err := s.Prune(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	apply(t, s, evs)
	checkUsage(t, s, evs, store.UsageQuery{GroupBy: []string{"deployment"}})
	// New events after the horizon still count.
	late := g.Event()
	late.Time = cut.Add(time.Hour)
	apply(t, s, []usage.Event{late})
	checkUsage(t, s, append(evs, late), store.UsageQuery{GroupBy: []string{"model"}})
}

func testPriceVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	v1 := store.PriceVersion{ID: "azure-east@2026-11-01", Deployment: "azure-east", From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Rates: `{"input":"2.50","output":"10.00"}`}
	v2 := store.PriceVersion{ID: "azure-east@2026-12-01", Deployment: "azure-east", From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Rates: `{"input":"2.00","output":"8.00"}`}
	for _, v := range []store.PriceVersion{v1, v2, v1, v2} {
		if err := s.RecordPriceVersion(ctx, v); err != nil {
			t.Fatalf("RecordPriceVersion(%s): %v", v.ID, err)
		}
	}
	bad := v1
	bad.Rates = `{"input":"9.99"}`
	if err := s.RecordPriceVersion(ctx, bad); !errors.Is(err, store.ErrPriceVersionConflict) {
		t.Fatalf("changed rates under a recorded id: err = %v, want ErrPriceVersionConflict", err)
	}
	got, err := s.PriceVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].From = got[i].From.UTC()
	}
	if want := []store.PriceVersion{v1, v2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("PriceVersions = %+v, want %+v", got, want)
	}
}

func testBadQuery(t *testing.T, s store.Store) {
	for _, q := range []store.UsageQuery{
		{GroupBy: []string{"colour"}},
		{GroupBy: []string{"key", "key"}},
		{GroupBy: []string{"deployment; DROP TABLE usage_events"}},
		{From: t0, To: t0.Add(-time.Hour)},
	} {
		if _, err := s.Usage(context.Background(), q); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Usage(%+v): err = %v, want ErrBadQuery", q, err)
		}
	}
}

func testBadEvent(t *testing.T, s store.Store) {
	g := newGen(8)
	evs := g.Events(5)
	evs[3].RequestID = ""
	if err := s.Apply(context.Background(), evs); !errors.Is(err, store.ErrBadEvent) {
		t.Fatalf("Apply with an event without request id: err = %v, want ErrBadEvent", err)
	}
	if rows := usageOf(t, s, store.UsageQuery{}); len(rows) != 0 {
		t.Fatalf("a rejected batch left usage behind: %+v", rows)
	}
}

// Writers racing on overlapping batches (replicas replaying the same
// journal tail) still store and count each event once.
func testConcurrentApply(t *testing.T, s store.Store) {
	g := newGen(9)
	evs := g.Events(600)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for range 6 {
				i := r.IntN(len(evs) - 200)
				b := append([]usage.Event(nil), evs[i:i+200]...)
				r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
				if err := s.Apply(context.Background(), b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Apply: %v", err)
	}
	apply(t, s, evs) // whatever the racers missed
	checkUsage(t, s, evs, store.UsageQuery{GroupBy: []string{"key", "hour"}})
}

// Days close as time-ordered batches move past them (their daily rollups are
// then built from the hourly ones), and events that come late for a closed
// day still count, in every table a report may read: reports across, inside
// and at the edges of closed and open days, grouped by key alone (the per-key
// daily rollups), by model (the full ones) and by hour, and Spend, all match
// the events.
func testClosedDays(t *testing.T, s store.Store) {
	g := newGen(10)
	g.Span = 6 * 24 * time.Hour
	evs := g.Events(1500)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	r := rand.New(rand.NewPCG(10, 10))
	var applied []usage.Event
	for len(evs) > 0 {
		n := min(len(evs), 1+r.IntN(60))
		b := append([]usage.Event(nil), evs[:n]...)
		evs = evs[n:]
		// Late events: copies of applied ones moved to a new id, some days back.
		for i := 0; i < 3 && len(applied) > 0; i++ {
			e := applied[r.IntN(len(applied))]
			e.RequestID += "-late"
			e.Time = e.Time.Add(-time.Duration(r.Int64N(int64(48 * time.Hour))))
			if e.Time.Before(t0) {
				e.Time = t0
			}
			b = append(b, e)
		}
		// And a replay of a few applied ones, which must not count again.
		for i := 0; i < 2 && len(applied) > 0; i++ {
			b = append(b, applied[r.IntN(len(applied))])
		}
		apply(t, s, b)
		applied = unique(append(applied, b...))
	}
	day := t0.Truncate(24 * time.Hour)
	queries := []store.UsageQuery{
		{},
		{From: day.Add(24 * time.Hour), To: day.Add(72 * time.Hour)},                                // whole closed days
		{From: day.Add(24*time.Hour + 3*time.Hour), To: day.Add(96*time.Hour + 5*time.Hour)},        // mostly-inside ends
		{From: day.Add(24*time.Hour + 20*time.Hour), To: day.Add(96*time.Hour + 19*time.Hour)},      // mostly-outside ends
		{From: day.Add(48*time.Hour + time.Hour), To: day.Add(48*time.Hour + 23*time.Hour)},         // inside one day, most of it
		{From: day.Add(48*time.Hour + 10*time.Hour), To: day.Add(48*time.Hour + 12*time.Hour)},      // inside one day, a little
		{From: day.Add(5*24*time.Hour + 2*time.Hour), To: day.Add(7*24*time.Hour + 30*time.Minute)}, // the open days at the end
		{From: day.Add(2*time.Hour + 13*time.Minute), To: day.Add(6*24*time.Hour + 7*time.Hour + 13*time.Minute)},
	}
	for _, q := range queries {
		for _, gb := range [][]string{nil, {"key"}, {"tenant", "day"}, {"key", "day"}, {"model"}, {"deployment", "day"}, {"hour"}} {
			q.GroupBy = gb
			checkUsage(t, s, applied, q)
		}
	}
	for range 60 {
		checkUsage(t, s, applied, randomQuery(r, g.Span))
	}
	for _, q := range queries[1:] {
		got, err := s.Spend(context.Background(), q.From, q.To)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveSpend(applied, q.From, q.To)
		for k, v := range got {
			if v == 0 && want[k] == 0 {
				delete(got, k)
				delete(want, k)
			}
		}
		for k, v := range want {
			if v == 0 {
				delete(want, k)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Spend(%s, %s) = %v, want %v", q.From, q.To, got, want)
		}
	}
}
