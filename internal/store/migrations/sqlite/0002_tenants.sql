-- Tenants and their client keys. Lists, limits and budgets live in doc (JSON
-- text owned by internal/store/tenants.go), so that a new setting needs no
-- migration. Times are Unix nanoseconds, 0 for none.
CREATE TABLE tenants (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL,
    plan       TEXT NOT NULL,
    doc        TEXT    NOT NULL,
    created_ns INTEGER NOT NULL,
    updated_ns INTEGER NOT NULL
);

-- Keys are kept as HMAC-SHA256 digests (hex) under the pepper, never in clear.
-- prev_digest is the secret a rotation replaced, valid until prev_until_ns.
CREATE TABLE tenant_keys (
    id            TEXT NOT NULL PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    digest        TEXT NOT NULL UNIQUE,
    prev_digest   TEXT NOT NULL,
    prev_until_ns INTEGER NOT NULL,
    expires_ns    INTEGER NOT NULL,
    revoked_ns    INTEGER NOT NULL,
    last_used_ns  INTEGER NOT NULL,
    doc           TEXT    NOT NULL,
    created_ns    INTEGER NOT NULL,
    updated_ns    INTEGER NOT NULL
);

CREATE INDEX tenant_keys_tenant ON tenant_keys (tenant_id, id);

-- access_version counts writes to tenants and keys: replicas poll it (one
-- row, once a second) and reload their keyring when it moves.
INSERT INTO store_meta (name, value) VALUES ('access_version', 0);
