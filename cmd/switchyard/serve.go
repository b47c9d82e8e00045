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
file, line and key at fault. SIGTERM or SIGINT makes /readyz answer 503, lets
in-flight requests and streams finish (up to server.shutdown_grace), then exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			return g.Run(ctx)
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "switchyard.yaml", "config file")
	return cmd
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
		Long: `Validate a config file: YAML syntax, unknown keys, ${ENV} references, prices,
and cross-references between models, deployments and providers. Every problem is
printed as FILE:LINE:COLUMN: KEY: MESSAGE; the exit status is 1 if there is any.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				return err
			}
			deployments := 0
			for _, m := range cfg.Models {
				deployments += len(m.Deployments)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d providers, %d models, %d deployments, %d keys)\n",
				args[0], len(cfg.Providers), len(cfg.Models), deployments, len(cfg.Keys))
			return nil
		},
	})
	return cmd
}
