-- Which day revisions have been written (one +1 row per AttendanceDayFinalised/Revised event), filled
-- by the same insert through 0011's view. The sink looks a batch up here before inserting: a batch
-- delivered again (crash between insert and checkpoint) is skipped instead of counted twice in the
-- roll-ups (18.16 deduplicates inserts only into replicated tables). Never collapsed, unlike attendance_days.
CREATE TABLE IF NOT EXISTS {{db}}.attendance_days_written
(
    day Date,
    project_id String,
    enrolment_id String,
    revision UInt32
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, enrolment_id, day, revision)
