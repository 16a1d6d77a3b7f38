-- Monthly roll-up per key post and key person (到岗率): one row per post a worker held on a day, so a
-- region's presence rates read a few thousand rows. Sign-weighted like attendance_months.
CREATE TABLE IF NOT EXISTS {{db}}.attendance_key_posts
(
    month Date,
    province String,
    city String,
    county String,
    project_id String,
    key_post String,
    enrolment_id String,
    worker_id String,
    participant_id String,
    team_id String,
    days_working Int64,
    days_present Int64,
    days_present_working Int64,
    days_leave_working Int64
)
ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(month)
ORDER BY (month, county, project_id, key_post, enrolment_id, worker_id, participant_id, team_id, city, province)
