-- The double-entry ledger. A transaction is a header (ledger_txns) and its
-- postings (ledger_postings); amounts are signed int64 nano-dollars,
-- positive debits. The books are append-only: corrections are reversals.
--
-- SQLite has no deferred constraints, so the store writes a transaction's
-- postings first and its header last, and the header's trigger refuses it
-- unless its postings (at least two) sum to zero. Postings of a transaction
-- already booked are refused, and nothing booked is updated or deleted.
CREATE TABLE ledger_postings (
    txn_id  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    account TEXT    NOT NULL,
    amount  INTEGER NOT NULL,
    PRIMARY KEY (txn_id, seq)
) WITHOUT ROWID;

CREATE TABLE ledger_txns (
    id           TEXT    NOT NULL PRIMARY KEY,
    kind         TEXT    NOT NULL,
    time_ns      INTEGER NOT NULL,
    created_ns   INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    tenant       TEXT    NOT NULL,
    key_id       TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    deployment   TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    plan         TEXT    NOT NULL,
    plan_version TEXT    NOT NULL,
    experiment   TEXT    NOT NULL,
    arm          TEXT    NOT NULL,
    commitment   TEXT    NOT NULL,
    reverses     TEXT    NOT NULL,
    reason       TEXT    NOT NULL
);

CREATE INDEX ledger_txns_time ON ledger_txns (time_ns);
-- Only reversals are looked up by what they reverse.
CREATE INDEX ledger_txns_reverses ON ledger_txns (reverses) WHERE reverses <> '';

CREATE TRIGGER ledger_txns_balanced BEFORE INSERT ON ledger_txns
WHEN (SELECT COUNT(*) < 2 OR SUM(amount) <> 0 FROM ledger_postings WHERE txn_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END;

CREATE TRIGGER ledger_postings_closed BEFORE INSERT ON ledger_postings
WHEN EXISTS (SELECT 1 FROM ledger_txns WHERE id = NEW.txn_id)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction already booked: post a reversal'); END;

CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger: postings are immutable: post a reversal'); END;

CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger: postings are immutable: post a reversal'); END;

CREATE TRIGGER ledger_txns_no_update BEFORE UPDATE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

CREATE TRIGGER ledger_txns_no_delete BEFORE DELETE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'ledger: transactions are immutable: post a reversal'); END;

-- Hourly and daily sums of the books per dimension, kept by the store as it
-- books each transaction, so that revenue and margin reports read rollups.
-- bucket is the hour's (day's) start in Unix seconds, UTC.
CREATE TABLE ledger_hourly (
    bucket     INTEGER NOT NULL,
    tenant     TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    deployment TEXT    NOT NULL,
    provider   TEXT    NOT NULL,
    plan       TEXT    NOT NULL,
    arm        TEXT    NOT NULL,
    revenue    INTEGER NOT NULL,
    cost       INTEGER NOT NULL,
    committed  INTEGER NOT NULL,
    requests   INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, model, deployment, provider, plan, arm)
) WITHOUT ROWID;

CREATE TABLE ledger_daily (
    bucket     INTEGER NOT NULL,
    tenant     TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    deployment TEXT    NOT NULL,
    provider   TEXT    NOT NULL,
    plan       TEXT    NOT NULL,
    arm        TEXT    NOT NULL,
    revenue    INTEGER NOT NULL,
    cost       INTEGER NOT NULL,
    committed  INTEGER NOT NULL,
    requests   INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, model, deployment, provider, plan, arm)
) WITHOUT ROWID;
