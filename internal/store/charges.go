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

// Charges implements ChargeReader: one query for the whole list, so the
// dashboard's requests page pays one query for its charges rather than one
// per row. A revenue transaction is normally a pair, read from its header
// by primary key; one with more postings sums its revenue postings, also
// by primary key range.
func (s *sqlStore) Charges(ctx context.Context, requestIDs []string) (map[string]money.Nanos, error) {
	if len(requestIDs) > MaxRecent {
		return nil, fmt.Errorf("%w: charges: %d request ids, at most %d", ErrBadQuery, len(requestIDs), MaxRecent)
	}
	out := make(map[string]money.Nanos, len(requestIDs))
	if len(requestIDs) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(requestIDs))
	byTxn := make(map[string]string, len(requestIDs))
	for _, id := range requestIDs {
		tid := ledger.RevenueID(id)
		byTxn[tid] = id
		ids = append(ids, tid)
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(requestIDs)), ",") + ")"
	rev := ledger.AccountRevenue
	q := "SELECT txn_id, CAST(SUM(amount) AS BIGINT) FROM ledger_postings WHERE account = ? AND txn_id IN " + in + " GROUP BY txn_id" +
		" UNION ALL SELECT id, CASE WHEN account = ? THEN amount ELSE 0 END - CASE WHEN contra_account = ? THEN amount ELSE 0 END" +
		" FROM ledger_txns WHERE amount <> 0 AND (account = ? OR contra_account = ?) AND id IN " + in
	args := make([]any, 0, 2*len(ids)+5)
	args = append(append(append(args, rev), ids...), rev, rev, rev, rev)
	args = append(args, ids...)
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
