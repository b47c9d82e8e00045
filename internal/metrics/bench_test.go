package metrics

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// BenchmarkRequestPath is what metrics add to one request of one attempt:
// the request counter and histogram, and the settlement hook.
func BenchmarkRequestPath(b *testing.B) {
	m := New(Options{TenantsTopN: 20})
	e := event("tenant-1", "dep-1", wire.Usage{Prompt: 1200, Cached: 200, Completion: 300}, 4200, usage.Reported)
	m.Settle(e)
	m.Request("m", Chat, 200, time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Settle(e)
		m.Request("m", Chat, 200, 1500*time.Millisecond)
	}
}

func BenchmarkRequestPathParallel(b *testing.B) {
	m := New(Options{TenantsTopN: 20})
	e := event("tenant-1", "dep-1", wire.Usage{Prompt: 1200, Cached: 200, Completion: 300}, 4200, usage.Reported)
	m.Settle(e)
	m.Request("m", Chat, 200, time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Settle(e)
			m.Request("m", Chat, 200, 1500*time.Millisecond)
		}
	})
}
