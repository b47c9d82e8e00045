-- No trigger on a pair's insert: the books stay checked by the database,
-- but the journal writer's two pair headers per event fire nothing.
--
-- Any row trigger on ledger_txns made SQLite first copy a multi-row
-- insert's rows into a temporary table (a row trigger may read the table
-- being written), then insert them from there: 11k of a header's 62k
-- instructions, on top of the check itself (14k in all). A pair balances by
-- its CHECK (0009) and needs no trigger; only a transaction of other shapes
-- (postings in ledger_postings) does. Its check now runs on a table of its
-- own, ledger_sealed, which such a transaction writes last:
--
--   1. the header (amount 0), with sealed = its id. The CHECK
--      ledger_txn_sealed requires that of every header without a pair, and
--      the deferred foreign key requires the seal by COMMIT;
--   2. its postings. ledger_postings_open refuses a posting unless its
--      header is there, without a pair, and not sealed yet;
--   3. its seal. ledger_sealed_balanced refuses it unless the header is
--      there without a pair and its postings (at least two) sum to zero.
--
-- What the database refused, it still refuses: a header without a pair
-- and without a seal (at COMMIT; written without `sealed`, at once by the
-- CHECK), a seal of unbalanced postings, a posting for a pair (a posting
-- needs a header of amount 0, and ids are unique) or for a sealed
-- transaction, and any update or delete. Postgres keeps its deferred
-- trigger, which pairs already skip (0009).
--
-- ledger_txns is rebuilt (a CHECK cannot be added to a table), as in 0010,
-- its rows copied with their seal; every booked transaction of other shape
-- balances (its trigger checked it), and is sealed here.
DROP TRIGGER ledger_postings_closed;

CREATE TABLE ledger_sealed (
    txn_id TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO ledger_sealed (txn_id) SELECT id FROM ledger_txns WHERE amount = 0;

CREATE TABLE ledger_txns_sealed (
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
            OR (amount <> 0 AND amount <> -9223372036854775808 AND account <> '' AND contra_account <> '')),
    sealed         TEXT    DEFAULT NULL
        CONSTRAINT ledger_txn_seal REFERENCES ledger_sealed (txn_id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT ledger_txn_sealed CHECK ((amount <> 0 AND sealed IS NULL) OR (amount = 0 AND sealed IS id))
) WITHOUT ROWID;

INSERT INTO ledger_txns_sealed (id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider,
    plan, plan_version, experiment, arm, commitment, reverses, reason, account, contra_account, amount, sealed)
SELECT id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider,
    plan, plan_version, experiment, arm, commitment, reverses, reason, account, contra_account, amount,
    CASE WHEN amount = 0 THEN id END
FROM ledger_txns;

-- Its indexes and triggers go with it.
DROP TABLE ledger_txns;

ALTER TABLE ledger_txns_sealed RENAME TO ledger_txns;

-- Only reversals are looked up by what they reverse.
CREATE INDEX ledger_txns_reverses ON ledger_txns (reverses) WHERE reverses <> '';

-- A seal written after its header (the deferred key counts one missing
-- seal) makes SQLite look for the header by `sealed`; this finds it
-- without a scan, and holds only headers without a pair: a pair's insert
-- writes no entry.
CREATE INDEX ledger_txns_sealed ON ledger_txns (sealed) WHERE sealed IS NOT NULL;

CREATE TRIGGER ledger_txns_no_update BEFORE UPDATE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_postings_open BEFORE INSERT ON ledger_postings
WHEN NOT EXISTS (SELECT 1 FROM ledger_txns WHERE id = NEW.txn_id AND amount = 0)
    OR EXISTS (SELECT 1 FROM ledger_sealed WHERE txn_id = NEW.txn_id)
BEGIN SELECT RAISE(ABORT, 'ledger: a posting needs its transaction''s header, without a pair and not yet sealed: post a reversal'); END;

CREATE TRIGGER ledger_sealed_balanced BEFORE INSERT ON ledger_sealed
WHEN NOT EXISTS (SELECT 1 FROM ledger_txns WHERE id = NEW.txn_id AND amount = 0)
    OR (SELECT COUNT(*) < 2 OR SUM(amount) <> 0 FROM ledger_postings WHERE txn_id = NEW.txn_id)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END;

CREATE TRIGGER ledger_sealed_no_update BEFORE UPDATE ON ledger_sealed
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_sealed_no_delete BEFORE DELETE ON ledger_sealed
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;
