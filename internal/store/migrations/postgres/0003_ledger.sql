-- The double-entry ledger. A transaction is a header (ledger_txns) and its
-- postings (ledger_postings); amounts are signed int64 nano-dollars,
-- positive debits. The books are append-only: corrections are reversals.
--
-- Deferred constraint triggers check, at commit, that every transaction
-- written has a header and at least two postings summing to zero: the
-- database itself refuses an unbalanced transaction, however it is written.
-- Nothing booked is updated or deleted.
CREATE TABLE ledger_txns (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind         TEXT COLLATE "C" NOT NULL,
    time_ns      BIGINT NOT NULL,
    created_ns   BIGINT NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    tenant       TEXT COLLATE "C" NOT NULL,
    key_id       TEXT COLLATE "C" NOT NULL,
    model        TEXT COLLATE "C" NOT NULL,
    deployment   TEXT COLLATE "C" NOT NULL,
    provider     TEXT COLLATE "C" NOT NULL,
    plan         TEXT COLLATE "C" NOT NULL,
    plan_version TEXT COLLATE "C" NOT NULL,
    experiment   TEXT COLLATE "C" NOT NULL,
    arm          TEXT COLLATE "C" NOT NULL,
    commitment   TEXT COLLATE "C" NOT NULL,
    reverses     TEXT COLLATE "C" NOT NULL,
    reason       TEXT    NOT NULL
);

CREATE INDEX ledger_txns_time ON ledger_txns (time_ns);
CREATE INDEX ledger_txns_reverses ON ledger_txns (reverses);

CREATE TABLE ledger_postings (
    txn_id  TEXT COLLATE "C" NOT NULL,
    seq     INTEGER NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    amount  BIGINT  NOT NULL,
    PRIMARY KEY (txn_id, seq)
);

CREATE INDEX ledger_postings_account ON ledger_postings (account);

-- The migration runner splits statements at a semicolon ending a line, so
-- inside these function bodies each semicolon starts a line instead.
CREATE FUNCTION ledger_check(tid TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n BIGINT := (SELECT COUNT(*) FROM ledger_postings WHERE txn_id = tid)
    ; s NUMERIC := (SELECT COALESCE(SUM(amount), 0) FROM ledger_postings WHERE txn_id = tid)
    ; head BOOLEAN := EXISTS (SELECT 1 FROM ledger_txns WHERE id = tid)
    ; BEGIN
    IF NOT head THEN
        RAISE EXCEPTION 'ledger: postings of % have no transaction', tid USING ERRCODE = 'check_violation'
    ; END IF
    ; IF n < 2 OR s <> 0 THEN
        RAISE EXCEPTION 'ledger: transaction % does not balance (% postings summing to %)', tid, n, s USING ERRCODE = 'check_violation'
    ; END IF
; END
$$;

CREATE FUNCTION ledger_txn_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM ledger_check(NEW.id) ; RETURN NULL ; END $$;

CREATE FUNCTION ledger_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM ledger_check(NEW.txn_id) ; RETURN NULL ; END $$;

-- A posting added to a transaction booked by an earlier database
-- transaction is refused even when it balances with others added with it.
CREATE FUNCTION ledger_closed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM ledger_txns WHERE id = NEW.txn_id AND xmin <> pg_current_xact_id()::xid) THEN RAISE EXCEPTION 'ledger: transaction % already booked: post a reversal', NEW.txn_id USING ERRCODE = 'check_violation' ; END IF ; RETURN NEW ; END $$;

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ledger: % is immutable: post a reversal', TG_TABLE_NAME USING ERRCODE = 'check_violation' ; END $$;

CREATE CONSTRAINT TRIGGER ledger_txns_balanced AFTER INSERT ON ledger_txns
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_txn_balanced();

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced();

CREATE TRIGGER ledger_postings_closed BEFORE INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_closed();

CREATE TRIGGER ledger_txns_immutable BEFORE UPDATE OR DELETE ON ledger_txns
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

-- Hourly and daily sums of the books per dimension, kept by the store as it
-- books each transaction, so that revenue and margin reports read rollups.
-- bucket is the hour's (day's) start in Unix seconds, UTC.
CREATE TABLE ledger_hourly (
    bucket     BIGINT NOT NULL,
    tenant     TEXT COLLATE "C" NOT NULL,
    key_id     TEXT COLLATE "C" NOT NULL,
    model      TEXT COLLATE "C" NOT NULL,
    deployment TEXT COLLATE "C" NOT NULL,
    provider   TEXT COLLATE "C" NOT NULL,
    plan       TEXT COLLATE "C" NOT NULL,
    arm        TEXT COLLATE "C" NOT NULL,
    revenue    BIGINT NOT NULL,
    cost       BIGINT NOT NULL,
    committed  BIGINT NOT NULL,
    requests   BIGINT NOT NULL,
    attempts   BIGINT NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, model, deployment, provider, plan, arm)
) WITH (fillfactor = 70);

CREATE TABLE ledger_daily (
    bucket     BIGINT NOT NULL,
    tenant     TEXT COLLATE "C" NOT NULL,
    key_id     TEXT COLLATE "C" NOT NULL,
    model      TEXT COLLATE "C" NOT NULL,
    deployment TEXT COLLATE "C" NOT NULL,
    provider   TEXT COLLATE "C" NOT NULL,
    plan       TEXT COLLATE "C" NOT NULL,
    arm        TEXT COLLATE "C" NOT NULL,
    revenue    BIGINT NOT NULL,
    cost       BIGINT NOT NULL,
    committed  BIGINT NOT NULL,
    requests   BIGINT NOT NULL,
    attempts   BIGINT NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, model, deployment, provider, plan, arm)
) WITH (fillfactor = 70);
