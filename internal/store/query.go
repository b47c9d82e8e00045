package store

import (
	"fmt"
	"sort"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// UsageQuery selects rollups. Rollups have hour resolution: From is rounded
// down and To up to the hour, and an hour is included when it starts in
// [From, To). A zero From or To leaves that end open.
type UsageQuery struct {
	From, To time.Time
	// GroupBy is any of deployment, model, key, tenant, provider, day, hour,
	// each at most once. Empty gives one row of totals (none when no usage).
	GroupBy []string
}

// Group dimensions accepted in UsageQuery.GroupBy.
var Dimensions = []string{"deployment", "model", "key", "tenant", "provider", "day", "hour"}

// UsageRow is one group's sums.
type UsageRow struct {
	// Group holds the value of each GroupBy dimension: day as 2006-01-02 and
	// hour as 2006-01-02T15:00:00Z (UTC); key as the key id, with the key's
	// name under "key_name" (a renamed key shows one row per name).
	Group map[string]string `json:"group"`

	Attempts  int64 `json:"attempts"`
	Completed int64 `json:"completed"` // outcome completed
	// Failed counts every attempt that did not complete: failed, rejected,
	// interrupted and client-aborted ones. Interrupted and ClientAborted
	// are those two parts of it.
	Failed        int64 `json:"failed"`
	Interrupted   int64 `json:"interrupted"`
	ClientAborted int64 `json:"client_aborted"`

	// Reported holds tokens the clouds reported; Estimated those the
	// gateway estimated (any event whose source is not usage.Reported).
	Reported  Tokens `json:"reported"`
	Estimated Tokens `json:"estimated"`

	Cost          money.Nanos `json:"cost_nanos"`
	CostReported  money.Nanos `json:"cost_reported_nanos"`
	CostEstimated money.Nanos `json:"cost_estimated_nanos"`

	UnpricedAttempts int64 `json:"unpriced_attempts"`
}

// Tokens are token counts in OpenAI's convention (Prompt includes Cached and
// CacheWrite, Completion includes Reasoning).
type Tokens struct {
	Prompt     int64 `json:"prompt"`
	Completion int64 `json:"completion"`
	Cached     int64 `json:"cached"`
	CacheWrite int64 `json:"cache_write"`
	Reasoning  int64 `json:"reasoning"`
}

// dimension is how one GroupBy name reads a rollup row.
type dimension struct {
	cols   []string // SQL expressions over a rollup row (column bucket etc.)
	labels []string // Group map keys, aligned with cols
}

var dimensions = map[string]dimension{
	"deployment": {[]string{"deployment"}, []string{"deployment"}},
	"model":      {[]string{"model"}, []string{"model"}},
	"key":        {[]string{"key_id", "key_name"}, []string{"key", "key_name"}},
	"tenant":     {[]string{"tenant"}, []string{"tenant"}},
	"provider":   {[]string{"provider"}, []string{"provider"}},
	// Integer division agrees in both dialects for non-negative buckets.
	"day":  {[]string{"(bucket / 86400) * 86400"}, []string{"day"}},
	"hour": {[]string{"bucket"}, []string{"hour"}},
}

// validate checks GroupBy and reports whether it needs hourly resolution.
func (q UsageQuery) validate() (hourly bool, err error) {
	seen := map[string]bool{}
	for _, g := range q.GroupBy {
		if _, ok := dimensions[g]; !ok {
			return false, fmt.Errorf("%w: unknown group_by %q (want one of %v)", ErrBadQuery, g, Dimensions)
		}
		if seen[g] {
			return false, fmt.Errorf("%w: group_by %q given twice", ErrBadQuery, g)
		}
		seen[g] = true
		hourly = hourly || g == "hour"
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return false, fmt.Errorf("%w: to %s is before from %s", ErrBadQuery, q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	return hourly, nil
}

const (
	hourSec = 3600
	daySec  = 86400
	// maxSec bounds an open To: far beyond any event, still day-aligned.
	maxSec = int64(1<<62) / daySec * daySec
)

// floorTo rounds s down to a multiple of unit (s may be negative).
func floorTo(s, unit int64) int64 {
	r := s % unit
	if r < 0 {
		r += unit
	}
	return s - r
}

func ceilTo(s, unit int64) int64 {
	f := floorTo(s, unit)
	if f == s {
		return f
	}
	return f + unit
}

// span is a half-open range of bucket starts, in Unix seconds.
type span struct{ from, to int64 }

func (s span) empty() bool { return s.from >= s.to }

// plan splits an hour-aligned range [from, to) into the whole UTC days read
// from the daily rollups and the hours at either end read from the hourly
// ones. With hourlyOnly, everything comes from the hourly rollups.
func plan(from, to int64, hourlyOnly bool) (hours []span, days span) {
	if hourlyOnly {
		return []span{{from, to}}, span{}
	}
	dFrom, dTo := ceilTo(from, daySec), floorTo(to, daySec)
	if dFrom >= dTo {
		return []span{{from, to}}, span{}
	}
	return []span{{from, dFrom}, {dTo, to}}, span{dFrom, dTo}
}

// hourRange turns the query's times into hour-aligned bucket bounds.
func (q UsageQuery) hourRange() (from, to int64) {
	from, to = 0, maxSec
	if !q.From.IsZero() {
		from = max(floorTo(q.From.Unix(), hourSec), 0)
	}
	if !q.To.IsZero() {
		to = min(ceilTo(q.To.Unix(), hourSec), maxSec)
	}
	return from, to
}

// formatDim renders a group column's value for the Group map.
func formatDim(label string, v any) string {
	switch label {
	case "day":
		return time.Unix(v.(int64), 0).UTC().Format(time.DateOnly)
	case "hour":
		return time.Unix(v.(int64), 0).UTC().Format("2006-01-02T15:04:05Z")
	}
	return v.(string)
}

// sortRows orders rows by their group values, in GroupBy order, byte-wise,
// so that both backends return the same order whatever their collation.
func sortRows(rows []UsageRow, labels []string) {
	sort.Slice(rows, func(i, j int) bool {
		for _, l := range labels {
			a, b := rows[i].Group[l], rows[j].Group[l]
			if a != b {
				return a < b
			}
		}
		return false
	})
}
