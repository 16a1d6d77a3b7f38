CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.punches_daily_by_region_mv
TO {{db}}.punches_daily_by_region
AS SELECT region, project_id, day, toUInt64(count()) AS punches
FROM {{db}}.punches
GROUP BY region, project_id, day
