package store

import (
	"fmt"
	"math"

	"github.com/switchyard/switchyard/internal/usage"
)

// rollupKey identifies one rollup row; bucket is the hour's or day's start
// in Unix seconds (UTC).
type rollupKey struct {
	bucket                                              int64
	tenant, keyID, keyName, model, deployment, provider string
}

// sums are a rollup row's counters, in column order (rollupSumCols).
type sums [rollupSumN]int64

const rollupSumN = 17

// rollupKeyCols and rollupSumCols are the rollup tables' columns.
var (
	rollupKeyCols = []string{"bucket", "tenant", "key_id", "key_name", "model", "deployment", "provider"}
	rollupSumCols = [rollupSumN]string{
		"attempts", "completed", "interrupted", "client_aborted", "unpriced",
		"rep_prompt", "rep_completion", "rep_cached", "rep_cache_write", "rep_reasoning",
		"est_prompt", "est_completion", "est_cached", "est_cache_write", "est_reasoning",
		"cost_reported", "cost_estimated",
	}
)

// eventSums is what one event adds to its rollup rows.
func eventSums(e *usage.Event) sums {
	var s sums
	s[0] = 1
	switch e.Outcome {
	case usage.Completed:
		s[1] = 1
	case usage.Interrupted:
		s[2] = 1
	case usage.ClientAborted:
		s[3] = 1
	}
	if e.Unpriced {
		s[4] = 1
	}
	u := e.Usage
	tok := [5]int64{u.Prompt, u.Completion, u.Cached, u.CacheWrite, u.Reasoning}
	off, cost := 10, 16
	if e.Source == usage.Reported {
		off, cost = 5, 15
	}
	copy(s[off:off+5], tok[:])
	s[cost] = int64(e.Cost)
	return s
}

// rollups accumulates events into hourly rows and, for events of days
// already closed (before daysBefore, see days.go), into the daily rows by
// model and by key too: an open day's daily rows are built from its hourly
// ones when it closes.
type rollups struct {
	daysBefore              int64
	hourly, daily, dailyKey map[rollupKey]*sums
	maxSec                  int64 // the latest event's time, Unix seconds
	// lastK, last: the hourly row the previous event went to. A busy
	// key's events follow each other into one row; hashing its key (seven
	// strings) once per event cost more than the sums.
	lastK rollupKey
	last  *sums
}

func newRollups(daysBefore int64) *rollups {
	return &rollups{
		daysBefore: daysBefore, maxSec: math.MinInt64,
		hourly: map[rollupKey]*sums{}, daily: map[rollupKey]*sums{}, dailyKey: map[rollupKey]*sums{},
	}
}

func (r *rollups) add(e *usage.Event) {
	s := eventSums(e)
	sec := e.Time.Unix()
	r.maxSec = max(r.maxSec, sec)
	k := rollupKey{floorTo(sec, hourSec), e.TenantID, e.KeyID, e.KeyName, e.Model, e.Deployment, e.Provider}
	if r.last != nil && k == r.lastK {
		for i := range s {
			r.last[i] += s[i]
		}
	} else {
		addTo(r.hourly, k, &s)
		r.lastK, r.last = k, r.hourly[k]
	}
	if k.bucket = floorTo(sec, daySec); k.bucket < r.daysBefore {
		addTo(r.daily, k, &s)
		addTo(r.dailyKey, rollupKey{bucket: k.bucket, tenant: k.tenant, keyID: k.keyID, keyName: k.keyName}, &s)
	}
}

func addTo(m map[rollupKey]*sums, k rollupKey, s *sums) {
	t := m[k]
	if t == nil {
		t = new(sums)
		m[k] = t
	}
	for i := range s {
		t[i] += s[i]
	}
}

// checkEvent refuses events the store cannot key or place in time.
func checkEvent(e *usage.Event) error {
	if e.RequestID == "" || e.Attempt < 1 {
		return fmt.Errorf("%w: event %q has no request id or attempt", ErrBadEvent, e.ID())
	}
	if y := e.Time.Year(); y < 1970 || y > 2200 {
		return fmt.Errorf("%w: event %q has time %s", ErrBadEvent, e.ID(), e.Time)
	}
	return nil
}

// rollupTable is one rollup table: its name and key columns, bucket first
// and then text columns, a prefix of rollupKeyCols.
type rollupTable struct {
	name    string
	keyCols []string
}

var (
	hourlyTable   = rollupTable{"usage_hourly", rollupKeyCols}
	dailyTable    = rollupTable{"usage_daily", rollupKeyCols}
	dailyKeyTable = rollupTable{"usage_daily_key", dailyKeyCols}
)

// cols is how many columns a row of t has.
func (t rollupTable) cols() int { return len(t.keyCols) + rollupSumN }

// texts are k's text columns in t.
func (t rollupTable) texts(k *rollupKey) []string {
	all := [...]string{k.tenant, k.keyID, k.keyName, k.model, k.deployment, k.provider}
	return all[:len(t.keyCols)-1]
}

// tableRows is what a batch adds to one table.
type tableRows struct {
	table rollupTable
	rows  map[rollupKey]*sums
}

// tables lists the tables r adds to, the hourly one first.
func (r *rollups) tables() []tableRows {
	var out []tableRows
	for _, t := range []tableRows{{hourlyTable, r.hourly}, {dailyTable, r.daily}, {dailyKeyTable, r.dailyKey}} {
		if len(t.rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// closeTo is the closed-days mark that r's events move the store to (never
// backwards: the caller compares it with the mark).
func (r *rollups) closeTo() int64 {
	if len(r.hourly) == 0 {
		return math.MinInt64
	}
	return closeBefore(r.maxSec)
}
