-- Tenants and their client keys. Lists, limits and budgets live in doc (JSON
-- text owned by internal/store/tenants.go), so that a new setting needs no
-- migration. Times are Unix nanoseconds, 0 for none.
CREATE TABLE tenants (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL UNIQUE,
    status     TEXT COLLATE "C" NOT NULL,
    plan       TEXT COLLATE "C" NOT NULL,
    doc        TEXT    NOT NULL,
    created_ns BIGINT NOT NULL,
    updated_ns BIGINT NOT NULL
);

-- Keys are kept as HMAC-SHA256 digests (hex) under the pepper, never in clear.
-- prev_digest is the secret a rotation replaced, valid until prev_until_ns.
CREATE TABLE tenant_keys (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    name          TEXT COLLATE "C" NOT NULL,
    prefix        TEXT COLLATE "C" NOT NULL,
    digest        TEXT COLLATE "C" NOT NULL UNIQUE,
    prev_digest   TEXT COLLATE "C" NOT NULL,
    prev_until_ns BIGINT NOT NULL,
    expires_ns    BIGINT NOT NULL,
    revoked_ns    BIGINT NOT NULL,
    last_used_ns  BIGINT NOT NULL,
    doc           TEXT    NOT NULL,
    created_ns    BIGINT NOT NULL,
    updated_ns    BIGINT NOT NULL
);

CREATE INDEX tenant_keys_tenant ON tenant_keys (tenant_id, id);

-- access_version counts writes to tenants and keys: replicas poll it (one
-- row, once a second) and reload their keyring when it moves.
INSERT INTO store_meta (name, value) VALUES ('access_version', 0);
