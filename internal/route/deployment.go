// Package route ranks the deployments that can serve a request and tracks their health.
package route

import (
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/provider"
)

// Deployment is one way to serve a model, with its live state: health,
// quota use, latency estimates and counters. The exported fields are fixed
// when the table is built; the state is shared, by name, with the same
// deployment in every table built on the same State, and is safe for
// concurrent use. A Deployment built by hand needs NewDeployment.
type Deployment struct {
	Name         string            // unique, shown in x-switchyard-deployment
	Model        string            // the public model name
	Native       string            // the provider's model id
	Provider     provider.Provider // nil in a table built for simulation
	ProviderName string            // the config's provider name, matched by key constraints
	Region       string            // where it processes data; "" when unknown
	Price        price.Schedule    // what it charges over time; the zero Schedule prices nothing
	Quota        config.Quota
	Priority     int
	Weight       int
	// MaxConcurrent caps the attempts in flight; 0 means no cap.
	MaxConcurrent int
	Timeouts      config.Timeouts
	// Contract is the commitment the deployment draws on, or nil.
	Contract *Contract

	// The live state (health, cooldown, quota windows, latency, counters)
	// lives in the table's State, by name, so that it survives a reload.
	*deploymentState

	set   *settings // the table's; nil for a Deployment built by hand
	model *Model    // nil for a Deployment built by hand
}

// NewDeployment returns a deployment outside any table, with fresh live
// state and default settings, for tests and tools; set its exported fields.
func NewDeployment(name string) *Deployment {
	return &Deployment{Name: name, deploymentState: new(deploymentState)}
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
