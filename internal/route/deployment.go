// Package route ranks the deployments that can serve a request and tracks their health.
package route

import (
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// Deployment is one way to serve a model, with its live state: health,
// quota use, latency estimates and counters. The exported fields are fixed
// when the table is built; the state is safe for concurrent use and a zero
// Deployment (as tests build them) starts healthy with default settings.
type Deployment struct {
	Name         string            // unique, shown in x-switchyard-deployment
	Model        string            // the public model name
	Native       string            // the provider's model id
	Provider     provider.Provider // nil in a table built for simulation
	ProviderName string            // the config's provider name, matched by key constraints
	Region       string            // where it processes data; "" when unknown
	Price        config.Price
	Quota        config.Quota
	Priority     int
	Weight       int
	// MaxConcurrent caps the attempts in flight; 0 means no cap.
	MaxConcurrent int
	Timeouts      config.Timeouts
	// Contract is the commitment the deployment draws on, or nil.
	Contract *Contract

	// coolUntil is when a 429's Retry-After ends, in Unix nanoseconds; 0 when
	// not cooling. Written by any request, read by every request: an atomic
	// rather than a lock keeps ranking lock-free.
	coolUntil atomic.Int64

	health   health
	rpm, tpm slidingMinute
	inflight atomic.Int64
	lat      latency
	count    counters

	set   *settings // the table's; nil for a Deployment built by hand
	model *Model    // nil for a Deployment built by hand
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
// is cooling down (after a 429) or ejected (after failing). A deployment
// whose ejection has ended is available: its next attempt is the probe that
// readmits it.
func (d *Deployment) Available(now time.Time) (bool, time.Time) {
	n := now.UnixNano()
	if until := d.coolUntil.Load(); until != 0 && n < until {
		return false, time.Unix(0, until)
	}
	if until := d.health.ejectedUntil.Load(); until != 0 && n < until {
		return false, time.Unix(0, until)
	}
	return true, time.Time{}
}

// settings returns the table's settings, or the defaults.
func (d *Deployment) settings() *settings {
	if d.set != nil {
		return d.set
	}
	return &defaultSettings
}
