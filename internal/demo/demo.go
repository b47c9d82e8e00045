// Package demo runs Switchyard against emulated clouds with sample traffic, needing no set-up.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
)

// Options configure a demo run.
type Options struct {
	// Listen is the gateway's address. When it is taken, the demo falls back to
	// a free loopback port rather than failing.
	Listen string
	// Duration stops the demo after this long; 0 runs until ctx is done.
	Duration time.Duration
	// Requests is the size of the sample traffic; default 60.
	Requests int
	// Key is the demo client key; default a fresh random one.
	Key string
	Out io.Writer
	Log *slog.Logger
}

// The demo's public model names.
const (
	ChatModel      = "gpt-4o-mini"
	EmbeddingModel = "text-embedding-3-small"
)

// cloud is one emulated cloud of the demo.
type cloud struct {
	name  string
	kind  emulate.Kind
	knobs emulate.Knobs
	srv   *emulate.Server
}

// clouds are three emulated accounts selling the same model: two OpenAI-style
// (one of them flaky, so failover shows) and one Azure-style.
func clouds() []*cloud {
	return []*cloud{
		{name: "openai-east", kind: emulate.OpenAI, knobs: emulate.Knobs{TTFT: 40 * time.Millisecond, TPS: 400, Seed: 1}},
		{name: "openai-west", kind: emulate.OpenAI, knobs: emulate.Knobs{TTFT: 60 * time.Millisecond, TPS: 250, Seed: 2,
			ErrorRate: 0.2, ThrottleRate: 0.1, RetryAfter: 2 * time.Second}},
		{name: "azure-eu", kind: emulate.Azure, knobs: emulate.Knobs{TTFT: 50 * time.Millisecond, TPS: 300, Seed: 3}},
	}
}

// Run starts the clouds and the gateway, prints how to use them, sends sample
// traffic, prints a summary, and serves until ctx is done or Duration passes.
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8080"
	}
	if o.Requests == 0 {
		o.Requests = 60
	}
	if o.Key == "" {
		o.Key = access.NewKey()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}

	cs := clouds()
	for _, c := range cs {
		srv, err := emulate.Listen(c.kind, "127.0.0.1:0", c.knobs)
		if err != nil {
			return fmt.Errorf("demo: start %s emulator: %w", c.name, err)
		}
		defer srv.Close()
		c.srv = srv
	}
	cfg := demoConfig(cs, o.Listen, o.Key)
	g, err := gateway.New(cfg, o.Log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := g.Listen(); err != nil {
		if !errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintf(o.Out, "%s is taken; using a free port instead.\n", o.Listen)
		cfg.Listen = "127.0.0.1:0"
		if err := g.Listen(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.Serve() }()

	printIntro(o.Out, g, cs, o.Key)
	fmt.Fprintf(o.Out, "Sending %d sample requests (chat, streams, tool calls, embeddings)…\n", o.Requests)
	res := sendTraffic(ctx, g.URL(), o.Key, o.Requests)
	fmt.Fprintf(o.Out, "  %d answered, %d failed, in %s\n\n", res.ok, res.failed, res.elapsed.Round(time.Millisecond))
	printSummary(o.Out, g)

	if o.Duration > 0 {
		fmt.Fprintf(o.Out, "\nServing for %s more (Ctrl-C stops)…\n", time.Until(deadline(ctx)).Round(time.Second))
	} else {
		fmt.Fprintln(o.Out, "\nServing until Ctrl-C…")
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("demo: gateway stopped: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Shutdown(sctx); err != nil {
		return err
	}
	<-serveErr
	fmt.Fprintln(o.Out, "\nFinal summary:")
	printSummary(o.Out, g)
	return nil
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// demoConfig is the gateway config for the running clouds.
func demoConfig(cs []*cloud, listen, key string) *config.Config {
	price := func(in, out string) config.Price {
		i, _ := money.ParsePerMillion(in)
		o, _ := money.ParsePerMillion(out)
		return config.Price{Input: i, Output: o}
	}
	cfg := &config.Config{Listen: listen, Keys: []config.Key{{Name: "demo", Key: key}}}
	var chat, embed []config.Deployment
	for _, c := range cs {
		p := config.Provider{Name: c.name, Type: string(c.kind), BaseURL: c.srv.URL, APIKey: "emulated-" + c.name}
		native, embedNative := ChatModel, EmbeddingModel
		d := config.Deployment{Provider: c.name, Priority: 1, Weight: 1, Price: price("0.15", "0.60")}
		switch c.kind {
		case emulate.OpenAI:
			p.BaseURL += "/v1"
		case emulate.Azure:
			// Azure serves a deployment name of the operator's choosing, through
			// the classic per-deployment URL; its data-zone price is 10% higher.
			p.APIVersion = "2024-10-21"
			native, embedNative = "gpt-4o-mini-prod", "embed-small-prod"
			d.Price = price("0.165", "0.66")
		}
		if c.name == "openai-east" {
			d.Weight = 2 // the steadiest cloud takes the larger share
		}
		d.Model = native
		chat = append(chat, d)
		if c.name != "openai-west" {
			e := config.Deployment{Provider: c.name, Model: embedNative, Priority: len(embed) + 1, Weight: 1, Price: price("0.02", "0")}
			embed = append(embed, e)
		}
		cfg.Providers = append(cfg.Providers, p)
	}
	cfg.Models = []config.Model{
		{Name: ChatModel, Routing: config.RoutePriority, Deployments: chat},
		{Name: EmbeddingModel, Routing: config.RoutePriority, Deployments: embed},
	}
	cfg.SetDefaults()
	// The demo's deployments fail over fast: its clouds answer in milliseconds.
	for i := range cfg.Providers {
		cfg.Providers[i].Timeouts.FirstByte = config.Duration(10 * time.Second)
	}
	return cfg
}

func printIntro(w io.Writer, g *gateway.Gateway, cs []*cloud, key string) {
	fmt.Fprintln(w, "Switchyard demo: three emulated clouds selling the same model, one gateway in front.")
	fmt.Fprintln(w)
	for _, c := range cs {
		note := ""
		if c.knobs.ErrorRate > 0 || c.knobs.ThrottleRate > 0 {
			note = fmt.Sprintf("  (flaky: %.0f%% errors, %.0f%% throttled)", c.knobs.ErrorRate*100, c.knobs.ThrottleRate*100)
		}
		fmt.Fprintf(w, "  cloud %-12s %-7s %s%s\n", c.name, c.kind, c.srv.URL, note)
	}
	fmt.Fprintf(w, "  gateway            %s\n\n", g.URL())
	fmt.Fprintln(w, "Point any OpenAI SDK at the gateway:")
	fmt.Fprintf(w, "  export OPENAI_BASE_URL=%s\n", g.URL())
	fmt.Fprintf(w, "  export OPENAI_API_KEY=%s\n\n", key)
	fmt.Fprintln(w, "Or try it with curl:")
	fmt.Fprintf(w, "  curl -s %s/chat/completions -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' \\\n", g.URL(), key)
	fmt.Fprintf(w, "    -d '{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'\n\n", ChatModel)
	fmt.Fprintf(w, "Models: %s (3 deployments), %s (2 deployments). Responses carry x-switchyard-deployment.\n\n", ChatModel, EmbeddingModel)
}
