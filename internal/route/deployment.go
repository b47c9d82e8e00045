// Package route ranks the deployments that can serve a request and tracks their health.
package route

import (
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// Deployment is one way to serve a model, with its live health state.
type Deployment struct {
	Name     string            // unique, shown in x-switchyard-deployment
	Model    string            // the public model name
	Native   string            // the provider's model id
	Provider provider.Provider //
	Price    config.Price
	Quota    config.Quota
	Priority int
	Weight   int
	Timeouts config.Timeouts

	// coolUntil is when a 429's Retry-After ends, in Unix nanoseconds; 0 when
	// not cooling. Written by any request, read by every request: an atomic
	// rather than a lock keeps ranking lock-free.
	coolUntil atomic.Int64
}

// CoolDown keeps the deployment out of rotation until t. Overlapping cooldowns
// keep the later end.
func (d *Deployment) CoolDown(t time.Time) {
	n := t.UnixNano()
	for {
		cur := d.coolUntil.Load()
		if cur >= n || d.coolUntil.CompareAndSwap(cur, n) {
			return
		}
	}
}

// Available reports whether d may be tried at now, and if not, until when it
// is cooling down.
func (d *Deployment) Available(now time.Time) (bool, time.Time) {
	until := d.coolUntil.Load()
	if until == 0 || now.UnixNano() >= until {
		return true, time.Time{}
	}
	return false, time.Unix(0, until)
}
