package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// booksCmds are the reports read from the ledger: revenue and margin.
func booksCmds() []*cobra.Command {
	return []*cobra.Command{
		booksCmd("revenue", "Revenue from the ledger: what tenants were charged, grouped",
			`Report revenue from the ledger's hourly and daily rollups: charged
requests and what tenants were charged for them at their plan (pass-through
at cost for a tenant with no plan), grouped by any of tenant, key, model,
deployment, provider, plan, arm, day and hour, over [--from, --to).

The same report is served at GET /admin/v1/reports/revenue.`,
			`  switchyard report revenue --data ./switchyard-data --group-by tenant
  switchyard report revenue --config switchyard.yaml --from 2026-12-01 --group-by plan,arm --format csv`),
		booksCmd("margin", "Revenue, cost and margin from the ledger, grouped",
			`Report revenue, the cost of compute, the part of it drawn on spend
commitments, margin (revenue - cost) and margin % (an exact decimal) from
the ledger's rollups, grouped by any of tenant, key, model, deployment,
provider, plan, arm, day and hour, over [--from, --to). Cost includes
attempts the clouds billed that no tenant was charged for (failovers,
broken streams), so a pass-through tenant's margin is zero or below.

The same report is served at GET /admin/v1/reports/margin.`,
			`  switchyard report margin --data ./switchyard-data --group-by provider
  switchyard report margin --postgres postgres://localhost/switchyard --group-by tenant,day --format json`),
	}
}

func booksCmd(name, short, long, example string) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use: name, Short: short, Long: long, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := report.ParseBooksQuery(f.from, f.to, f.groupBy, f.form, "table", time.Now())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.Books(ctx, store.BooksQuery{From: q.From, To: q.To, GroupBy: q.GroupBy})
			if err != nil {
				return err
			}
			return report.NewBooks(name, q, rows).Write(cmd.OutOrStdout(), q.Format)
		},
	}
	f.register(cmd, "tenant")
	cmd.Flags().Lookup("group-by").Usage = "comma-separated: tenant, key, model, deployment, provider, plan, arm, day, hour"
	return cmd
}
