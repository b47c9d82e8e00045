-- The latest events, newest first, a keyset page at a time (RecentEvents, the
-- dashboard's requests page): indexes in the listing's own order (time,
-- request id, attempt), so a page reads only the rows it returns. The first
-- replaces usage_events_time: it serves Prune's and ScanEvents' time ranges
-- as well. Tenant and key are many and each a small share of traffic, so
-- they get their own; model and outcome filters walk the time index.
DROP INDEX usage_events_time;
CREATE INDEX usage_events_time_id ON usage_events (time_ns, request_id, attempt);
CREATE INDEX usage_events_tenant_time ON usage_events (tenant, time_ns, request_id, attempt);
CREATE INDEX usage_events_key_time ON usage_events (key_id, time_ns, request_id, attempt);
