package route

import (
	"testing"
	"time"
)

const twoClouds = `models:
  - name: chat
    routing: priority
    deployments:
      - {name: main, provider: az, model: m, priority: 1, price: unpriced}
      - {name: backup, provider: aws, model: m, priority: 2, price: unpriced}`

// health settings that make each rule testable on its own.
const consecutiveOnly = "routing: {health: {consecutive_failures: 3, error_ratio: 0, base_ejection: 10s, max_ejection: 40s, slow_start: 0}}"

func TestConsecutiveFailuresEject(t *testing.T) {
	tab, clk := newTable(t, twoClouds, consecutiveOnly)
	main := deployment(t, tab, "main")
	failMain := func(d *Deployment) Result {
		if d == main {
			return fail(d)
		}
		return ok(d)
	}
	for i := range 2 {
		if tried := serve(t, tab, Request{Model: "chat"}, failMain); !equal(tried, []string{"main", "backup"}) {
			t.Fatalf("request %d tried %v", i, tried)
		}
	}
	serve(t, tab, Request{Model: "chat"}, ok) // a success resets the count
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	if until := main.health.ejectedUntil.Load(); until != clk.now.Add(10*time.Second).UnixNano() {
		t.Fatalf("ejected until %v, want now+10s", time.Unix(0, until))
	}
	if tried := serve(t, tab, Request{Model: "chat"}, ok); !equal(tried, []string{"backup"}) {
		t.Fatalf("while main is ejected, tried %v", tried)
	}
	if ok, until := main.Available(clk.now); ok || until.IsZero() {
		t.Error("Available reports an ejected deployment")
	}

	// Ejection over: one probe. While it is in flight nobody else tries main.
	clk.advance(10 * time.Second)
	var probe Decision
	if err := tab.Route(&Request{Model: "chat"}, &probe); err != nil {
		t.Fatal(err)
	}
	a := probe.Next(time.Time{})
	if a == nil || a.Deployment != main || !a.Probe {
		t.Fatalf("first attempt after the ejection = %+v, want the probe of main", a)
	}
	if tried := serve(t, tab, Request{Model: "chat"}, ok); !equal(tried, []string{"backup"}) {
		t.Fatalf("during the probe, tried %v", tried)
	}
	// The probe fails: ejected again, twice as long.
	a.Done(fail(main))
	probe.Finish(time.Time{})
	if until := main.health.ejectedUntil.Load(); until != clk.now.Add(20*time.Second).UnixNano() {
		t.Fatalf("second ejection until %v, want now+20s", time.Unix(0, until))
	}
	// Then 40s (the maximum), and 40s again.
	for _, want := range []time.Duration{40 * time.Second, 40 * time.Second} {
		clk.now = time.Unix(0, main.health.ejectedUntil.Load()).UTC()
		serve(t, tab, Request{Model: "chat"}, failMain)
		if until := main.health.ejectedUntil.Load(); until != clk.now.Add(want).UnixNano() {
			t.Fatalf("ejection until %v, want now+%v", time.Unix(0, until), want)
		}
	}
	// A successful probe readmits it.
	clk.advance(40 * time.Second)
	if tried := serve(t, tab, Request{Model: "chat"}, ok); !equal(tried, []string{"main"}) {
		t.Fatalf("after the ejection tried %v", tried)
	}
	if main.health.ejectedUntil.Load() != 0 {
		t.Fatal("main not readmitted after a successful probe")
	}
	if s := main.Stats(clk.now); s.Ejections != 4 || s.Probes != 4 {
		t.Errorf("ejections %d probes %d, want 4 and 4", s.Ejections, s.Probes)
	}

	// Failing again soon continues the streak (40s); after staying
	// healthy longer than max_ejection it starts over at 10s.
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	if until := main.health.ejectedUntil.Load(); until != clk.now.Add(40*time.Second).UnixNano() {
		t.Fatalf("ejection soon after readmission until %v, want now+40s", time.Unix(0, until))
	}
	clk.advance(40 * time.Second)
	serve(t, tab, Request{Model: "chat"}, ok)
	clk.advance(2 * time.Minute)
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	if until := main.health.ejectedUntil.Load(); until != clk.now.Add(10*time.Second).UnixNano() {
		t.Fatalf("ejection after a long healthy spell until %v, want now+10s", time.Unix(0, until))
	}
}

func TestErrorRatioEjects(t *testing.T) {
	tab, clk := newTable(t, twoClouds, "routing: {health: {consecutive_failures: 0, error_ratio: 0.3, min_requests: 10, window: 10s}}")
	main := deployment(t, tab, "main")
	// 2 failures in 10 attempts: below 30%.
	answer := func(failures int) func(d *Deployment) Result {
		n := 0
		return func(d *Deployment) Result {
			if d != main {
				return ok(d)
			}
			n++
			if n <= failures {
				return fail(d)
			}
			return ok(d)
		}
	}
	f := answer(2)
	for range 10 {
		serve(t, tab, Request{Model: "chat"}, f)
	}
	if main.health.ejectedUntil.Load() != 0 {
		t.Fatal("ejected at 20% failures")
	}
	// A new window: 3 of the first 10 fail.
	clk.advance(10 * time.Second)
	f = answer(3)
	for i := range 10 {
		serve(t, tab, Request{Model: "chat"}, f)
		if main.health.ejectedUntil.Load() != 0 {
			if i != 9 {
				t.Fatalf("ejected after %d attempts, before min_requests", i+1)
			}
			return
		}
	}
	t.Fatal("not ejected at 30% failures over min_requests")
}

