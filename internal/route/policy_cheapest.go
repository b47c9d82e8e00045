package route

// Cheapest tries the deployment where this request is expected to cost
// least first: its estimated prompt tokens at the input price plus its
// expected output at the output price, exact in nano-dollars. Deployments
// without quota left this minute are not candidates at all, so traffic
// spills to the next cheapest when the cheapest runs out. Equal prices share
// load by weight.
type Cheapest struct{}

// Name implements Policy.
func (Cheapest) Name() string { return "cheapest" }

// Score implements Policy: the expected cost in nano-dollars.
func (Cheapest) Score(_ Input, c Candidate) int64 { return int64(c.Cost) }
