package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// costFlags name the store and the period of the commitments and FOCUS
// reports; the commitments themselves come from the config.
type costFlags struct {
	reportFlags
	granularity string
}

func (f *costFlags) registerStore(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "the gateway's config: its commitments and providers, and the store it names")
	fl.StringVar(&f.data, "data", "", "read the SQLite store in this data directory (no config: no commitments)")
	fl.StringVar(&f.postgres, "postgres", "", "read the store in this Postgres database (URL; no config: no commitments)")
}

// openCosts opens the store and loads the config when one is named.
func (f *costFlags) openCosts(ctx context.Context) (store.Store, *config.Config, error) {
	var cfg *config.Config
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return nil, nil, err
		}
	}
	st, err := f.open(ctx)
	return st, cfg, err
}

func reportCommitmentsCmd() *cobra.Command {
	var f costFlags
	cmd := &cobra.Command{
		Use:   "commitments",
		Short: "Commitments: utilisation, pace, projected shortfall, FOCUS costs, unused capacity by hour",
		Long: `Report each commitment of the config (spend and capacity) as of --to (default
now), from the store's hourly rollups: what it drew so far and its
utilisation, its pace against the straight line of the term, the projected
use and shortfall at the end of the term (linear from the term so far and
from the last 7 days), FOCUS-style list, contracted, effective and billed
costs split into committed and on-demand, and each commitment's config
version (a hash of its terms). Capacity commitments add their capacity
tokens available, used and unused per hour over [--from, --to) (default
the last 24 hours).

The same report is served at GET /admin/v1/reports/commitments.`,
		Example: `  switchyard report commitments --config switchyard.yaml
  switchyard report commitments --config switchyard.yaml --from 2026-12-01 --to 2026-12-02 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if f.config == "" {
				return errors.New("commitments come from the config: pass --config FILE")
			}
			from := f.from
			if from == "" {
				from = "1970-01-01" // replaced below: the default depends on --to
			}
			q, err := report.ParseQuery(from, f.to, "", f.form, "table", time.Now())
			if err != nil {
				return err
			}
			if f.from == "" {
				q.From = q.To.Add(-24 * time.Hour)
			}
			st, cfg, err := f.openCosts(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			doc, err := commitmentsReport(ctx, versionedRollups{commit.Rollups{Store: st}, st}, commit.FromConfig(cfg), q.To, q.From)
			if err != nil {
				return err
			}
			return doc.Write(cmd.OutOrStdout(), q.Format)
		},
	}
	f.registerStore(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "start of the hourly table: RFC 3339 time or date, UTC (default: 24 hours before --to)")
	fl.StringVar(&f.to, "to", "", "the moment reported on, and end of the hourly table (default: now)")
	fl.StringVar(&f.form, "format", "table", "table, json or csv")
	return cmd
}

// commitmentsReport is every commitment's status at asOf, with the capacity
// hours from hoursFrom.
func commitmentsReport(ctx context.Context, src commit.Source, terms []commit.Terms, asOf, hoursFrom time.Time) (*commit.ReportDoc, error) {
	ss, err := commit.Statuses(ctx, src, terms, asOf, hoursFrom, asOf)
	if err != nil {
		return nil, err
	}
	if vs, ok := src.(interface {
		CommitmentVersions(context.Context) ([]store.CommitmentVersion, error)
	}); ok {
		seen, err := vs.CommitmentVersions(ctx)
		if err != nil {
			return nil, err
		}
		commit.AttachHistory(ss, seen)
	}
	return &commit.ReportDoc{AsOf: asOf.UTC(), Commitments: ss}, nil
}

func reportFocusCmd() *cobra.Command {
	var f costFlags
	cmd := &cobra.Command{
		Use:   "focus",
		Short: "Export costs as FinOps FOCUS 1.2 CSV",
		Long: `Write the costs of [--from, --to) (whole hours) as FOCUS 1.2 CSV on standard
output: the 21 mandatory columns, ConsumedQuantity and ConsumedUnit, the
CommitmentDiscount columns, the model in SkuPriceDetails, the tenant in Tags,
x_ columns with tokens by type and x_CommitmentVersion. One row per charge
period (--granularity day or hour), deployment, model and tenant, split into
the part a commitment covered (Committed: billed 0, its effective cost the
commitment's share) and the part on demand (Standard), plus each
commitment's purchases and its unused part, so that per commitment the
effective cost of its usage plus the unused part equals what was bought.
Money has nine decimals, times are UTC, lines end in CRLF (RFC 4180).

Without --config there are no commitments and providers are named as the
store has them. The same export is served at GET /admin/v1/reports/focus.`,
		Example: `  switchyard report focus --config switchyard.yaml --from 2026-11-01 --to 2026-12-01 > costs.csv
  switchyard report focus --data ./switchyard-data --granularity hour > costs.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			g, err := parseGranularity(f.granularity)
			if err != nil {
				return err
			}
			q, err := report.ParseQuery(f.from, f.to, "", "csv", "csv", time.Now())
			if err != nil {
				return err
			}
			st, cfg, err := f.openCosts(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			cat := focus.Catalog{}
			if cfg != nil {
				cat = focus.CatalogFromConfig(cfg)
			}
			return focusExport(ctx, cmd.OutOrStdout(), commit.Rollups{Store: st}, cat, q.From, q.To, g, time.Now())
		},
	}
	f.registerStore(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "start of the period: RFC 3339 time or date, UTC (default: 30 days ago)")
	fl.StringVar(&f.to, "to", "", "end of the period, exclusive (default: now)")
	fl.StringVar(&f.granularity, "granularity", "day", "charge period of the usage rows: day or hour")
	return cmd
}

func parseGranularity(s string) (time.Duration, error) {
	switch s {
	case "day", "":
		return focus.Daily, nil
	case "hour":
		return focus.Hourly, nil
	}
	return 0, fmt.Errorf("unknown granularity %q: use day or hour", s)
}

// focusExport writes the FOCUS CSV of [from, to) from src.
func focusExport(ctx context.Context, w io.Writer, src commit.Source, cat focus.Catalog, from, to time.Time, g time.Duration, now time.Time) error {
	terms := make([]commit.Terms, 0, len(cat.Commitments))
	for _, t := range cat.Commitments {
		terms = append(terms, t)
	}
	slices.SortFunc(terms, func(a, b commit.Terms) int { return strings.Compare(a.Name, b.Name) })
	a, err := commit.Export(ctx, src, terms, from, to, now)
	if err != nil {
		return err
	}
	return focus.Write(w, focus.Rows(cat, a, g))
}

// versionedRollups reads usage from the rollups and the commitments'
// version history from the same store.
type versionedRollups struct {
	commit.Rollups
	store.CommitmentVersions
}
