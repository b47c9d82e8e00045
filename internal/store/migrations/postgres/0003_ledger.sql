-- The double-entry ledger. A transaction is a header (ledger_txns) and its
-- postings (ledger_postings); amounts are signed int64 nano-dollars,
-- positive debits. The books are append-only: corrections are reversals.
--
-- A deferred constraint trigger checks, at commit, that every transaction
-- written has at least two postings summing to zero, and postings cannot be
-- added to a transaction an earlier database transaction booked: the
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
-- Only reversals are looked up by what they reverse.
CREATE INDEX ledger_txns_reverses ON ledger_txns (reverses) WHERE reverses <> '';

CREATE TABLE ledger_postings (
    txn_id  TEXT COLLATE "C" NOT NULL,
    seq     INTEGER NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    amount  BIGINT  NOT NULL,
    PRIMARY KEY (txn_id, seq)
);

-- (The migration runner splits statements at a semicolon ending a line: a
-- function's body keeps its semicolons inside lines.)
CREATE FUNCTION ledger_txn_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE n BIGINT ; s NUMERIC ; BEGIN
    SELECT COUNT(*), COALESCE(SUM(amount), 0) INTO n, s FROM ledger_postings WHERE txn_id = NEW.id ; IF n < 2 OR s <> 0 THEN
        RAISE EXCEPTION 'ledger: transaction % does not balance (% postings summing to %)', NEW.id, n, s USING ERRCODE = 'check_violation' ; END IF
    ; RETURN NULL ; END $$;

-- A posting added to a transaction booked by an earlier database
-- transaction is refused even when it balances with others added with it.
CREATE FUNCTION ledger_closed() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE bad TEXT ; BEGIN
    SELECT t.id INTO bad FROM new_postings n JOIN ledger_txns t ON t.id = n.txn_id WHERE t.xmin <> pg_current_xact_id()::xid LIMIT 1 ; IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: transaction % already booked: post a reversal', bad USING ERRCODE = 'check_violation' ; END IF
    ; RETURN NULL ; END $$;

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ledger: % is immutable: post a reversal', TG_TABLE_NAME USING ERRCODE = 'check_violation' ; END $$;

CREATE CONSTRAINT TRIGGER ledger_txns_balanced AFTER INSERT ON ledger_txns
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_txn_balanced();

CREATE TRIGGER ledger_postings_closed AFTER INSERT ON ledger_postings
    REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_closed();

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
