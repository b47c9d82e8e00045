package books

import (
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

func price(in, cached, write, out, reasoning string) config.Price {
	p := func(s string) money.Price { v, _ := money.ParsePerMillion(s); return v }
	return config.Price{Input: p(in), CachedInput: p(cached), CacheWrite: p(write), Output: p(out), Reasoning: p(reasoning)}
}

func TestCost(t *testing.T) {
	p := price("2.50", "1.25", "3.00", "10", "10")
	tests := []struct {
		name string
		u    wire.Usage
		want money.Nanos
	}{
		{"plain", wire.Usage{Prompt: 1000, Completion: 100}, 1000*2500 + 100*10000},
		{"cached", wire.Usage{Prompt: 1000, Cached: 400, Completion: 0}, 600*2500 + 400*1250},
		{"cache write", wire.Usage{Prompt: 1000, Cached: 400, CacheWrite: 100}, 500*2500 + 400*1250 + 100*3000},
		{"inconsistent report never negative", wire.Usage{Prompt: 10, Cached: 50, Completion: 5, Reasoning: 9}, 10*1250 + 5*10000},
		{"zero", wire.Usage{}, 0},
	}
	for _, tt := range tests {
		if got := Cost(p, tt.u); got != tt.want {
			t.Errorf("%s: Cost = %d, want %d", tt.name, got, tt.want)
		}
	}
	// Reasoning priced apart from output.
	p2 := price("1", "1", "1", "2", "4")
	if got, want := Cost(p2, wire.Usage{Completion: 10, Reasoning: 4}), money.Nanos(6*2000+4*4000); got != want {
		t.Errorf("reasoning Cost = %d, want %d", got, want)
	}
}

func TestMeter(t *testing.T) {
	m := NewMeter([]string{"a", "b"})
	m.Settle(&usage.Event{Deployment: "a", Outcome: usage.Completed, Usage: wire.Usage{Prompt: 3, Completion: 4}, Cost: 7})
	m.Settle(&usage.Event{Deployment: "a", Outcome: usage.Failed})
	m.Settle(&usage.Event{Deployment: "c", Outcome: usage.Interrupted, Usage: wire.Usage{Prompt: 1}})
	s := m.Snapshot()
	if len(s) != 3 || s[0].Deployment != "a" || s[2].Deployment != "c" {
		t.Fatalf("snapshot = %+v", s)
	}
	if a := s[0]; a.Attempts != 2 || a.Completed != 1 || a.Failed != 1 || a.PromptTokens != 3 || a.CompletionTokens != 4 || a.Cost != 7 {
		t.Errorf("a = %+v", a)
	}
	if c := s[2]; c.Interrupted != 1 || c.PromptTokens != 1 {
		t.Errorf("c = %+v", c)
	}
}
