-- The latest events, newest first, filtered by tenant, key or model
-- (RecentEvents, the dashboard's requests page): one index per filter led by
-- its column, then time, so a filtered page reads only the rows it returns.
-- The unfiltered listing uses usage_events_time from 0001.
CREATE INDEX usage_events_tenant_time ON usage_events (tenant, time_ns);
CREATE INDEX usage_events_key_time ON usage_events (key_id, time_ns);
CREATE INDEX usage_events_model_time ON usage_events (model, time_ns);
