package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/demo"
)

func demoCmd() *cobra.Command {
	var (
		o       demo.Options
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the gateway against emulated clouds, with no set-up",
		Long: `Start six emulated clouds (two OpenAI, one Azure, Anthropic, AWS Bedrock and
Gemini) on free loopback ports and the gateway in front of them, print the
environment lines that point any OpenAI or Anthropic SDK at it, send a sample of
traffic, print what each deployment carried, then keep serving until Ctrl-C or
--duration.

The demo opens with books: plans (one in an A/B pricing experiment), a spend
and a capacity commitment, a revenue and a new-tenants target, and a business
whose tenants signed up over the last 30 days, with keys made through the admin
API. Their month of history is synthesised in seconds: the routing simulator
replays their traffic over simulated clouds and every attempt is settled
through the gateway's own books (journal, store, ledger at the tenants' plans),
with the simulated timestamps. The live sample traffic goes on top, with the
first four tenants' keys. It prints the dashboard URL, the admin URL and token,
and the report commands to run. Its config is written to
DIR/switchyard-demo.yaml, for "switchyard report targets --config"; run again
with the same --data, it keeps the history it made.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			level := "warn"
			if verbose {
				level = "info"
			}
			o.Log = newLogger(os.Stderr, config.Log{Level: level})
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return demo.Run(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "gateway address (a free port is used if it is taken)")
	f.DurationVar(&o.Duration, "duration", 0, "stop after serving this long once the history is in (default: run until Ctrl-C)")
	f.IntVar(&o.Requests, "requests", 60, "number of sample requests to send")
	f.StringVar(&o.Key, "key", "", "demo client key (default: a fresh random key)")
	f.StringVar(&o.Data, "data", "", "keep the demo's journal and store in this directory (default: a temporary one, removed at exit)")
	f.BoolVarP(&verbose, "verbose", "v", false, "log gateway events")
	return cmd
}
