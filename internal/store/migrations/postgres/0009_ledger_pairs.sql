-- A transaction of exactly two postings, (account, amount) and
-- (contra_account, -amount), is stored in its header row alone: it balances
-- by construction, so the database need not queue a deferred check per row
-- that re-reads postings, and booking it writes one row, not three. Every
-- transaction the gateway derives (revenue, cost and their reversals) is
-- such a pair; any other shape keeps its postings in ledger_postings,
-- checked at commit as before.
--
-- amount 0 means "postings in ledger_postings" (a posting is never zero).
-- The CHECK refuses a half-written pair; -2^63 has no negation in int64.
ALTER TABLE ledger_txns ADD COLUMN account TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE ledger_txns ADD COLUMN contra_account TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE ledger_txns ADD COLUMN amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ledger_txns ADD CONSTRAINT ledger_pair_balanced CHECK ((amount = 0 AND account = '' AND contra_account = '')
    OR (amount <> 0 AND amount <> -9223372036854775808 AND account <> '' AND contra_account <> ''));

-- The deferred balance check is queued only for headers without their own
-- pair.
DROP TRIGGER ledger_txns_balanced ON ledger_txns;
CREATE CONSTRAINT TRIGGER ledger_txns_balanced AFTER INSERT ON ledger_txns
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.amount = 0) EXECUTE FUNCTION ledger_txn_balanced();

-- A pair has no postings in ledger_postings, whichever is written first:
-- postings for a pair header are refused (with those for a header booked
-- by an earlier database transaction), and so is a pair header whose id
-- already has postings. Both checks run once per statement.
CREATE OR REPLACE FUNCTION ledger_closed() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE bad TEXT ; BEGIN
    SELECT t.id INTO bad FROM new_postings n JOIN ledger_txns t ON t.id = n.txn_id WHERE t.xmin <> pg_current_xact_id()::xid OR t.amount <> 0 LIMIT 1 ; IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: transaction % already booked: post a reversal', bad USING ERRCODE = 'check_violation' ; END IF
    ; RETURN NULL ; END $$;

CREATE FUNCTION ledger_pair_alone() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE bad TEXT ; BEGIN
    SELECT n.id INTO bad FROM new_txns n WHERE n.amount <> 0 AND EXISTS (SELECT 1 FROM ledger_postings p WHERE p.txn_id = n.id) LIMIT 1 ; IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: transaction % has postings besides its pair', bad USING ERRCODE = 'check_violation' ; END IF
    ; RETURN NULL ; END $$;

CREATE TRIGGER ledger_txns_pair_alone AFTER INSERT ON ledger_txns
    REFERENCING NEW TABLE AS new_txns FOR EACH STATEMENT EXECUTE FUNCTION ledger_pair_alone();
