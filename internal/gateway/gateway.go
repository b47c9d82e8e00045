// Package gateway assembles a running Switchyard from a config and shuts it down gracefully.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/journal"
	"github.com/switchyard/switchyard/internal/listen"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/settle"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/trace"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// Gateway is a configured gateway: its handler, routing table and listener.
type Gateway struct {
	cfg *config.Config
	log *slog.Logger
	API *api.Server
	// Routes is the routing table built at start-up; Table is the one new
	// requests use, which a Reload replaces. Both share live state (health,
	// quotas, drawdown) by name.
	Routes *route.Table
	Meter  *books.Meter
	// Settler is the one settlement point every attempt's usage goes through.
	Settler *settle.Settler
	Store   store.Store
	Journal *journal.Journal
	// Plans are what tenants are charged: the config's plus the admin API's.
	Plans *plan.Live
	// Admitter takes rate limits and budget holds before a request is routed.
	Admitter *admit.Admitter
	tenants  *tenantKeys // stored keys in memory (tenants.go)
	// Metrics are the Prometheus metrics served at the admin listener's
	// /metrics (metrics.go); tracer is nil with tracing off (trace.go).
	Metrics *metrics.Metrics
	tracer  *trace.Tracer
	shed    *listen.Shedder

	stopAdmission context.CancelFunc
	webhooks      *budget.Webhooks
	redis         *redis.Client

	stopApply context.CancelFunc
	pruned    chan struct{} // closed when the pruner has stopped
	applied   chan error
	adminSrv  *http.Server
	adminLn   net.Listener

	srv *http.Server
	ln  net.Listener
}

// Table returns the routing table new requests use: the one built at
// start-up, or by the latest Reload.
func (g *Gateway) Table() *route.Table { return g.API.Routes() }

// New builds a gateway from a validated config, with the checks Check runs
// (errors name the file, line and key at fault). Client keys are digested
// here; the config's copies are cleared so no plain key outlives start-up.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// No secret reaches a log line, and durations carry their unit (redact.go).
	log = slog.New(redact(log.Handler()))
	// The limit is process-wide: every decoder in wire checks it.
	jsoncheck.SetMaxDepth(cfg.Server.MaxJSONDepth)
	if err := ensurePepper(cfg); err != nil {
		return nil, err
	}
	dp, err := build(cfg, nil)
	if err != nil {
		return nil, err
	}
	routes, keys, constraints := dp.routes, dp.keys, dp.constraints
	var names []string
	for _, d := range routes.Deployments() {
		names = append(names, d.Name)
	}
	meter := books.NewMeter(names)
	g := &Gateway{cfg: cfg, log: log, Routes: routes, Meter: meter}
	g.openMetrics()
	if err := g.openTracing(); err != nil {
		return nil, err
	}
	if err := g.setPlans(cfg); err != nil {
		return nil, fmt.Errorf("gateway: plans: %w", err)
	}
	if err := g.openBooks(context.Background()); err != nil {
		return nil, err
	}
	if err := g.openTenants(dp); err != nil {
		g.closeBooks()
		return nil, err
	}
	g.Settler = settle.New(cfg.PriceBook(), g.Journal, log, meter, g.Metrics)
	if err := g.openAdmission(); err != nil {
		g.closeBooks()
		return nil, err
	}
	if err := g.seedBudgets(context.Background()); err != nil {
		g.closeAdmission()
		g.closeBooks()
		return nil, err
	}
	g.API = api.New(api.Options{
		Admitter:        g.Admitter,
		Metrics:         g.Metrics,
		Tracer:          g.tracer,
		Spend:           spendSource{g},
		Routes:          routes,
		Keys:            keys,
		Constraints:     constraints,
		Settler:         g.Settler,
		Log:             log,
		AccessLog:       cfg.Log.Access,
		MaxBodyBytes:    int64(cfg.Server.MaxBodyBytes),
		BodyReadTimeout: cfg.Server.BodyReadTimeout.D(),
	})
	g.openQuotas() // quotas.go: deployment quotas shared in a cluster
	g.shed = listen.Shed(g.API, cfg.Server.MaxInFlight)
	g.srv = &http.Server{
		// Outside in: every body read (net/http's own drain included) has a
		// deadline and an answer before the body's end closes the connection;
		// then the in-flight cap, which also refuses all but probes on
		// connections past the connection cap (see Listen).
		Handler:           listen.Bodies(g.shed, cfg.Server.BodyReadTimeout.D()),
		ConnContext:       listen.ConnContext,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		MaxHeaderBytes:    int(cfg.Server.MaxHeaderBytes),
		// No ReadTimeout or WriteTimeout: both would cut long streams. The body
		// read is bounded per request (listen.Bodies), upstream waits by the
		// deployments' timeouts.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return g, nil
}

