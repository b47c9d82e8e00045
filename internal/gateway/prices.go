package gateway

import (
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/route"
)

// newDeploymentPrices returns the price book of t's deployments: the
// schedules the routing table was built with, so settlement prices usage
// at exactly the versions routing ranked by.
func newDeploymentPrices(t *route.Table) *price.Book {
	b := price.NewBook()
	for _, d := range t.Deployments() {
		b.Set(d.Name, d.Price)
	}
	return b
}
