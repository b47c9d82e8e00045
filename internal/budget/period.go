package budget

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the shape of a budget period.
type Kind uint8

// The period kinds. Calendar kinds (Day, Week, Month) start at midnight in the
// period's time zone; Week starts on Monday as ISO 8601 does.
const (
	Day Kind = iota + 1
	Week
	Month
	Rolling
	Lifetime
)

// maxRollingDays bounds a rolling window so a reservation never sums an
// unbounded number of day buckets (the Redis script reads one key per day).
const maxRollingDays = 366

// Period is the window over which a budget's spend is counted. The zero value
// is not valid; build one with ParsePeriod.
type Period struct {
	Kind Kind
	// Days is the length of a Rolling window in days.
	Days int
	// Loc is the time zone whose midnights bound calendar periods and the
	// daily buckets of a rolling window. Nil means UTC.
	Loc *time.Location
}

// ParsePeriod reads "day", "week", "month", "rolling:Nd" or "lifetime" in the
// IANA time zone tz ("" means UTC).
func ParsePeriod(s, tz string) (Period, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return Period{}, fmt.Errorf("budget: period time zone %q: %w", tz, err)
		}
		loc = l
	}
	p := Period{Loc: loc}
	switch s {
	case "day":
		p.Kind = Day
	case "week":
		p.Kind = Week
	case "month":
		p.Kind = Month
	case "lifetime":
		p.Kind = Lifetime
	default:
		n, ok := strings.CutPrefix(s, "rolling:")
		if !ok {
			return Period{}, fmt.Errorf("budget: unknown period %q: want day, week, month, rolling:Nd or lifetime", s)
		}
		d, err := strconv.Atoi(strings.TrimSuffix(n, "d"))
		if err != nil || !strings.HasSuffix(n, "d") || d < 1 || d > maxRollingDays {
			return Period{}, fmt.Errorf("budget: rolling period %q: want rolling:Nd with N from 1 to %d", s, maxRollingDays)
		}
		p.Kind, p.Days = Rolling, d
	}
	return p, nil
}

// String is the period as ParsePeriod reads it, with its time zone when not UTC.
func (p Period) String() string {
	var s string
	switch p.Kind {
	case Day:
		s = "day"
	case Week:
		s = "week"
	case Month:
		s = "month"
	case Rolling:
		s = "rolling:" + strconv.Itoa(p.Days) + "d"
	case Lifetime:
		s = "lifetime"
	default:
		return "invalid"
	}
	if loc := p.loc(); loc != time.UTC && p.Kind != Lifetime {
		s += " (" + loc.String() + ")"
	}
	return s
}

func (p Period) loc() *time.Location {
	if p.Loc == nil {
		return time.UTC
	}
	return p.Loc
}

// midnight is the start of now's calendar day in loc. time.Date normalises a
// midnight that DST skips to the first instant that exists.
func midnight(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Window is the span whose spend counts against the budget at now: [start,
// end). For a rolling window of N days it runs from the midnight N-1 days
// before now's day to the next midnight, so the oldest day's spend frees up at
// end. Lifetime has a zero start and a zero end (it never resets).
func (p Period) Window(now time.Time) (start, end time.Time) {
	loc := p.loc()
	day := midnight(now, loc)
	y, m, d := day.Date()
	switch p.Kind {
	case Day:
		return day, time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Week:
		// ISO weeks start on Monday; Go's Sunday is 0.
		back := (int(day.Weekday()) + 6) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc), time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	case Rolling:
		return time.Date(y, m, d-p.Days+1, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, time.Time{}
}

// ResetsAt is when spend at now next stops counting: the window's end (for a
// rolling window, when its oldest day drops out). Zero for lifetime.
func (p Period) ResetsAt(now time.Time) time.Time {
	_, end := p.Window(now)
	return end
}

// Bucket is one stretch of time whose spend is stored under one key: a whole
// calendar period, one day of a rolling window, or all time for lifetime.
// Start is its identity; spend in a bucket is only ever added to, never reset.
type Bucket struct {
	Start, End time.Time
}

// ID names the bucket in storage: its start in Unix seconds (0 for lifetime).
func (b Bucket) ID() int64 {
	if b.Start.IsZero() {
		return 0
	}
	return b.Start.Unix()
}

// Current is the bucket that spend at now is recorded in.
func (p Period) Current(now time.Time) Bucket {
	if p.Kind == Rolling {
		day := midnight(now, p.loc())
		y, m, d := day.Date()
		return Bucket{day, time.Date(y, m, d+1, 0, 0, 0, 0, p.loc())}
	}
	s, e := p.Window(now)
	return Bucket{s, e}
}

// Buckets appends to dst the buckets whose sum is the spend in the window at
// now, current bucket first: one for calendar periods and lifetime, one per
// day for a rolling window.
func (p Period) Buckets(dst []Bucket, now time.Time) []Bucket {
	if p.Kind != Rolling {
		return append(dst, p.Current(now))
	}
	loc := p.loc()
	y, m, d := midnight(now, loc).Date()
	for i := 0; i < p.Days; i++ {
		dst = append(dst, Bucket{time.Date(y, m, d-i, 0, 0, 0, 0, loc), time.Date(y, m, d-i+1, 0, 0, 0, 0, loc)})
	}
	return dst
}

// retention is how long a bucket is kept past its end: long enough that any
// window or report that may still read it finds it (a rolling window reads
// days up to Days old), and well past the period so late settlements and
// audits see it.
func (p Period) retention() time.Duration {
	const month = 31 * 24 * time.Hour
	if p.Kind == Rolling {
		return time.Duration(p.Days)*24*time.Hour + 2*month
	}
	return 2 * month
}

// Validate reports a period that ParsePeriod would not have built.
func (p Period) Validate() error {
	switch p.Kind {
	case Day, Week, Month, Lifetime:
		return nil
	case Rolling:
		if p.Days >= 1 && p.Days <= maxRollingDays {
			return nil
		}
	}
	return fmt.Errorf("budget: invalid period %+v", p)
}
