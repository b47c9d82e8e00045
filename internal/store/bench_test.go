package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// benchTraffic makes time-ordered events from 1,000 keys, each calling one
// to three of five models (a deployment each), at a steady rate: the
// worst case for rollup size, since nearly every (key, model) pair is busy
// every hour.
type benchTraffic struct {
	r       *rand.Rand
	keys    []string
	names   []string
	keyMods [][]int
	n       int
	// gatewayIDs: request ids shaped as the gateway makes them (req_, the
	// millisecond in 11 hex digits, 13 random ones), so that they sort in
	// time order as the writer's do. Otherwise "r1", "r2"…, which do not
	// ("r10" < "r9"): b-tree inserts keyed by them land all over the
	// table rather than append.
	gatewayIDs bool
}

var benchModels = [][3]string{ // model, deployment, provider
	{"gpt-x", "azure-east", "azure"},
	{"gpt-x-mini", "openai-main", "openai"},
	{"claude-y", "bedrock-us", "bedrock"},
	{"claude-y-haiku", "anthropic-main", "anthropic"},
	{"gemini-z", "vertex-eu", "vertex"},
}

func newBenchTraffic(keys int) *benchTraffic {
	t := &benchTraffic{r: rand.New(rand.NewPCG(42, 42))}
	for k := range keys {
		t.keys = append(t.keys, "key-"+strconv.Itoa(k))
		t.names = append(t.names, "team "+strconv.Itoa(k))
		var mods []int
		for i := range 1 + k%3 {
			mods = append(mods, (k+i*2)%len(benchModels))
		}
		t.keyMods = append(t.keyMods, mods)
	}
	return t
}

// events returns n events spread evenly over [start, start+span).
func (t *benchTraffic) events(n int, start time.Time, span time.Duration) []usage.Event {
	out := make([]usage.Event, n)
	step := span / time.Duration(n)
	for i := range out {
		k := t.r.IntN(len(t.keys))
		m := benchModels[t.keyMods[k][t.r.IntN(len(t.keyMods[k]))]]
		t.n++
		p, c := int64(200+t.r.IntN(4000)), int64(50+t.r.IntN(800))
		src := usage.Reported
		if t.n%20 == 0 {
			src = usage.Estimated
		}
		out[i] = usage.Event{
			RequestID: t.requestID(start.Add(time.Duration(i) * step)), Attempt: 1, Time: start.Add(time.Duration(i) * step),
			TenantID: "t" + strconv.Itoa(k%10), KeyID: t.keys[k], KeyName: t.names[k],
			Model: m[0], Deployment: m[1], Provider: m[2], Op: "chat", Stream: t.n%2 == 0,
			Outcome: usage.Completed, Status: 200,
			Usage:  wire.Usage{Prompt: p, Completion: c, Cached: p / 4},
			Source: src, Cost: money.Nanos(p*2500 + c*10000), PriceVersion: m[1] + "@2026-11-01",
			TTFT: 300 * time.Millisecond, Duration: 2 * time.Second,
		}
	}
	return out
}

func (t *benchTraffic) requestID(at time.Time) string {
	if !t.gatewayIDs {
		return "r" + strconv.Itoa(t.n)
	}
	return fmt.Sprintf("req_%011x%013x", at.UnixMilli(), t.r.Uint64()>>12)
}

var benchStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// benchApplyMillion applies 1,000,000 events over 30 days in time order, in
// batches of 1,000, as the journal's writer does. Run with -benchtime=1x.
func benchApplyMillion(b *testing.B, s store.Store) {
	ctx := context.Background()
	const total, batch = 1_000_000, 1_000
	tr := newBenchTraffic(1000)
	span := 30 * 24 * time.Hour / (total / batch)
	cpu0 := cpuTime()
	for b.Loop() {
		start := benchStart
		for range total / batch {
			b.StopTimer()
			evs := tr.events(batch, start, span)
			start = start.Add(span)
			b.StartTimer()
			if err := s.Apply(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/1M-events")
	// CPU of this process (the whole of SQLite; the client side of
	// Postgres): on a shared machine, wall time mostly measures the queue.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/1M-events")
}

// cpuTime is the user and system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkApplyMillionSQLite(b *testing.B)   { benchApplyMillion(b, openSQLite(b)) }
func BenchmarkApplyMillionPostgres(b *testing.B) { benchApplyMillion(b, openPostgres(b)) }

// benchUsageByKey builds the rollups of 10,000,000 events over 31 days
// (through the same aggregation and upserts as Apply, skipping the raw
// rows), then times a 30-day report grouped by key, with range ends that
// are not day-aligned so both rollup tables are read.
func benchUsageByKey(b *testing.B, s store.Store) {
	ctx := context.Background()
	const total, days = 10_000_000, 31
	tr := newBenchTraffic(1000)
	setup := time.Now()
	for d := range days {
		evs := tr.events(total/days, benchStart.Add(time.Duration(d)*24*time.Hour), 24*time.Hour)
		if err := store.ApplyRollupsOnly(ctx, s, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: rollups of %d events built in %s", s.Backend(), total/days*days, time.Since(setup).Round(time.Second))
	q := store.UsageQuery{
		From:    benchStart.Add(7*time.Hour + 13*time.Minute),
		To:      benchStart.Add(30*24*time.Hour + 7*time.Hour + 13*time.Minute),
		GroupBy: []string{"key"},
	}
	var rows []store.UsageRow
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		if rows, err = s.Usage(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	if len(rows) != 1000 {
		b.Fatalf("report has %d rows, want 1000 keys", len(rows))
	}
}

func BenchmarkUsageByKey30DaysSQLite(b *testing.B)   { benchUsageByKey(b, openSQLite(b)) }
func BenchmarkUsageByKey30DaysPostgres(b *testing.B) { benchUsageByKey(b, openPostgres(b)) }
