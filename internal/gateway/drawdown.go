package gateway

import "context"

// RestoreDrawdown gives routing's spend commitments the books' drawdown
// again, as at start-up (books.go): for usage that reached the store by
// another way than the request path, such as the demo's synthesised
// history.
func (g *Gateway) RestoreDrawdown(ctx context.Context) error { return g.restoreDrawdown(ctx) }
