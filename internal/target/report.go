package target

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/internal/forecast"
	"github.com/switchyard/switchyard/internal/money"
)

var statusColumns = []string{"target", "metric", "segment", "period", "goal", "actual", "elapsed_pct", "pace_pct",
	"expected", "low", "high", "state"}

func (s Status) values() []string {
	est := s.Format
	if s.Unit == "usd" {
		est = cents
	}
	return []string{s.Target, string(s.Metric), s.Segment, s.Period, s.Format(s.Goal), s.Format(s.Actual),
		pct(s.Elapsed), pct(s.Pace), est(s.Expected), est(s.Low), est(s.High), s.state()}
}

// cents shows a forecast in USD to the cent: it is an estimate, and nine
// decimals would claim a precision it does not have. Actuals keep theirs.
func cents(v int64) string {
	const cent = int64(money.PerDollar) / 100
	r := v / cent * cent
	if rem := v - r; 2*rem >= cent {
		r += cent
	} else if 2*rem <= -cent {
		r -= cent
	}
	return money.Nanos(r).String()
}

func (s Status) state() string {
	if s.Error != "" {
		return "error: " + s.Error
	}
	return s.State
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) }

// WriteStatuses writes goals' statuses as an aligned table, JSON or CSV.
// Money is in USD with every decimal in all three.
func WriteStatuses(w io.Writer, format string, ss []Status) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if ss == nil {
			ss = []Status{}
		}
		return enc.Encode(struct {
			Targets []Status `json:"targets"`
		}{ss})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(statusColumns)
		for _, s := range ss {
			cw.Write(s.values())
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if len(ss) > 0 {
			fmt.Fprintf(tw, "# targets as of %s (money in USD; interval 80%%)\n", ss[0].AsOf.Format(time.RFC3339))
		}
		fmt.Fprintln(tw, strings.Join(statusColumns, "\t"))
		for _, s := range ss {
			fmt.Fprintln(tw, strings.Join(s.values(), "\t"))
		}
		return tw.Flush()
	}
}

var backtestColumns = []string{"period", "as_of", "forecast", "low", "high", "actual", "error_pct", "inside"}

// WriteBacktest writes a backtest of a money series (nano-dollars, shown
// in USD) as a table with a summary line, JSON or CSV.
func WriteBacktest(w io.Writer, format string, rows []forecast.BacktestRow, usd bool) error {
	f := func(v int64) string {
		if usd {
			return cents(v)
		}
		return strconv.FormatInt(v, 10)
	}
	vals := func(r forecast.BacktestRow) []string {
		return []string{r.Period, r.AsOf.Format(time.DateOnly), f(r.Forecast), f(r.Low), f(r.High), f(r.Actual),
			strconv.FormatFloat(r.ErrorPct, 'f', 1, 64), strconv.FormatBool(r.Inside)}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []forecast.BacktestRow{}
		}
		return enc.Encode(struct {
			Rows []forecast.BacktestRow `json:"rows"`
		}{rows})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(backtestColumns)
		for _, r := range rows {
			cw.Write(vals(r))
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(backtestColumns, "\t")+"\t")
		within, inside := 0, 0
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(vals(r), "\t")+"\t")
			if r.ErrorPct >= -12 && r.ErrorPct <= 12 {
				within++
			}
			if r.Inside {
				inside++
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "# %d of %d periods within ±12%%; actual inside the 80%% interval in %d\n", within, len(rows), inside)
		return err
	}
}
