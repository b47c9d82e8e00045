package gateway

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"sync"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
)

// dataPlane is what a config builds for serving requests: the providers
// behind the routing table, and the client keys with their constraints. It
// is what a reload replaces.
type dataPlane struct {
	routes      *route.Table
	keys        *access.Keyring
	constraints map[string]*route.Constraints
}

// build runs every check start-up runs beyond config.Validate: it builds
// each provider (credentials included), the routing table on state (nil: a
// new one) and the keyring. Errors name the file, line and key at fault.
// The config's plain client keys are cleared once digested, so that none
// outlives start-up.
func build(cfg *config.Config, state *route.State) (*dataPlane, error) {
	providers := make(map[string]provider.Provider, len(cfg.Providers))
	for i, pc := range cfg.Providers {
		p, err := provider.New(pc)
		if err != nil {
			return nil, &config.Error{File: cfg.File, Line: pc.Pos.Line, Column: pc.Pos.Column,
				Key: "providers[" + strconv.Itoa(i) + "]", Msg: err.Error()}
		}
		providers[pc.Name] = p
	}
	routes, err := route.New(cfg, providers, route.Options{State: state})
	if err != nil {
		return nil, &config.Error{File: cfg.File, Msg: err.Error()}
	}
	ring, err := newKeyring(cfg)
	if err != nil {
		return nil, err
	}
	dp := &dataPlane{routes: routes, keys: ring,
		constraints: make(map[string]*route.Constraints, len(cfg.Keys))}
	for i := range cfg.Keys {
		k := &cfg.Keys[i]
		dp.constraints[k.Name] = route.KeyConstraints(*k)
		if err := dp.keys.Add(k.Name, k.Key); err != nil {
			return nil, &config.Error{File: cfg.File, Line: k.Pos.Line, Column: k.Pos.Column,
				Key: "keys[" + strconv.Itoa(i) + "]", Msg: err.Error()}
		}
		k.Key = ""
	}
	return dp, nil
}

// Check runs on a loaded config every check that New runs, short of binding
// the listener: `config check` and a reload call it, so a config they pass
// is one serve accepts.
func Check(cfg *config.Config) error {
	_, err := build(cfg, nil)
	return err
}

// Reload swaps in a new config's models, deployments, prices, weights,
// providers, commitments, routing settings and keys, atomically: requests
// that arrive after it returns are routed by the new config, requests and
// streams in flight finish on the old one. Each deployment, model and
// commitment keeps its live state (health and ejection, quota windows,
// retry budget, drawdown) by name.
//
// cfg must have passed config.Load. A config that fails any check New runs,
// or changes what cannot change under a running listener (listen, server,
// admin, data_dir, store, journal, log), is refused with the error and
// nothing changes.
func (g *Gateway) Reload(cfg *config.Config) error {
	reloadMu.Lock()
	defer reloadMu.Unlock()
	if err := fixed(g.cfg, cfg); err != nil {
		return err
	}
	dp, err := build(cfg, g.API.Routes().State())
	if err != nil {
		return err
	}
	// The price versions are recorded before anything is swapped, so that
	// a store failure refuses the reload whole.
	book := cfg.PriceBook()
	if err := g.recordPrices(context.Background(), book); err != nil {
		return err
	}
	if err := commit.Record(context.Background(), g.Store, commit.FromConfig(cfg)); err != nil {
		return fmt.Errorf("gateway: reload: %w", err)
	}
	if g.tenants != nil {
		g.tenants.adopt(dp)
	}
	g.API.SetRoutes(dp.routes, dp.keys, dp.constraints)
	if err := g.setPlans(cfg); err != nil {
		return fmt.Errorf("gateway: plans: %w", err)
	}
	g.Settler.SetPricer(book)
	// Requests still on the old table hold their own pointers to the live
	// state; the registry forgets only what the new table lacks.
	dp.routes.State().Prune(dp.routes)
	return nil
}

// reloadMu makes reloads one at a time: each builds on the live state of
// the table the previous one swapped in, and prunes what its table lacks.
var reloadMu sync.Mutex

// fixed refuses a config that changes a setting bound at start-up, naming
// the first such key.
func fixed(old, cfg *config.Config) error {
	refuse := func(key string, pos config.Pos) error {
		return &config.Error{File: cfg.File, Line: pos.Line, Column: pos.Column, Key: key,
			Msg: "cannot change while serving; restart to apply it (nothing was reloaded)"}
	}
	if cfg.Listen != old.Listen {
		return refuse("listen", config.Pos{})
	}
	if cfg.DataDir != old.DataDir {
		return refuse("data_dir", config.Pos{})
	}
	if cfg.KeysPepper != old.KeysPepper {
		// Every stored digest was made under the old pepper.
		return refuse("keys_pepper", config.Pos{})
	}
	s, t := old.Store, cfg.Store
	s.Pos, t.Pos = config.Pos{}, config.Pos{}
	if s != t {
		return refuse("store", cfg.Store.Pos)
	}
	j, k := old.Journal, cfg.Journal
	j.Pos, k.Pos = config.Pos{}, config.Pos{}
	if j != k {
		return refuse("journal", cfg.Journal.Pos)
	}
	a, b := old.Server, cfg.Server
	a.Pos, b.Pos = config.Pos{}, config.Pos{}
	if !reflect.DeepEqual(a, b) {
		return refuse("server", cfg.Server.Pos)
	}
	l, m := old.Log, cfg.Log
	l.Pos, m.Pos = config.Pos{}, config.Pos{}
	if l != m {
		return refuse("log", cfg.Log.Pos)
	}
	x, y := old.Admin, cfg.Admin
	x.Pos, y.Pos = config.Pos{}, config.Pos{}
	if x != y {
		return refuse("admin", cfg.Admin.Pos)
	}
	return nil
}
