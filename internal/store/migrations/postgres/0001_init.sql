-- Text columns sort byte-wise (COLLATE "C"), as in SQLite, whatever the
-- database's default collation. Rollup tables leave room in each page
-- (fillfactor) so that adding to a row is a HOT update, with no index write.

-- Raw usage events: one row per upstream attempt, keyed by (request id, attempt)
-- so that writing an event twice stores it once. Times are Unix nanoseconds and
-- money is int64 nano-dollars, so both backends store and return the same numbers.
CREATE TABLE usage_events (
    request_id         TEXT COLLATE "C" NOT NULL,
    attempt            INTEGER NOT NULL,
    time_ns            BIGINT  NOT NULL,
    tenant             TEXT COLLATE "C" NOT NULL,
    key_id             TEXT COLLATE "C" NOT NULL,
    key_name           TEXT COLLATE "C" NOT NULL,
    model              TEXT COLLATE "C" NOT NULL,
    deployment         TEXT COLLATE "C" NOT NULL,
    provider           TEXT COLLATE "C" NOT NULL,
    op                 TEXT COLLATE "C" NOT NULL,
    stream             INTEGER NOT NULL,
    outcome            INTEGER NOT NULL,
    status             INTEGER NOT NULL,
    prompt_tokens      BIGINT  NOT NULL,
    completion_tokens  BIGINT  NOT NULL,
    cached_tokens      BIGINT  NOT NULL,
    cache_write_tokens BIGINT  NOT NULL,
    reasoning_tokens   BIGINT  NOT NULL,
    source             INTEGER NOT NULL,
    cost_nanos         BIGINT  NOT NULL,
    price_version      TEXT COLLATE "C" NOT NULL,
    unpriced           INTEGER NOT NULL,
    ttft_ns            BIGINT  NOT NULL,
    duration_ns        BIGINT  NOT NULL,
    error              TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (request_id, attempt)
);

-- Prune and Spend's partial hours scan by time.
CREATE INDEX usage_events_time ON usage_events (time_ns);

-- Hourly rollups, kept for ever. bucket is the hour's start in Unix seconds (UTC).
CREATE TABLE usage_hourly (
    bucket          BIGINT  NOT NULL,
    tenant          TEXT COLLATE "C" NOT NULL,
    key_id          TEXT COLLATE "C" NOT NULL,
    key_name        TEXT COLLATE "C" NOT NULL,
    model           TEXT COLLATE "C" NOT NULL,
    deployment      TEXT COLLATE "C" NOT NULL,
    provider        TEXT COLLATE "C" NOT NULL,
    attempts        BIGINT  NOT NULL,
    completed       BIGINT  NOT NULL,
    interrupted     BIGINT  NOT NULL,
    client_aborted  BIGINT  NOT NULL,
    unpriced        BIGINT  NOT NULL,
    rep_prompt      BIGINT  NOT NULL,
    rep_completion  BIGINT  NOT NULL,
    rep_cached      BIGINT  NOT NULL,
    rep_cache_write BIGINT  NOT NULL,
    rep_reasoning   BIGINT  NOT NULL,
    est_prompt      BIGINT  NOT NULL,
    est_completion  BIGINT  NOT NULL,
    est_cached      BIGINT  NOT NULL,
    est_cache_write BIGINT  NOT NULL,
    est_reasoning   BIGINT  NOT NULL,
    cost_reported   BIGINT  NOT NULL,
    cost_estimated  BIGINT  NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, key_name, model, deployment, provider)
) WITH (fillfactor = 70);

-- Daily rollups: the same sums per UTC day, so that a month's report reads
-- thousands of rows, not millions. bucket is the day's start in Unix seconds.
CREATE TABLE usage_daily (
    bucket          BIGINT  NOT NULL,
    tenant          TEXT COLLATE "C" NOT NULL,
    key_id          TEXT COLLATE "C" NOT NULL,
    key_name        TEXT COLLATE "C" NOT NULL,
    model           TEXT COLLATE "C" NOT NULL,
    deployment      TEXT COLLATE "C" NOT NULL,
    provider        TEXT COLLATE "C" NOT NULL,
    attempts        BIGINT  NOT NULL,
    completed       BIGINT  NOT NULL,
    interrupted     BIGINT  NOT NULL,
    client_aborted  BIGINT  NOT NULL,
    unpriced        BIGINT  NOT NULL,
    rep_prompt      BIGINT  NOT NULL,
    rep_completion  BIGINT  NOT NULL,
    rep_cached      BIGINT  NOT NULL,
    rep_cache_write BIGINT  NOT NULL,
    rep_reasoning   BIGINT  NOT NULL,
    est_prompt      BIGINT  NOT NULL,
    est_completion  BIGINT  NOT NULL,
    est_cached      BIGINT  NOT NULL,
    est_cache_write BIGINT  NOT NULL,
    est_reasoning   BIGINT  NOT NULL,
    cost_reported   BIGINT  NOT NULL,
    cost_estimated  BIGINT  NOT NULL,
    PRIMARY KEY (bucket, tenant, key_id, key_name, model, deployment, provider)
) WITH (fillfactor = 70);

-- Price versions seen in config. Immutable: an id always means the same rates.
CREATE TABLE price_versions (
    id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    deployment        TEXT COLLATE "C" NOT NULL,
    effective_from_ns BIGINT  NOT NULL,
    rates             TEXT COLLATE "C" NOT NULL,
    first_seen_ns     BIGINT  NOT NULL
);

-- Small named values. pruned_before_ns: raw events older than this were
-- pruned, so Apply treats an event older than it as already stored rather
-- than count it into the rollups a second time.
CREATE TABLE store_meta (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value BIGINT  NOT NULL
);
