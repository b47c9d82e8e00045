package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/switchyard/switchyard/internal/route/sim"
)

// customer is one tenant of the demo's business: its plan, when it signs
// up (and leaves), and how much it sends.
type customer struct {
	name, plan, arm string
	// from and until are offsets from the business's start: the tenant's
	// first possible request, and its last (until 0: it stays).
	from, until time.Duration
	// size scales the tenant's request rate: unitsPerDay requests a day
	// (before growth, weekends and the time of day) per unit.
	size float64
}

// business is the demo's customers over a window of days: the four
// tenants it opens with, signing up on its first four days, and newcomers
// signing up on days drawn from the seed. Every tenant's first request
// falls on its sign-up day, so the new-tenants target counts sign-ups.
type business struct {
	start     time.Time // midnight UTC
	days      int
	seed      uint64
	customers []customer
	// unitsPerDay is the requests a day of a tenant of size 1 at the start;
	// growth how much every tenant's traffic grows a month.
	unitsPerDay float64
	growth      float64
	// shocks dip the whole traffic (the backtest's outage).
	shocks []sim.Shock
}

// Sizes and rates of the demo's business. Newcomers arrive as a Poisson
// process, at half the rate on weekends; the new-tenants target
// (newTenantsGoal) asks for more than they achieve, so it is missed, from
// the data.
const (
	arrivalsPerDay = 0.5
	unitsPerDay    = 40
	monthlyGrowth  = 0.05
	newcomerSigma  = 0.7 // log-normal spread of a newcomer's size, mean 1
	signUpHour     = 8   // a tenant's first possible request: 08:00 UTC on its day
	newTenantsGoal = 25
	weekendTraffic = 0.5
	diurnalTraffic = 0.5
)

// newcomerNames name the tenants that sign up during the history; beyond
// them, newcomers are numbered.
var newcomerNames = []string{
	"hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne", "aperture", "oscorp",
	"vandelay", "soylent", "nakatomi", "gringotts", "pied-piper", "dunder", "monarch", "virtucon",
	"prestige", "krusty", "duff", "sirius", "blue-sun", "weyland", "yoyodyne", "zorg",
}

// newBusiness draws the business of days days from start (rounded down to
// midnight UTC): the opening tenants on the first four days, then
// newcomers, arrivalsPerDay of them a weekday on average, each on its day
// at signUpHour, until the last whole day (so each has made its first
// request by the end of the window, the hours of day days). The same
// arguments give the same business.
func newBusiness(start time.Time, days int, seed uint64) business {
	b := business{start: dayOf(start), days: days, seed: seed, unitsPerDay: unitsPerDay, growth: monthlyGrowth}
	sizes := map[string]float64{"acme": 3, "globex": 4, "initech": 3, "umbrella": 2}
	for i, t := range demoTenants {
		b.customers = append(b.customers, customer{name: t.name, plan: t.plan, arm: t.arm, size: sizes[t.name],
			from: signUp(i)})
	}
	rng := rand.New(rand.NewPCG(seed, 0xb12))
	plans := []struct{ plan, arm string }{{"starter", ""}, {"growth-a", "a"}, {"growth-b", "b"}}
	n := 0
	for day := len(demoTenants); day < days; day++ {
		lambda := arrivalsPerDay
		if wd := b.start.AddDate(0, 0, day).Weekday(); wd == time.Saturday || wd == time.Sunday {
			lambda *= weekendTraffic
		}
		for range poisson(rng, lambda) {
			name := fmt.Sprintf("newco-%03d", n+1)
			if n < len(newcomerNames) {
				name = newcomerNames[n]
			}
			p := plans[rng.IntN(len(plans))]
			size := math.Exp(newcomerSigma*rng.NormFloat64() - newcomerSigma*newcomerSigma/2)
			b.customers = append(b.customers, customer{name: name, plan: p.plan, arm: p.arm, from: signUp(day), size: size})
			n++
		}
	}
	return b
}

// signUp is the offset of signUpHour on the business's day.
func signUp(day int) time.Duration { return time.Duration(day)*24*time.Hour + signUpHour*time.Hour }

// firstDays counts, per day, the customers whose first possible request
// falls on it: the arrivals the synthesiser was asked for.
func (b business) firstDays() map[time.Time]int {
	out := map[time.Time]int{}
	for _, c := range b.customers {
		out[dayOf(b.start.Add(c.from))]++
	}
	return out
}

// streamKinds are the requests a tenant sends, in shares of its traffic:
// mostly the cheap GPT model, some Claude (the dear one) and Gemini.
var streamKinds = []struct {
	model          string
	share          float64
	prompt, output int64
}{
	{ChatModel, 0.6, 1200, 300},
	{ClaudeModel, 0.2, 1500, 400},
	{GeminiModel, 0.2, 1000, 300},
}

// traffic is the business as the simulator's traffic: one stream per
// tenant and kind of request, carrying the tenant's ids (who maps a
// tenant's name to its tenant and key; a tenant not in it goes by its
// name).
func (b business) traffic(who map[string]tenant) sim.Traffic {
	tr := sim.Traffic{Diurnal: diurnalTraffic, Weekend: weekendTraffic, Growth: b.growth, Shocks: b.shocks}
	var units float64
	for _, c := range b.customers {
		units += c.size
		t, ok := who[c.name]
		if !ok {
			t = tenant{id: c.name, name: c.name}
		}
		for _, k := range streamKinds {
			tr.Mix = append(tr.Mix, sim.Stream{Name: c.name, Share: c.size * k.share, Model: k.model,
				PromptTokens: k.prompt, OutputTokens: k.output, MaxTokens: 4 * k.output,
				From: c.from, Until: c.until, Tenant: t.id, Key: t.keyID})
		}
	}
	// Rate is every stream's rate together, as if all were active; the
	// simulator thins out those not yet (or no longer) sending.
	tr.Rate = units * b.unitsPerDay / 86400
	return tr
}

// behavior is how the demo's clouds answer in the simulator, like their
// emulators: openai-west fails a fifth of its attempts, Anthropic is
// sometimes overloaded.
func behavior() map[string]sim.Behavior {
	return map[string]sim.Behavior{
		"openai-east/gpt-4o-mini":       {TTFT: 400 * time.Millisecond, Jitter: 0.3, TPS: 90},
		"openai-west/gpt-4o-mini":       {TTFT: 500 * time.Millisecond, Jitter: 0.3, TPS: 70, ErrorRate: 0.2},
		"azure-eu/gpt-4o-mini-prod":     {TTFT: 450 * time.Millisecond, Jitter: 0.3, TPS: 80},
		"anthropic/claude-sonnet-4-5":   {TTFT: 700 * time.Millisecond, Jitter: 0.3, TPS: 60, ErrorRate: 0.1},
		"aws-bedrock/claude-sonnet-4-5": {TTFT: 800 * time.Millisecond, Jitter: 0.3, TPS: 55},
		"gemini/gemini-2.5-flash":       {TTFT: 300 * time.Millisecond, Jitter: 0.3, TPS: 150},
	}
}

// poisson draws a Poisson count of mean lambda (Knuth's method: lambda is
// small here).
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
