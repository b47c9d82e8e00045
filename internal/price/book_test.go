package price

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

var (
	jan = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func TestScheduleAt(t *testing.T) {
	s := Schedule{Versions: []Version{
		NewVersion("d", jan, Rates{Input: 1}),
		NewVersion("d", mar, Rates{Input: 2}),
	}}
	tests := []struct {
		name  string
		at    time.Time
		input money.Price // 0: no version
	}{
		{"before the first", jan.Add(-time.Nanosecond), 0},
		{"at the first's start", jan, 1},
		{"between", mar.Add(-time.Nanosecond), 1},
		{"at the second's start", mar, 2},
		{"long after", mar.AddDate(5, 0, 0), 2},
		{"same instant in another zone", mar.In(time.FixedZone("UTC-5", -5*3600)), 2},
	}
	for _, tt := range tests {
		v, ok := s.At(tt.at)
		if got := ok; got != (tt.input != 0) {
			t.Errorf("%s: At ok = %v", tt.name, got)
			continue
		}
		if ok && v.Rates.Input != tt.input {
			t.Errorf("%s: At input = %d, want %d", tt.name, v.Rates.Input, tt.input)
		}
	}

	since := Schedule{Versions: []Version{NewVersion("d", time.Time{}, Rates{Input: 1})}}
	if _, ok := since.At(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)); !ok {
		t.Error("a version without a start is not in force since ever")
	}
	if _, ok := (&Schedule{Unpriced: true}).At(jan); ok {
		t.Error("an unpriced schedule has a version")
	}
}

func TestVersionID(t *testing.T) {
	r := Rates{Input: 2500, CachedInput: 1250, CacheWrite: 2500, Output: 10000, Reasoning: 10000}
	id := VersionID("oa/gpt", jan, &r)
	if !strings.HasPrefix(id, "pv_") || len(id) != 3+12 {
		t.Fatalf("id = %q, want pv_ and 12 hex digits", id)
	}
	if again := VersionID("oa/gpt", jan, &r); again != id {
		t.Errorf("same content, two ids: %s, %s", id, again)
	}
	if got := VersionID("oa/gpt", jan.In(time.FixedZone("CET", 3600)), &r); got != id {
		t.Errorf("same instant in another zone: %s, want %s", got, id)
	}
	changed := func(f func(*Rates)) Rates { c := r; f(&c); return c }
	others := map[string]string{
		"deployment": VersionID("oa/gpt-2", jan, &r),
		"from":       VersionID("oa/gpt", mar, &r),
		"no from":    VersionID("oa/gpt", time.Time{}, &r),
		"input":      VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.Input++ }))),
		"cached":     VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.CachedInput++ }))),
		"write":      VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.CacheWrite++ }))),
		"output":     VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.Output++ }))),
		"reasoning":  VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.Reasoning++ }))),
		"tier":       VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.LongContext = &Tier{Above: 1} }))),
		"tier above": VersionID("oa/gpt", jan, ptr(changed(func(c *Rates) { c.LongContext = &Tier{Above: 2} }))),
	}
	seen := map[string]string{id: "original"}
	for what, other := range others {
		if prev, dup := seen[other]; dup {
			t.Errorf("changing %s gives the same id as %s: %s", what, prev, other)
		}
		seen[other] = what
	}
}

// TestVersionIDGolden pins the encoding: the same config must give the same
// id in every release, or stores would see every price as new.
func TestVersionIDGolden(t *testing.T) {
	r := Rates{Input: 150, CachedInput: 75, CacheWrite: 150, Output: 600, Reasoning: 600}
	if got, want := VersionID("oa/gpt-4o-mini", jan, &r), "pv_11f67a1776c1"; got != want {
		t.Errorf("VersionID = %s, want %s", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func testBook() *Book {
	b := NewBook()
	b.Set("a", Schedule{Versions: []Version{
		NewVersion("a", jan, Rates{Input: 1000, CachedInput: 1000, CacheWrite: 1000, Output: 2000, Reasoning: 2000}),
		NewVersion("a", mar, Rates{Input: 500, CachedInput: 500, CacheWrite: 500, Output: 1000, Reasoning: 1000}),
	}})
	b.Set("self-hosted", Schedule{Unpriced: true})
	return b
}

func TestBookPrice(t *testing.T) {
	b := testBook()
	a, _ := b.Schedule("a")
	u := wire.Usage{Prompt: 10, Completion: 5}
	tests := []struct {
		name       string
		deployment string
		at         time.Time
		cost       money.Nanos
		version    string
		unpriced   bool
		err        error
	}{
		{"first version", "a", jan.Add(time.Hour), 10*1000 + 5*2000, a.Versions[0].ID, false, nil},
		{"second version", "a", mar, 10*500 + 5*1000, a.Versions[1].ID, false, nil},
		{"before the first version", "a", jan.Add(-time.Second), 0, "", false, ErrBeforeFirstVersion},
		{"unpriced", "self-hosted", jan, 0, "", true, nil},
		{"unknown deployment", "nobody", jan, 0, "", false, ErrUnknownDeployment},
	}
	for _, tt := range tests {
		cost, version, unpriced, err := b.Price(tt.deployment, tt.at, u)
		if cost != tt.cost || version != tt.version || unpriced != tt.unpriced || !errors.Is(err, tt.err) {
			t.Errorf("%s: Price = %d, %q, %v, %v; want %d, %q, %v, %v", tt.name, cost, version, unpriced, err,
				tt.cost, tt.version, tt.unpriced, tt.err)
		}
	}
	if got := b.Deployments(); len(got) != 2 || got[0] != "a" || got[1] != "self-hosted" {
		t.Errorf("Deployments = %v", got)
	}
}

func TestBookPriceDoesNotAllocate(t *testing.T) {
	b := testBook()
	u := wire.Usage{Prompt: 1000, Cached: 200, Completion: 300, Reasoning: 100}
	if n := testing.AllocsPerRun(100, func() { _, _, _, _ = b.Price("a", mar, u) }); n != 0 {
		t.Errorf("Price allocates %.0f times", n)
	}
}

func BenchmarkPrice(b *testing.B) {
	book := testBook()
	u := wire.Usage{Prompt: 1000, Cached: 200, Completion: 300, Reasoning: 100}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := book.Price("a", mar, u); err != nil {
			b.Fatal(err)
		}
	}
}
