package route

// Weighted ignores priority and draws the whole order in proportion to
// weights.
type Weighted struct{}

// Name implements Policy.
func (Weighted) Name() string { return "weighted" }

// Score implements Policy: every candidate scores the same, so the weighted
// random tie-break alone decides.
func (Weighted) Score(Input, Candidate) int64 { return 0 }
