-- Raw usage events: one row per upstream attempt, keyed by (request id, attempt)
-- so that writing an event twice stores it once. Times are Unix nanoseconds and
-- money is int64 nano-dollars, so both backends store and return the same numbers.
CREATE TABLE usage_events (
    request_id         TEXT    NOT NULL,
    attempt            INTEGER NOT NULL,
    time_ns            INTEGER NOT NULL,
    tenant             TEXT    NOT NULL,
    key_id             TEXT    NOT NULL,
    key_name           TEXT    NOT NULL,
    model              TEXT    NOT NULL,
    deployment         TEXT    NOT NULL,
    provider           TEXT    NOT NULL,
    op                 TEXT    NOT NULL,
    stream             INTEGER NOT NULL,
    outcome            INTEGER NOT NULL,
    status             INTEGER NOT NULL,
    prompt_tokens      INTEGER NOT NULL,
    completion_tokens  INTEGER NOT NULL,
    cached_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    source             INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    price_version      TEXT    NOT NULL,
    unpriced           INTEGER NOT NULL,
    ttft_ns            INTEGER NOT NULL,
    duration_ns        INTEGER NOT NULL,
    error              TEXT    NOT NULL,
    PRIMARY KEY (request_id, attempt)
);

-- Prune and Spend's partial hours scan by time.
CREATE INDEX usage_events_time ON usage_events (time_ns);

-- Hourly rollups, kept for ever. bucket is the hour's start in Unix seconds (UTC).
CREATE TABLE usage_hourly (
    bucket          INTEGER NOT NULL,
    tenant          TEXT    NOT NULL,
    key_id          TEXT    NOT NULL,
    key_name        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    deployment      TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    completed       INTEGER NOT NULL,
    interrupted     INTEGER NOT NULL,
    client_aborted  INTEGER NOT NULL,
    unpriced        INTEGER NOT NULL,
    rep_prompt      INTEGER NOT NULL,
    rep_completion  INTEGER NOT NULL,
    rep_cached      INTEGER NOT NULL,
    rep_cache_write INTEGER NOT NULL,
    rep_reasoning   INTEGER NOT NULL,
    est_prompt      INTEGER NOT NULL,
    est_completion  INTEGER NOT NULL,
    est_cached      INTEGER NOT NULL,
    est_cache_write INTEGER NOT NULL,
    est_reasoning   INTEGER NOT NULL,
    cost_reported   INTEGER NOT NULL,
    cost_estimated  INTEGER NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, key_name, model, deployment, provider)
) WITHOUT ROWID;

-- Daily rollups: the same sums per UTC day, so that a month's report reads
-- thousands of rows, not millions. bucket is the day's start in Unix seconds.
CREATE TABLE usage_daily (
    bucket          INTEGER NOT NULL,
    tenant          TEXT    NOT NULL,
    key_id          TEXT    NOT NULL,
    key_name        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    deployment      TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    completed       INTEGER NOT NULL,
    interrupted     INTEGER NOT NULL,
    client_aborted  INTEGER NOT NULL,
    unpriced        INTEGER NOT NULL,
    rep_prompt      INTEGER NOT NULL,
    rep_completion  INTEGER NOT NULL,
    rep_cached      INTEGER NOT NULL,
    rep_cache_write INTEGER NOT NULL,
    rep_reasoning   INTEGER NOT NULL,
    est_prompt      INTEGER NOT NULL,
    est_completion  INTEGER NOT NULL,
    est_cached      INTEGER NOT NULL,
    est_cache_write INTEGER NOT NULL,
    est_reasoning   INTEGER NOT NULL,
    cost_reported   INTEGER NOT NULL,
    cost_estimated  INTEGER NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, key_name, model, deployment, provider)
) WITHOUT ROWID;

-- Price versions seen in config. Immutable: an id always means the same rates.
CREATE TABLE price_versions (
    id                TEXT    NOT NULL PRIMARY KEY,
    deployment        TEXT    NOT NULL,
    effective_from_ns INTEGER NOT NULL,
    rates             TEXT    NOT NULL,
    first_seen_ns     INTEGER NOT NULL
);

-- Small named values. pruned_before_ns: raw events older than this were
-- pruned, so Apply treats an event older than it as already stored rather
-- than count it into the rollups a second time.
CREATE TABLE store_meta (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);
