-- Commitment versions seen in config: a version is the hash of a contract's
-- terms (commit.Terms.Version), so a changed contract is a new row and the
-- books can tell which terms were in force when. Rows are never updated.
CREATE TABLE commitment_versions (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL,
    terms         TEXT COLLATE "C" NOT NULL,
    first_seen_ns BIGINT NOT NULL
);
CREATE INDEX commitment_versions_name ON commitment_versions (name, first_seen_ns);
