-- Daily punches per region and project for province-wide dashboards; fed by the raw table.
-- SummingMergeTree adds up rows with the same key; read with sum() ... GROUP BY.
-- Note: a row re-inserted into punches (at-least-once delivery) is counted twice here until the
-- duplicate is merged away in punches; exact figures come from punches FINAL.
CREATE TABLE IF NOT EXISTS {{db}}.punches_daily_by_region
(
    region String,
    project_id String,
    day Date,
    punches UInt64
)
ENGINE = SummingMergeTree(punches)
PARTITION BY toYYYYMM(day)
ORDER BY (region, project_id, day)
