// Package demo runs Switchyard against emulated clouds with sample traffic, needing no set-up.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/store"
)

// Options configure a demo run.
type Options struct {
	// Listen is the gateway's address. When it is taken, the demo falls back to
	// a free loopback port rather than failing.
	Listen string
	// Duration stops the demo after serving this long once its history is
	// in the books; 0 runs until ctx is done.
	Duration time.Duration
	// Requests is the size of the sample traffic; 0 sends none.
	Requests int
	// Key is the demo client key; default a fresh random one.
	Key string
	// Data is the data directory for the demo's journal and store; empty
	// uses a temporary one, removed when the demo ends.
	Data string
	Out  io.Writer
	Log  *slog.Logger
}

// The demo's public model names.
const (
	ChatModel      = "gpt-4o-mini"
	ClaudeModel    = "claude-sonnet"
	GeminiModel    = "gemini-flash"
	EmbeddingModel = "text-embedding-3-small"
)

// The demo's emulated AWS account: the Bedrock emulator verifies SigV4
// signatures made with this key pair.
const (
	demoAWSKeyID  = "AKIDSWITCHYARDDEMO"
	demoAWSSecret = "switchyard-demo-secret-access-key"
)

// cloud is one emulated cloud of the demo.
type cloud struct {
	name  string
	kind  emulate.Kind
	knobs emulate.Knobs
	srv   *emulate.Server
}

