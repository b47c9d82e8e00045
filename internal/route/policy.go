package route

import (
	"math"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// A Policy scores the candidates of one request; routing tries them in
// ascending order of score, equal scores in a random order weighted by the
// deployments' weights (so equal deployments share load). Scoring runs on
// every request for every candidate: it must not allocate, and it gets its
// arguments by value so that nothing it is given escapes to the heap.
//
// Score's unit is the policy's own: nano-dollars for the cost policies,
// microseconds for fastest, the priority number for priority. Comparisons
// are exact integers.
type Policy interface {
	Name() string
	Score(in Input, c Candidate) int64
}

// Input is what a policy knows about the request being routed.
type Input struct {
	Now          int64 // Unix nanoseconds
	PromptTokens int64 // estimated from the body
	OutputTokens int64 // expected: max_tokens, capped at the model's typical output
}

// Candidate is a deployment considered for a request, with what the policy
// used to rank it.
type Candidate struct {
	D *Deployment
	// Score is the policy's score; Tie orders equal scores.
	Score int64
	Tie   float64
	// Cost is the request's expected cost at the deployment's prices.
	Cost money.Nanos
	// Fallback is 0 for the model asked for, n for the n-th model of its
	// fallback chain.
	Fallback int
	// Probe marks a deployment whose ejection is over: this attempt tests it.
	Probe bool
	// Panic marks an ejected deployment, tried because nothing else was left.
	Panic bool
	// Demoted marks a deployment in slow start after an ejection that this
	// request tries only after every other candidate of its model.
	Demoted bool

	out int64 // expected output tokens, from the candidate's model
}

// Marginal is the request's effective marginal cost on c: 0 when a
// commitment absorbs it (capacity with room this minute, or spend below
// its pace), else the pay-as-you-go cost.
func (c *Candidate) Marginal(in Input) money.Nanos { return marginal(c.D, in, c.Cost) }

func marginal(d *Deployment, in Input, cost money.Nanos) money.Nanos {
	if k := d.Contract; k != nil && k.free(in.Now, in.PromptTokens, in.OutputTokens) {
		return 0
	}
	return cost
}

// Latency is the expected time to answer the request on c, learnt from
// traffic (time to first token plus output at the observed throughput).
func (c *Candidate) Latency(in Input) time.Duration {
	return time.Duration(c.D.lat.expected(in.OutputTokens) * 1e9)
}

// Risk is c's recent failure ratio.
func (c *Candidate) Risk() float64 { return c.D.lat.risk() }

// expectedCost is a request's cost at the prices d has in force at in.Now:
// prompt tokens at the input price (the cache is unknown before sending),
// output at the output price, and the long-context price for a long
// prompt. An unpriced deployment, or one whose prices have not started,
// costs nothing to rank: routing has no better guess, and settlement marks
// its events unpriced rather than free.
func expectedCost(d *Deployment, in Input) money.Nanos {
	v, ok := d.Price.At(time.Unix(0, in.Now))
	if !ok {
		return 0
	}
	return v.Rates.Cost(wire.Usage{Prompt: in.PromptTokens, Completion: in.OutputTokens})
}

// tie draws the random key that orders equal scores: an exponential
// variate over the weight (Efraimidis and Spirakis), so that sorting by it
// is sampling without replacement in proportion to weight.
func tie(r uint64, weight int) float64 {
	u := (float64(r>>11) + 1) / (1 << 53) // (0, 1]
	return -math.Log(u) / float64(max(weight, 1))
}

// rank sorts cs: demoted candidates last, then by score, then tie.
// Candidates are few: insertion sort beats anything clever and does not
// allocate.
func rank(cs []Candidate) {
	for i := 1; i < len(cs); i++ {
		c := cs[i]
		j := i
		for j > 0 && after(&cs[j-1], &c) {
			cs[j] = cs[j-1]
			j--
		}
		cs[j] = c
	}
}

// after reports whether a is tried after b.
func after(a, b *Candidate) bool {
	if a.Demoted != b.Demoted {
		return a.Demoted
	}
	return a.Score > b.Score || a.Score == b.Score && a.Tie > b.Tie
}

// policyNames lists the built-in policies, in the order config documents
// them.
var policyNames = []string{"priority", "weighted", "cheapest", "fastest", "commitment"}
