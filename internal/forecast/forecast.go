// Package forecast projects a daily series to the end of a period, with weekly seasonality and an interval from its own past errors.
package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Point is one day's value: nano-dollars for money, a count otherwise. Day
// is the day's midnight UTC.
type Point struct {
	Day   time.Time
	Value int64
}

// Result is the forecast of the sum of the days after the history up to the
// end date. The model runs in float64 (it is a statistical estimate, not
// money owed); the sums are rounded to the nearest unit (nano-dollar or
// count), so they add to integer actuals without a conversion.
type Result struct {
	Expected int64 `json:"expected"`
	// Low and High bound an 80% prediction interval: the 10th and 90th
	// percentiles of the forecast's own past errors at the same horizon.
	Low  int64 `json:"low"`
	High int64 `json:"high"`
	// Days is the horizon: how many days the sums cover.
	Days   int    `json:"days"`
	Method string `json:"method"`
}

// Model parameters. A damped trend keeps a month of growth from being
// extrapolated for ever; the level adapts within about a week to a step.
const (
	alpha = 0.3  // level smoothing
	beta  = 0.02 // trend smoothing: slow, so a rebound after an outage is not read as growth
	phi   = 0.95 // trend damping per day
	// clipSigmas bounds how far one day may move the level: a one-day
	// spike or outage is read as at most this many typical errors.
	clipSigmas = 3
	// seasonDays is how far back weekday factors are estimated.
	seasonDays = 8 * 7
	// errorOrigins is how many past forecast origins the interval is
	// drawn from; minErrors the fewest for an empirical interval.
	errorOrigins = 120
	minErrors    = 10
	minHistory   = 14
)

// Forecast forecasts the sum of the days from the day after history's last
// point up to until (exclusive; a partial last day counts as a whole day).
// Days missing from history count as zero. With fewer than two weeks of
// history the level is the mean so far and the interval is wide.
func Forecast(history []Point, until time.Time) Result {
	y, first := dense(history)
	if len(y) == 0 {
		return Result{Method: "none: no history"}
	}
	next := first.AddDate(0, 0, len(y))
	h := daysUntil(next, until)
	if h <= 0 {
		return Result{Method: "none: nothing left to forecast"}
	}
	dow0 := int(first.Weekday())
	m := fit(y, dow0)
	exp := m.sum(h, (dow0+len(y))%7)
	lo, hi, how := interval(y, dow0, h, exp, m)
	return Result{Expected: round(exp), Low: round(min(lo, exp)), High: round(max(hi, exp)), Days: h,
		Method: "damped-trend x weekday; " + how}
}

// interval is the 80% interval around exp: from the errors the same model
// made at horizon h from past origins when there are enough of them, else a
// normal approximation from one-step errors.
func interval(y []float64, dow0, h int, exp float64, m model) (lo, hi float64, how string) {
	var ratios, diffs []float64
	allPositive := true
	start := max(minHistory*2, len(y)-h-errorOrigins)
	for o := start; o+h <= len(y); o++ {
		f := fit(y[:o], dow0).sum(h, (dow0+o)%7)
		var a float64
		for _, v := range y[o : o+h] {
			a += v
		}
		diffs = append(diffs, a-f)
		if f > 0 && a >= 0 {
			ratios = append(ratios, a/f)
		} else {
			allPositive = false
		}
	}
	if len(diffs) >= minErrors {
		if allPositive && exp > 0 {
			return exp * quantile(ratios, 0.1), exp * quantile(ratios, 0.9),
				fmt.Sprintf("80%% interval from %d past errors at %d days", len(ratios), h)
		}
		return exp + quantile(diffs, 0.1), exp + quantile(diffs, 0.9),
			fmt.Sprintf("80%% interval from %d past errors at %d days", len(diffs), h)
	}
	// Too little history: z(0.9) × one-step error × √h, widened for the
	// level's own uncertainty, which grows with the horizon.
	hw := 1.2816 * m.scale * m.meanFactor * math.Sqrt(float64(h)) * (1 + alpha*math.Sqrt(float64(h)))
	if m.scale == 0 {
		hw = math.Abs(exp) / 2
	}
	return exp - hw, exp + hw, fmt.Sprintf("80%% interval approximated (only %d past errors)", len(diffs))
}

