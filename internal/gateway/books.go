package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/switchyard/switchyard/internal/admin"
	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/journal"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/price"
	"github.com/switchyard/switchyard/internal/store"
)

// The usage path outside the request: every settled event is in the
// journal before the response's last byte; a background writer applies the
// journal to the store in batches; the admin listener reads the store.

// applyBatch and applyEvery bound how far the store trails the journal.
const (
	applyBatch = 1000
	applyEvery = 200 * time.Millisecond
	// catchUpWait bounds how long start-up waits for the journal's tail to
	// reach the store before restoring commitment drawdown from it.
	catchUpWait = 30 * time.Second
)

// openBooks opens the store and the journal and starts applying the one to
// the other. The journal's unapplied tail (a crash, a store that was down)
// is applied first; then the spend commitments' drawdown is restored from
// the store, so that a restart does not reset their pacing.
func (g *Gateway) openBooks(ctx context.Context) (err error) {
	c := g.cfg
	g.Store, err = store.Open(ctx, store.Config{DataDir: c.DataDir, PostgresURL: c.Store.Postgres, Retention: c.Store.Retention.D()})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	// Plans made through the admin API, before any event is rated: the
	// journal's tail is booked at the plans it was charged under.
	if err := admin.LoadPlans(ctx, g.Store, g.Plans, g.log); err != nil {
		g.Store.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	sync, err := journal.ParseSync(c.Journal.Fsync)
	if err != nil {
		g.Store.Close()
		return fmt.Errorf("gateway: journal.fsync: %w", err)
	}
	g.Journal, err = journal.Open(journal.Options{Dir: filepath.Join(c.DataDir, "journal"), Sync: sync,
		SyncEvery: c.Journal.FsyncInterval.D(), Log: g.log})
	if err != nil {
		g.Store.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	if err := g.recordPrices(ctx, g.cfg.PriceBook()); err != nil {
		g.Journal.Close()
		g.Store.Close()
		return err
	}
	if err := commit.Record(ctx, g.Store, commit.FromConfig(g.cfg)); err != nil {
		g.Journal.Close()
		g.Store.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	g.stopApply = cancel
	g.applied = make(chan error, 1)
	go func() {
		g.applied <- g.Journal.Run(runCtx, g.countApplied(g.postLedger()), applyBatch, applyEvery)
	}()
	g.pruned = make(chan struct{})
	go func() { defer close(g.pruned); g.runPrune(runCtx) }()

	deadline := time.Now().Add(catchUpWait)
	for g.Journal.Lag() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if lag := g.Journal.Lag(); lag > 0 {
		g.log.Warn("journal tail not yet in the store; commitment pacing restored without it", "events", lag)
	}
	return g.restoreDrawdown(ctx)
}

// recordPrices records every price version in the config, so that the
// version ids usage events carry resolve to rates in the store.
func (g *Gateway) recordPrices(ctx context.Context, book *price.Book) error {
	for _, dep := range book.Deployments() {
		s, _ := book.Schedule(dep)
		for _, v := range s.Versions {
			rates, err := json.Marshal(v.Rates)
			if err != nil {
				return fmt.Errorf("gateway: price %s: %w", v.ID, err)
			}
			err = g.Store.RecordPriceVersion(ctx, store.PriceVersion{ID: v.ID, Deployment: dep, From: v.From, Rates: string(rates)})
			if err != nil {
				return fmt.Errorf("gateway: record price version %s of %s: %w", v.ID, dep, err)
			}
		}
	}
	return nil
}

// restoreDrawdown gives each spend commitment what the books say was drawn
// on it in the term so far: the committed part of the ledger's cost
// postings (reversals included) by the deployments drawing on it. Routing's
// commitment policy thus paces on the ledger's drawdown, not its own sums.
func (g *Gateway) restoreDrawdown(ctx context.Context) error {
	now := time.Now()
	for _, k := range g.Routes.Contracts() {
		if k.Amount == 0 || now.Before(k.Start) {
			continue
		}
		rows, err := g.Store.Books(ctx, store.BooksQuery{From: k.Start, To: now, GroupBy: []string{"deployment"}})
		if err != nil {
			return fmt.Errorf("gateway: restore commitment %s: %w", k.Name, err)
		}
		drawn := make(map[string]money.Nanos, len(rows))
		for _, r := range rows {
			drawn[r.Group["deployment"]] += r.Committed
		}
		var n money.Nanos
		for _, d := range g.Routes.Deployments() {
			if d.Contract == k {
				n += drawn[d.Name]
			}
		}
		k.SetSpent(n, now)
		g.log.Info("commitment drawdown restored from the ledger", "commitment", k.Name, "spent_usd", n.String())
	}
	return nil
}

// closeBooks stops the writer after a final drain and closes the journal
// and the store.
func (g *Gateway) closeBooks() error {
	if g.Journal == nil || g.stopApply == nil {
		return nil
	}
	g.stopApply()
	g.stopApply = nil
	<-g.pruned
	err := <-g.applied
	err = errors.Join(err, g.Journal.Close(), g.Store.Close())
	if err != nil {
		g.log.Warn("usage writer stopped with events still journaled; they are applied at the next start", "err", err)
	}
	return err
}

// listenAdmin binds the admin listener, refusing a non-loopback address
// without a token.
func (g *Gateway) listenAdmin() error {
	c := g.cfg.Admin
	if err := admin.CheckListen(c.Listen, c.Token); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("gateway: admin listen %s: %w", c.Listen, err)
	}
	g.adminLn = ln
	g.adminSrv = &http.Server{
		Handler: admin.New(admin.Options{Token: c.Token, Store: g.Store, Log: g.log,
			Tenants: g.Store, Keyring: g.tenants.keyring(), OnChange: g.tenants.changed, Metrics: g.Metrics.Handler(),
			Deployments: admin.RouteDeployments(g.Table),
			Targets:     g.targetStatuses,
			Catalog:     g.focusCatalog(),
			Plans:       g.Plans,
			PlanDocs:    g.Store,
			Budgets:     spendSource{g}}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if c.Token == "" {
		g.log.Warn("admin API has no token: open to anyone on this machine; set admin.token", "listen", ln.Addr().String())
	}
	return nil
}

// AdminAddr is the bound admin address, after Listen.
func (g *Gateway) AdminAddr() string { return g.adminLn.Addr().String() }

// focusCatalog gives the admin reports the commitments and providers of the
// config the gateway started with (a reload does not change them there).
func (g *Gateway) focusCatalog() func() focus.Catalog {
	cat := focus.CatalogFromConfig(g.cfg)
	return func() focus.Catalog { return cat }
}
