package gateway

import (
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
)

// deploymentPrices prices usage at each deployment's configured rates. It
// stands in for the versioned price book until that lands.
type deploymentPrices map[string]config.Price

func newDeploymentPrices(t *route.Table) deploymentPrices {
	p := deploymentPrices{}
	for _, d := range t.Deployments() {
		p[d.Name] = d.Price
	}
	return p
}

func (p deploymentPrices) Price(deployment string, _ time.Time, u wire.Usage) (money.Nanos, string, bool, error) {
	pr, ok := p[deployment]
	if !ok {
		return 0, "", false, fmt.Errorf("no price for deployment %q", deployment)
	}
	return books.Cost(pr, u), "", false, nil
}
