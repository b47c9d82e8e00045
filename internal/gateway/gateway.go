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

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/books"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/listen"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/settle"
)

// Gateway is a configured gateway: its handler, routing table and listener.
type Gateway struct {
	cfg    *config.Config
	log    *slog.Logger
	API    *api.Server
	Routes *route.Table
	Meter  *books.Meter
	// Settler is the one settlement point every attempt's usage goes through.
	Settler *settle.Settler

	srv *http.Server
	ln  net.Listener
}

// New builds a gateway from a validated config. Client keys are digested
// here; the config's copies are cleared so no plain key outlives start-up.
func New(cfg *config.Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	providers := make(map[string]provider.Provider, len(cfg.Providers))
	for _, pc := range cfg.Providers {
		p, err := provider.New(pc)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		providers[pc.Name] = p
	}
	routes, err := route.New(cfg, providers, route.Options{})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	keys := access.NewKeyring()
	constraints := make(map[string]*route.Constraints, len(cfg.Keys))
	for i := range cfg.Keys {
		constraints[cfg.Keys[i].Name] = route.KeyConstraints(cfg.Keys[i])
		if err := keys.Add(cfg.Keys[i].Name, cfg.Keys[i].Key); err != nil {
			return nil, fmt.Errorf("gateway: key %s: %w", cfg.Keys[i].Name, err)
		}
		cfg.Keys[i].Key = ""
	}
	var names []string
	for _, d := range routes.Deployments() {
		names = append(names, d.Name)
	}
	meter := books.NewMeter(names)
	g := &Gateway{cfg: cfg, log: log, Routes: routes, Meter: meter}
	g.Settler = settle.New(newDeploymentPrices(routes), nil, log, meter)
	g.API = api.New(api.Options{
		Routes:          routes,
		Keys:            keys,
		Constraints:     constraints,
		Settler:         g.Settler,
		Log:             log,
		AccessLog:       cfg.Log.Access,
		MaxBodyBytes:    int64(cfg.Server.MaxBodyBytes),
		BodyReadTimeout: cfg.Server.BodyReadTimeout.D(),
	})
	g.srv = &http.Server{
		// Outside in: every body read (net/http's own drain included) has a
		// deadline and an answer before the body's end closes the connection;
		// then the in-flight cap, which also refuses all but probes on
		// connections past the connection cap (see Listen).
		Handler:           listen.Bodies(listen.Shed(g.API, cfg.Server.MaxInFlight), cfg.Server.BodyReadTimeout.D()),
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
	g.log.Info("serving", "listen", g.Addr(), "models", len(g.Routes.Models()), "deployments", len(g.Routes.Deployments()))
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
	g.log.Info("shutting down", "drain_delay", g.cfg.Server.DrainDelay.D(), "grace", g.cfg.Server.ShutdownGrace.D())
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
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	g.log.Info("stopped")
	return nil
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
