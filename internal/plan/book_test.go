package plan

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/wire"
)

var (
	jan = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mar = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func per(t testing.TB, s string) money.Price {
	t.Helper()
	p, err := money.ParsePerMillion(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rates(t testing.TB, in, out string) price.Rates {
	i, o := per(t, in), per(t, out)
	return price.Rates{Input: i, CachedInput: i, CacheWrite: i, Output: o, Reasoning: o}
}

const usd = money.PerDollar

// testBook: "pro" prices gpt-4o exactly and claude-* by glob, marks the rest
// up 25% and charges a cent a request; from March it halves the glob price.
// "cost-plus" is a 10% markup. Tenants: a on pro since ever; b on pro in
// February only, then pass-through; c in an experiment, arm b on
// cost-plus from February.
func testBook(t testing.TB) *Book {
	proJan := Terms{
		Prices: []ModelPrice{
			{Model: "claude-*", Rates: rates(t, "4", "20")},
			{Model: "gpt-4o", Rates: rates(t, "3", "12")},
			{Model: "claude-haiku*", Rates: rates(t, "1", "5")}, // after claude-*: never wins
		},
		Markup: 2500, RequestFee: usd / 100, MonthlyMinimum: 100 * usd, IncludedCredit: 20 * usd,
	}
	proMar := proJan
	proMar.Prices = []ModelPrice{{Model: "claude-*", Rates: rates(t, "2", "10")}, {Model: "gpt-4o", Rates: rates(t, "3", "12")}}
	b, err := NewBook([]Plan{
		{Name: "pro", Versions: []Version{NewVersion("pro", time.Time{}, proJan), NewVersion("pro", mar, proMar)}},
		{Name: "cost-plus", Versions: []Version{NewVersion("cost-plus", jan, Terms{Markup: 1000})}},
	}, []Assignment{
		{Tenant: "a", Plan: "pro"},
		{Tenant: "b", Plan: "pro", From: feb, To: mar},
		{Tenant: "c", Plan: "cost-plus", From: feb, Experiment: "pricing-q1", Arm: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRate(t *testing.T) {
	b := testBook(t)
	pro, _ := b.Plan("pro")
	cp, _ := b.Plan("cost-plus")
	proJan, proMar, cpV := pro.Versions[0].ID, pro.Versions[1].ID, cp.Versions[0].ID
	u := wire.Usage{Prompt: 1_000_000, Completion: 100_000}
	const cost = 7 * usd
	fee := usd / 100
	tests := []struct {
		name    string
		tenant  string
		at      time.Time
		model   string
		want    money.Nanos
		version string
		arm     string
	}{
		{"exact model", "a", feb, "gpt-4o", 3*usd + 12*usd/10 + fee, proJan, ""},
		{"family glob", "a", feb, "claude-sonnet-4", 4*usd + 2*usd + fee, proJan, ""},
		{"first glob wins", "a", feb, "claude-haiku-4", 4*usd + 2*usd + fee, proJan, ""},
		{"markup for an unpriced model", "a", feb, "gemini-2.5-pro", cost*125/100 + fee, proJan, ""},
		{"glob is anchored", "a", feb, "my-claude-x", cost*125/100 + fee, proJan, ""},
		{"last instant of the first version", "a", mar.Add(-time.Nanosecond), "claude-x", 6*usd + fee, proJan, ""},
		{"second version from its start", "a", mar, "claude-x", 2*usd + 1*usd + fee, proMar, ""},
		{"assignment not yet started", "b", feb.Add(-time.Nanosecond), "gpt-4o", cost, "", ""},
		{"assignment from its start", "b", feb, "gpt-4o", 3*usd + 12*usd/10 + fee, proJan, ""},
		{"assignment ended (to is exclusive)", "b", mar, "gpt-4o", cost, "", ""},
		{"experiment arm", "c", feb, "gpt-4o", cost * 110 / 100, cpV, "b"},
		{"no plan: pass-through", "nobody", feb, "gpt-4o", cost, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := b.Rate(tt.tenant, tt.at, tt.model, u, cost)
			if c.Revenue != tt.want || c.PlanVersion != tt.version || c.Arm != tt.arm {
				t.Errorf("Rate = %+v; want revenue %s, version %q, arm %q", c, tt.want, tt.version, tt.arm)
			}
			if c.PassThrough != (tt.version == "") || (c.PlanID == "") != c.PassThrough {
				t.Errorf("Rate = %+v: pass-through and plan disagree", c)
			}
			if tt.arm != "" && c.Experiment != "pricing-q1" {
				t.Errorf("Rate = %+v: experiment missing", c)
			}
		})
	}
	var nilBook *Book
	if c := nilBook.Rate("a", feb, "gpt-4o", u, cost); c.Revenue != cost || !c.PassThrough {
		t.Errorf("nil book: %+v", c)
	}
}

func TestMonthEnd(t *testing.T) {
	b := testBook(t)
	tests := []struct {
		name        string
		tenant      string
		month       time.Time
		usage       money.Nanos
		topUp, used money.Nanos
	}{
		{"idle month owes the minimum", "a", jan, 0, 100 * usd, 0},
		{"usage within the credit", "a", jan.Add(40 * 24 * time.Hour), 15 * usd, 100 * usd, 15 * usd},
		{"usage below minimum after credit", "a", jan, 50 * usd, 70 * usd, 20 * usd},
		{"usage exactly minimum plus credit", "a", jan, 120 * usd, 0, 20 * usd},
		{"usage above", "a", jan, 500 * usd, 0, 20 * usd},
		{"plan ending at the month's end", "b", feb, 10 * usd, 100 * usd, 10 * usd},
		{"plan ended before the month", "b", mar, 10 * usd, 0, 0},
		{"no minimum, no credit", "c", feb, 10 * usd, 0, 0},
		{"no plan", "nobody", feb, 10 * usd, 0, 0},
	}
	for _, tt := range tests {
		topUp, used := b.MonthEnd(tt.tenant, tt.month, tt.usage, 3)
		if topUp != tt.topUp || used != tt.used {
			t.Errorf("%s: MonthEnd = %s, %s; want %s, %s", tt.name, topUp, used, tt.topUp, tt.used)
		}
		// The documented invoice identity.
		if inv := tt.usage - used + topUp; tt.topUp+tt.used != 0 && inv != max(100*usd, tt.usage-20*usd) {
			t.Errorf("%s: invoice %s breaks max(minimum, usage − credit)", tt.name, inv)
		}
	}
}

func TestNewBookRefuses(t *testing.T) {
	v := func(name string, from time.Time) Version { return NewVersion(name, from, Terms{}) }
	p := Plan{Name: "p", Versions: []Version{v("p", jan)}}
	tests := []struct {
		name   string
		plans  []Plan
		assign []Assignment
		want   error
	}{
		{"unknown plan", []Plan{p}, []Assignment{{Tenant: "t", Plan: "q"}}, ErrUnknownPlan},
		{"before the first version", []Plan{p}, []Assignment{{Tenant: "t", Plan: "p"}}, ErrNoVersion},
		{"same start", []Plan{p}, []Assignment{{Tenant: "t", Plan: "p", From: feb}, {Tenant: "t", Plan: "p", From: feb}}, ErrOverlap},
		{"ends after the next starts", []Plan{p}, []Assignment{{Tenant: "t", Plan: "p", From: jan, To: mar}, {Tenant: "t", Plan: "p", From: feb}}, ErrOverlap},
		{"ends before it starts", []Plan{p}, []Assignment{{Tenant: "t", Plan: "p", From: feb, To: feb}}, ErrOverlap},
		{"versions out of order", []Plan{{Name: "p", Versions: []Version{v("p", feb), v("p", jan)}}}, nil, ErrBadPlan},
		{"no versions", []Plan{{Name: "p"}}, nil, ErrBadPlan},
		{"twice", []Plan{p, p}, nil, ErrBadPlan},
	}
	for _, tt := range tests {
		if _, err := NewBook(tt.plans, tt.assign); !errors.Is(err, tt.want) {
			t.Errorf("%s: NewBook = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Back to back, and an ended one followed later by another, are fine.
	if _, err := NewBook([]Plan{p}, []Assignment{{Tenant: "t", Plan: "p", From: jan, To: feb}, {Tenant: "t", Plan: "p", From: feb},
		{Tenant: "u", Plan: "p", From: jan, To: feb}, {Tenant: "u", Plan: "p", From: mar}}); err != nil {
		t.Error(err)
	}
}

func TestVersionID(t *testing.T) {
	base := Terms{Prices: []ModelPrice{{Model: "a*", Rates: rates(t, "1", "2")}, {Model: "b", Rates: rates(t, "1", "2")}}, Markup: 100}
	id := VersionID("p", jan, &base)
	if len(id) != 4+12 || id[:4] != "plv_" {
		t.Fatalf("id = %q", id)
	}
	if again := NewVersion("p", jan.In(time.FixedZone("x", 3600)), base).ID; again != id {
		t.Errorf("same terms, other id: %s, %s", again, id)
	}
	change := map[string]func(*Terms){
		"markup":  func(t *Terms) { t.Markup++ },
		"minimum": func(t *Terms) { t.MonthlyMinimum++ },
		"credit":  func(t *Terms) { t.IncludedCredit++ },
		"fee":     func(t *Terms) { t.RequestFee++ },
		"order":   func(t *Terms) { t.Prices[0], t.Prices[1] = t.Prices[1], t.Prices[0] },
		"rate":    func(t *Terms) { t.Prices[1].Rates.Output++ },
		"model":   func(t *Terms) { t.Prices[1].Model = "c" },
	}
	for what, f := range change {
		c := base
		c.Prices = append([]ModelPrice(nil), base.Prices...)
		f(&c)
		if VersionID("p", jan, &c) == id {
			t.Errorf("changing %s keeps the id", what)
		}
	}
	if VersionID("q", jan, &base) == id || VersionID("p", feb, &base) == id {
		t.Error("plan name or start not in the id")
	}
}

// TestRerateReproduces is the books' property: re-rating a period under the
// plan versions it was charged with gives back its revenue to the
// nano-dollar, through a Book rebuilt from the same plans.
func TestRerateReproduces(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	models := []string{"gpt-4o", "claude-sonnet-4", "claude-haiku-4", "gemini-2.5-pro", "llama"}
	tenants := []string{"a", "b", "c", "nobody"}
	type req struct {
		tenant, model string
		at            time.Time
		u             wire.Usage
		cost          money.Nanos
		charge        Charge
	}
	b := testBook(t)
	var reqs []req
	var total money.Nanos
	for range 5000 {
		prompt := r.Int64N(300_000)
		q := req{tenant: tenants[r.IntN(len(tenants))], model: models[r.IntN(len(models))],
			at:   jan.Add(time.Duration(r.Int64N(int64(80 * 24 * time.Hour)))),
			u:    wire.Usage{Prompt: prompt, Cached: r.Int64N(prompt + 1), Completion: r.Int64N(8000)},
			cost: money.Nanos(r.Int64N(int64(2 * usd)))}
		q.charge = b.Rate(q.tenant, q.at, q.model, q.u, q.cost)
		total += q.charge.Revenue
		reqs = append(reqs, q)
	}
	again := testBook(t)
	var rerated, pinned money.Nanos
	for _, q := range reqs {
		c := again.Rate(q.tenant, q.at, q.model, q.u, q.cost)
		if c != q.charge {
			t.Fatalf("re-rated %+v as %+v, charged %+v", q, c, q.charge)
		}
		rerated += c.Revenue
		if q.charge.PassThrough {
			pinned += q.cost
			continue
		}
		v, ok := again.Version(q.charge.PlanVersion)
		if !ok {
			t.Fatalf("version %s not found", q.charge.PlanVersion)
		}
		pinned += v.Revenue(q.model, q.u, q.cost)
	}
	if rerated != total || pinned != total {
		t.Errorf("revenue %s, re-rated %s, re-rated by pinned version %s", total, rerated, pinned)
	}
}

func TestRateDoesNotAllocate(t *testing.T) {
	b := testBook(t)
	u := wire.Usage{Prompt: 1000, Cached: 200, Completion: 300}
	for _, m := range []string{"gpt-4o", "claude-sonnet-4", "gemini-2.5-pro"} {
		if n := testing.AllocsPerRun(100, func() { b.Rate("a", feb, m, u, 1000) }); n != 0 {
			t.Errorf("Rate(%s) allocates %.0f times", m, n)
		}
	}
}

func BenchmarkRate(b *testing.B) {
	book := testBook(b)
	u := wire.Usage{Prompt: 1000, Cached: 200, Completion: 300}
	for _, m := range []string{"gpt-4o", "claude-sonnet-4", "gemini-2.5-pro"} {
		b.Run(m, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				book.Rate("c", mar, m, u, 1000)
				book.Rate("a", mar, m, u, 1000)
			}
		})
	}
}
