package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// A report reads the rollups of its range in parts, each one grouped query
// on the reader pool, run in parallel and added up in Go:
//
//   - closed days (before the mark, days.go) that the range covers whole,
//     from a daily table: usage_daily_key when the report groups by nothing
//     but key, tenant and day (one row per key and day, where usage_daily
//     has one per model and deployment the key used), else usage_daily;
//   - everything else from usage_hourly: the partial days at the ends and
//     the days not closed yet;
//   - except that a partial day that is mostly inside the range, and closed,
//     is read as its daily row less the hourly rows outside the range (the
//     complement): 7 hours instead of 17 for a range starting at 07:00.

// usagePart is one index range of one rollup table. With minus, it is that
// range's rows less the hourly rows of minus, in one statement so that the
// two are read from one snapshot (a late event lands in both tables).
type usagePart struct {
	table string
	span  span
	minus []span
}

// reportPieces caps how many pieces a long range is read in at once. The
// pieces run on separate reader connections, so a month's report over
// SQLite, whose CPU goes into modernc's VDBE row by row, takes the wall
// time of its largest piece rather than of the whole. More pieces than
// cores buys nothing.
func reportPieces() int { return max(1, min(4, runtime.GOMAXPROCS(0))) }

// usagePlan lists the parts of the hour-aligned range [from, to). Days
// before daysBefore are closed; dayTable is the daily table to read them
// from; long spans are cut into up to pieces parts.
func usagePlan(from, to int64, hourlyOnly bool, daysBefore int64, dayTable string, pieces int) []usagePart {
	if from >= to {
		return nil
	}
	if hourlyOnly {
		return hourlyParts([]span{{from, to}}, pieces)
	}
	var parts []usagePart
	var hours []span
	dFrom, dTo := ceilTo(from, daySec), floorTo(to, daySec)
	if dFrom > dTo { // inside one day
		day := dTo
		if outside := (from - day) + (day + daySec - to); day < daysBefore && outside < to-from {
			return []usagePart{{dayTable, span{day, day + daySec}, nonEmpty(span{day, from}, span{to, day + daySec})}}
		}
		return hourlyParts([]span{{from, to}}, pieces)
	}
	if from < dFrom { // the first day, in part
		day := dFrom - daySec
		if day < daysBefore && from-day < dFrom-from {
			parts = append(parts, usagePart{dayTable, span{day, dFrom}, []span{{day, from}}})
		} else {
			hours = append(hours, span{from, dFrom})
		}
	}
	closed := min(max(daysBefore, dFrom), dTo)
	for _, sp := range (span{dFrom, closed}).split(daySec, pieces) {
		parts = append(parts, usagePart{table: dayTable, span: sp})
	}
	hours = append(hours, span{closed, dTo})
	if dTo < to { // the last day, in part
		if dTo < daysBefore && dTo+daySec-to < to-dTo {
			parts = append(parts, usagePart{dayTable, span{dTo, dTo + daySec}, []span{{to, dTo + daySec}}})
		} else {
			hours = append(hours, span{dTo, to})
		}
	}
	return append(parts, hourlyParts(hours, pieces)...)
}

// hourlyParts reads spans from the hourly rollups, adjacent ones as one.
func hourlyParts(spans []span, pieces int) []usagePart {
	var merged []span
	for _, sp := range spans {
		switch n := len(merged); {
		case sp.empty():
		case n > 0 && merged[n-1].to == sp.from:
			merged[n-1].to = sp.to
		default:
			merged = append(merged, sp)
		}
	}
	var parts []usagePart
	for _, sp := range merged {
		for _, p := range sp.split(hourSec, pieces) {
			parts = append(parts, usagePart{table: hourlyTable.name, span: p})
		}
	}
	return parts
}

func nonEmpty(spans ...span) []span {
	return slices.DeleteFunc(spans, span.empty)
}

// split cuts s into up to n non-empty spans of whole units (s is aligned to
// unit). Ranges open at either end (an unbounded report) stay whole:
// cutting them would spread empty reads over the pieces.
func (s span) split(unit int64, n int) []span {
	if s.empty() {
		return nil
	}
	units := (s.to - s.from) / unit
	if n <= 1 || s.from == 0 || s.to == maxSec || units < 2*int64(n) {
		return []span{s}
	}
	out := make([]span, 0, n)
	from := s.from
	for i := range int64(n) {
		to := s.from + (units*(i+1)/int64(n))*unit
		if i == int64(n)-1 {
			to = s.to
		}
		out = append(out, span{from, to})
		from = to
	}
	return out
}

// keyDims are the groupings usage_daily_key can answer.
var keyDims = map[string]bool{"key": true, "tenant": true, "day": true}

// dayTableFor is the daily table a report grouped by groupBy reads.
func dayTableFor(groupBy []string) string {
	for _, g := range groupBy {
		if !keyDims[g] {
			return dailyTable.name
		}
	}
	return dailyKeyTable.name
}

