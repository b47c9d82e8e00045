package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// reportFlags are the flags every report shares.
type reportFlags struct {
	config, data, postgres  string
	from, to, groupBy, form string
}

func (f *reportFlags) register(cmd *cobra.Command, groupBy string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "read the store the config names (data_dir, or store.postgres)")
	fl.StringVar(&f.data, "data", "", "read the SQLite store in this data directory")
	fl.StringVar(&f.postgres, "postgres", "", "read the store in this Postgres database (URL)")
	fl.StringVar(&f.from, "from", "", "start of the period: RFC 3339 time or date, UTC (default: 30 days ago)")
	fl.StringVar(&f.to, "to", "", "end of the period, exclusive (default: now)")
	fl.StringVar(&f.groupBy, "group-by", groupBy, "comma-separated: deployment, model, key, tenant, provider, day, hour")
	fl.StringVar(&f.form, "format", "table", "table, json or csv")
}

// open opens the store the flags name. It reads the store directly, so
// reports work while the gateway is stopped.
func (f *reportFlags) open(ctx context.Context) (store.Store, error) {
	n := 0
	for _, s := range []string{f.config, f.data, f.postgres} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("name the store with exactly one of --config FILE, --data DIR or --postgres URL")
	}
	sc := store.Config{DataDir: f.data, PostgresURL: f.postgres}
	if f.config != "" {
		cfg, err := config.Load(f.config)
		if err != nil {
			return nil, err
		}
		sc = store.Config{DataDir: cfg.DataDir, PostgresURL: cfg.Store.Postgres}
	}
	if sc.DataDir != "" {
		// A report never creates a store: a mistyped directory is an error,
		// not an empty report.
		if _, err := os.Stat(filepath.Join(sc.DataDir, "switchyard.db")); err != nil {
			return nil, fmt.Errorf("no usage store in %s (no switchyard.db): is it the gateway's data_dir?", sc.DataDir)
		}
	}
	return store.Open(ctx, sc)
}

func reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report usage from the store (works while the gateway is stopped)",
	}
	var f reportFlags
	usage := &cobra.Command{
		Use:   "usage",
		Short: "Attempts, tokens (reported and estimated apart) and cost, grouped",
		Long: `Report usage from the store's hourly rollups: attempts, completed and failed
attempts, tokens the clouds reported and tokens the gateway estimated (kept
apart), and cost in exact dollars, grouped by any of deployment, model, key,
tenant, provider, day and hour, over [--from, --to).

The same report is served at GET /admin/v1/usage on the admin listener.`,
		Example: `  switchyard report usage --data ./switchyard-data --group-by deployment
  switchyard report usage --config switchyard.yaml --from 2026-12-01 --group-by key,day --format csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := report.ParseQuery(f.from, f.to, f.groupBy, f.form, "table", time.Now())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.Usage(ctx, store.UsageQuery{From: q.From, To: q.To, GroupBy: q.GroupBy})
			if err != nil {
				return err
			}
			return report.NewUsage(q, rows).Write(cmd.OutOrStdout(), q.Format)
		},
	}
	f.register(usage, "deployment")
	cmd.AddCommand(usage)
	cmd.AddCommand(booksCmds()...)
	cmd.AddCommand(reportCommitmentsCmd())
	cmd.AddCommand(reportFocusCmd())
	cmd.AddCommand(reportTargetsCmd()) // report_targets.go
	return cmd
}
