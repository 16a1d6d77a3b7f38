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
];
