package route

import (
	"fmt"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// Model is a public model name and the deployments that serve it.
type Model struct {
	Name        string
	Deployments []*Deployment // sorted by priority
	Policy      Policy
}

// Plan appends to out the deployments available at now, in the order the
// model's policy wants them tried. When none is available because all are
// cooling down, it returns an empty plan and the earliest time one comes back.
func (m *Model) Plan(now time.Time, out []*Deployment) ([]*Deployment, time.Time) {
	start := len(out)
	var soonest time.Time
	for _, d := range m.Deployments {
		if a, until := d.Available(now); a {
			out = append(out, d)
		} else if soonest.IsZero() || until.Before(soonest) {
			soonest = until
		}
	}
	if len(out) == start {
		return out, soonest
	}
	m.Policy.Rank(out[start:])
	return out, time.Time{}
}

// Table is the routing table: every configured model and deployment.
type Table struct {
	models      map[string]*Model
	list        []*Model
	deployments []*Deployment
}

// NewTable builds the table from a validated config and the providers built
// from it, keyed by name.
func NewTable(c *config.Config, providers map[string]provider.Provider) (*Table, error) {
	t := &Table{models: make(map[string]*Model, len(c.Models))}
	for _, mc := range c.Models {
		m := &Model{Name: mc.Name}
		switch mc.Routing {
		case config.RouteWeighted:
			m.Policy = Weighted{}
		case config.RoutePriority, "":
			m.Policy = Priority{}
		default:
			return nil, fmt.Errorf("model %s: unknown routing policy %q", mc.Name, mc.Routing)
		}
		for _, dc := range mc.Deployments {
			p, ok := providers[dc.Provider]
			if !ok {
				return nil, fmt.Errorf("model %s: deployment %s: unknown provider %q", mc.Name, dc.Name, dc.Provider)
			}
			pc := findProvider(c, dc.Provider)
			d := &Deployment{
				Name: dc.Name, Model: mc.Name, Native: dc.Model, Provider: p,
				Price: dc.Price, Quota: dc.Quota, Priority: dc.Priority, Weight: max(dc.Weight, 1),
				Timeouts: pc.Timeouts,
			}
			m.Deployments = append(m.Deployments, d)
			t.deployments = append(t.deployments, d)
		}
		slices.SortStableFunc(m.Deployments, func(a, b *Deployment) int { return a.Priority - b.Priority })
		t.models[m.Name] = m
		t.list = append(t.list, m)
	}
	return t, nil
}

func findProvider(c *config.Config, name string) config.Provider {
	for _, p := range c.Providers {
		if p.Name == name {
			return p
		}
	}
	return config.Provider{}
}

// Model returns the named model, or nil.
func (t *Table) Model(name string) *Model { return t.models[name] }

// Models returns every model in config order.
func (t *Table) Models() []*Model { return t.list }

// Deployments returns every deployment in config order.
func (t *Table) Deployments() []*Deployment { return t.deployments }
