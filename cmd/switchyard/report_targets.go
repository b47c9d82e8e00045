package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/forecast"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/target"
)

func reportTargetsCmd() *cobra.Command {
	var f reportFlags
	var backtest bool
	var period, form string
	cmd := &cobra.Command{
		Use:   "targets",
		Short: "Goals per period: actual, pace, forecast to the period's end with an 80% interval",
		Long: `Report the config's targets for the current period: the actual to date, the
pace (actual over the straight-line share of the goal), the forecast total at
the period's end with its 80% interval, and the state: met, on_track, at_risk
(expected short of the goal) or will_miss (even the interval's high end short;
the gateway alerts on it once per target per period).

Goals come from the targets: list of --config; the store is the config's, or
the one --data or --postgres names.

--backtest replays, for every past month, the forecast made at mid-month of the
month-end revenue and prints it beside the actual. With no store named it runs
on a synthetic year (growth, weekly seasonality, a ten-day outage and the loss
of a fifth of the business; see internal/forecast.Synthetic).

The same report is served at GET /admin/v1/reports/targets.`,
		Example: `  switchyard report targets --config switchyard.yaml
  switchyard report targets --config switchyard.yaml --data ./switchyard-data --format json
  switchyard report targets --backtest
  switchyard report targets --backtest --data ./switchyard-data --format csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if form != "table" && form != "json" && form != "csv" {
				return fmt.Errorf("--format %q: want table, json or csv", form)
			}
			ctx := cmd.Context()
			if backtest {
				p, err := forecast.ParsePeriod(period)
				if err != nil {
					return err
				}
				series := forecast.Synthetic(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 365, 1)
				if f.config != "" || f.data != "" || f.postgres != "" {
					st, err := openTargetStore(ctx, &f)
					if err != nil {
						return err
					}
					defer st.Close()
					if series, err = dailyRevenue(ctx, st); err != nil {
						return err
					}
				}
				return target.WriteBacktest(cmd.OutOrStdout(), form, forecast.Backtest(series, p), true)
			}
			if f.config == "" {
				return errors.New("targets come from a config's targets: list: pass --config FILE (and --data or --postgres to read another store)")
			}
			cfg, err := config.Load(f.config)
			if err != nil {
				return err
			}
			goals, err := target.FromConfig(cfg.Targets)
			if err != nil {
				return err
			}
			st, err := openTargetStore(ctx, &f)
			if err != nil {
				return err
			}
			defer st.Close()
			ss := target.New(target.Options{Usage: st, Books: target.BooksFor(st), Tenants: st}).Evaluate(ctx, goals)
			return target.WriteStatuses(cmd.OutOrStdout(), form, ss)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "the config whose targets to report (and whose store to read)")
	fl.StringVar(&f.data, "data", "", "read the SQLite store in this data directory")
	fl.StringVar(&f.postgres, "postgres", "", "read the store in this Postgres database (URL)")
	fl.BoolVar(&backtest, "backtest", false, "backtest the mid-period revenue forecast instead")
	fl.StringVar(&period, "period", "month", "backtest period: week, month or quarter")
	fl.StringVar(&form, "format", "table", "table, json or csv")
	return cmd
}

// openTargetStore opens --data or --postgres when given, else the
// config's store.
func openTargetStore(ctx context.Context, f *reportFlags) (store.Store, error) {
	if f.data != "" || f.postgres != "" {
		return (&reportFlags{data: f.data, postgres: f.postgres}).open(ctx)
	}
	return (&reportFlags{config: f.config}).open(ctx)
}

// dailyRevenue is the store's revenue per day over all its history, from
// its ledger.
func dailyRevenue(ctx context.Context, st store.Store) ([]forecast.Point, error) {
	rows, err := target.BooksFor(st).Money(ctx, store.UsageQuery{GroupBy: []string{"day"}})
	if err != nil {
		return nil, err
	}
	ps := make([]forecast.Point, 0, len(rows))
	for _, r := range rows {
		d, err := time.Parse(time.DateOnly, r.Group["day"])
		if err != nil {
			return nil, fmt.Errorf("report targets: day %q: %w", r.Group["day"], err)
		}
		ps = append(ps, forecast.Point{Day: d, Value: int64(r.Revenue)})
	}
	return ps, nil
}
