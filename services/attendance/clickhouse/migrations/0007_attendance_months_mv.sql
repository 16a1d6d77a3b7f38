-- Fed on every insert into attendance_days, revisions' cancelling rows included (sign-weighted).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.attendance_months_mv
TO {{db}}.attendance_months
AS SELECT
    toStartOfMonth(day) AS month, province, city, county, project_id, participant_id, team_id, enrolment_id, worker_id,
    sum(toInt64(sign)) AS person_days,
    sum(toInt64(sign) * present) AS days_present,
    sum(toInt64(sign) * leave) AS days_leave,
    sum(toInt64(sign) * working) AS days_working,
    sum(toInt64(sign) * (working * present)) AS days_present_working,
    sum(toInt64(sign) * (working * leave)) AS days_leave_working,
    sum(toInt64(sign) * worked_minutes) AS worked_minutes,
    sum(toInt64(sign) * punches) AS punches
FROM {{db}}.attendance_days
GROUP BY month, province, city, county, project_id, participant_id, team_id, enrolment_id, worker_id
