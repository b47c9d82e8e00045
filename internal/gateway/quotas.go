package gateway

import (
	"context"

	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/route/clusterquota"
)

// openQuotas shares the deployments' RPM and TPM quotas across replicas
// in cluster mode (cluster.redis): a background exchange every 100 ms
// leases each replica its part of each quota (route/share.go), so that the
// replicas together send a cloud at most its quota, and the request path
// never waits on Redis. Without Redis, or while it is unreachable, each
// replica enforces the quotas alone. The exchange stops with admission
// (closeAdmission), before the Redis client closes. Call it once g.API
// exists: the exchange reads the table new requests use, which a reload
// replaces without resetting the quotas' live state.
func (g *Gateway) openQuotas() {
	if g.redis == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if stop := g.stopAdmission; stop != nil {
		g.stopAdmission = func() { cancel(); stop() }
	} else {
		g.stopAdmission = cancel
	}
	s := &clusterquota.Syncer{
		Table:  func() *route.Table { return g.API.Routes() },
		Sharer: clusterquota.NewRedis(g.redis, ""),
		Log:    g.log,
	}
	go s.Run(ctx)
}
