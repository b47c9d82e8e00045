-- Commitment versions seen in config: a version is the hash of a contract's
-- terms (commit.Terms.Version), so a changed contract is a new row and the
-- books can tell which terms were in force when. Rows are never updated.
CREATE TABLE commitment_versions (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    terms         TEXT    NOT NULL,
    first_seen_ns INTEGER NOT NULL
);
CREATE INDEX commitment_versions_name ON commitment_versions (name, first_seen_ns);
