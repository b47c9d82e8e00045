package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var jan1 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // a Wednesday

// series builds days of values from f(day index, date).
func series(days int, f func(i int, d time.Time) float64) []Point {
	ps := make([]Point, days)
	for i := range ps {
		d := jan1.AddDate(0, 0, i)
		ps[i] = Point{Day: d, Value: int64(math.Round(f(i, d)))}
	}
	return ps
}

func TestForecastConstructed(t *testing.T) {
	noise := rand.New(rand.NewPCG(1, 2))
	weekly := [7]float64{0.4, 1.2, 1.2, 1.2, 1.2, 1.2, 0.6}
	cases := []struct {
		name string
		f    func(i int, d time.Time) float64
		tol  float64 // largest relative error of Expected
	}{
		{"flat", func(int, time.Time) float64 { return 1000 }, 0.001},
		// The trend is damped on purpose (a month's growth is not
		// extrapolated for ever), so a straight line is underestimated a
		// little.
		{"linear trend", func(i int, _ time.Time) float64 { return 1000 + 10*float64(i) }, 0.05},
		{"weekly seasonality", func(_ int, d time.Time) float64 { return 1000 * weekly[d.Weekday()] }, 0.02},
		{"noisy growth with seasonality", func(i int, d time.Time) float64 {
			return 1000 * math.Pow(1.002, float64(i)) * weekly[d.Weekday()] * (1 + 0.05*noise.NormFloat64())
		}, 0.06},
		// A one-week outage ten days before the origin must not drag the
		// forecast down once traffic is back.
		{"shock then recovery", func(i int, _ time.Time) float64 {
			if i >= 100 && i < 107 {
				return 100
			}
			return 1000
		}, 0.05},
		// A permanent step down: the level follows within about a week.
		{"level shift", func(i int, _ time.Time) float64 {
			if i >= 100 {
				return 600
			}
			return 1000
		}, 0.05},
	}
	const known, h = 120, 14
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Draw each value once: noisy f must give one series.
			all := series(known+h, tc.f)
			r := Forecast(all[:known], jan1.AddDate(0, 0, known+h))
			var want float64
			for _, p := range all[known:] {
				want += float64(p.Value)
			}
			if r.Days != h {
				t.Fatalf("Days = %d, want %d", r.Days, h)
			}
			if got := float64(r.Expected); math.Abs(got-want)/want > tc.tol {
				t.Errorf("Expected = %v, want %v ± %.0f%% (%s)", got, want, tc.tol*100, r.Method)
			}
			if r.Low > r.Expected || r.High < r.Expected {
				t.Errorf("interval [%d, %d] does not hold Expected %d", r.Low, r.High, r.Expected)
			}
		})
	}
}

func TestForecastSeasonalShape(t *testing.T) {
	// Sundays are a fifth of weekdays; forecasting one Sunday must say so.
	f := func(_ int, d time.Time) float64 {
		if d.Weekday() == time.Sunday {
			return 200
		}
		return 1000
	}
	hist := series(70, f)
	last := hist[len(hist)-1].Day
	for last.AddDate(0, 0, 1).Weekday() != time.Sunday {
		hist = hist[:len(hist)-1]
		last = hist[len(hist)-1].Day
	}
	r := Forecast(hist, last.AddDate(0, 0, 2))
	if r.Days != 1 || math.Abs(float64(r.Expected)-200) > 10 {
		t.Fatalf("Sunday forecast = %+v, want about 200", r)
	}
}

func TestForecastEdges(t *testing.T) {
	if r := Forecast(nil, jan1); r.Expected != 0 || r.Days != 0 {
		t.Errorf("no history: %+v", r)
	}
	hist := series(10, func(int, time.Time) float64 { return 50 })
	if r := Forecast(hist, jan1.AddDate(0, 0, 10)); r.Days != 0 || r.Expected != 0 {
		t.Errorf("until = day after last: %+v, want nothing left", r)
	}
	// Short history: the mean, with some interval.
	r := Forecast(hist, jan1.AddDate(0, 0, 15))
	if r.Days != 5 || r.Expected != 250 || r.Low > 250 || r.High < 250 {
		t.Errorf("short history: %+v, want 250 over 5 days", r)
	}
	// Gaps are zero days, not skipped.
	gappy := []Point{{Day: jan1, Value: 70}, {Day: jan1.AddDate(0, 0, 6), Value: 70}}
	if r := Forecast(gappy, jan1.AddDate(0, 0, 14)); r.Expected != 140 {
		t.Errorf("gappy history: %+v, want 7 days at 20 = 140", r)
	}
	// Negative values (a loss-making margin) are forecast, not refused.
	neg := series(60, func(int, time.Time) float64 { return -100 })
	if r := Forecast(neg, jan1.AddDate(0, 0, 70)); r.Expected != -1000 {
		t.Errorf("negative series: %+v, want -1000", r)
	}
}

func TestBacktestRows(t *testing.T) {
	flat := series(120, func(int, time.Time) float64 { return 1000 })
	rows := Backtest(flat, Month)
	// January's midpoint has 15 days of history (< 28): skipped; April is
	// cut short by the series (120 days end 2025-04-30, inclusive): whole.
	if len(rows) != 3 || rows[0].Period != "2025-02" || rows[2].Period != "2025-04" {
		t.Fatalf("rows = %+v, want February to April", rows)
	}
	feb := rows[0]
	if feb.AsOf != time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC) || feb.Known != 14000 || feb.Actual != 28000 || feb.Forecast != 28000 || !feb.Inside {
		t.Errorf("February = %+v", feb)
	}
}

func TestPeriods(t *testing.T) {
	at := time.Date(2026, 12, 9, 13, 0, 0, 0, time.UTC) // a Wednesday
	cases := []struct {
		p          Period
		start, end string
		label, mid string
	}{
		{Week, "2026-12-07", "2026-12-14", "2026-W50", "2026-12-10"},
		{Month, "2026-12-01", "2027-01-01", "2026-12", "2026-12-16"},
		{Quarter, "2026-10-01", "2027-01-01", "2026-Q4", "2026-11-16"},
	}
	for _, tc := range cases {
		s, e := tc.p.Bounds(at)
		if s.Format(time.DateOnly) != tc.start || e.Format(time.DateOnly) != tc.end || tc.p.Label(at) != tc.label ||
			tc.p.Midpoint(at).Format(time.DateOnly) != tc.mid {
			t.Errorf("%s: [%s, %s) %s mid %s, want [%s, %s) %s mid %s", tc.p, s.Format(time.DateOnly), e.Format(time.DateOnly),
				tc.p.Label(at), tc.p.Midpoint(at).Format(time.DateOnly), tc.start, tc.end, tc.label, tc.mid)
		}
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("ParsePeriod(year) succeeded")
	}
}
