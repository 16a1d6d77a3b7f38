import { eventStoreMigrations, Migration } from '@realname/eventstore';

export const attendanceMigrations: Migration[] = [
  ...eventStoreMigrations,
  {
    id: '0101_punch_read_model',
    sql: `
      -- One row per punch accepted into attendance; the API reads from here.
      CREATE TABLE {{schema}}.punches (
        punch_event_id uuid PRIMARY KEY,
        attendance_event_id uuid NOT NULL UNIQUE,
        project_id text NOT NULL,
        person_id text NOT NULL,
        day date NOT NULL,
        punched_at timestamptz NOT NULL,
        direction text NOT NULL,
        device_id text NOT NULL,
        device_record_id text NOT NULL,
        verify_mode text NOT NULL,
        received_at timestamptz NOT NULL,
        region text NOT NULL,
        global_position bigint NOT NULL
      );
      CREATE INDEX punches_project_day ON {{schema}}.punches (project_id, day, punched_at, punch_event_id);
      -- Punches per project, person and day.
      CREATE TABLE {{schema}}.person_days (
        project_id text NOT NULL,
        day date NOT NULL,
        person_id text NOT NULL,
        punches integer NOT NULL,
        first_punch_at timestamptz NOT NULL,
        last_punch_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, day, person_id)
      );
    `,
  },
  {
    id: '0102_enrolments_and_resolution',
    sql: `
      -- Attendance's own copy of the registry's enrolments (registry.enrolments.v1), to tell who punched.
      -- Columns other than the ids are nullable: an entry or exit that arrives before its enrolment
      -- (it should not, but a replay may) leaves a partial row that WorkerEnrolled completes.
      CREATE TABLE {{schema}}.enrolments (
        enrolment_id text PRIMARY KEY,
        project_id text NOT NULL,
        worker_id text NOT NULL,
        name text,
        masked_id_number text,
        team_id text,
        team_name text,
        participant_id text,
        credit_code text,
        corp_name text,
        work_type text,
        work_role text,
        is_team_leader boolean,
        -- The device credentials that identify the worker at this project's gates.
        person_id text,
        card_number text,
        entered_on date,
        exited_on date,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX enrolments_person ON {{schema}}.enrolments (project_id, person_id);
      CREATE INDEX enrolments_card ON {{schema}}.enrolments (project_id, card_number) WHERE card_number IS NOT NULL;

      -- Who each punch belongs to. Punches recorded before this migration read as unresolved
      -- 'recorded-before-resolution' (the AttendanceRecorded v1 upcaster says the same).
      ALTER TABLE {{schema}}.punches
        ADD COLUMN resolution_status text NOT NULL DEFAULT 'unresolved',
        ADD COLUMN unresolved_reason text DEFAULT 'recorded-before-resolution',
        ADD COLUMN enrolment_id text,
        ADD COLUMN worker_id text,
        ADD COLUMN worker_name text,
        ADD COLUMN masked_id_number text,
        ADD COLUMN team_id text,
        ADD COLUMN team_name text,
        ADD COLUMN participant_id text,
        ADD COLUMN corp_name text,
        ADD COLUMN work_type text,
        ADD COLUMN resolved_at timestamptz;
      ALTER TABLE {{schema}}.punches ALTER COLUMN resolution_status DROP DEFAULT,
        ALTER COLUMN unresolved_reason DROP DEFAULT;
      -- Late resolution finds a project's unresolved punches by the device's person id and day; the
      -- unresolved-punches gauge counts them by reason from this index alone.
      CREATE INDEX punches_unresolved ON {{schema}}.punches (project_id, person_id, day) INCLUDE (unresolved_reason)
        WHERE resolution_status = 'unresolved';
    `,
  },
  {
    id: '0103_masks_without_area_and_birth_date',
    sql: `
      -- ID masks keep the first 4 and last 4 characters (3301**********1234), hiding the county and the
      -- birth date (issue 10). The copies taken from the registry's events are brought to the new mask;
      -- so are the stored events (positions unchanged, nothing is published again). Events still on
      -- Kafka in the old mask are re-masked by the contracts when read.
      UPDATE {{schema}}.enrolments
         SET masked_id_number = left(masked_id_number, 4) || repeat('*', length(masked_id_number) - 8) || right(masked_id_number, 4)
       WHERE length(masked_id_number) > 10 AND substr(masked_id_number, 5, 1) <> '*';
      UPDATE {{schema}}.punches
         SET masked_id_number = left(masked_id_number, 4) || repeat('*', length(masked_id_number) - 8) || right(masked_id_number, 4)
       WHERE length(masked_id_number) > 10 AND substr(masked_id_number, 5, 1) <> '*';
      UPDATE {{schema}}.events
         SET data = regexp_replace(data::text, '([0-9]{4})[0-9]{2}[*]{8}([0-9]{3}[0-9X])', '\\1**********\\2', 'g')::jsonb
       WHERE data::text ~ '[0-9]{6}[*]{8}';
    `,
  },
  {
    id: '0104_projects_key_persons_timesheets',
    sql: `
      -- The projects attendance hears of (registry.projects.v1): the region whose calendar and rules apply.
      CREATE TABLE {{schema}}.projects (
        project_id text PRIMARY KEY,
        region text NOT NULL,
        name text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Who holds each key post of each participating unit (registry KeyPersonAppointed); id_hash links the
      -- key person to their enrolment's punches.
      CREATE TABLE {{schema}}.key_persons (
        project_id text NOT NULL,
        participant_id text NOT NULL,
        post text NOT NULL,
        id_hash text NOT NULL,
        name text NOT NULL,
        masked_id_number text NOT NULL,
        since timestamptz NOT NULL,
        PRIMARY KEY (project_id, participant_id, post)
      );
      -- The keyed hash of the worker's ID number, as the registry's events carry it.
      ALTER TABLE {{schema}}.enrolments ADD COLUMN id_hash text;
      CREATE INDEX enrolments_id_hash ON {{schema}}.enrolments (id_hash) WHERE id_hash IS NOT NULL;
      CREATE INDEX enrolments_project ON {{schema}}.enrolments (project_id, team_id);
      CREATE INDEX punches_enrolment ON {{schema}}.punches (enrolment_id, punched_at) WHERE enrolment_id IS NOT NULL;

      -- The latest revision of every finalised attendance day (AttendanceDayFinalised / Revised).
      CREATE TABLE {{schema}}.timesheet_days (
        project_id text NOT NULL,
        enrolment_id text NOT NULL,
        day date NOT NULL,
        region text NOT NULL,
        worker_id text NOT NULL,
        team_id text NOT NULL,
        participant_id text NOT NULL,
        revision integer NOT NULL,
        status text NOT NULL,
        working boolean NOT NULL,
        calendar_kind text NOT NULL,
        intervals jsonb NOT NULL,
        first_in timestamptz,
        last_out timestamptz,
        worked_minutes integer NOT NULL,
        punches integer NOT NULL,
        corrections jsonb NOT NULL,
        cause text NOT NULL,
        key_posts text[] NOT NULL DEFAULT '{}',
        finalised_at timestamptz NOT NULL,
        revised_at timestamptz NOT NULL,
        -- The whole day as published (AttendanceDay); the columns above are what queries filter and sum.
        document jsonb,
        PRIMARY KEY (project_id, enrolment_id, day)
      );
      CREATE INDEX timesheet_days_team ON {{schema}}.timesheet_days (project_id, team_id, day);
      CREATE INDEX timesheet_days_region ON {{schema}}.timesheet_days (region text_pattern_ops, day);
      CREATE INDEX timesheet_days_worker ON {{schema}}.timesheet_days (worker_id, day);

      -- Days to decide again: a new or resolved punch, a correction, a decision, an exit. Taken by the
      -- finaliser once the day is due (its boundary plus the grace period have passed).
      CREATE TABLE {{schema}}.timesheet_pending (
        project_id text NOT NULL,
        enrolment_id text NOT NULL,
        day date NOT NULL,
        cause text NOT NULL,
        since timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, enrolment_id, day)
      );
      CREATE INDEX timesheet_pending_day ON {{schema}}.timesheet_pending (day);
      -- Up to which day every entered day of an enrolment has been put on the pending list (absent days too).
      CREATE TABLE {{schema}}.timesheet_watermarks (
        enrolment_id text PRIMARY KEY,
        seeded_through date NOT NULL
      );

      -- Corrections and leave asked for by site managers, with their decision (the events are in the day's stream).
      CREATE TABLE {{schema}}.timesheet_corrections (
        correction_id text PRIMARY KEY,
        project_id text NOT NULL,
        region text NOT NULL,
        enrolment_id text NOT NULL,
        worker_id text NOT NULL,
        day date NOT NULL,
        kind text NOT NULL,
        at timestamptz,
        reason text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        status text NOT NULL,
        decided_by text,
        decided_at timestamptz,
        decision_note text
      );
      CREATE INDEX timesheet_corrections_day ON {{schema}}.timesheet_corrections (project_id, enrolment_id, day);
      CREATE INDEX timesheet_corrections_pending ON {{schema}}.timesheet_corrections (region text_pattern_ops)
        WHERE status = 'pending';
    `,
  },
  {
    id: '0105_payroll',
    sql: `
      -- Wage terms entered per team (worker_id '') or per worker (overriding the team's), from a month on.
      CREATE TABLE {{schema}}.payroll_wage_terms (
        project_id text NOT NULL,
        team_id text NOT NULL,
        worker_id text NOT NULL,
        effective_from text NOT NULL,
        basis text NOT NULL CHECK (basis IN ('daily', 'hourly', 'piece')),
        rate_fen bigint NOT NULL CHECK (rate_fen > 0),
        set_by text NOT NULL,
        set_role text NOT NULL,
        set_scope text NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, team_id, worker_id, effective_from)
      );
      -- Pieces done per worker and month (hundredths, so that m² with 2 decimals stay exact).
      CREATE TABLE {{schema}}.payroll_piecework (
        project_id text NOT NULL,
        team_id text NOT NULL,
        worker_id text NOT NULL,
        month text NOT NULL,
        pieces_hundredths bigint NOT NULL CHECK (pieces_hundredths >= 0),
        set_by text NOT NULL,
        set_role text NOT NULL,
        set_scope text NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, team_id, worker_id, month)
      );
      -- One import (API or file) and who made it.
      CREATE TABLE {{schema}}.payroll_imports (
        import_id uuid PRIMARY KEY,
        project_id text NOT NULL,
        source text NOT NULL,
        received integer NOT NULL,
        stored integer NOT NULL,
        already_recorded integer NOT NULL,
        imported_by text NOT NULL,
        imported_role text NOT NULL,
        imported_scope text NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now()
      );
      -- Payments; the bank reference only masked and hashed: worker, month and hash make a payment once.
      CREATE TABLE {{schema}}.payroll_records (
        record_id uuid PRIMARY KEY,
        import_id uuid NOT NULL REFERENCES {{schema}}.payroll_imports (import_id),
        project_id text NOT NULL,
        team_id text NOT NULL,
        enrolment_id text NOT NULL,
        worker_id text NOT NULL,
        month text NOT NULL,
        amount_paid_fen bigint NOT NULL CHECK (amount_paid_fen > 0),
        paid_on date NOT NULL,
        bank_reference_masked text NOT NULL,
        bank_reference_hash text NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (project_id, worker_id, month, bank_reference_hash)
      );
      CREATE INDEX payroll_records_team_month ON {{schema}}.payroll_records (project_id, team_id, month);
      CREATE INDEX payroll_records_imported ON {{schema}}.payroll_records (imported_at);
      -- Reconciliation findings, open or cleared (the events are in payroll-<projectId>-<teamId>-<month>).
      CREATE TABLE {{schema}}.payroll_findings (
        finding_id text PRIMARY KEY,
        kind text NOT NULL,
        project_id text NOT NULL,
        region text NOT NULL,
        team_id text NOT NULL,
        participant_id text NOT NULL,
        month text NOT NULL,
        enrolment_id text,
        worker_id text,
        open boolean NOT NULL,
        detail text NOT NULL,
        fingerprint text NOT NULL,
        days_present integer NOT NULL,
        worked_minutes integer NOT NULL,
        amount_due_fen bigint,
        amount_paid_fen bigint,
        minimum_fen bigint,
        raised_at timestamptz NOT NULL,
        cleared_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX payroll_findings_team_month ON {{schema}}.payroll_findings (project_id, team_id, month);
      CREATE INDEX payroll_findings_project_month ON {{schema}}.payroll_findings (project_id, month);
      -- Up to when the reconciliation timer has looked at attendance revisions and deadlines.
      CREATE TABLE {{schema}}.payroll_reconciliation_marks (
        name text PRIMARY KEY,
        checked_until timestamptz NOT NULL
      );
      -- The timer finds the team-months whose attendance was revised since it last looked.
      CREATE INDEX timesheet_days_revised ON {{schema}}.timesheet_days (revised_at);
    `,
  },
];
