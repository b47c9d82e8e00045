package gateway

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/store"
)

// Tenants' keys on the request path: every stored key is held in memory
// (access.Stored) and checked there, never in the database. The set is
// reloaded whole when it changes: at once after each admin write on this
// replica, and within pollEvery on every other replica, which polls the
// store's access_version (one row) rather than needing Redis for it.

const (
	// pollEvery bounds how long another replica's write (a revocation, a
	// rotation, a disabled tenant) takes to reach this one.
	pollEvery = time.Second
	// touchEvery is how often last-use times are written, in one batch.
	touchEvery = 10 * time.Second
	// graceShown keeps a rotated-out secret in the set this long after its
	// grace ended, so that it is refused as expired rather than unknown.
	graceShown = 24 * time.Hour
)

// keysPepper is the configured pepper (keys_pepper), if any.
func keysPepper(cfg *config.Config) string { return cfg.KeysPepper }

// newKeyring returns the keyring for cfg's keys under the persistent pepper
// (access.LoadPepper). Before New has made one (config check on a fresh
// data_dir), a random pepper serves: config keys do not need it to persist.
func newKeyring(cfg *config.Config) (*access.Keyring, error) {
	p, found, err := access.LoadPepper(keysPepper(cfg), cfg.DataDir, false)
	if err != nil {
		return nil, &config.Error{File: cfg.File, Key: "keys_pepper", Msg: err.Error()}
	}
	if !found {
		return access.NewKeyring(), nil
	}
	return access.NewKeyringPepper(p), nil
}

// ensurePepper makes the pepper file in data_dir when no pepper is
// configured, so that stored digests survive restarts.
func ensurePepper(cfg *config.Config) error {
	if _, _, err := access.LoadPepper(keysPepper(cfg), cfg.DataDir, true); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}

// tenantKeys keeps the stored keys of the running gateway in memory.
type tenantKeys struct {
	g      *Gateway
	stored *access.Stored
	// ring is the current config's keyring (the admin API digests new
	// secrets with it) and cfgCons its config keys' constraints; a reload
	// replaces both.
	ring    *access.Keyring
	cfgCons map[string]*route.Constraints
	// tenantCons are the stored keys' constraints, by key name.
	tenantCons map[string]*route.Constraints

	mu      sync.Mutex // one load at a time; guards the fields above and version
	version int64
	failing bool

	stop context.CancelFunc
	done chan struct{}
}

// openTenants loads the stored keys into dp's keyring and constraints and
// starts the background poll and last-use writer.
func (g *Gateway) openTenants(dp *dataPlane) error {
	tk := &tenantKeys{g: g, stored: access.NewStored(), done: make(chan struct{})}
	if err := tk.load(context.Background(), false); err != nil {
		return err
	}
	tk.adopt(dp)
	g.tenants = tk
	ctx, cancel := context.WithCancel(context.Background())
	tk.stop = cancel
	go tk.run(ctx)
	return nil
}

// adopt attaches the stored keys to a new data plane (start-up, a reload)
// and adds the tenants' constraints to its config keys' ones.
func (tk *tenantKeys) adopt(dp *dataPlane) {
	dp.keys.Attach(tk.stored)
	tk.mu.Lock()
	tk.ring, tk.cfgCons = dp.keys, maps.Clone(dp.constraints)
	maps.Copy(dp.constraints, tk.tenantCons)
	tk.mu.Unlock()
}