// TestRejectedAndThrottledAreNotFailures checks that client errors and 429s
// never eject: the deployment answered.
func TestRejectedAndThrottledAreNotFailures(t *testing.T) {
	tab, clk := newTable(t, twoClouds, consecutiveOnly)
	main := deployment(t, tab, "main")
	for range 10 {
		serve(t, tab, Request{Model: "chat"}, func(*Deployment) Result { return Result{Outcome: Rejected} })
		clk.advance(time.Minute)
		serve(t, tab, Request{Model: "chat"}, func(*Deployment) Result { return Result{Outcome: Throttled} })
		clk.advance(time.Minute)
		serve(t, tab, Request{Model: "chat"}, func(*Deployment) Result { return Result{Outcome: Canceled} })
	}
	if main.health.ejectedUntil.Load() != 0 {
		t.Fatal("ejected without a failure")
	}
	if s := main.Stats(clk.now); s.Rejected != 10 || s.Throttled != 10 || s.Canceled != 10 || s.FailureRatio != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestLateResultsDoNotReadmit checks that only the probe decides the fate
// of an ejected deployment: attempts sent before the ejection that finish
// later neither readmit nor extend it.
func TestLateResultsDoNotReadmit(t *testing.T) {
	tab, clk := newTable(t, twoClouds, consecutiveOnly)
	main := deployment(t, tab, "main")
	var slow [2]Decision
	for i := range slow {
		if err := tab.Route(&Request{Model: "chat"}, &slow[i]); err != nil {
			t.Fatal(err)
		}
		slow[i].Next(time.Time{})
	}
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, fail)
	}
	until := main.health.ejectedUntil.Load()
	if until == 0 {
		t.Fatal("not ejected")
	}
	clk.advance(time.Second)
	slow[0].cur.Done(ok(main))
	slow[1].cur.Done(fail(main))
	if main.health.ejectedUntil.Load() != until {
		t.Errorf("late results moved the ejection from %v to %v", time.Unix(0, until), time.Unix(0, main.health.ejectedUntil.Load()))
	}
	for i := range slow {
		slow[i].Finish(time.Time{})
	}
}

func TestAbandonedProbeIsReleased(t *testing.T) {
	tab, clk := newTable(t, twoClouds, consecutiveOnly)
	main := deployment(t, tab, "main")
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, fail)
	}
	clk.advance(10 * time.Second)
	tried := serve(t, tab, Request{Model: "chat"}, func(*Deployment) Result { return Result{Outcome: Canceled} })
	if !equal(tried, []string{"main", "backup"}) {
		t.Fatalf("tried %v", tried)
	}
	if tried := serve(t, tab, Request{Model: "chat"}, ok); !equal(tried, []string{"main"}) {
		t.Fatalf("after a canceled probe, tried %v; want a new probe of main", tried)
	}
	if main.health.ejectedUntil.Load() != 0 {
		t.Error("not readmitted")
	}
}

// TestSlowStart checks that a readmitted deployment gets its traffic back
// gradually: first for about 10% of requests, all of it after the slow
// start window, and that a failure restarts the ramp.
func TestSlowStart(t *testing.T) {
	tab, clk := newTable(t, twoClouds, "routing: {health: {consecutive_failures: 3, error_ratio: 0, base_ejection: 10s, slow_start: 40s}}")
	main := deployment(t, tab, "main")
	failMain := func(d *Deployment) Result {
		if d == main {
			return fail(d)
		}
		return ok(d)
	}
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	clk.advance(10 * time.Second)
	serve(t, tab, Request{Model: "chat"}, ok) // the probe readmits main
	firstShare := func() float64 {
		n := 0
		for range 2000 {
			got, dec := route(t, tab, Request{Model: "chat"})
			if got[0] == "main" {
				n++
			} else if got[1] != "main" || !dec.Candidates()[1].Demoted {
				t.Fatalf("candidates %v: want main demoted, not excluded", got)
			}
			dec.Finish(time.Time{})
		}
		return float64(n) / 2000
	}
	for _, tc := range []struct {
		after time.Duration
		want  float64
	}{{0, 0.1}, {20 * time.Second, 0.55}, {20 * time.Second, 1}} {
		clk.advance(tc.after)
		if got := firstShare(); got < tc.want-0.03 || got > tc.want+0.03 {
			t.Errorf("%v into slow start main is first for %.3f of requests, want %.2f", clk.now.Sub(t0.Add(10*time.Second)), got, tc.want)
		}
	}
	// A failure while ramping starts the ramp again.
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	clk.advance(20 * time.Second)
	serve(t, tab, Request{Model: "chat"}, ok) // readmitted again
	clk.advance(20 * time.Second)
	var dec Decision
	if err := tab.Route(&Request{Model: "chat"}, &dec); err != nil {
		t.Fatal(err)
	}
	for a := dec.Next(time.Time{}); a != nil; a = dec.Next(time.Time{}) {
		if a.Deployment == main {
			a.Done(fail(main))
			break
		}
		a.Done(fail(a.Deployment))
	}
	dec.Finish(time.Time{})
	if got := firstShare(); got > 0.13 {
		t.Errorf("after a failure in slow start main is first for %.3f of requests, want about 0.1", got)
	}
}
