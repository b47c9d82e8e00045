-- The latest events, newest first, a keyset page at a time (RecentEvents, the
-- dashboard's requests page): an index in the listing's own order (time,
-- request id, attempt), and the same led by tenant, so a page, filtered by
-- tenant or not, reads only the rows it returns. The first replaces
-- usage_events_time: it serves Prune's and ScanEvents' time ranges as well.
-- Key, model and outcome filters walk these indexes: a key index was
-- measured to double Apply's CPU (1,000 keys' inserts land all over it).
DROP INDEX usage_events_time;
CREATE INDEX usage_events_time_id ON usage_events (time_ns, request_id, attempt);
CREATE INDEX usage_events_tenant_time ON usage_events (tenant, time_ns, request_id, attempt);