// Listen binds the API listener. It is separate from Serve so callers (the
// demo, tests) can learn the address before traffic flows.
func (g *Gateway) Listen() error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen %s: %w", g.cfg.Listen, err)
	}
	// Past server.max_connections, a few spare connections on a short
	// probation still get /healthz and /readyz answered (others 503), so
	// probes see a busy node as alive; past those, connections are closed.
	g.ln = listen.Limit(ln, g.cfg.Server.MaxConnections, listen.DefaultSpare, listen.DefaultProbation)
	if err := g.listenAdmin(); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// Addr is the bound API address (host:port), after Listen.
func (g *Gateway) Addr() string { return g.ln.Addr().String() }

// URL is the API base URL for OpenAI clients, after Listen.
func (g *Gateway) URL() string { return "http://" + g.Addr() + "/v1" }

// Serve serves until Shutdown. It returns nil after a graceful shutdown.
func (g *Gateway) Serve() error {
	if g.ln == nil {
		if err := g.Listen(); err != nil {
			return err
		}
	}
	g.API.SetReady(true)
	defer g.startTargets()() // targets.go: evaluated and alerted on while serving
	go func() {
		if err := g.adminSrv.Serve(g.adminLn); !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("admin listener stopped", "err", err)
		}
	}()
	g.log.Info("serving", "listen", g.Addr(), "admin", g.AdminAddr(), "models", len(g.Table().Models()), "deployments", len(g.Table().Deployments()))
	if err := g.srv.Serve(g.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the gateway the way load balancers need: /readyz turns 503
// at once, new connections are still accepted during the drain delay, then the
// listener closes and in-flight requests (streams included) get the grace
// period to finish before their connections are cut.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.API.SetReady(false)
	g.log.Info("shutting down", "drain_delay_ms", g.cfg.Server.DrainDelay.D().Milliseconds(), "grace_ms", g.cfg.Server.ShutdownGrace.D().Milliseconds())
	if d := g.cfg.Server.DrainDelay.D(); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	grace := g.cfg.Server.ShutdownGrace.D()
	sctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	err := g.srv.Shutdown(sctx)
	if err != nil {
		g.log.Warn("grace period over; closing remaining connections", "err", err)
		g.srv.Close()
		err = fmt.Errorf("gateway: shutdown: %w", err)
	}
	// The admin listener and the usage writer go last: every attempt has
	// settled into the journal by now, and the writer drains it to the store.
	if g.adminSrv != nil {
		g.adminSrv.Close()
	}
	g.closeAdmission()
	g.closeTracing()
	g.stopTenants()
	err = errors.Join(err, g.closeBooks())
	if err == nil {
		g.log.Info("stopped")
	}
	return err
}

// Close releases what New opened (the journal and the store) for a gateway
// that was never served.
func (g *Gateway) Close() error {
	if g.adminLn != nil {
		g.adminLn.Close()
	}
	if g.ln != nil {
		g.ln.Close()
	}
	g.closeAdmission()
	g.closeTracing()
	g.stopTenants()
	return g.closeBooks()
}

// Run serves until ctx is done (a signal), then shuts down gracefully.
func (g *Gateway) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- g.Serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if err := g.Shutdown(context.Background()); err != nil {
		return err
	}
	return <-errc
}
