package budget

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return l
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in, tz string
		want   string
		err    bool
	}{
		{"day", "", "day", false},
		{"week", "UTC", "week", false},
		{"month", "Europe/Berlin", "month (Europe/Berlin)", false},
		{"rolling:7d", "", "rolling:7d", false},
		{"lifetime", "America/New_York", "lifetime", false},
		{"rolling:0d", "", "", true},
		{"rolling:7", "", "", true},
		{"rolling:400d", "", "", true},
		{"hour", "", "", true},
		{"day", "Mars/Olympus", "", true},
	} {
		p, err := ParsePeriod(tc.in, tc.tz)
		if tc.err {
			if err == nil {
				t.Errorf("ParsePeriod(%q, %q) = %v, want an error", tc.in, tc.tz, p)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePeriod(%q, %q) = %q, %v; want %q", tc.in, tc.tz, p, err, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	mustLoc(t, "Europe/Berlin")
	mustLoc(t, "America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name       string
		period, tz string
		now        string
		start, end string // RFC 3339
		hours      float64
	}{
		{"utc day", "day", "", "2026-03-10T23:59:59Z", "2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", 24},
		{"utc day at midnight starts the new day", "day", "", "2026-03-11T00:00:00Z", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z", 24},
		// Berlin springs forward on 2026-03-29: that day has 23 hours.
		{"berlin spring-forward day", "day", "Europe/Berlin", "2026-03-29T12:00:00+02:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 23},
		// New York falls back on 2026-11-01: 25 hours.
		{"new york fall-back day", "day", "America/New_York", "2026-11-01T23:30:00-05:00", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 25},
		{"new york day is not the utc day", "day", "America/New_York", "2026-07-01T02:00:00Z", "2026-06-30T00:00:00-04:00", "2026-07-01T00:00:00-04:00", 24},
		// 2026-01-01 is a Thursday: its ISO week started Monday 2025-12-29.
		{"week across new year", "week", "", "2026-01-01T10:00:00Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z", 168},
		{"week on sunday night", "week", "", "2026-01-04T23:59:59Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z", 168},
		{"week on monday", "week", "", "2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z", 168},
		{"berlin week over dst", "week", "Europe/Berlin", "2026-03-29T20:00:00+02:00", "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 167},
		{"month february leap", "month", "", "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", 29 * 24},
		{"month december", "month", "", "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", 31 * 24},
		{"berlin month over dst", "month", "Europe/Berlin", "2026-03-15T00:00:00Z", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", 31*24 - 1},
		// In Berlin it is already April at 22:30 UTC on March 31.
		{"berlin month boundary", "month", "Europe/Berlin", "2026-03-31T22:30:00Z", "2026-04-01T00:00:00+02:00", "2026-05-01T00:00:00+02:00", 30 * 24},
		{"rolling 7d", "rolling:7d", "", "2026-03-10T15:00:00Z", "2026-03-04T00:00:00Z", "2026-03-11T00:00:00Z", 168},
		{"rolling 1d is today", "rolling:1d", "", "2026-03-10T15:00:00Z", "2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.period, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			s, e := p.Window(utc(tc.now))
			if !s.Equal(utc(tc.start)) || !e.Equal(utc(tc.end)) {
				t.Fatalf("Window(%s) = [%s, %s), want [%s, %s)", tc.now, s, e, tc.start, tc.end)
			}
			if got := e.Sub(s).Hours(); got != tc.hours {
				t.Errorf("window is %v hours, want %v", got, tc.hours)
			}
			if !p.ResetsAt(utc(tc.now)).Equal(e) {
				t.Errorf("ResetsAt = %s, want the window end %s", p.ResetsAt(utc(tc.now)), e)
			}
		})
	}
}

func TestLifetimeNeverResets(t *testing.T) {
	p, _ := ParsePeriod("lifetime", "")
	s, e := p.Window(time.Now())
	if !s.IsZero() || !e.IsZero() || p.Current(time.Now()).ID() != 0 {
		t.Fatalf("lifetime window = [%v, %v), bucket %d; want zero times and bucket 0", s, e, p.Current(time.Now()).ID())
	}
}

func TestRollingBucketsAreDaysOfTheWindow(t *testing.T) {
	p, _ := ParsePeriod("rolling:3d", "America/New_York")
	// 2026-11-01 has 25 hours in New York; the buckets are still whole local days.
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, p.Loc)
	got := p.Buckets(nil, now)
	want := []string{"2026-11-02T00:00:00-05:00", "2026-11-01T00:00:00-04:00", "2026-10-31T00:00:00-04:00"}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets, want %d", len(got), len(want))
	}
	for i, b := range got {
		if b.Start.Format(time.RFC3339) != want[i] {
			t.Errorf("bucket %d starts %s, want %s", i, b.Start.Format(time.RFC3339), want[i])
		}
	}
	if got[1].End.Sub(got[1].Start) != 25*time.Hour {
		t.Errorf("fall-back bucket is %v long, want 25h", got[1].End.Sub(got[1].Start))
	}
	if s, _ := p.Window(now); !s.Equal(got[2].Start) {
		t.Errorf("window starts %s, want the oldest bucket %s", s, got[2].Start)
	}
}
