-- ledger_txns keyed by its id (WITHOUT ROWID), and without the time index.
--
-- The journal writer books two headers per usage event, so a header's cost
-- is most of the writer's. As a rowid table with a TEXT primary key, each
-- header was three b-tree inserts (the row by rowid, the id's unique index,
-- the time index); now it is one, into the table ordered by id. Request ids
-- start with their millisecond (req_ + hex time + random), so a batch's
-- headers append to the table's last pages rather than land all over it.
-- Only Transactions (a period's transactions, read by the conformance
-- tests, not by the gateway or the reports) ranged over time_ns: it now
-- scans the table. Postgres keeps its index; nothing there needs it either.
--
-- The table is rebuilt with the same columns, checks and triggers (0003,
-- 0009). ledger_postings_closed names ledger_txns, so it is dropped first
-- and made again after: the rename would otherwise check it against a
-- table that is gone.
DROP TRIGGER ledger_postings_closed;

CREATE TABLE ledger_txns_by_id (
    id             TEXT    NOT NULL PRIMARY KEY,
    kind           TEXT    NOT NULL,
    time_ns        INTEGER NOT NULL,
    created_ns     INTEGER NOT NULL,
    source         TEXT    NOT NULL,
    tenant         TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    deployment     TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    plan           TEXT    NOT NULL,
    plan_version   TEXT    NOT NULL,
    experiment     TEXT    NOT NULL,
    arm            TEXT    NOT NULL,
    commitment     TEXT    NOT NULL,
    reverses       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    account        TEXT    NOT NULL DEFAULT '',
    contra_account TEXT    NOT NULL DEFAULT '',
    amount         INTEGER NOT NULL DEFAULT 0
        CONSTRAINT ledger_pair_balanced CHECK ((amount = 0 AND account = '' AND contra_account = '')
            OR (amount <> 0 AND amount <> -9223372036854775808 AND account <> '' AND contra_account <> ''))
) WITHOUT ROWID;

INSERT INTO ledger_txns_by_id (id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider,
    plan, plan_version, experiment, arm, commitment, reverses, reason, account, contra_account, amount)
SELECT id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider,
    plan, plan_version, experiment, arm, commitment, reverses, reason, account, contra_account, amount
FROM ledger_txns;

-- Its indexes and triggers go with it.
DROP TABLE ledger_txns;

ALTER TABLE ledger_txns_by_id RENAME TO ledger_txns;

-- Only reversals are looked up by what they reverse.
CREATE INDEX ledger_txns_reverses ON ledger_txns (reverses) WHERE reverses <> '';

CREATE TRIGGER ledger_txns_balanced AFTER INSERT ON ledger_txns
WHEN (NEW.amount = 0 AND (SELECT COUNT(*) < 2 OR SUM(amount) <> 0 FROM ledger_postings WHERE txn_id = NEW.id))
    OR (NEW.amount <> 0 AND EXISTS (SELECT 1 FROM ledger_postings WHERE txn_id = NEW.id))
BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END;

CREATE TRIGGER ledger_txns_no_update BEFORE UPDATE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_postings_closed BEFORE INSERT ON ledger_postings
WHEN EXISTS (SELECT 1 FROM ledger_txns WHERE id = NEW.txn_id)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction already booked: post a reversal'); END;
