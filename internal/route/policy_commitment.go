package route

import "github.com/switchyard/switchyard/internal/money"

// Commitment tries first the deployment with the lowest effective marginal
// cost, penalized for expected latency and failure risk:
//
//	score = marginal cost + LatencyPenalty × expected seconds + FailurePenalty × failure ratio
//
// The marginal cost is zero on a capacity commitment while this minute has
// room and on a spend commitment while its spend is below pace, else the
// pay-as-you-go price (see Contract). So committed capacity is used first,
// spend commitments are burnt evenly over their term, and the rest goes
// where it is cheapest, unless a deployment is slow or failing enough to
// outweigh the saving.
type Commitment struct {
	LatencyPenalty money.Nanos // per second of expected latency
	FailurePenalty money.Nanos // per unit of failure ratio
}

// Name implements Policy.
func (Commitment) Name() string { return "commitment" }

// Score implements Policy: nano-dollars. The penalties are rounded to whole
// nano-dollars; the marginal cost is exact.
func (p Commitment) Score(in Input, c Candidate) int64 {
	lat := c.D.lat.expected(in.OutputTokens)
	return int64(c.Marginal(in)) + int64(float64(p.LatencyPenalty)*lat+float64(p.FailurePenalty)*c.Risk()+0.5)
}
