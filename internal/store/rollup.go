package store

import (
	"fmt"

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

// rollups accumulates events into hourly and daily rows.
type rollups struct {
	hourly, daily map[rollupKey]*sums
}

func newRollups() *rollups {
	return &rollups{hourly: map[rollupKey]*sums{}, daily: map[rollupKey]*sums{}}
}

func (r *rollups) add(e *usage.Event) {
	s := eventSums(e)
	sec := e.Time.Unix()
	k := rollupKey{floorTo(sec, hourSec), e.TenantID, e.KeyID, e.KeyName, e.Model, e.Deployment, e.Provider}
	addTo(r.hourly, k, &s)
	k.bucket = floorTo(sec, daySec)
	addTo(r.daily, k, &s)
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
