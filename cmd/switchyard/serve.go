package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/gateway"
)

func serveCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway from a config file",
		Long: `Run the gateway from a YAML config file. Bad config stops start-up with the
file, line and key at fault.

SIGHUP re-reads the file, runs every check start-up runs, and swaps the new
models, deployments, prices, weights, providers, commitments, routing settings
and keys in at once: requests and streams in flight finish on the old config,
and each deployment keeps its health, ejection, quota and commitment state by
name. A config that fails a check, or changes listen, server, log, admin or
data_dir (which need a restart), is refused: the error is logged and the
running config is kept. Every reload logs one line, "config reloaded" or
"config reload refused".

SIGTERM or SIGINT makes /readyz answer 503, lets in-flight requests and streams
finish (up to server.shutdown_grace), then exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Catch SIGHUP before anything else: its default action ends
			// the process.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			cfg, err := config.Load(file)
			if err != nil {
				return err
			}
			log := newLogger(os.Stderr, cfg.Log)
			g, err := gateway.New(cfg, log)
			if err != nil {
				return err
			}
			if err := g.Listen(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			go func() {
				for {
					select {
					case <-hup:
						reload(g, file, log)
					case <-ctx.Done():
						return
					}
				}
			}()
			return g.Run(ctx)
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "switchyard.yaml", "config file")
	return cmd
}

// reload re-reads file and swaps it into g, logging one line either way.
func reload(g *gateway.Gateway, file string, log *slog.Logger) {
	cfg, err := config.Load(file)
	if err == nil {
		err = g.Reload(cfg)
	}
	if err != nil {
		log.Error("config reload refused; the running config is kept", "file", file, "err", err)
		return
	}
	log.Info("config reloaded", append([]any{"file", file}, summary(cfg)...)...)
}

// summary counts what a config holds, for log lines and config check.
func summary(cfg *config.Config) []any {
	deployments := 0
	for _, m := range cfg.Models {
		deployments += len(m.Deployments)
	}
	return []any{"providers", len(cfg.Providers), "models", len(cfg.Models), "deployments", deployments, "keys", len(cfg.Keys)}
}

// newLogger builds the process logger from the log config.
func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with config files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a config file without starting the gateway",
		Long: `Validate a config file with every check serve runs before it listens: YAML
syntax, unknown keys, ${ENV} references, prices, cross-references between
models, deployments and providers, and building each provider (credentials
included: a Bedrock provider without AWS credentials fails here as it fails
serve). It sends nothing to any cloud. Every problem is printed as
FILE:LINE:COLUMN: KEY: MESSAGE; the exit status is 1 if there is any.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				return err
			}
			s := summary(cfg) // before Check clears the keys
			if err := gateway.Check(cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d providers, %d models, %d deployments, %d keys)\n",
				args[0], s[1], s[3], s[5], s[7])
			return nil
		},
	})
	return cmd
}
