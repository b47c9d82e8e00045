// Package report renders the store's usage as tables, JSON and CSV, for the CLI and the admin API alike.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// Formats a report can be written in.
var Formats = []string{"table", "json", "csv"}

// Query is a parsed report request: the period and the grouping.
type Query struct {
	From, To time.Time
	GroupBy  []string
	Format   string
}

// ParseQuery reads the flags or URL parameters every report shares. from and
// to are RFC 3339 times or dates (2006-01-02, midnight UTC); an empty from is
// 30 days before now and an empty to is now. groupBy is a comma-separated
// list of store.Dimensions; format is table, json or csv (default def).
func ParseQuery(from, to, groupBy, format, def string, now time.Time) (Query, error) {
	q := Query{To: now.UTC(), Format: def}
	q.From = q.To.Add(-30 * 24 * time.Hour)
	var err error
	if from != "" {
		if q.From, err = parseTime("from", from); err != nil {
			return q, err
		}
	}
	if to != "" {
		if q.To, err = parseTime("to", to); err != nil {
			return q, err
		}
	}
	if q.To.Before(q.From) {
		return q, fmt.Errorf("to (%s) is before from (%s)", q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	for g := range strings.SplitSeq(groupBy, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !valid(g, store.Dimensions) {
			return q, fmt.Errorf("unknown group_by %q: use %s", g, strings.Join(store.Dimensions, ", "))
		}
		q.GroupBy = append(q.GroupBy, g)
	}
	if format != "" {
		q.Format = format
	}
	if !valid(q.Format, Formats) {
		return q, fmt.Errorf("unknown format %q: use table, json or csv", q.Format)
	}
	return q, nil
}

func valid(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

func parseTime(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)", name, s)
}

// Usage is what the usage report shows: the query and its rows.
type Usage struct {
	From    time.Time        `json:"from"`
	To      time.Time        `json:"to"`
	GroupBy []string         `json:"group_by"`
	Rows    []store.UsageRow `json:"rows"`
	Total   store.UsageRow   `json:"total"`
}

// NewUsage builds the report from the store's rows, adding the totals.
func NewUsage(q Query, rows []store.UsageRow) *Usage {
	u := &Usage{From: q.From, To: q.To, GroupBy: q.GroupBy, Rows: rows}
	if u.GroupBy == nil {
		u.GroupBy = []string{}
	}
	if u.Rows == nil {
		u.Rows = []store.UsageRow{}
	}
	for _, r := range rows {
		add(&u.Total, r)
	}
	return u
}

func add(t *store.UsageRow, r store.UsageRow) {
	t.Attempts += r.Attempts
	t.Completed += r.Completed
	t.Failed += r.Failed
	t.Interrupted += r.Interrupted
	t.ClientAborted += r.ClientAborted
	addTokens(&t.Reported, r.Reported)
	addTokens(&t.Estimated, r.Estimated)
	t.Cost += r.Cost
	t.CostReported += r.CostReported
	t.CostEstimated += r.CostEstimated
	t.UnpricedAttempts += r.UnpricedAttempts
}

func addTokens(t *store.Tokens, v store.Tokens) {
	t.Prompt += v.Prompt
	t.Completion += v.Completion
	t.Cached += v.Cached
	t.CacheWrite += v.CacheWrite
	t.Reasoning += v.Reasoning
}

// columns are the usage report's value columns after the group columns.
// Reported and estimated tokens stay apart: an estimate is the gateway's
// guess, a report is what the cloud will bill.
var columns = []string{"attempts", "completed", "failed",
	"prompt_reported", "completion_reported", "cached_reported",
	"prompt_estimated", "completion_estimated",
	"cost_usd", "cost_estimated_usd", "unpriced"}

func values(r store.UsageRow) []string {
	i := strconv.FormatInt
	return []string{i(r.Attempts, 10), i(r.Completed, 10), i(r.Failed, 10),
		i(r.Reported.Prompt, 10), i(r.Reported.Completion, 10), i(r.Reported.Cached, 10),
		i(r.Estimated.Prompt, 10), i(r.Estimated.Completion, 10),
		usd(r.Cost), usd(r.CostEstimated), i(r.UnpricedAttempts, 10)}
}

// usd renders nano-dollars as exact decimal dollars.
func usd(n money.Nanos) string { return n.String() }

// groupColumns are the group columns: the dimensions, with the key's name
// beside its id.
func groupColumns(groupBy []string) []string {
	var cols []string
	for _, g := range groupBy {
		cols = append(cols, g)
		if g == "key" {
			cols = append(cols, "key_name")
		}
	}
	return cols
}

// Write writes the report in format: an aligned table with a total line,
// JSON, or CSV with a header row.
func (u *Usage) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(u)
	case "csv":
		cw := csv.NewWriter(w)
		gc := groupColumns(u.GroupBy)
		cw.Write(append(append([]string{}, gc...), columns...))
		for _, r := range u.Rows {
			cw.Write(append(groupValues(gc, r), values(r)...))
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		gc := groupColumns(u.GroupBy)
		fmt.Fprintf(tw, "# usage %s to %s\n", u.From.Format(time.RFC3339), u.To.Format(time.RFC3339))
		fmt.Fprintln(tw, strings.Join(append(append([]string{}, gc...), columns...), "\t")+"\t")
		for _, r := range u.Rows {
			fmt.Fprintln(tw, strings.Join(append(groupValues(gc, r), values(r)...), "\t")+"\t")
		}
		total := make([]string, len(gc))
		if len(total) > 0 {
			total[0] = "TOTAL"
		}
		fmt.Fprintln(tw, strings.Join(append(total, values(u.Total)...), "\t")+"\t")
		return tw.Flush()
	}
}

func groupValues(cols []string, r store.UsageRow) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = r.Group[c]
		if out[i] == "" {
			out[i] = "-"
		}
	}
	return out
}
