package forecast

import "time"

// BacktestRow is one period's mid-period forecast of its total against
// what the total turned out to be.
type BacktestRow struct {
	Period   string    `json:"period"` // 2026-03
	AsOf     time.Time `json:"as_of"`  // the forecast knew the days before this
	Known    int64     `json:"known"`  // the actual sum of the period's days before AsOf
	Forecast int64     `json:"forecast"`
	Low      int64     `json:"low"`
	High     int64     `json:"high"`
	Actual   int64     `json:"actual"`
	// ErrorPct is (forecast − actual) / actual × 100; 0 when actual is 0.
	ErrorPct float64 `json:"error_pct"`
	Inside   bool    `json:"inside"` // Low ≤ Actual ≤ High
}

// MinBacktestHistory is how many days before a period's midpoint a
// backtest wants: without them the period is skipped.
const MinBacktestHistory = 28

// Backtest replays, for every whole period p inside series with enough
// history before its midpoint, the forecast that would have been made at
// the midpoint (the days before it known) of the period's total, and
// compares it with the actual total.
func Backtest(series []Point, p Period) []BacktestRow {
	y, first := dense(series)
	if len(y) == 0 {
		return nil
	}
	end := first.AddDate(0, 0, len(y))
	var rows []BacktestRow
	for start, _ := p.Bounds(first); start.Before(end); {
		_, pEnd := p.Bounds(start)
		mid := p.Midpoint(start)
		if !start.Before(first) && !pEnd.After(end) && daysUntil(first, mid) >= MinBacktestHistory {
			rows = append(rows, backtestPeriod(y, first, p, start, mid, pEnd))
		}
		start = pEnd
	}
	return rows
}

func backtestPeriod(y []float64, first time.Time, p Period, start, mid, end time.Time) BacktestRow {
	known := daysUntil(first, mid)
	hist := make([]Point, known)
	for i := range hist {
		hist[i] = Point{Day: first.AddDate(0, 0, i), Value: int64(y[i])}
	}
	r := Forecast(hist, end)
	row := BacktestRow{Period: p.Label(start), AsOf: mid}
	for i := daysUntil(first, start); i < daysUntil(first, end); i++ {
		if i < known {
			row.Known += int64(y[i])
		}
		row.Actual += int64(y[i])
	}
	row.Forecast, row.Low, row.High = row.Known+r.Expected, row.Known+r.Low, row.Known+r.High
	if row.Actual != 0 {
		row.ErrorPct = float64(row.Forecast-row.Actual) / float64(row.Actual) * 100
	}
	row.Inside = row.Low <= row.Actual && row.Actual <= row.High
	return row
}
