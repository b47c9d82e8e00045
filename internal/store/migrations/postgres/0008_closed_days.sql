-- Daily rollups are built when a day closes, from its hourly ones, instead of
-- being added to by every batch (a fifth of Apply's time on Postgres): Apply
-- writes hourly rollups only, and the first batch holding an event an hour
-- past a day's end sums that day's hourly rows into usage_daily and
-- usage_daily_key and moves rollup_days_before past it. An event for a day
-- already closed (a late one) is added to all three tables, as before.
-- Reports read days before rollup_days_before from the daily tables and later
-- ones from the hourly table.
--
-- A replica still on the old binary (a rolling upgrade of Postgres replicas)
-- adds every event to usage_daily, which a close then replaces with the sums of
-- the hourly rows; until all replicas run the new binary, its late events miss
-- usage_daily_key, and a close racing one of its batches can miss that batch.
--
-- usage_daily_key: the daily sums per key only (no model, deployment or
-- provider): one row per key and day, where usage_daily has one per model and
-- deployment the key used. A report grouped by key, tenant and day, or by
-- nothing, reads these.
CREATE TABLE usage_daily_key (
    bucket          BIGINT  NOT NULL,
    tenant          TEXT COLLATE "C" NOT NULL,
    key_id          TEXT COLLATE "C" NOT NULL,
    key_name        TEXT COLLATE "C" NOT NULL,
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
    PRIMARY KEY (bucket, tenant, key_id, key_name)
);

-- Until now every day was added to usage_daily as its events came, so every
-- day up to the last one written is complete: those count as closed.
INSERT INTO usage_daily_key
SELECT bucket, tenant, key_id, key_name,
       CAST(SUM(attempts) AS BIGINT), CAST(SUM(completed) AS BIGINT), CAST(SUM(interrupted) AS BIGINT), CAST(SUM(client_aborted) AS BIGINT), CAST(SUM(unpriced) AS BIGINT),
       CAST(SUM(rep_prompt) AS BIGINT), CAST(SUM(rep_completion) AS BIGINT), CAST(SUM(rep_cached) AS BIGINT), CAST(SUM(rep_cache_write) AS BIGINT), CAST(SUM(rep_reasoning) AS BIGINT),
       CAST(SUM(est_prompt) AS BIGINT), CAST(SUM(est_completion) AS BIGINT), CAST(SUM(est_cached) AS BIGINT), CAST(SUM(est_cache_write) AS BIGINT), CAST(SUM(est_reasoning) AS BIGINT),
       CAST(SUM(cost_reported) AS BIGINT), CAST(SUM(cost_estimated) AS BIGINT)
FROM usage_daily GROUP BY bucket, tenant, key_id, key_name;
INSERT INTO store_meta (name, value)
SELECT 'rollup_days_before', COALESCE(MAX(bucket) + 86400, 0) FROM usage_daily;
