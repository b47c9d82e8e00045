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

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// ParseBooksQuery is ParseQuery for the revenue and margin reports, whose
// group_by takes store.BookDimensions (plan and arm too).
func ParseBooksQuery(from, to, groupBy, format, def string, now time.Time) (Query, error) {
	q, err := ParseQuery(from, to, "", format, def, now)
	if err != nil {
		return q, err
	}
	for g := range strings.SplitSeq(groupBy, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !valid(g, store.BookDimensions) {
			return q, fmt.Errorf("unknown group_by %q: use %s", g, strings.Join(store.BookDimensions, ", "))
		}
		q.GroupBy = append(q.GroupBy, g)
	}
	return q, nil
}

// BooksLine is one group of the revenue or margin report. Margin is
// revenue − cost; MarginPercent is margin / revenue as an exact decimal
// with two places ("" with no revenue).
type BooksLine struct {
	Group         map[string]string `json:"group,omitempty"`
	Requests      int64             `json:"requests"`
	Attempts      int64             `json:"attempts"`
	Revenue       money.Nanos       `json:"revenue_nanos"`
	Cost          money.Nanos       `json:"cost_nanos"`
	Committed     money.Nanos       `json:"committed_cost_nanos"`
	Margin        money.Nanos       `json:"margin_nanos"`
	MarginPercent string            `json:"margin_percent"`
}

// Books is the revenue or the margin report, read from the ledger.
type Books struct {
	Report  string      `json:"report"` // revenue | margin
	From    time.Time   `json:"from"`
	To      time.Time   `json:"to"`
	GroupBy []string    `json:"group_by"`
	Rows    []BooksLine `json:"rows"`
	Total   BooksLine   `json:"total"`
}

// NewBooks builds report ("revenue" or "margin") from the ledger's rows.
func NewBooks(report string, q Query, rows []store.BooksRow) *Books {
	b := &Books{Report: report, From: q.From, To: q.To, GroupBy: q.GroupBy, Rows: make([]BooksLine, 0, len(rows))}
	if b.GroupBy == nil {
		b.GroupBy = []string{}
	}
	var t store.BooksRow
	for _, r := range rows {
		if report == "revenue" && r.Revenue == 0 && r.Requests == 0 {
			continue // cost alone: the margin report's
		}
		b.Rows = append(b.Rows, line(r))
		t.Revenue += r.Revenue
		t.Cost += r.Cost
		t.Committed += r.Committed
		t.Requests += r.Requests
		t.Attempts += r.Attempts
	}
	b.Total = line(t)
	return b
}

func line(r store.BooksRow) BooksLine {
	m := r.Revenue - r.Cost
	return BooksLine{Group: r.Group, Requests: r.Requests, Attempts: r.Attempts, Revenue: r.Revenue, Cost: r.Cost,
		Committed: r.Committed, Margin: m, MarginPercent: ledger.MarginPercent(m, r.Revenue)}
}

func (b *Books) columns() []string {
	if b.Report == "revenue" {
		return []string{"requests", "revenue_usd"}
	}
	return []string{"requests", "attempts", "revenue_usd", "cost_usd", "committed_cost_usd", "margin_usd", "margin_pct"}
}

func (b *Books) values(l BooksLine) []string {
	req := strconv.FormatInt(l.Requests, 10)
	if b.Report == "revenue" {
		return []string{req, usd(l.Revenue)}
	}
	pct := l.MarginPercent
	if pct == "" {
		pct = "-"
	}
	return []string{req, strconv.FormatInt(l.Attempts, 10), usd(l.Revenue), usd(l.Cost), usd(l.Committed), usd(l.Margin), pct}
}

func booksGroupValues(cols []string, l BooksLine) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		if out[i] = l.Group[c]; out[i] == "" {
			out[i] = "-"
		}
	}
	return out
}

// Write writes the report as an aligned table with a total line, JSON, or
// CSV with a header row. Dollars are exact decimals.
func (b *Books) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(append(append([]string{}, b.GroupBy...), b.columns()...))
		for _, l := range b.Rows {
			cw.Write(append(booksGroupValues(b.GroupBy, l), b.values(l)...))
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "# %s %s to %s\n", b.Report, b.From.Format(time.RFC3339), b.To.Format(time.RFC3339))
		fmt.Fprintln(tw, strings.Join(append(append([]string{}, b.GroupBy...), b.columns()...), "\t")+"\t")
		for _, l := range b.Rows {
			fmt.Fprintln(tw, strings.Join(append(booksGroupValues(b.GroupBy, l), b.values(l)...), "\t")+"\t")
		}
		total := make([]string, len(b.GroupBy))
		if len(total) > 0 {
			total[0] = "TOTAL"
		}
		fmt.Fprintln(tw, strings.Join(append(total, b.values(b.Total)...), "\t")+"\t")
		return tw.Flush()
	}
}
