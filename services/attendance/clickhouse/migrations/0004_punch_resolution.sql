-- Who each punch belongs to, as resolved when attendance recorded it (AttendanceRecorded v2). Rows of v1
-- events read as unresolved 'recorded-before-resolution'. A later re-resolution (PunchResolved) is not
-- written here; the PostgreSQL read model and the APIs have the current resolution.
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: this runs once, guarded by schema_migrations (and a
-- replica that loses the race sees "already exists", which migrateClickHouse takes as applied).
-- 18.16 does not fill DEFAULTs of fields omitted in JSONEachRow inserts: the sink sends every column.
ALTER TABLE {{db}}.punches
    ADD COLUMN resolution_status String DEFAULT 'unresolved',
    ADD COLUMN unresolved_reason String DEFAULT 'recorded-before-resolution',
    ADD COLUMN enrolment_id String DEFAULT '',
    ADD COLUMN worker_id String DEFAULT '',
    ADD COLUMN worker_name String DEFAULT '',
    ADD COLUMN team_id String DEFAULT '',
    ADD COLUMN team_name String DEFAULT '',
    ADD COLUMN participant_id String DEFAULT '',
    ADD COLUMN corp_name String DEFAULT '',
    ADD COLUMN work_type String DEFAULT ''
