-- A transaction of exactly two postings, (account, amount) and
-- (contra_account, -amount), is stored in its header row alone: it balances
-- by construction, so the database need not re-read postings to check it,
-- and booking it writes one row, not three. Every transaction the gateway
-- derives (revenue, cost and their reversals) is such a pair; any other
-- shape keeps its postings in ledger_postings, checked as before.
--
-- amount 0 means "postings in ledger_postings" (a posting is never zero).
-- The CHECK refuses a half-written pair; -2^63 has no negation in int64.
ALTER TABLE ledger_txns ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_txns ADD COLUMN contra_account TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_txns ADD COLUMN amount INTEGER NOT NULL DEFAULT 0
    CONSTRAINT ledger_pair_balanced CHECK ((amount = 0 AND account = '' AND contra_account = '')
        OR (amount <> 0 AND amount <> -9223372036854775808 AND account <> '' AND contra_account <> ''));

-- The header's check now reads postings only for a header that has none of
-- its own, and refuses a pair header whose id already has postings (they
-- would not be counted in its balance). A posting added to a booked
-- transaction, pair or not, is still refused by ledger_postings_closed.
-- It runs AFTER the insert: for a BEFORE trigger SQLite first copies every
-- column of the new row into registers of their own (a malloc and a copy
-- per text column, per row), which cost more than the check. RAISE(ABORT)
-- undoes the statement either way.
DROP TRIGGER ledger_txns_balanced;

CREATE TRIGGER ledger_txns_balanced AFTER INSERT ON ledger_txns
WHEN (NEW.amount = 0 AND (SELECT COUNT(*) < 2 OR SUM(amount) <> 0 FROM ledger_postings WHERE txn_id = NEW.id))
    OR (NEW.amount <> 0 AND EXISTS (SELECT 1 FROM ledger_postings WHERE txn_id = NEW.id))
BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END;
