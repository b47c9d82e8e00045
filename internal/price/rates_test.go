package price

import (
	"testing"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// per parses USD per million tokens, as config writes prices.
func per(t testing.TB, s string) money.Price {
	t.Helper()
	p, err := money.ParsePerMillion(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCost(t *testing.T) {
	base := Rates{Input: per(t, "2.50"), CachedInput: per(t, "1.25"), CacheWrite: per(t, "3.00"), Output: per(t, "10"), Reasoning: per(t, "12")}
	long := base
	long.LongContext = &Tier{Above: 200_000, Input: per(t, "5"), CachedInput: per(t, "2.50"), CacheWrite: per(t, "6"), Output: per(t, "15"), Reasoning: per(t, "18")}
	free := Rates{}
	tests := []struct {
		name  string
		rates Rates
		u     wire.Usage
		want  money.Nanos
	}{
		{"zero usage", base, wire.Usage{}, 0},
		{"input and output", base, wire.Usage{Prompt: 1000, Completion: 100}, 1000*2500 + 100*10000},
		{"cache read", base, wire.Usage{Prompt: 1000, Cached: 400}, 600*2500 + 400*1250},
		{"cache write", base, wire.Usage{Prompt: 1000, Cached: 400, CacheWrite: 100}, 500*2500 + 400*1250 + 100*3000},
		{"reasoning apart from output", base, wire.Usage{Completion: 10, Reasoning: 4}, 6*10000 + 4*12000},
		{"every token type", base, wire.Usage{Prompt: 100, Cached: 20, CacheWrite: 30, Completion: 50, Reasoning: 10},
			50*2500 + 20*1250 + 30*3000 + 40*10000 + 10*12000},
		{"cached above prompt is capped", base, wire.Usage{Prompt: 10, Cached: 50, Completion: 5, Reasoning: 9}, 10*1250 + 5*12000},
		{"write above what is left is capped", base, wire.Usage{Prompt: 10, Cached: 6, CacheWrite: 9}, 6*1250 + 4*3000},
		{"negative counts bill nothing", base, wire.Usage{Prompt: -5, Cached: -1, CacheWrite: -1, Completion: -3, Reasoning: -2}, 0},
		{"negative part ignored", base, wire.Usage{Prompt: 10, Cached: -4, Completion: 2, Reasoning: -1}, 10*2500 + 2*10000},
		{"free deployment", free, wire.Usage{Prompt: 1000, Completion: 1000}, 0},
		{"long context at the threshold is base", long, wire.Usage{Prompt: 200_000, Completion: 10}, 200_000*2500 + 10*10000},
		{"long context one past the threshold is tier, whole request", long, wire.Usage{Prompt: 200_001, Completion: 10},
			200_001*5000 + 10*15000},
		{"long context counts cached tokens toward the threshold", long,
			wire.Usage{Prompt: 200_001, Cached: 200_000, CacheWrite: 1, Completion: 10, Reasoning: 4},
			200_000*2500 + 1*6000 + 6*15000 + 4*18000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rates.Cost(tt.u); got != tt.want {
				t.Errorf("Cost(%+v) = %d, want %d", tt.u, got, tt.want)
			}
		})
	}
}
