package route

import (
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestSlidingMinute(t *testing.T) {
	var s slidingMinute
	base := t0.UnixNano() // on a minute boundary
	for i := range 10 {
		if !s.reserve(base+int64(i)*int64(time.Second), 10, 100) {
			t.Fatalf("reserve %d refused below the limit", i)
		}
	}
	if s.reserve(base+10*int64(time.Second), 1, 100) {
		t.Fatal("reserve over the limit accepted")
	}
	if u := s.used(base + 59*int64(time.Second)); u != 100 {
		t.Fatalf("used = %d, want 100", u)
	}
	// A quarter into the next minute, three quarters of the last one count.
	q := base + minute + 15*int64(time.Second)
	if u := s.used(q); u != 75 {
		t.Fatalf("used a quarter into the next minute = %d, want 75", u)
	}
	if !s.reserve(q, 25, 100) || s.reserve(q, 1, 100) {
		t.Fatal("next minute: want exactly 25 more to fit")
	}
	// Corrections: the actual size was smaller.
	s.adjust(q, -20)
	if u := s.used(q); u != 80 {
		t.Fatalf("used after adjust = %d, want 80", u)
	}
	s.adjust(base, -50)            // the previous minute's count still weighs in
	if u := s.used(q); u != 5+37 { // 50 × 0.75, rounded down
		t.Fatalf("used after adjusting the previous minute = %d, want 42", u)
	}
	// Two minutes later nothing counts, and an old minute is not adjusted.
	later := base + 3*minute
	s.adjust(base, 1000)
	if u := s.used(later); u != 0 {
		t.Fatalf("used two minutes later = %d", u)
	}
	// A request larger than the limit fits an idle window.
	if !s.fits(later, 500, 100) || !s.reserve(later, 500, 100) || s.reserve(later, 1, 100) {
		t.Fatal("oversized request: want it to fit only an idle window")
	}
}

func TestSlidingMinuteConcurrent(t *testing.T) {
	var s slidingMinute
	now := t0.UnixNano()
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if s.reserve(now, 1, 5000) {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if accepted != 5000 || s.used(now) != 5000 {
		t.Fatalf("accepted %d, counted %d; want exactly the limit, 5000", accepted, s.used(now))
	}
}

const quotaModel = `models:
  - name: chat
    routing: cheapest
    deployments:
      - {name: cheap, provider: aws, model: m, price: {input: "0.10", output: "0.40"}, quota: {rpm: 3}}
      - {name: mid, provider: az, model: m, price: {input: "0.20", output: "0.80"}, quota: {tpm: 3000}}
      - {name: dear, provider: gcp, model: m, price: {input: "0.30", output: "1.20"}, max_concurrent: 2}`

func TestQuotaSpills(t *testing.T) {
	tab, clk := newTable(t, quotaModel)
	req := Request{Model: "chat", PromptTokens: 1000, MaxTokens: 256}
	var got []string
	for range 7 {
		got = append(got, serve(t, tab, req, ok)...)
	}
	// cheap takes 3 a minute; mid 3000 tokens a minute: 1256 reserved per
	// request, 1100 once corrected, so two fit; dear takes the rest.
	if want := []string{"cheap", "cheap", "cheap", "mid", "mid", "dear", "dear"}; !equal(got, want) {
		t.Fatalf("served by %v, want %v", got, want)
	}
	_, dec := route(t, tab, Request{Model: "chat", PromptTokens: 1000, Debug: true})
	if !equal(candidateNames(dec), []string{"dear"}) || dec.Reason == "" {
		t.Fatalf("candidates = %v", candidateNames(dec))
	}
	for _, want := range []string{"cheap (at its RPM quota, 1m0s left)", "mid (at its TPM quota, 1m0s left)"} {
		if !contains(dec.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, dec.Reason)
		}
	}
	dec.Finish(time.Time{})
	if s := deployment(t, tab, "mid").Stats(clk.now); s.TPM != 2200 || s.RPM != 2 {
		t.Errorf("mid counted %d tokens, %d requests; want the actual 2200 and 2", s.TPM, s.RPM)
	}
	clk.advance(2 * time.Minute)
	if got := serve(t, tab, req, ok); !equal(got, []string{"cheap"}) {
		t.Errorf("after the window, served by %v", got)
	}
}

func TestMaxConcurrent(t *testing.T) {
	tab, clk := newTable(t, quotaModel)
	dear := deployment(t, tab, "dear")
	cons := &Constraints{Providers: []string{"gcp"}}
	var decs [3]Decision
	for i := range decs {
		if err := tab.Route(&Request{Model: "chat", Constraints: cons}, &decs[i]); err != nil {
			t.Fatal(err)
		}
	}
	a0, a1, a2 := decs[0].Next(time.Time{}), decs[1].Next(time.Time{}), decs[2].Next(time.Time{})
	if a0 == nil || a1 == nil || a2 != nil {
		t.Fatalf("attempts = %v %v %v; want the third refused at max_concurrent 2", a0 != nil, a1 != nil, a2 != nil)
	}
	if s := dear.Stats(clk.now); s.InFlight != 2 {
		t.Fatalf("in flight = %d", s.InFlight)
	}
	_, dec := route(t, tab, Request{Model: "chat", Constraints: cons})
	if len(dec.Candidates()) != 0 {
		t.Error("a deployment at its cap is still a candidate")
	}
	dec.Finish(time.Time{})
	a0.Done(Result{Outcome: Success, Usage: wire.Usage{Prompt: 10, Completion: 10}})
	if got := serve(t, tab, Request{Model: "chat", Constraints: cons}, ok); !equal(got, []string{"dear"}) {
		t.Errorf("after one finished, served by %v", got)
	}
	for i := range decs {
		decs[i].Finish(time.Time{})
	}
	if s := dear.Stats(clk.now); s.InFlight != 0 {
		t.Errorf("in flight after Finish = %d", s.InFlight)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