// clouds are the demo's emulated accounts: two OpenAI-style (one of them
// flaky, so failover shows) and one Azure-style selling the same GPT model;
// Anthropic and AWS Bedrock selling the same Claude model; and Gemini.
func clouds() []*cloud {
	return []*cloud{
		{name: "openai-east", kind: emulate.OpenAI, knobs: emulate.Knobs{TTFT: 40 * time.Millisecond, TPS: 400, Seed: 1}},
		{name: "openai-west", kind: emulate.OpenAI, knobs: emulate.Knobs{TTFT: 60 * time.Millisecond, TPS: 250, Seed: 2,
			ErrorRate: 0.2, ThrottleRate: 0.1, RetryAfter: 2 * time.Second}},
		{name: "azure-eu", kind: emulate.Azure, knobs: emulate.Knobs{TTFT: 50 * time.Millisecond, TPS: 300, Seed: 3}},
		{name: "anthropic", kind: emulate.Anthropic, knobs: emulate.Knobs{TTFT: 60 * time.Millisecond, TPS: 300, Seed: 4,
			ThrottleRate: 0.15, RetryAfter: time.Second}},
		{name: "aws-bedrock", kind: emulate.Bedrock, knobs: emulate.Knobs{TTFT: 70 * time.Millisecond, TPS: 250, Seed: 5,
			AWSAccessKeyID: demoAWSKeyID, AWSSecretAccessKey: demoAWSSecret}},
		{name: "gemini", kind: emulate.Gemini, knobs: emulate.Knobs{TTFT: 30 * time.Millisecond, TPS: 500, Seed: 6}},
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
	if o.Requests < 0 {
		return fmt.Errorf("demo: --requests %d: must be 0 (no sample traffic) or more", o.Requests)
	}
	if o.Key == "" {
		o.Key = access.NewKey()
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
	// The demo's books (journal and store) and admin API are its own and
	// go when it ends: a demo never reads or leaves a switchyard-data in
	// the current directory, nor takes the admin port of a real gateway.
	dataDir := o.Data
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "switchyard-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs // the printed commands work from any directory
	}
	// A --data directory a previous run left holds its history: the same
	// window gives the same business and terms, and no second history.
	w, reused, err := loadWindow(dataDir)
	if err != nil {
		return err
	}
	if !reused {
		w = newWindow(time.Now())
	}
	biz := newBusiness(w.Start, w.days(), w.Seed)
	cfg, cfgFile, err := writeConfig(cs, o.Listen, o.Key, access.NewKey(), dataDir, biz)
	if err != nil {
		return err
	}
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

	tenants, err := openTenants(ctx, "http://"+g.AdminAddr(), cfg.Admin.Token, biz.customers)
	if err != nil {
		g.Shutdown(context.Background())
		return err
	}
	printIntro(o.Out, g, cs, o.Key)
	printBooks(o.Out, g, cfg, cfgFile, biz, tenants, o.Data == "")
	if err := openHistory(ctx, o.Out, g, cfg, biz, tenants, w, reused, dataDir); err != nil {
		g.Shutdown(context.Background())
		return err
	}
	// Live traffic lands after the history's last hour: the summaries
	// read the store from there.
	live := time.Now().UTC().Truncate(time.Hour)
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	if o.Requests > 0 {
		// The live sample goes with the demo key and the four opening
		// tenants' keys.
		keys := []string{o.Key}
		for _, t := range tenants[:len(demoTenants)] {
			keys = append(keys, t.key)
		}
		fmt.Fprintf(o.Out, "Sending %d sample requests (chat, streams, tool calls, embeddings) with the demo key and the tenants' keys…\n", o.Requests)
		res := sendTraffic(ctx, g.URL(), keys, o.Requests)
		fmt.Fprintf(o.Out, "  %d answered, %d failed, in %s\n\n", res.ok, res.failed, res.elapsed.Round(time.Millisecond))
		waitApplied(g)
		if err := printSummary(o.Out, g, g.Store, live); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.Out, "No sample traffic (--requests 0).")
	}

	if o.Duration > 0 {
		fmt.Fprintf(o.Out, "\nServing for %s more (Ctrl-C stops)…\n", max(time.Until(deadline(ctx)), 0).Round(time.Second))
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
	// Shutdown drained the journal into the store and closed it; the final
	// summary reads it back, as a report would after the gateway stopped.
	st, err := store.Open(context.Background(), store.Config{DataDir: dataDir})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer st.Close()
	fmt.Fprintln(o.Out, "\nFinal summary:")
	return printSummary(o.Out, g, st, live)
}

// waitApplied waits (a few seconds at most) until every settled event has
// reached the store, so the summary counts them all.
func waitApplied(g *gateway.Gateway) {
	for deadline := time.Now().Add(5 * time.Second); g.Journal.Lag() > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func printIntro(w io.Writer, g *gateway.Gateway, cs []*cloud, key string) {
	fmt.Fprintln(w, "Switchyard demo: six emulated clouds, one gateway in front. The same GPT model is")
	fmt.Fprintln(w, "sold by OpenAI (twice) and Azure, the same Claude model by Anthropic and AWS Bedrock.")
	fmt.Fprintln(w)
	for _, c := range cs {
		note := ""
		if c.knobs.ErrorRate > 0 || c.knobs.ThrottleRate > 0 {
			note = fmt.Sprintf("  (flaky: %.0f%% errors, %.0f%% throttled)", c.knobs.ErrorRate*100, c.knobs.ThrottleRate*100)
		}
		fmt.Fprintf(w, "  cloud %-12s %-9s %s%s\n", c.name, c.kind, c.srv.URL, note)
	}
	fmt.Fprintf(w, "  gateway            %s\n\n", g.URL())
	fmt.Fprintln(w, "Point any OpenAI SDK at the gateway:")
	fmt.Fprintf(w, "  export OPENAI_BASE_URL=%s\n", g.URL())
	fmt.Fprintf(w, "  export OPENAI_API_KEY=%s\n\n", key)
	fmt.Fprintln(w, "Or any Anthropic SDK:")
	fmt.Fprintf(w, "  export ANTHROPIC_BASE_URL=http://%s\n", g.Addr())
	fmt.Fprintf(w, "  export ANTHROPIC_API_KEY=%s\n\n", key)
	fmt.Fprintln(w, "Or try it with curl:")
	fmt.Fprintf(w, "  curl -s %s/chat/completions -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' \\\n", g.URL(), key)
	fmt.Fprintf(w, "    -d '{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'\n", ChatModel)
	fmt.Fprintf(w, "  curl -s http://%s/v1/messages -H \"x-api-key: %s\" -H 'anthropic-version: 2023-06-01' -H 'Content-Type: application/json' \\\n", g.Addr(), key)
	fmt.Fprintf(w, "    -d '{\"model\":\"%s\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}'\n\n", ClaudeModel)
	fmt.Fprintf(w, "Models: %s (OpenAI ×2, Azure), %s (Anthropic, Bedrock), %s (Gemini), %s (OpenAI, Azure).\n", ChatModel, ClaudeModel, GeminiModel, EmbeddingModel)
	fmt.Fprintf(w, "%s goes to the cheapest healthy deployment (Azure costs 10%% more); the others by priority.\n", ChatModel)
	fmt.Fprintln(w, "Every model answers both APIs. Responses carry x-switchyard-deployment; send")
	fmt.Fprintln(w, "x-switchyard-debug: 1 to see why in x-switchyard-route-reason.")
	fmt.Fprintln(w)
}
