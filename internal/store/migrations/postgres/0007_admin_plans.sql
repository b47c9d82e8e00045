-- Plans and plan assignments made through the admin API, as the documents the
-- API accepted, replayed through the same checks at start-up: they outlive a
-- restart and reach every replica that starts after them. A plan is one row
-- by name (posting it again replaces it: versions are appended that way); an
-- assignment is one row each, in the order they were made (seq).
CREATE TABLE admin_plan_docs (
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    doc        TEXT    NOT NULL,
    seq        BIGINT  NOT NULL,
    PRIMARY KEY (kind, name)
);
