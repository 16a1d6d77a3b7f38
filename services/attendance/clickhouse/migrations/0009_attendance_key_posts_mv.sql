-- Days of workers holding no key post are left out by the ARRAY JOIN (an empty array gives no row).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.attendance_key_posts_mv
TO {{db}}.attendance_key_posts
AS SELECT
    toStartOfMonth(day) AS month, province, city, county, project_id, key_post, enrolment_id, worker_id, participant_id, team_id,
    sum(toInt64(sign) * working) AS days_working,
    sum(toInt64(sign) * present) AS days_present,
    sum(toInt64(sign) * (working * present)) AS days_present_working,
    sum(toInt64(sign) * (working * leave)) AS days_leave_working
FROM {{db}}.attendance_days
ARRAY JOIN key_posts AS key_post
GROUP BY month, province, city, county, project_id, key_post, enrolment_id, worker_id, participant_id, team_id
