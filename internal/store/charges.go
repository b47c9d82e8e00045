package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
)

// ChargeReader reads what requests were charged. Both backends implement it;
// it is apart from Store so that test doubles of Store need not.
type ChargeReader interface {
	// Charges returns what each of the requests was charged as booked: the
	// revenue of its revenue transaction (ledger.RevenueID), by request
	// id. A request without one (nothing charged, or not booked yet) is
	// absent; a later reversal is not subtracted. At most MaxRecent ids.
	Charges(ctx context.Context, requestIDs []string) (map[string]money.Nanos, error)
}

// Charges implements ChargeReader: one primary-key range read of the
// postings for the whole list, so the dashboard's requests page pays one
// query for its charges rather than one per row.
func (s *sqlStore) Charges(ctx context.Context, requestIDs []string) (map[string]money.Nanos, error) {
	if len(requestIDs) > MaxRecent {
		return nil, fmt.Errorf("%w: charges: %d request ids, at most %d", ErrBadQuery, len(requestIDs), MaxRecent)
	}
	out := make(map[string]money.Nanos, len(requestIDs))
	if len(requestIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(requestIDs)+1)
	args = append(args, ledger.AccountRevenue)
	byTxn := make(map[string]string, len(requestIDs))
	for _, id := range requestIDs {
		tid := ledger.RevenueID(id)
		byTxn[tid] = id
		args = append(args, tid)
	}
	q := "SELECT txn_id, CAST(SUM(amount) AS BIGINT) FROM ledger_postings WHERE account = ? AND txn_id IN (" +
		strings.TrimSuffix(strings.Repeat("?,", len(requestIDs)), ",") + ") GROUP BY txn_id"
	rows, err := s.r.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: charges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tid string
		var sum int64
		if err := rows.Scan(&tid, &sum); err != nil {
			return nil, fmt.Errorf("store: charges: %w", err)
		}
		// Revenue is credited: a negative amount on the revenue account.
		out[byTxn[tid]] = money.Nanos(-sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: charges: %w", err)
	}
	return out, nil
}
