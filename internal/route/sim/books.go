package sim

import (
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// ledger is what the clouds bill, kept apart from what the router thinks:
// the router's commitment state is an estimate, the ledger is the truth
// the report is made of.
type ledger struct {
	start, end int64 // the simulated window
	payg       money.Nanos
	byDeploy   map[string]money.Nanos // pay-as-you-go per deployment
	contracts  []*contractBook
	covering   map[string]*contractBook // deployment name -> its contract
}

// contractBook tracks one commitment.
type contractBook struct {
	c      *config.Commitment
	start  int64
	end    int64
	models map[string]bool // models with a deployment on the contract

	// spend
	drawn money.Nanos

	// capacity, per minute of the simulated window
	weights    [4]int64
	capacity   int64
	used       []int64   // capacity tokens served within capacity
	demand     []int64   // capacity tokens of every request for its models
	firstSpill []float64 // use of the minute's capacity at its first spill; -1 when none
	spilled    int64     // tokens served outside capacity
}

func newLedger(c *config.Config, start, end int64) *ledger {
	l := &ledger{start: start, end: end, byDeploy: map[string]money.Nanos{}, covering: map[string]*contractBook{}}
	minutes := (end - start + int64(time.Minute) - 1) / int64(time.Minute)
	byName := map[string]*contractBook{}
	for i := range c.Commitments {
		cm := &c.Commitments[i]
		k := &contractBook{c: cm, start: cm.Start.UnixNano(), end: cm.End.UnixNano(), models: map[string]bool{}}
		if cm.Kind == config.CommitCapacity {
			w := cm.TokenWeights
			for j, f := range [4]float64{w.Input, w.CachedInput, w.Output, w.Reasoning} {
				k.weights[j] = int64(math.Round(f * 1000))
			}
			k.capacity = cm.CapacityPerMinute()
			k.used = make([]int64, minutes)
			k.demand = make([]int64, minutes)
			k.firstSpill = make([]float64, minutes)
			for m := range k.firstSpill {
				k.firstSpill[m] = -1
			}
		}
		l.contracts = append(l.contracts, k)
		byName[cm.Name] = k
	}
	for _, m := range c.Models {
		for _, d := range m.Deployments {
			if k := byName[d.Commitment]; k != nil {
				l.covering[d.Name] = k
				k.models[m.Name] = true
			}
		}
	}
	return l
}

func (k *contractBook) active(t int64) bool { return t >= k.start && t < k.end }

func (k *contractBook) weighed(prompt, output int64) int64 {
	return (prompt*k.weights[0] + output*k.weights[2] + 999) / 1000
}

// minute is t's index in the window, or -1 outside it.
func (l *ledger) minute(t int64) int {
	if t < l.start || t >= l.end {
		return -1
	}
	return int((t - l.start) / int64(time.Minute))
}

// arrive records a request's demand on the capacity contracts of its
// model that its tenant may use (eligible, by contract name).
func (l *ledger) arrive(t int64, model string, prompt, output int64, eligible map[string]bool) {
	m := l.minute(t)
	for _, k := range l.contracts {
		if k.capacity > 0 && k.models[model] && eligible[k.c.Name] && k.active(t) && m >= 0 {
			k.demand[m] += k.weighed(prompt, output)
		}
	}
}

// bill records a successful attempt of model's request on deployment,
// dispatched at t, and what it cost: within a capacity
// commitment's minute it is free, on a spend commitment it draws the
// commitment, otherwise it is paid as it goes. eligible names the
// contracts the request's tenant may use: only their spills count.
func (l *ledger) bill(t int64, model, deployment string, cost money.Nanos, u wire.Usage, eligible map[string]bool) {
	m := l.minute(t)
	k := l.covering[deployment]
	if k != nil && k.active(t) {
		if k.capacity == 0 {
			k.drawn += cost
			return
		}
		w := k.weighed(u.Prompt, u.Completion)
		if m >= 0 && k.used[m]+w <= k.capacity {
			k.used[m] += w
			return
		}
		k.spilled += w
	}
	// Pay-as-you-go: a spill for the capacity contracts of the model, if
	// the request would have fit in what was left of the minute's capacity
	// (a request larger than that has to go elsewhere).
	for _, c := range l.contracts {
		if c.capacity > 0 && c.models[model] && eligible[c.c.Name] && c.active(t) && m >= 0 && c.firstSpill[m] < 0 &&
			c.used[m]+c.weighed(u.Prompt, u.Completion) <= c.capacity {
			c.firstSpill[m] = float64(c.used[m]) / float64(c.capacity)
		}
	}
	l.payg += cost
	l.byDeploy[deployment] += cost
}

// CommitmentUse is how a run used one commitment.
type CommitmentUse struct {
	Name string
	Kind string
	// Committed is what the commitment costs within the simulated window:
	// a spend commitment's amount, or a capacity commitment's hourly price
	// for the hours, prorated to the overlap of the term and the window.
	Committed money.Nanos
	// Drawn is the spend on the covered deployments in the term (spend
	// commitments).
	Drawn money.Nanos
	// Cost is what the run pays for the commitment: the larger of Committed
	// and Drawn for take-or-pay spend, Committed for capacity.
	Cost money.Nanos
	// Use is Drawn/Committed for spend, used/available tokens for capacity.
	Use float64
	// Capacity: tokens available and used in the window, tokens of covered
	// deployments served beyond the minute's capacity.
	CapacityTokens, UsedTokens, SpilledTokens int64
	// BusyMinutes are minutes whose demand for the commitment's models
	// reached its capacity; BusyUse the mean use of the capacity in them.
	BusyMinutes int
	BusyUse     float64
	// MinUseAtSpill is, over busy minutes, the lowest use of the minute's
	// capacity at the moment a request that would still have fit in it
	// first went to pay-as-you-go (1 when none did); UseAtSpillP1 is the
	// first percentile of that use over the busy minutes that spilled, and
	// SpillMinutes their number. Routing decides on estimates (the output
	// tokens of a request are not known before it ends), so the worst
	// minutes show the estimates' error.
	MinUseAtSpill float64
	UseAtSpillP1  float64
	SpillMinutes  int
}

// uses summarizes the contracts for a report.
func (l *ledger) uses() []CommitmentUse {
	var out []CommitmentUse
	for _, k := range l.contracts {
		lo, hi := max(k.start, l.start), min(k.end, l.end)
		overlap := max(hi-lo, 0)
		u := CommitmentUse{Name: k.c.Name, Kind: k.c.Kind}
		if k.capacity == 0 {
			u.Committed = prorate(k.c.Amount, overlap, k.end-k.start)
			u.Drawn = k.drawn
			u.Cost = max(u.Committed, u.Drawn)
			if u.Committed > 0 {
				u.Use = float64(u.Drawn) / float64(u.Committed)
			}
			out = append(out, u)
			continue
		}
		u.Committed = prorate(k.c.PricePerHour, overlap, int64(time.Hour))
		u.Cost = u.Committed
		u.SpilledTokens = k.spilled
		u.MinUseAtSpill, u.UseAtSpillP1 = 1, 1
		var busyUse float64
		var spills []float64
		for m := range k.used {
			t := l.start + int64(m)*int64(time.Minute)
			if !k.active(t) {
				continue
			}
			u.CapacityTokens += k.capacity
			u.UsedTokens += k.used[m]
			if k.demand[m] >= k.capacity {
				u.BusyMinutes++
				busyUse += float64(k.used[m]) / float64(k.capacity)
				if s := k.firstSpill[m]; s >= 0 {
					spills = append(spills, s)
				}
			}
		}
		if u.CapacityTokens > 0 {
			u.Use = float64(u.UsedTokens) / float64(u.CapacityTokens)
		}
		if u.BusyMinutes > 0 {
			u.BusyUse = busyUse / float64(u.BusyMinutes)
		}
		if u.SpillMinutes = len(spills); len(spills) > 0 {
			slices.Sort(spills)
			u.MinUseAtSpill, u.UseAtSpillP1 = spills[0], spills[len(spills)/100]
		}
		out = append(out, u)
	}
	return out
}

// prorate returns amount × part / whole exactly (rounded down), without
// overflowing: a year of nanoseconds times a large amount exceeds int64.
func prorate(amount money.Nanos, part, whole int64) money.Nanos {
	if whole <= 0 || part <= 0 {
		return 0
	}
	var r big.Int
	r.Mul(big.NewInt(int64(amount)), big.NewInt(part))
	r.Quo(&r, big.NewInt(whole))
	return money.Nanos(r.Int64())
}
