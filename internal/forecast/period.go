package forecast

import (
	"fmt"
	"time"
)

// Period is a calendar period a goal is set for, in UTC.
type Period string

// Periods a goal can cover.
const (
	Week    Period = "week" // Monday to Sunday (ISO weeks)
	Month   Period = "month"
	Quarter Period = "quarter"
)

// ParsePeriod accepts week, month and quarter; "" is month.
func ParsePeriod(s string) (Period, error) {
	switch Period(s) {
	case "", Month:
		return Month, nil
	case Week, Quarter:
		return Period(s), nil
	}
	return "", fmt.Errorf("forecast: period %q: want week, month or quarter", s)
}

// Bounds is the period holding t: its first instant and the first instant
// of the next one (exclusive), both at midnight UTC.
func (p Period) Bounds(t time.Time) (start, end time.Time) {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case Week:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		start = day.AddDate(0, 0, -back)
		return start, start.AddDate(0, 0, 7)
	case Quarter:
		m := (int(t.Month())-1)/3*3 + 1
		start = time.Date(t.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 3, 0)
	default:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
}

// Label names the period holding t: 2026-W49, 2026-12 or 2026-Q4.
func (p Period) Label(t time.Time) string {
	start, _ := p.Bounds(t)
	switch p {
	case Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
	default:
		return start.Format("2006-01")
	}
}

// Midpoint is the as-of instant of a mid-period forecast: the start plus
// half the period's whole days, rounded down (the 16th, 00:00, of a month:
// 15 days known).
func (p Period) Midpoint(t time.Time) time.Time {
	start, end := p.Bounds(t)
	days := int(end.Sub(start).Hours()/24+0.5) / 2
	return start.AddDate(0, 0, days)
}
