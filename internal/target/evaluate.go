package target

import (
	"context"
	"github.com/switchyard/switchyard/internal/access"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/forecast"
)

// Options configure an Evaluator.
type Options struct {
	Usage Usage // required
	// Books gives revenue and cost; nil: PassThrough over Usage.
	Books Books
	// Tenants resolves plan and tag segments; nil: those goals report an
	// error.
	Tenants Directory
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Evaluator computes goals' status from the store.
type Evaluator struct {
	usage   Usage
	books   Books
	tenants Directory
	now     func() time.Time
}

// New returns an evaluator.
func New(o Options) *Evaluator {
	e := &Evaluator{usage: o.Usage, books: o.Books, tenants: o.Tenants, now: o.Now}
	if e.books == nil {
		e.books = PassThrough{Usage: o.Usage}
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// States of a goal in its current period.
const (
	Met      = "met"       // the actual has reached the goal
	OnTrack  = "on_track"  // the expected period-end total reaches it
	AtRisk   = "at_risk"   // the expected total falls short, the interval's high end does not
	WillMiss = "will_miss" // even the interval's high end falls short: alerted
)

// Status is one goal in the period holding AsOf.
type Status struct {
	Target      string    `json:"target"`
	Metric      Metric    `json:"metric"`
	Segment     string    `json:"segment"`
	Period      string    `json:"period"` // 2026-12, 2026-W50, 2026-Q4
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	AsOf        time.Time `json:"as_of"`
	// Unit is "usd" (Goal, Actual and the forecast in nano-dollars) or
	// "count".
	Unit   string `json:"unit"`
	Goal   int64  `json:"goal"`
	Actual int64  `json:"actual"`
	// Elapsed is the share of the period gone; Pace is Actual over the
	// straight-line share of the goal (Goal × Elapsed): 1 is on the line.
	Elapsed float64 `json:"elapsed"`
	Pace    float64 `json:"pace"`
	// Expected, Low and High are the forecast period-end total and its
	// 80% interval.
	Expected int64  `json:"expected"`
	Low      int64  `json:"low"`
	High     int64  `json:"high"`
	Method   string `json:"method"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
}

// historyDays is how much history before the period the forecast reads:
// enough for its weekday factors and its past errors.
const historyDays = 182

// pastPeriods is how many earlier periods the active-tenants forecast
// learns from.
const pastPeriods = 6

// Evaluate computes every goal's status; a goal that cannot be computed
// carries its error and the others are still reported.
func (e *Evaluator) Evaluate(ctx context.Context, goals []Goal) []Status {
	out := make([]Status, len(goals))
	for i, g := range goals {
		s, err := e.Goal(ctx, g)
		if err != nil {
			s.Error = err.Error()
		}
		out[i] = s
	}
	return out
}

// Goal computes one goal's status now.
func (e *Evaluator) Goal(ctx context.Context, g Goal) (Status, error) {
	now := e.now().UTC()
	start, end := g.Period.Bounds(now)
	s := Status{Target: g.Name, Metric: g.Metric, Segment: g.Segment(), Period: g.Period.Label(now), PeriodStart: start,
		PeriodEnd: end, AsOf: now, Unit: "count", Goal: g.Goal}
	if g.Metric.Money() {
		s.Unit = "usd"
	}
	m, err := e.matcher(ctx, g)
	if err != nil {
		return s, err
	}
	today := dayOf(now)
	switch g.Metric {
	case ActiveTenants:
		err = e.activeTenants(ctx, g, m, &s, today)
	case NewTenants:
		err = e.newTenants(ctx, g, m, &s, today)
	default:
		err = e.additive(ctx, g, m, &s, today)
	}
	if err != nil {
		return s, err
	}
	s.Elapsed = now.Sub(start).Seconds() / end.Sub(start).Seconds()
	if g.Goal > 0 && s.Elapsed > 0 {
		s.Pace = float64(s.Actual) / (float64(g.Goal) * s.Elapsed)
	}
	switch {
	case s.Actual >= g.Goal:
		s.State = Met
	case s.High < g.Goal:
		s.State = WillMiss
	case s.Expected < g.Goal:
		s.State = AtRisk
	default:
		s.State = OnTrack
	}
	return s, nil
}

// additive forecasts revenue, gross margin and tokens: daily sums.
func (e *Evaluator) additive(ctx context.Context, g Goal, m *matcher, s *Status, today time.Time) error {
	from := s.PeriodStart.AddDate(0, 0, -historyDays)
	rows, err := e.rows(ctx, g, m, from, s.AsOf)
	if err != nil {
		return err
	}
	daily := make(map[time.Time]int64)
	for _, r := range rows {
		switch g.Metric {
		case Revenue:
			daily[r.day] += int64(r.revenue)
		case GrossMargin:
			daily[r.day] += int64(r.revenue - r.cost)
		default:
			daily[r.day] += r.tokens
		}
	}
	project(s, daily, from, today, g.Metric != GrossMargin)
	return nil
}

// newTenants counts tenants by the day of their first request ever (in
// the segment), so it reads all history.
func (e *Evaluator) newTenants(ctx context.Context, g Goal, m *matcher, s *Status, today time.Time) error {
	rows, err := e.rows(ctx, g, m, time.Time{}, s.AsOf)
	if err != nil {
		return err
	}
	first := make(map[string]time.Time)
	for _, r := range rows {
		if !customer(r.tenant) || r.active == 0 {
			continue
		}
		if f, ok := first[r.tenant]; !ok || r.day.Before(f) {
			first[r.tenant] = r.day
		}
	}
	daily := make(map[time.Time]int64)
	for _, d := range first {
		daily[d]++
	}
	project(s, daily, s.PeriodStart.AddDate(0, 0, -historyDays), today, true)
	return nil
}

// project fills Actual and the forecast from daily sums: the days of the
// period before today are known, today and the rest are forecast from the
// whole days before today. Monotone metrics never forecast below the
// actual.
func project(s *Status, daily map[time.Time]int64, from, today time.Time, monotone bool) {
	var hist []forecast.Point
	var known int64
	for d, v := range daily {
		if !d.Before(s.PeriodStart) {
			s.Actual += v
			if d.Before(today) {
				known += v
			}
		}
		if !d.Before(from) && d.Before(today) {
			hist = append(hist, forecast.Point{Day: d, Value: v})
		}
	}
	if len(hist) > 0 {
		// A quiet stretch up to yesterday is zeros, not missing.
		hist = append(hist, forecast.Point{Day: today.AddDate(0, 0, -1)})
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Day.Before(hist[j].Day) })
	f := forecast.Forecast(hist, s.PeriodEnd)
	s.Expected, s.Low, s.High, s.Method = known+f.Expected, known+f.Low, known+f.High, f.Method
	if monotone {
		s.Expected, s.Low, s.High = max(s.Expected, s.Actual), max(s.Low, s.Actual), max(s.High, s.Actual)
	}
}

// activeTenants counts distinct tenants with a request in the period. The
// count is not a sum of days, so it is forecast by completion ratio: in
// each of the last periods, the share of its active tenants already seen
// by the same day of the period; the actual divided by their mean, with
// the extreme ratios as the interval.
func (e *Evaluator) activeTenants(ctx context.Context, g Goal, m *matcher, s *Status, today time.Time) error {
	from := s.PeriodStart
	for range pastPeriods {
		from, _ = g.Period.Bounds(from.AddDate(0, 0, -1))
	}
	rows, err := e.rows(ctx, g, m, from, s.AsOf)
	if err != nil {
		return err
	}
	// Days into the period seen, today counting as a whole day.
	k := int(today.Sub(s.PeriodStart).Hours()/24) + 1
	seen := make(map[string]bool)
	type past struct{ early, all map[string]bool }
	pasts := make(map[time.Time]*past)
	for _, r := range rows {
		if !customer(r.tenant) || r.active == 0 {
			continue
		}
		if !r.day.Before(s.PeriodStart) {
			seen[r.tenant] = true
			continue
		}
		ps, _ := g.Period.Bounds(r.day)
		p := pasts[ps]
		if p == nil {
			p = &past{map[string]bool{}, map[string]bool{}}
			pasts[ps] = p
		}
		p.all[r.tenant] = true
		if r.day.Before(ps.AddDate(0, 0, k)) {
			p.early[r.tenant] = true
		}
	}
	s.Actual = int64(len(seen))
	var ratios []float64
	for _, p := range pasts {
		if len(p.all) > 0 && len(p.early) > 0 {
			ratios = append(ratios, float64(len(p.early))/float64(len(p.all)))
		}
	}
	if len(ratios) == 0 {
		elapsed := s.AsOf.Sub(s.PeriodStart).Seconds() / s.PeriodEnd.Sub(s.PeriodStart).Seconds()
		s.Expected, s.Low, s.High = s.Actual, s.Actual, int64(math.Ceil(float64(s.Actual)/max(elapsed, 1e-9)))
		s.Method = "no past period: actual to date, up to its straight-line extrapolation"
		return nil
	}
	var sum, lo, hi float64 = 0, 1, 0
	for _, r := range ratios {
		sum += r
		lo, hi = min(lo, r), max(hi, r)
	}
	a := float64(s.Actual)
	s.Expected, s.Low, s.High = max(s.Actual, int64(math.Round(a*float64(len(ratios))/sum))), max(s.Actual, int64(math.Round(a/hi))),
		max(s.Actual, int64(math.Round(a/lo)))
	s.Method = "completion ratio over " + strconv.Itoa(len(ratios)) + " past periods (interval: their extremes)"
	return nil
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// customer reports whether a tenant id is a customer's. The bootstrap
// tenant of config keys (and events from before tenants, with none) is the
// operator's own traffic: it is nobody's first request and never a new or
// active tenant.
func customer(tenant string) bool {
	return tenant != "" && tenant != access.BootstrapTenant
}
