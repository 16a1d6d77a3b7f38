import { eventStoreMigrations, keyedStreamIdSql, Migration } from '@realname/eventstore';

export const registryMigrations: Migration[] = [
  ...eventStoreMigrations,
  {
    id: '0101_integrity_read_models',
    sql: `
      -- Mirrors of what the integrity platform shares (read-only here), plus local additions.
      CREATE TABLE {{schema}}.enterprises (
        credit_code text PRIMARY KEY,
        name text NOT NULL,
        registration_type text,
        legal_representative text,
        region text,
        synced_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE {{schema}}.projects (
        project_id text PRIMARY KEY,
        name text NOT NULL,
        region text NOT NULL,
        category text NOT NULL,
        status text NOT NULL,
        address text NOT NULL,
        general_contractor_code text NOT NULL,
        construction_owner_code text NOT NULL,
        -- Locally owned fields (not shared by the integrity platform).
        site_contact_phone text,
        remark text,
        synced_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX projects_region ON {{schema}}.projects (region, project_id);
      CREATE TABLE {{schema}}.participants (
        project_id text NOT NULL,
        credit_code text NOT NULL,
        corp_name text NOT NULL,
        unit_type text NOT NULL,
        entry_date date,
        exit_date date,
        PRIMARY KEY (project_id, credit_code)
      );
      -- Key personnel: 'integrity' rows as registered there, 'local' rows as assigned on site.
      CREATE TABLE {{schema}}.key_persons (
        project_id text NOT NULL,
        credit_code text NOT NULL,
        post text NOT NULL,
        source text NOT NULL CHECK (source IN ('integrity', 'local')),
        name text NOT NULL,
        id_hash text NOT NULL,
        id_encrypted text NOT NULL,
        masked_id text NOT NULL,
        registration_category text,
        certificate_number text,
        PRIMARY KEY (project_id, credit_code, post, source)
      );
      CREATE TABLE {{schema}}.key_person_mismatches (
        project_id text NOT NULL,
        credit_code text NOT NULL,
        post text NOT NULL,
        reason text NOT NULL,
        detail text NOT NULL,
        since timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, credit_code, post)
      );
      -- Where the change feed was read up to; moved in the same transaction as the changes it covers.
      CREATE TABLE {{schema}}.integrity_sync (
        feed text PRIMARY KEY,
        cursor text NOT NULL,
        last_seq bigint NOT NULL DEFAULT 0,
        changes_applied bigint NOT NULL DEFAULT 0,
        last_success_at timestamptz,
        last_error text,
        last_error_at timestamptz
      );
    `,
  },
  {
    id: '0102_workers_and_enrolments',
    sql: `
      CREATE TABLE {{schema}}.teams (
        team_id text PRIMARY KEY,
        project_id text NOT NULL,
        name text NOT NULL,
        participant_id text NOT NULL,
        UNIQUE (project_id, name)
      );
      -- Workers: identity from the ID card. The number is stored encrypted, found by keyed hash.
      CREATE TABLE {{schema}}.workers (
        worker_id text PRIMARY KEY,
        id_hash text NOT NULL UNIQUE,
        id_encrypted text NOT NULL,
        masked_id text NOT NULL,
        name text NOT NULL,
        gender text NOT NULL,
        birth_date date NOT NULL,
        nation text NOT NULL,
        address text NOT NULL,
        issuing_authority text NOT NULL,
        id_valid_from date,
        id_valid_to text,
        phone_encrypted text,
        masked_phone text,
        education text,
        politics text,
        head_photo bytea,
        blacklisted boolean NOT NULL DEFAULT false,
        blacklist_reason text,
        updated_on date NOT NULL DEFAULT current_date
      );
      CREATE TABLE {{schema}}.enrolments (
        enrolment_id text PRIMARY KEY,
        project_id text NOT NULL,
        worker_id text NOT NULL,
        team_id text NOT NULL,
        participant_id text NOT NULL,
        work_type text NOT NULL,
        work_role text NOT NULL,
        is_team_leader boolean NOT NULL,
        person_id text NOT NULL,
        card_number text,
        status text NOT NULL,
        entered_on date,
        exited_on date,
        contract_signed boolean NOT NULL DEFAULT false,
        safety_trained boolean NOT NULL DEFAULT false,
        -- One role per ID card per project.
        UNIQUE (project_id, worker_id),
        UNIQUE (project_id, person_id)
      );
      CREATE INDEX enrolments_team ON {{schema}}.enrolments (project_id, team_id);
      -- Device PINs handed out per project.
      CREATE TABLE {{schema}}.person_id_counters (project_id text PRIMARY KEY, last_pin integer NOT NULL);
      -- Every unmasked read of a personal number.
      CREATE TABLE {{schema}}.identity_reveals (
        reveal_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        worker_id text NOT NULL,
        caller text NOT NULL,
        purpose text NOT NULL,
        revealed_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: '0103_wage_cards_trainings_local_enterprises',
    sql: `
      -- The wage card the worker is paid on for this project: encrypted, hashed for lookup, masked.
      ALTER TABLE {{schema}}.enrolments
        ADD COLUMN wage_card_encrypted text,
        ADD COLUMN wage_card_hash text,
        ADD COLUMN wage_card_masked text,
        ADD COLUMN wage_bank_code text;
      -- Training sessions of a project and who attended them.
      CREATE TABLE {{schema}}.trainings (
        training_id text PRIMARY KEY,
        project_id text NOT NULL,
        name text NOT NULL,
        type_code text NOT NULL,
        training_date date NOT NULL,
        duration_hours numeric,
        trainer text
      );
      CREATE TABLE {{schema}}.training_attendees (
        training_id text NOT NULL REFERENCES {{schema}}.trainings (training_id),
        enrolment_id text NOT NULL,
        passed boolean NOT NULL,
        score numeric,
        PRIMARY KEY (training_id, enrolment_id)
      );
      -- Enterprises registered here (not shared by the integrity platform), and the audit of every
      -- credit code admitted although it fails the GB 32100 check.
      ALTER TABLE {{schema}}.enterprises ADD COLUMN source text NOT NULL DEFAULT 'integrity';
      CREATE TABLE {{schema}}.credit_code_overrides (
        credit_code text PRIMARY KEY,
        reason text NOT NULL,
        caller text NOT NULL,
        admitted_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: '0104_streams_keyed_by_their_uniqueness_rule',
    sql: `
      -- Worker streams were named by a fresh worker id, enrolment streams by a fresh enrolment id, so
      -- their deciders could not see an earlier registration or enrolment. Move each to the id its rule
      -- derives (keyed hash of the ID number; project and worker): see docs/adr/0012. The events, their
      -- positions and transaction ids stay as they are, so nothing is published again.
      UPDATE {{schema}}.events e SET stream_id = ${keyedStreamIdSql("'worker'", 'w.id_hash')}
        FROM {{schema}}.workers w WHERE e.stream_id = 'worker-' || w.worker_id;
      UPDATE {{schema}}.events e
         SET stream_id = ${keyedStreamIdSql("'enrolment'", 'n.project_id || chr(31) || n.worker_id')}
        FROM {{schema}}.enrolments n WHERE e.stream_id = 'enrolment-' || n.enrolment_id;
    `,
  },
  {
    id: '0105_masks_without_area_and_birth_date_blacklist_actors',
    sql: `
      -- ID masks keep the first 4 and last 4 characters (3301**********1234): the county and the birth
      -- date are hidden (issue 10). Read models are brought to the new mask; so are the stored events,
      -- which never leave PostgreSQL again in their old form (positions unchanged, nothing is
      -- published again; events read from Kafka before this are re-masked by the contracts on read).
      -- The worker's birth date is dropped from WorkerRegistered: with the mask it rebuilds the number.
      UPDATE {{schema}}.workers SET masked_id = left(masked_id, 4) || repeat('*', length(masked_id) - 8) || right(masked_id, 4)
        WHERE length(masked_id) > 10 AND substr(masked_id, 5, 1) <> '*';
      UPDATE {{schema}}.key_persons SET masked_id = left(masked_id, 4) || repeat('*', length(masked_id) - 8) || right(masked_id, 4)
        WHERE length(masked_id) > 10 AND substr(masked_id, 5, 1) <> '*';
      UPDATE {{schema}}.key_person_mismatches
         SET detail = regexp_replace(detail, '([0-9]{4})[0-9]{2}[*]{8}([0-9]{3}[0-9X])', '\\1**********\\2', 'g')
       WHERE detail ~ '[0-9]{6}[*]{8}';
      UPDATE {{schema}}.events
         SET data = regexp_replace(data::text, '([0-9]{4})[0-9]{2}[*]{8}([0-9]{3}[0-9X])', '\\1**********\\2', 'g')::jsonb
       WHERE data::text ~ '[0-9]{6}[*]{8}';
      UPDATE {{schema}}.events SET data = data - 'birthDate'
       WHERE event_type = 'realname.registry.WorkerRegistered' AND data ? 'birthDate';
      -- Who blacklisted a worker, and since when (the lift clears them; the history is in the stream).
      ALTER TABLE {{schema}}.workers ADD COLUMN blacklisted_by text, ADD COLUMN blacklisted_at timestamptz;
    `,
  },
  {
    id: '0106_registration_scope_and_reveal_actors',
    sql: `
      -- Who registered a worker, as a scope (issue 10): a worker not yet enrolled anywhere is in the
      -- scope of whoever registered them. registered_region is the division code that scope lies in
      -- (the code of a region scope, the region of a project scope), so region scopes match by prefix.
      -- Workers registered before have none: they are in scope through their enrolments only.
      ALTER TABLE {{schema}}.workers ADD COLUMN registered_scope_kind text, ADD COLUMN registered_scope_code text,
        ADD COLUMN registered_region text;
      CREATE INDEX workers_registered_region ON {{schema}}.workers (registered_region text_pattern_ops);
      CREATE INDEX enrolments_worker ON {{schema}}.enrolments (worker_id);
      CREATE INDEX participants_credit_code ON {{schema}}.participants (credit_code);
      -- Reveals record the role the caller acted in and its scope, besides its subject (caller).
      ALTER TABLE {{schema}}.identity_reveals ADD COLUMN caller_role text, ADD COLUMN caller_scope text;
      CREATE INDEX identity_reveals_worker ON {{schema}}.identity_reveals (worker_id, reveal_id);
    `,
  },
];