// load reads every tenant and key and swaps them in. publish also swaps
// the merged constraints into the serving routes (not at start-up, before
// they exist: adopt merges them into the data plane being built).
func (tk *tenantKeys) load(ctx context.Context, publish bool) error {
	if publish {
		// The reload lock first, as Reload takes it before adopt takes
		// tk.mu: a config reload swaps routes, keyring and constraints
		// too, and neither swap may undo the other.
		reloadMu.Lock()
		defer reloadMu.Unlock()
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	st := tk.g.Store
	// The version is read first: a write landing during the reads moves
	// it again, and the next poll reloads.
	v, err := st.AccessVersion(ctx)
	if err != nil {
		return fmt.Errorf("gateway: tenants: %w", err)
	}
	tenants := map[string]store.Tenant{}
	for after := ""; ; {
		page, err := st.ListTenants(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("gateway: tenants: %w", err)
		}
		for _, t := range page {
			tenants[t.ID] = t
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	now := time.Now()
	var keys []access.StoredKey
	cons := map[string]*route.Constraints{}
	for after := ""; ; {
		page, err := st.ListKeys(ctx, "", after, 1000)
		if err != nil {
			return fmt.Errorf("gateway: tenant keys: %w", err)
		}
		for _, k := range page {
			t, ok := tenants[k.TenantID]
			if !ok {
				continue
			}
			keys = appendKey(keys, k, t, now)
			if len(t.AllowedProviders) > 0 || len(t.AllowedRegions) > 0 {
				cons[keyName(t, k)] = &route.Constraints{Providers: t.AllowedProviders, Regions: t.AllowedRegions}
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	tk.stored.Replace(keys)
	tk.version, tk.tenantCons = v, cons
	if !publish {
		return nil
	}
	merged := maps.Clone(tk.cfgCons)
	if merged == nil {
		merged = map[string]*route.Constraints{}
	}
	maps.Copy(merged, cons)
	tk.g.API.SetRoutes(tk.g.API.Routes(), tk.ring, merged)
	return nil
}

// keyName is how a stored key is named in logs, usage and constraints:
// config key names hold no "/", so the two never collide.
func keyName(t store.Tenant, k store.Key) string { return t.Name + "/" + k.Name }

// appendKey adds k's current digest and, during or just after a rotation's
// grace, its previous one.
func appendKey(keys []access.StoredKey, k store.Key, t store.Tenant, now time.Time) []access.StoredKey {
	p := &access.Principal{
		KeyID: k.ID, TenantID: t.ID, KeyName: keyName(t, k), Prefix: k.Prefix,
		Name: k.Name, TenantName: t.Name, ExpiresAt: k.ExpiresAt,
		Models: k.AllowedModels, TenantModels: t.AllowedModels,
		Providers: t.AllowedProviders, Regions: t.AllowedRegions,
		Limits: k.Limits, TenantLimits: t.Limits, Budget: k.Budget, TenantBudget: t.Budget,
	}
	sk := access.StoredKey{Principal: p, ExpiresAt: k.ExpiresAt, Revoked: !k.RevokedAt.IsZero(), TenantDisabled: t.Status == store.TenantDisabled}
	if len(k.Digest) == len(sk.Digest) {
		copy(sk.Digest[:], k.Digest)
		keys = append(keys, sk)
	}
	if len(k.PrevDigest) == len(sk.Digest) && now.Before(k.PrevUntil.Add(graceShown)) {
		prev := sk
		copy(prev.Digest[:], k.PrevDigest)
		prev.GraceUntil = k.PrevUntil
		keys = append(keys, prev)
	}
	return keys
}

// changed reloads after an admin write on this replica, before the admin
// answer goes out.
func (tk *tenantKeys) changed() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tk.load(ctx, true); err != nil {
		tk.g.log.Error("tenant keys not reloaded after an admin write; the next poll retries", "err", err)
	}
}

// run polls the access version and writes last uses until stopped.
func (tk *tenantKeys) run(ctx context.Context) {
	defer close(tk.done)
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	touch := time.NewTicker(touchEvery)
	defer touch.Stop()
	for {
		select {
		case <-ctx.Done():
			tk.touch(context.Background())
			return
		case <-poll.C:
			tk.poll(ctx)
		case <-touch.C:
			tk.touch(ctx)
		}
	}
}

func (tk *tenantKeys) poll(ctx context.Context) {
	v, err := tk.g.Store.AccessVersion(ctx)
	if err == nil {
		tk.mu.Lock()
		same := v == tk.version
		tk.mu.Unlock()
		if same {
			tk.ok()
			return
		}
		err = tk.load(ctx, true)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		tk.mu.Lock()
		first := !tk.failing
		tk.failing = true
		tk.mu.Unlock()
		if first {
			tk.g.log.Error("tenant keys cannot be refreshed from the store; serving the last loaded set", "err", err)
		}
		return
	}
	tk.ok()
}

func (tk *tenantKeys) ok() {
	tk.mu.Lock()
	if tk.failing {
		tk.failing = false
		tk.g.log.Info("tenant keys refreshed from the store again")
	}
	tk.mu.Unlock()
}

func (tk *tenantKeys) touch(ctx context.Context) {
	used := tk.stored.TakeUsed()
	if len(used) == 0 {
		return
	}
	if err := tk.g.Store.TouchKeys(ctx, used); err != nil {
		tk.g.log.Warn("key last-use times not written", "keys", len(used), "err", err)
	}
}

// stopTenants stops the poll and writes the last uses; before the store closes.
func (g *Gateway) stopTenants() {
	if g.tenants == nil || g.tenants.stop == nil {
		return
	}
	g.tenants.stop()
	<-g.tenants.done
	g.tenants.stop = nil
}

// keyring is the keyring the admin API digests new secrets with.
func (tk *tenantKeys) keyring() *access.Keyring {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.ring
}

// spendSource answers GET /v1/key's spend from the admitter's budget books.
type spendSource struct{ g *Gateway }

func (s spendSource) Spend(ctx context.Context, scope string, b access.Budget, now time.Time) (money.Nanos, time.Time, bool) {
	a := s.g.Admitter
	if a == nil || a.Budgets == nil {
		return 0, time.Time{}, false
	}
	p, err := budget.ParsePeriod(b.Period, b.TZ)
	if err != nil {
		return 0, time.Time{}, false
	}
	st, err := a.Budgets.Status(ctx, budget.Budget{Scope: scope, Limit: b.USD, Period: p, Hard: b.Hard}, now)
	if err != nil {
		return 0, time.Time{}, false
	}
	return st.Spent, st.ResetsAt, true
}
