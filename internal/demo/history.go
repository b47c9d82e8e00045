package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/route/sim"
	"github.com/switchyard/switchyard/internal/settle"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/target"
)

// historyDays is how far back the demo's synthesised history reaches.
const historyDays = 30

// historySeed draws the demo's business and its traffic.
const historySeed = 1

// window is the span of simulated time a history covers. It is recorded
// in the data directory (historyFile), so that a demo run again on the
// same --data finds its history there and does not synthesise another.
type window struct {
	Start time.Time `json:"start"` // midnight UTC, historyDays before the day of End
	End   time.Time `json:"end"`   // exclusive: the hour the demo first started
	Seed  uint64    `json:"seed"`
}

// historyFile records the window in the data directory.
const historyFile = "history.json"

// newWindow is the window of a demo starting at now: the historyDays whole
// days before today and today's whole hours.
func newWindow(now time.Time) window {
	end := now.UTC().Truncate(time.Hour)
	return window{Start: dayOf(end).AddDate(0, 0, -historyDays), End: end, Seed: historySeed}
}

// days is the number of days the business runs (the last one partial).
func (w window) days() int { return int(dayOf(w.End).Sub(w.Start).Hours() / 24) }

// requestIDs prefixes the history's request ids: they name the window,
// so that the same history is the same events, and never a live request's
// ids (req_…).
func (w window) requestIDs() string {
	return "hist_" + w.Start.Format("20060102") + "_" + strconv.FormatUint(w.Seed, 10) + "_"
}

// loadWindow reads the window a previous run recorded in dir; ok is false
// when there is none.
func loadWindow(dir string) (w window, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, historyFile))
	if errors.Is(err, os.ErrNotExist) {
		return window{}, false, nil
	}
	if err != nil {
		return window{}, false, fmt.Errorf("demo: %w", err)
	}
	if err := json.Unmarshal(b, &w); err != nil || !w.End.After(w.Start) {
		return window{}, false, fmt.Errorf("demo: %s: not a history window (remove it to synthesise a new history)", filepath.Join(dir, historyFile))
	}
	return w, true, nil
}

func (w window) save(dir string) error {
	b, _ := json.Marshal(w)
	if err := os.WriteFile(filepath.Join(dir, historyFile), b, 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// synthesise replays biz's traffic over [biz.start, end) through the
// simulator: cfg's routing table routes every request over simulated
// clouds that behave like the demo's emulators, on a virtual clock, and
// every attempt's usage event is settled with settler, timestamped in
// simulated time. who gives each tenant's ids by name. The same arguments
// give the same events, with the same ids.
func synthesise(cfg *config.Config, biz business, who map[string]tenant, settler *settle.Settler, end time.Time, ids string) (sim.PolicyResult, error) {
	if !end.After(biz.start) {
		return sim.PolicyResult{}, fmt.Errorf("demo: history: end %s is not after the start %s", end.Format(time.RFC3339), biz.start.Format(time.RFC3339))
	}
	s := sim.Scenario{
		Name: "demo history", Config: cfg, Start: biz.start, Duration: end.Sub(biz.start), Seed: biz.seed,
		Traffic: biz.traffic(who), Behavior: behavior(), Settler: settler, RequestIDs: ids,
	}
	rep, err := sim.Run(s)
	if err != nil {
		return sim.PolicyResult{}, fmt.Errorf("demo: history: %w", err)
	}
	return rep.Results[0], nil
}

// historyResult is what populate did.
type historyResult struct {
	run sim.PolicyResult
	// simulated is the time the simulator took; elapsed the whole, until
	// the store and the ledger held every event.
	simulated, elapsed time.Duration
}

// applyWait bounds how long populate waits for the journal's writer to
// bring the history into the store and the ledger.
const applyWait = 5 * time.Minute

// populate synthesises the history of w into g's books through g's own
// settlement point, as `serve` settles live traffic: each event is priced
// by the settler, journaled, applied to the store by the journal's writer
// and booked in the ledger at its tenant's plan. It returns once all of it
// is in the store and the ledger, after giving routing the books'
// drawdown of the spend commitments.
func populate(ctx context.Context, g *gateway.Gateway, cfg *config.Config, biz business, ts []tenant, w window) (historyResult, error) {
	began := time.Now()
	who := make(map[string]tenant, len(ts))
	for _, t := range ts {
		who[t.name] = t
	}
	run, err := synthesise(cfg, biz, who, g.Settler, w.End, w.requestIDs())
	if err != nil {
		return historyResult{}, err
	}
	res := historyResult{run: run, simulated: time.Since(began)}
	for deadline := time.Now().Add(applyWait); g.Journal.Lag() > 0; {
		if time.Now().After(deadline) {
			return res, fmt.Errorf("demo: history: %d events not in the store after %s", g.Journal.Lag(), applyWait)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := g.RestoreDrawdown(ctx); err != nil {
		return res, fmt.Errorf("demo: history: %w", err)
	}
	res.elapsed = time.Since(began)
	return res, nil
}

// openHistory brings the business's history into g's books (unless a
// previous run in the same data directory did) and prints what the books
// say of it: revenue, cost and margin per plan and arm, and the targets.
func openHistory(ctx context.Context, out io.Writer, g *gateway.Gateway, cfg *config.Config, biz business, ts []tenant,
	w window, reused bool, dataDir string) error {
	span := fmt.Sprintf("%s to %s UTC", w.Start.Format("Jan 2"), w.End.Format("Jan 2 15:04"))
	if reused {
		fmt.Fprintf(out, "History: %s, synthesised by the first demo run in %s (remove %s to start afresh).\n",
			span, dataDir, historyFile)
	} else {
		fmt.Fprintf(out, "Synthesising the history, %s, through the simulator and the gateway's books…\n", span)
		h, err := populate(ctx, g, cfg, biz, ts, w)
		if err != nil {
			return err
		}
		if err := w.save(dataDir); err != nil {
			return err
		}
		fmt.Fprintf(out, "  %d requests (%d attempts, %d retried elsewhere), settled into the store and the ledger in %s (simulator %s)\n",
			h.run.Requests, h.run.Attempts, h.run.Attempts-h.run.Requests, h.elapsed.Round(10*time.Millisecond),
			h.simulated.Round(10*time.Millisecond))
	}
	rows, err := target.BooksFor(g.Store).Money(ctx, store.UsageQuery{From: w.Start, To: w.End, GroupBy: []string{"plan", "arm"}})
	if err != nil {
		return fmt.Errorf("demo: history: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Group["plan"] < rows[j].Group["plan"] })
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "plan\tarm\trevenue USD\tcost USD\tmargin USD\t")
	var rev, cost money.Nanos
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.Group["plan"], r.Group["arm"], cents(r.Revenue), cents(r.Cost), cents(r.Revenue-r.Cost))
		rev, cost = rev+r.Revenue, cost+r.Cost
	}
	fmt.Fprintf(tw, "total\t\t%s\t%s\t%s\t\n", cents(rev), cents(cost), cents(rev-cost))
	if err := tw.Flush(); err != nil {
		return err
	}
	goals, err := target.FromConfig(cfg.Targets)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintln(out, "\nTargets, read from the books (`switchyard report targets` prints the same):")
	ss := target.New(target.Options{Usage: g.Store, Books: target.BooksFor(g.Store), Tenants: g.Store}).Evaluate(ctx, goals)
	if err := target.WriteStatuses(out, "table", ss); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return nil
}

// cents shows a sum of money to the cent, for a summary line.
func cents(n money.Nanos) string {
	const cent = money.PerDollar / 100
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	c := (n + cent/2) / cent
	if c == 0 {
		sign = ""
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}
