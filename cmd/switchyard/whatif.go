package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

func whatifCmd() *cobra.Command {
	var (
		f        reportFlags
		planFile string
		selector string
		top      int
	)
	cmd := &cobra.Command{
		Use:   "whatif --plan FILE",
		Short: "Re-rate a past period under candidate plans: revenue, cost and margin before and after",
		Long: `Re-rate a past period's usage under a candidate plan file and print revenue,
cost and margin before (the plans in --config, or pass-through without it) and
after, the tenants whose revenue changes most, and the candidate's experiment
arms side by side. Nothing is written: the books are untouched.

The plan file holds plans: and plan_assignments: as a config does (a whole
config file works too). Tenants are named by name or id. Each client request
is charged once, at the usage of the attempt that answered it; cost counts
every attempt. Calendar months (UTC) wholly inside [--from, --to) are settled
too: monthly minimums topped up, included credit taken off. The raw events
must still be in the store (store.retention, 30 days by default).`,
		Example: `  switchyard whatif --plan candidate.yaml --config switchyard.yaml --from 2026-11-01 --to 2026-12-01
  switchyard whatif --plan candidate.yaml --data ./switchyard-data --tenants 'acme,beta-*' --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if planFile == "" {
				return errors.New("--plan FILE is required: the candidate plans and assignments")
			}
			q, err := report.ParseQuery(f.from, f.to, "", f.form, "table", time.Now())
			if err != nil {
				return err
			}
			data, err := os.ReadFile(planFile)
			if err != nil {
				return fmt.Errorf("read plan file: %w", err)
			}
			candidate, err := config.ParsePlans(planFile, data, os.LookupEnv)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			res, names, err := whatif(ctx, st, f.config, candidate, selector, q.From, q.To)
			if err != nil {
				return err
			}
			return writeWhatIf(cmd.OutOrStdout(), q.Format, planFile, res, names, top)
		},
	}
	f.register(cmd, "")
	cmd.Flags().Lookup("group-by").Hidden = true
	cmd.Flags().StringVar(&planFile, "plan", "", "the candidate plan file (plans: and plan_assignments:)")
	cmd.Flags().StringVar(&selector, "tenants", "", "re-rate only these tenants: comma-separated names or ids, globs allowed (default: all)")
	cmd.Flags().IntVar(&top, "top", 10, "how many of the most affected tenants to list")
	return cmd
}

// whatif runs the re-rating over st's raw events of [from, to).
func whatif(ctx context.Context, st store.Store, configFile string, candidate *config.Config, selector string, from, to time.Time) (plan.Result, map[string]string, error) {
	sc, ok := st.(store.EventScanner)
	if !ok {
		return plan.Result{}, nil, fmt.Errorf("the %s store cannot scan raw events", st.Backend())
	}
	names, ids, err := wiTenantNames(ctx, st)
	if err != nil {
		return plan.Result{}, nil, err
	}
	resolve := func(s string) string {
		if id, ok := ids[s]; ok {
			return id
		}
		return s
	}
	before, _ := plan.NewBook(nil, nil)
	if configFile != "" {
		cfg, err := config.Load(configFile)
		if err != nil {
			return plan.Result{}, nil, err
		}
		if before, err = cfg.PlanBook(resolve); err != nil {
			return plan.Result{}, nil, fmt.Errorf("the plans in force (%s): %w", configFile, err)
		}
	}
	after, err := candidate.PlanBook(resolve)
	if err != nil {
		return plan.Result{}, nil, fmt.Errorf("the candidate plans (%s): %w", candidate.File, err)
	}
	keep, err := wiTenantSelector(selector, names)
	if err != nil {
		return plan.Result{}, nil, err
	}
	w := plan.NewWhatIf(before, after, from, to, keep)
	if err := sc.ScanEvents(ctx, from, to, func(e usage.Event) error { w.Add(e); return nil }); err != nil {
		return plan.Result{}, nil, err
	}
	return w.Result(), names, nil
}

// wiTenantNames maps the store's tenant ids to names and back.
func wiTenantNames(ctx context.Context, st store.Store) (names, ids map[string]string, err error) {
	names, ids = map[string]string{}, map[string]string{}
	after := ""
	for {
		ts, err := st.ListTenants(ctx, after, 1000)
		if err != nil {
			return nil, nil, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range ts {
			names[t.ID], ids[t.Name] = t.Name, t.ID
		}
		if len(ts) < 1000 {
			return names, ids, nil
		}
		after = ts[len(ts)-1].ID
	}
}

// wiTenantSelector reads --tenants: comma-separated names or ids, each a glob
// (path.Match) tried against a tenant's id and its name. Empty keeps all.
func wiTenantSelector(sel string, names map[string]string) (func(string) bool, error) {
	var pats []string
	for p := range strings.SplitSeq(sel, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--tenants: %q is not a valid glob", p)
		}
		pats = append(pats, p)
	}
	if len(pats) == 0 {
		return nil, nil
	}
	return func(id string) bool {
		for _, p := range pats {
			if ok, _ := path.Match(p, id); ok {
				return true
			}
			if n, ok := names[id]; ok {
				if ok, _ := path.Match(p, n); ok {
					return true
				}
			}
		}
		return false
	}, nil
}

// whatifJSON is the report's JSON form; money as exact dollar strings.
type whatifJSON struct {
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Candidate string         `json:"candidate"`
	Months    []string       `json:"months_settled"`
	Requests  int64          `json:"requests"`
	Before    wiSideJSON     `json:"before"`
	After     wiSideJSON     `json:"after"`
	Change    wiSideJSON     `json:"change"`
	Tenants   []wiTenantJSON `json:"tenants_most_affected"`
	Arms      []wiArmJSON    `json:"experiment_arms"`
}

type wiSideJSON struct {
	Revenue string `json:"revenue"`
	Cost    string `json:"cost"`
	Margin  string `json:"margin"`
	// MarginPct is margin over revenue, in percent with two decimals; "" without revenue.
	MarginPct string `json:"margin_pct"`
}

type wiTenantJSON struct {
	Tenant        string `json:"tenant"`
	Name          string `json:"name"`
	PlanBefore    string `json:"plan_before"`
	PlanAfter     string `json:"plan_after"`
	Requests      int64  `json:"requests"`
	Cost          string `json:"cost"`
	RevenueBefore string `json:"revenue_before"`
	RevenueAfter  string `json:"revenue_after"`
	Change        string `json:"change"`
	ChangePct     string `json:"change_pct"`
}

type wiArmJSON struct {
	Experiment    string `json:"experiment"`
	Arm           string `json:"arm"`
	Tenants       int    `json:"tenants"`
	Requests      int64  `json:"requests"`
	Cost          string `json:"cost"`
	RevenueBefore string `json:"revenue_before"`
	RevenueAfter  string `json:"revenue_after"`
	MarginAfter   string `json:"margin_after"`
}

// wiPct is a/b in percent with two decimals, in integer arithmetic; "" when b is 0.
func wiPct(a, b money.Nanos) string {
	if b == 0 {
		return ""
	}
	bp := wiRatioBP(a, b)
	sign := ""
	if bp < 0 {
		sign, bp = "-", -bp
	}
	return fmt.Sprintf("%s%d.%02d", sign, bp/100, bp%100)
}

// wiRatioBP is a/b in basis points, rounded half away from zero.
func wiRatioBP(a, b money.Nanos) int64 {
	neg := (a < 0) != (b < 0)
	x, y := wiAbs(int64(a)), wiAbs(int64(b))
	// x*10000 overflows past 9e14 dollars-nanos; scale both down first.
	for x > 1<<49 {
		x, y = x/2, y/2
	}
	if y == 0 {
		return 0
	}
	r := (x*10_000 + y/2) / y
	if neg {
		return -r
	}
	return r
}

func wiAbs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func wiSide(rev, cost money.Nanos) wiSideJSON {
	return wiSideJSON{Revenue: rev.String(), Cost: cost.String(), Margin: (rev - cost).String(), MarginPct: wiPct(rev-cost, rev)}
}

func newWhatIfJSON(candidate string, res plan.Result, names map[string]string, top int) whatifJSON {
	j := whatifJSON{From: res.From, To: res.To, Candidate: candidate, Months: []string{}, Requests: res.Requests,
		Before: wiSide(res.RevenueBefore, res.Cost), After: wiSide(res.RevenueAfter, res.Cost),
		Change:  wiSideJSON{Revenue: (res.RevenueAfter - res.RevenueBefore).String(), Cost: "0.00", Margin: (res.RevenueAfter - res.RevenueBefore).String()},
		Tenants: []wiTenantJSON{}, Arms: []wiArmJSON{}}
	for _, m := range res.Months {
		j.Months = append(j.Months, m.Format("2006-01"))
	}
	for i, t := range res.Tenants {
		if i == top {
			break
		}
		j.Tenants = append(j.Tenants, wiTenantJSON{Tenant: t.Tenant, Name: names[t.Tenant], PlanBefore: t.PlanBefore, PlanAfter: t.PlanAfter,
			Requests: t.Requests, Cost: t.Cost.String(), RevenueBefore: t.RevenueBefore.String(), RevenueAfter: t.RevenueAfter.String(),
			Change: t.Delta().String(), ChangePct: wiPct(t.Delta(), t.RevenueBefore)})
	}
	for _, a := range res.Arms {
		j.Arms = append(j.Arms, wiArmJSON{Experiment: a.Experiment, Arm: a.Arm, Tenants: a.Tenants, Requests: a.Requests, Cost: a.Cost.String(),
			RevenueBefore: a.RevenueBefore.String(), RevenueAfter: a.RevenueAfter.String(), MarginAfter: a.MarginAfter().String()})
	}
	return j
}

func wiDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeWhatIf(w io.Writer, format, candidate string, res plan.Result, names map[string]string, top int) error {
	j := newWhatIfJSON(candidate, res, names, top)
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(j)
	case "csv":
		// One row per tenant listed, after a TOTAL row: a spreadsheet sums
		// or pivots it as it is.
		cw := csv.NewWriter(w)
		cw.Write([]string{"tenant", "name", "plan_before", "plan_after", "requests", "cost", "revenue_before", "revenue_after", "margin_before", "margin_after", "change", "change_pct"})
		cw.Write([]string{"TOTAL", "", "", "", strconv.FormatInt(res.Requests, 10), res.Cost.String(), res.RevenueBefore.String(), res.RevenueAfter.String(),
			res.MarginBefore().String(), res.MarginAfter().String(), (res.RevenueAfter - res.RevenueBefore).String(), wiPct(res.RevenueAfter-res.RevenueBefore, res.RevenueBefore)})
		for i, t := range res.Tenants {
			if i == top {
				break
			}
			cw.Write([]string{t.Tenant, names[t.Tenant], t.PlanBefore, t.PlanAfter, strconv.FormatInt(t.Requests, 10), t.Cost.String(),
				t.RevenueBefore.String(), t.RevenueAfter.String(), t.MarginBefore().String(), t.MarginAfter().String(), t.Delta().String(), wiPct(t.Delta(), t.RevenueBefore)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "# what-if %s to %s under %s; %d requests", j.From.Format(time.RFC3339), j.To.Format(time.RFC3339), candidate, j.Requests)
	if len(j.Months) > 0 {
		fmt.Fprintf(tw, "; months settled (minimums, credit): %s", strings.Join(j.Months, ", "))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "\trevenue\tcost\tmargin\tmargin %\t")
	for _, r := range []struct {
		name string
		s    wiSideJSON
	}{{"before", j.Before}, {"after", j.After}, {"change", j.Change}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.name, r.s.Revenue, r.s.Cost, r.s.Margin, wiDash(r.s.MarginPct))
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "# tenants most affected (top %d of %d)\n", len(j.Tenants), len(res.Tenants))
	fmt.Fprintln(tw, "tenant\tname\tplan before\tplan after\trequests\tcost\trevenue before\trevenue after\tchange\tchange %\t")
	for _, t := range j.Tenants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", wiDash(t.Tenant), wiDash(t.Name), wiDash(t.PlanBefore), wiDash(t.PlanAfter),
			t.Requests, t.Cost, t.RevenueBefore, t.RevenueAfter, t.Change, wiDash(t.ChangePct))
	}
	if len(j.Arms) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "# experiment arms under the candidate")
		fmt.Fprintln(tw, "experiment\tarm\ttenants\trequests\tcost\trevenue before\trevenue after\tmargin after\t")
		for _, a := range j.Arms {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", a.Experiment, a.Arm, a.Tenants, a.Requests, a.Cost, a.RevenueBefore, a.RevenueAfter, a.MarginAfter)
		}
	}
	return tw.Flush()
}
