-- Monthly roll-up per enrolment (a worker in a team of a unit on a project), with its county, city and
-- province: the province, city, county, project, unit and team reports are GROUP BYs over it, and distinct
-- worker counts stay exact (sums at team grain could not tell one worker from two). Summed values are
-- sign-weighted (Int64), so a revision's cancelling row takes the old values out; rows summing to zero go.
-- Sorted by month and project: one project's team sheet is a range; a province month is a partition.
CREATE TABLE IF NOT EXISTS {{db}}.attendance_months
(
    month Date,
    province String,
    city String,
    county String,
    project_id String,
    participant_id String,
    team_id String,
    enrolment_id String,
    worker_id String,
    person_days Int64,
    days_present Int64,
    days_leave Int64,
    days_working Int64,
    days_present_working Int64,
    days_leave_working Int64,
    worked_minutes Int64,
    punches Int64
)
ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(month)
ORDER BY (month, project_id, team_id, enrolment_id, worker_id, participant_id, county, city, province)