// groupSums is one group's sums across the parts of a report.
type groupSums struct {
	group map[string]string
	v     sums
}

func (s *sqlStore) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	hourly, err := q.validate()
	if err != nil {
		return nil, err
	}
	from, to := q.hourRange()
	total, err := s.rollupGroups(ctx, from, to, hourly, q.GroupBy)
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	if total == nil {
		return nil, nil // an empty range
	}
	var labels []string
	for _, g := range q.GroupBy {
		labels = append(labels, dimensions[g].labels...)
	}
	out := make([]UsageRow, 0, len(total))
	for _, g := range total {
		if g.v[0] == 0 {
			continue // totals over nothing, or a complement's groups wholly outside the range
		}
		row := rowFromSums(&g.v)
		row.Group = g.group
		out = append(out, row)
	}
	sortRows(out, labels)
	return out, nil
}

// rollupGroups sums the rollups of the hour-aligned range [from, to) by
// groupBy (checked dimensions), keyed by the groups' values.
func (s *sqlStore) rollupGroups(ctx context.Context, from, to int64, hourly bool, groupBy []string) (map[string]*groupSums, error) {
	daysBefore, err := s.daysBefore(ctx)
	if err != nil {
		return nil, err
	}
	parts := usagePlan(from, to, hourly, daysBefore, dayTableFor(groupBy), reportPieces())
	if len(parts) == 0 {
		return nil, nil
	}
	var groupCols, labels []string
	for _, g := range groupBy {
		d := dimensions[g]
		groupCols = append(groupCols, d.cols...)
		labels = append(labels, d.labels...)
	}
	// Each part is aggregated by the database, in parallel; the groups are
	// then added up here (a group may appear in every part).
	results := make([]map[string]*groupSums, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { results[i], errs[i] = s.usagePart(ctx, p, groupCols, labels) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	total := results[0]
	for _, r := range results[1:] {
		for k, g := range r {
			t := total[k]
			if t == nil {
				total[k] = g
				continue
			}
			for i := range g.v {
				t.v[i] += g.v[i]
			}
		}
	}
	return total, nil
}

// usagePartSQL is the statement that sums part p by groupCols; its
// arguments are the bounds of p.span, then of each of p.minus.
func usagePartSQL(p usagePart, groupCols []string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, c := range groupCols {
		b.WriteString(c)
		b.WriteByte(',')
	}
	// SUM of bigint is numeric in Postgres; cast so both return int64.
	b.WriteString(sumCols(func(c string) string { return "CAST(COALESCE(SUM(" + c + "), 0) AS BIGINT)" }))
	if len(p.minus) == 0 {
		// One index range per statement: SQLite answers an OR of two
		// ranges with a scan of the whole table.
		b.WriteString(" FROM " + p.table + " WHERE bucket >= ? AND bucket < ?")
	} else {
		// The group columns are plain columns or expressions of bucket.
		inner := []string{"bucket"}
		for _, c := range groupCols {
			if !strings.Contains(c, "bucket") && !slices.Contains(inner, c) {
				inner = append(inner, c)
			}
		}
		cols := strings.Join(inner, ",")
		b.WriteString(" FROM (SELECT " + cols + "," + strings.Join(rollupSumCols[:], ",") + " FROM " + p.table +
			" WHERE bucket >= ? AND bucket < ?")
		neg := sumCols(func(c string) string { return "-" + c })
		for range p.minus {
			b.WriteString(" UNION ALL SELECT " + cols + "," + neg + " FROM " + hourlyTable.name + " WHERE bucket >= ? AND bucket < ?")
		}
		b.WriteString(") AS u")
	}
	if len(groupCols) > 0 {
		b.WriteString(" GROUP BY ")
		b.WriteString(strings.Join(groupCols, ","))
	}
	return b.String()
}

// usagePart sums one part's rollup rows by the report's groups.
func (s *sqlStore) usagePart(ctx context.Context, p usagePart, groupCols, labels []string) (map[string]*groupSums, error) {
	args := []any{p.span.from, p.span.to}
	for _, m := range p.minus {
		args = append(args, m.from, m.to)
	}
	rows, err := s.r.QueryContext(ctx, s.bind(usagePartSQL(p, groupCols)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*groupSums{}
	dest := make([]any, len(labels)+rollupSumN)
	var key strings.Builder
	for rows.Next() {
		gv := groupDest(labels)
		copy(dest, gv)
		g := &groupSums{}
		for i := range g.v {
			dest[len(labels)+i] = &g.v[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		g.group = groupOf(labels, gv)
		key.Reset()
		for _, l := range labels {
			key.WriteString(g.group[l])
			key.WriteByte(0)
		}
		if t := out[key.String()]; t != nil { // one part never repeats a group; be safe
			for i := range g.v {
				t.v[i] += g.v[i]
			}
			continue
		}
		out[key.String()] = g
	}
	return out, rows.Err()
}
