package demo

import (
	"fmt"
	"io"
	"strings"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/target"
)

// printBooks prints the business side of the demo: its tenants and their
// plans, its commitments and targets, the dashboard and admin API, and the
// reports to run.
func printBooks(w io.Writer, g *gateway.Gateway, cfg *config.Config, cfgFile string, biz business, ts []tenant, temporary bool) {
	fmt.Fprintf(w, "The books: %d tenants, each with a key, on two plans; %s is an A/B pricing experiment.\n", len(ts), demoExperiment)
	fmt.Fprintf(w, "The business opened on %s; the first four signed up that week, the others since:\n", biz.start.Format("Jan 2"))
	for i, t := range ts {
		line := fmt.Sprintf("  tenant %-10s plan %s", t.name, t.plan)
		if t.arm != "" {
			line = fmt.Sprintf("%-35s(%s arm %s)", line, demoExperiment, t.arm)
		}
		fmt.Fprintf(w, "%-58s signed up %s\n", line, biz.start.Add(biz.customers[i].from).Format("Jan 2"))
	}
	for _, c := range cfg.Commitments {
		switch c.Kind {
		case config.CommitSpend:
			fmt.Fprintf(w, "  commitment %s: spend $%s on %s, %s to %s\n", c.Name, c.Amount, c.Provider,
				c.Start.Format("Jan 2"), c.End.Format("Jan 2"))
		case config.CommitCapacity:
			fmt.Fprintf(w, "  commitment %s: capacity %d TPM on %s at $%s/hour, %s to %s\n", c.Name, c.CapacityPerMinute(), c.Provider,
				c.PricePerHour, c.Start.Format("Jan 2"), c.End.Format("Jan 2"))
		}
	}
	var goals []string
	for _, t := range cfg.Targets {
		goal := t.Goal
		if target.Metric(t.Metric).Money() {
			goal = "$" + goal
		}
		goals = append(goals, fmt.Sprintf("%s %s", t.Metric, goal))
	}
	fmt.Fprintf(w, "  targets each month: %s\n\n", strings.Join(goals, ", "))

	admin := "http://" + g.AdminAddr()
	fmt.Fprintf(w, "Dashboard: %s/ui/  (sign in with the admin token below)\n", admin)
	fmt.Fprintln(w, "For `switchyard tenants` and `switchyard keys`:")
	fmt.Fprintf(w, "  export SWITCHYARD_ADMIN_URL=%s\n", admin)
	fmt.Fprintf(w, "  export SWITCHYARD_ADMIN_TOKEN=%s\n\n", cfg.Admin.Token)
	dir := cfg.DataDir
	if temporary {
		fmt.Fprintf(w, "Usage and the ledger land in %s, removed when the demo ends (--data DIR keeps them).\n", dir)
		fmt.Fprintln(w, "Report on them while it runs:")
	} else {
		fmt.Fprintf(w, "Usage and the ledger land in %s; report on them, while the demo runs or after:\n", dir)
	}
	fmt.Fprintf(w, "  switchyard report margin --data %s\n", dir)
	fmt.Fprintf(w, "  switchyard report margin --data %s --group-by plan,arm\n", dir)
	fmt.Fprintf(w, "  switchyard report commitments --config %s\n", cfgFile)
	fmt.Fprintf(w, "  switchyard report targets --config %s\n", cfgFile)
	fmt.Fprintf(w, "  switchyard report usage --data %s --group-by model,deployment\n", dir)
	fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer %s' '%s/admin/v1/usage?group_by=deployment&format=table'\n\n", cfg.Admin.Token, admin)
}
