package store

import (
	"context"
	"fmt"
	"time"
)

// FillRawEvents writes n synthetic raw events straight into usage_events,
// generated inside the database (no rollups, no Go-side rows): the
// benchmarks' fast path to a store of millions of events. Event i is at
// start + i*step, from tenant t(i%tenants), key k(i%(5*tenants)), one of
// five models, and failed when i%47 == 0.
func FillRawEvents(ctx context.Context, st Store, n, tenants int, start time.Time, step time.Duration) error {
	s := st.(*sqlStore)
	const chunk = 250_000
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n) - 1
		var seq string
		if s.d.name == "postgres" {
			seq = fmt.Sprintf("SELECT g AS i FROM generate_series(CAST(%d AS BIGINT), CAST(%d AS BIGINT)) AS g", lo, hi)
		} else {
			seq = fmt.Sprintf("WITH RECURSIVE seq(i) AS (SELECT %d UNION ALL SELECT i+1 FROM seq WHERE i < %d) SELECT i FROM seq", lo, hi)
		}
		q := fmt.Sprintf(`INSERT INTO usage_events (request_id, attempt, time_ns, tenant, key_id, key_name, model, deployment, provider,
	op, stream, outcome, status, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
	source, cost_nanos, price_version, unpriced, ttft_ns, duration_ns, error)
SELECT 'r' || CAST(i AS TEXT), 1, %d + i * %d, 't' || CAST(i %% %d AS TEXT), 'k' || CAST(i %% %d AS TEXT), 'key', 'm' || CAST(i %% 5 AS TEXT), 'd' || CAST(i %% 5 AS TEXT), 'p',
	'chat', 0, CASE WHEN i %% 47 = 0 THEN 2 ELSE 1 END, 200, 1000, 200, 0, 0, 0,
	1, 4500000, 'pv', 0, 300000000, 2000000000, ''
FROM (%s) AS s`, start.UnixNano(), int64(step), tenants, 5*tenants, seq)
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fill raw events %d-%d: %w", lo, hi, err)
		}
	}
	if s.d.name == "postgres" {
		_, err := s.w.ExecContext(ctx, "ANALYZE usage_events")
		return err
	}
	_, err := s.w.ExecContext(ctx, "ANALYZE")
	return err
}
