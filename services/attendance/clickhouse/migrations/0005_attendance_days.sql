-- Person-days: every revision of every worker's attendance day on a project. A revision writes the
-- cancelling row of the previous revision (sign -1, its values) and its own (sign +1), so sign-weighted
-- sums are exact before and after merges; merges drop cancelled pairs (VersionedCollapsingMergeTree
-- pairs them by revision, whatever order they arrive in). Read with sum(sign * x) ... HAVING sum(sign) > 0.
-- Sorted by project and day: one project's month is one contiguous range (team sheet, day-level reads).
-- 18.16: status as Enum8 (LowCardinality is experimental there); key_posts as Array(String).
CREATE TABLE IF NOT EXISTS {{db}}.attendance_days
(
    day Date,
    province String,
    city String,
    county String,
    project_id String,
    participant_id String,
    team_id String,
    enrolment_id String,
    worker_id String,
    status Enum8('present' = 1, 'incomplete' = 2, 'absent' = 3, 'leave' = 4, 'rest' = 5),
    working UInt8,
    present UInt8,
    leave UInt8,
    worked_minutes UInt32,
    punches UInt32,
    key_posts Array(String),
    revision UInt32,
    sign Int8
)
ENGINE = VersionedCollapsingMergeTree(sign, revision)
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, enrolment_id)