// model is a damped additive trend on the deseasonalised series times
// multiplicative weekday factors.
type model struct {
	factors      [7]float64
	meanFactor   float64
	level, trend float64
	scale        float64 // mean absolute one-step error, deseasonalised
}

func fit(y []float64, dow0 int) model {
	m := model{factors: weekdayFactors(y, dow0), meanFactor: 1}
	n := len(y)
	if n < minHistory {
		var s float64
		for _, v := range y {
			s += v
		}
		m.level = s / float64(n)
		for _, v := range y {
			m.scale += math.Abs(v-m.level) / float64(n)
		}
		return m
	}
	d := make([]float64, n)
	for t, v := range y {
		d[t] = v / m.factors[(dow0+t)%7]
	}
	m.level = mean(d[:7])
	m.trend = (mean(d[7:14]) - m.level) / 7
	for t := 1; t < 7; t++ {
		m.scale += math.Abs(d[t]-d[t-1]) / 6
	}
	for t := 7; t < n; t++ {
		pred := m.level + phi*m.trend
		e := d[t] - pred
		if lim := clipSigmas * m.scale; m.scale > 0 && math.Abs(e) > lim {
			e = math.Copysign(lim, e)
		}
		m.scale = 0.9*m.scale + 0.1*math.Abs(e)
		level := pred + alpha*e
		m.trend = beta*(level-m.level) + (1-beta)*phi*m.trend
		m.level = level
	}
	return m
}

// sum is the forecast total of the next h days, the first of weekday dow.
func (m model) sum(h, dow int) float64 {
	var s, damp float64
	for k := 1; k <= h; k++ {
		damp += math.Pow(phi, float64(k))
		s += (m.level + damp*m.trend) * m.factors[(dow+k-1)%7]
	}
	return s
}

// weekdayFactors estimates each weekday's ratio to the centred 7-day mean
// over the last eight weeks, by median (an outage week does not move it),
// normalised to average 1. Without two weeks of positive data every factor
// is 1, and so for a sparse count (a quarter of the days or more at zero,
// such as sign-ups a few times a week): its medians would be mostly zeros,
// telling noise, not the week's shape.
func weekdayFactors(y []float64, dow0 int) [7]float64 {
	f := [7]float64{1, 1, 1, 1, 1, 1, 1}
	n := len(y)
	if n < minHistory {
		return f
	}
	zeros := 0
	for _, v := range y[max(0, n-seasonDays):] {
		if v == 0 {
			zeros++
		}
	}
	if 4*zeros >= min(n, seasonDays) {
		return f
	}
	var ratios [7][]float64
	for t := max(3, n-seasonDays); t+3 < n; t++ {
		ma := mean(y[t-3 : t+4])
		if ma > 0 && y[t] >= 0 {
			ratios[(dow0+t)%7] = append(ratios[(dow0+t)%7], y[t]/ma)
		}
	}
	var s float64
	for i := range f {
		if len(ratios[i]) < 2 {
			return [7]float64{1, 1, 1, 1, 1, 1, 1}
		}
		f[i] = max(quantile(ratios[i], 0.5), 0.05) // a near-empty weekday still divides safely
		s += f[i]
	}
	for i := range f {
		f[i] *= 7 / s
	}
	return f
}

// dense turns points into one value per day from the first point's day to
// the last's, zero where a day is missing.
func dense(ps []Point) ([]float64, time.Time) {
	if len(ps) == 0 {
		return nil, time.Time{}
	}
	first, last := dayOf(ps[0].Day), dayOf(ps[0].Day)
	for _, p := range ps {
		d := dayOf(p.Day)
		if d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	y := make([]float64, daysUntil(first, last)+1)
	for _, p := range ps {
		y[daysUntil(first, dayOf(p.Day))] += float64(p.Value)
	}
	return y, first
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// daysUntil counts the days from midnight from to until, a partial day
// counting as whole.
func daysUntil(from, until time.Time) int {
	return int(math.Ceil(until.Sub(from).Hours() / 24))
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quantile is the q-quantile of xs by linear interpolation; xs is copied.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

func round(x float64) int64 { return int64(math.Round(x)) }
