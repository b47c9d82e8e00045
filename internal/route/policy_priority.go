package route

// Priority tries lower priority numbers first and, among deployments with the
// same priority, draws the order at random in proportion to their weights, so
// equal deployments share load while a backup stays idle until needed.
type Priority struct{}

// Name implements Policy.
func (Priority) Name() string { return "priority" }

// Score implements Policy: the deployment's priority.
func (Priority) Score(_ Input, c Candidate) int64 { return int64(c.D.Priority) }
