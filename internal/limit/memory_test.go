package limit

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op beside wall time: on a shared machine wall time
// counts the time other processes hold the CPU.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func TestMemoryConformance(t *testing.T) {
	conformance(t, func(t *testing.T, o Options) Limiter { return NewMemory(o) })
}

func TestMemoryAdmitDoesNotAllocate(t *testing.T) {
	c := newClock()
	m := NewMemory(Options{Now: c.Now})
	a := &Ask{Tokens: 100, Scopes: []Scope{
		{Name: "key:k_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}},
		{Name: "tenant:t_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50}},
		{Name: "model:m", Limits: Limits{RPM: 1 << 40}},
		{Name: "deployment:d", Limits: Limits{TPM: 1 << 50}},
	}}
	ctx := context.Background()
	n := testing.AllocsPerRun(1000, func() {
		c.Add(time.Millisecond)
		d, tk, err := m.Admit(ctx, a)
		if err != nil || !d.Allowed {
			t.Fatalf("Admit = %+v, %v", d, err)
		}
		if err := m.Settle(ctx, tk, 50); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("Admit+Settle allocates %v times per call, want 0", n)
	}
}

func TestMemorySweepsIdleScopes(t *testing.T) {
	c := newClock()
	m := NewMemory(Options{Now: c.Now})
	for i := range 1000 {
		_, tk, _ := m.Admit(context.Background(), &Ask{Scopes: []Scope{rpm("k"+string(rune(i)), 10)}})
		_ = tk
	}
	c.Add(2 * Window)
	for i := range 1000 { // new scopes: creation sweeps the idle ones
		m.Admit(context.Background(), &Ask{Scopes: []Scope{rpm("n"+string(rune(i)), 10)}})
	}
	var n int
	for i := range m.shards {
		n += len(m.shards[i].m)
	}
	if n > 1100 {
		t.Fatalf("%d scopes kept, want the idle ones dropped", n)
	}
	// A scope that is still in use keeps its usage through sweeps.
	for range 10 {
		m.Admit(context.Background(), &Ask{Scopes: []Scope{rpm("busy", 10)}})
	}
	c.Add(Window / 2)
	for i := range 1000 {
		m.Admit(context.Background(), &Ask{Scopes: []Scope{rpm("x"+string(rune(i)), 10)}})
	}
	if d, _, _ := m.Admit(context.Background(), &Ask{Scopes: []Scope{rpm("busy", 10)}}); d.Allowed {
		t.Fatal("a sweep forgot a busy scope's usage")
	}
}

func TestFormatReset(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{20 * time.Millisecond, "20ms"},
		{19*time.Millisecond + 1, "20ms"}, // rounded up: never retry early
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"},
		{6 * time.Minute, "6m0s"},
		{60*time.Second + 100*time.Millisecond, "1m0.1s"},
	} {
		if got := FormatReset(tc.d); got != tc.want {
			t.Errorf("FormatReset(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestDecisionWrite(t *testing.T) {
	d := Decision{RetryAfter: 1500 * time.Millisecond, Headers: Headers{
		LimitRequests: 600, RemainingRequests: 0, ResetRequests: 6 * time.Minute,
		LimitTokens: 100000, RemainingTokens: 99000, ResetTokens: 20 * time.Millisecond,
	}}
	h := http.Header{}
	d.Write(h)
	want := map[string]string{
		"x-ratelimit-limit-requests":     "600",
		"x-ratelimit-remaining-requests": "0",
		"x-ratelimit-reset-requests":     "6m0s",
		"x-ratelimit-limit-tokens":       "100000",
		"x-ratelimit-remaining-tokens":   "99000",
		"x-ratelimit-reset-tokens":       "20ms",
		"retry-after":                    "2",
		"retry-after-ms":                 "1500",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	h = http.Header{}
	Decision{Allowed: true, Headers: Headers{LimitTokens: 10}}.Write(h)
	if h.Get("retry-after") != "" || h.Get("x-ratelimit-limit-requests") != "" || h.Get("x-ratelimit-limit-tokens") != "10" {
		t.Errorf("allowed, tokens only: %v", h)
	}
}

// BenchmarkMemoryAdmit measures one Admit plus its Settle over four scopes,
// the shape of a request under a key, its tenant, a model and a deployment.
func BenchmarkMemoryAdmit(b *testing.B) {
	m := NewMemory(Options{})
	a := &Ask{Tokens: 100, Scopes: []Scope{
		{Name: "key:k_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}},
		{Name: "tenant:t_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50}},
		{Name: "model:m", Limits: Limits{RPM: 1 << 40}},
		{Name: "deployment:d", Limits: Limits{TPM: 1 << 50}},
	}}
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		_, tk, _ := m.Admit(ctx, a)
		m.Settle(ctx, tk, 50)
	}
	reportCPU(b, start)
}

// BenchmarkMemoryAdmitParallel is the same under contention on shared scopes.
func BenchmarkMemoryAdmitParallel(b *testing.B) {
	m := NewMemory(Options{})
	a := Ask{Tokens: 100, Scopes: []Scope{
		{Name: "key:k_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}},
		{Name: "tenant:t_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50}},
	}}
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		a := a
		for pb.Next() {
			_, tk, _ := m.Admit(ctx, &a)
			m.Settle(ctx, tk, 50)
		}
	})
	reportCPU(b, start)
}
