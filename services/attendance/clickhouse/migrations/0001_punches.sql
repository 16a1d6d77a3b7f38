-- Attendance facts, one row per accepted punch. Idempotent on event_id: a re-inserted row has the same
-- sorting key and is collapsed by ReplacingMergeTree; queries read with FINAL.
-- Runs on ClickHouse 18.16 (Debian) and current releases: no DateTime64, no LowCardinality.
CREATE TABLE IF NOT EXISTS {{db}}.punches
(
    event_id String,
    punch_event_id String,
    region String,
    project_id String,
    person_id String,
    day Date,
    punched_at DateTime('UTC'),
    direction String,
    device_id String,
    device_record_id String,
    verify_mode String,
    received_at DateTime('UTC'),
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, person_id, event_id)
