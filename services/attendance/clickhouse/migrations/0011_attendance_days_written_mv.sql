CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.attendance_days_written_mv
TO {{db}}.attendance_days_written
AS SELECT day, project_id, enrolment_id, revision FROM {{db}}.attendance_days WHERE sign = 1
