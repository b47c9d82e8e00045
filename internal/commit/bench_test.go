package commit

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// BenchmarkAllocateMonth allocates a month of hourly usage (50 rows an hour,
// two thirds on committed deployments) between a spend and a capacity
// commitment: the work behind a month's FOCUS export.
func BenchmarkAllocateMonth(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	terms := []Terms{spendTerms(5000*usd, 31), capTerms(20000, 40*usd, 31*24)}
	deps := []string{"az/gpt", "aws/pt", "other"}
	var rows []Usage
	for h := range 30 * 24 {
		for i := range 50 {
			rows = append(rows, Usage{Hour: t0.Add(time.Duration(h) * time.Hour), Deployment: deps[i%3], Model: "m",
				Tenant: string(rune('a' + i%17)), Tokens: Tokens{Prompt: r.Int64N(1e6), Completion: r.Int64N(1e5)},
				Cost: money.Nanos(r.Int64N(1e9))})
		}
	}
	now := t0.AddDate(0, 1, 0)
	b.ReportAllocs()
	for b.Loop() {
		Allocate(terms, rows, t0, now, now, nil)
	}
}
