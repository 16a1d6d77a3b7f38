import { eventStoreMigrations, Migration } from '@realname/eventstore';

export const reportingMigrations: Migration[] = [
  ...eventStoreMigrations,
  {
    id: '0101_upload_ledger',
    sql: `
      -- One row per target, record and revision: what goes up, where it stands, what the platform said.
      CREATE TABLE {{schema}}.upload_ledger (
        id bigserial PRIMARY KEY,
        target text NOT NULL,
        kind text NOT NULL,
        -- Our own key of the record (project/worker/day for attendance), stable across revisions.
        record_key text NOT NULL,
        revision integer NOT NULL CHECK (revision >= 1),
        project_id text NOT NULL,
        region text NOT NULL,
        -- Position of the kind in the target's dependency order, so due rows are taken in that order.
        kind_rank smallint NOT NULL,
        -- Whose ID number the record carries; it is filled in at send time, never stored in the payload.
        worker_id text,
        -- '<kind>:<record key>' of the records that must be accepted first.
        depends_on text[] NOT NULL DEFAULT '{}',
        -- { header, items }: the target's field names, without personal numbers or platform keys.
        payload jsonb NOT NULL,
        payload_hash text NOT NULL,
        status text NOT NULL CHECK (status IN
          ('pending', 'sent', 'accepted', 'rejected', 'rejected-locally', 'superseded')),
        serial_code text,
        -- Keys the platform issued or confirmed (teamSysNo), adopted on acceptance or reconciliation.
        platform_keys jsonb NOT NULL DEFAULT '{}',
        -- Indexes of items the platform already holds (an earlier revision, or found by reconciling).
        items_present integer[] NOT NULL DEFAULT '{}',
        -- The items of the batch in flight (serial_code), so a poll settles exactly what was sent.
        items_sent integer[] NOT NULL DEFAULT '{}',
        -- What a pending record waits for, shown to the site ('<kind>:<record key>' or 'identity:<worker>').
        waiting_for text[] NOT NULL DEFAULT '{}',
        -- Plain Chinese and English sentences: the local pre-check's or the platform's.
        problems jsonb NOT NULL DEFAULT '[]',
        -- The last retriable failure (network, rate limit, ...): shown, never turned into a rejection.
        last_error text,
        attempts integer NOT NULL DEFAULT 0,
        -- The round that holds the row: a sender whose lease ran out cannot settle what another re-claimed.
        claim_token uuid,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        -- Set once the platform holds the record; a later revision superseding it leaves it set, so a
        -- dependency stays satisfied.
        accepted_at timestamptz,
        settled_at timestamptz,
        UNIQUE (target, kind, record_key, revision)
      );
      -- The sender's claim: due rows of a target in dependency order.
      CREATE INDEX upload_ledger_due ON {{schema}}.upload_ledger (target, next_attempt_at, kind_rank, id)
        WHERE status IN ('pending', 'sent');
      -- Dependency and status look-ups by record, and the per-project views.
      CREATE INDEX upload_ledger_record ON {{schema}}.upload_ledger (target, kind, record_key, revision DESC);
      CREATE INDEX upload_ledger_project ON {{schema}}.upload_ledger (project_id, kind, status);

      -- Each project's credentials per target (the national platform gives every project its own);
      -- secrets encrypted with the personal-data keyring, rotated by 'ops keys rotate'.
      CREATE TABLE {{schema}}.uplink_credentials (
        target text NOT NULL,
        project_id text NOT NULL,
        appid text NOT NULL,
        secret_encrypted text NOT NULL,
        corp_key_encrypted text,
        -- Bumped whenever an operator replaces the secret, so a rotation shows in the audit trail.
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (target, project_id)
      );

      -- Workers' ID numbers and head images as the uplinks need them, encrypted like the registry's.
      CREATE TABLE {{schema}}.worker_identities (
        worker_id text PRIMARY KEY,
        id_card_type text NOT NULL DEFAULT '01',
        id_encrypted text NOT NULL,
        head_image_encrypted text,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- Reporting's copies of the registry facts a record's payload needs (its corp, its team).
      CREATE TABLE {{schema}}.participants (
        project_id text NOT NULL,
        participant_id text NOT NULL,
        credit_code text NOT NULL,
        corp_name text NOT NULL,
        PRIMARY KEY (project_id, participant_id)
      );
      CREATE TABLE {{schema}}.projects (
        project_id text PRIMARY KEY,
        region text NOT NULL,
        name text NOT NULL
      );
      CREATE TABLE {{schema}}.enrolments (
        enrolment_id text PRIMARY KEY,
        project_id text NOT NULL,
        worker_id text NOT NULL,
        team_id text NOT NULL,
        credit_code text NOT NULL,
        corp_name text NOT NULL
      );
    `,
  },
  {
    id: '0102_live_punch_lookup',
    sql: `
      -- An attendance day finds the punches its worker's live records already put upstream
      -- (record keys 'project/enrolment/punch/<id>'), by key prefix.
      CREATE INDEX upload_ledger_live_punches ON {{schema}}.upload_ledger (target, record_key text_pattern_ops)
        WHERE kind = 'attendance' AND accepted_at IS NOT NULL;
    `,
  },
  {
    id: '0110_deadline_states',
    sql: `
      -- The deadline tracker's memory: the last state it published per target and project-day, so a
      -- transition is published once (a missed day once, not every tick) and a settled day stays settled.
      CREATE TABLE {{schema}}.deadline_states (
        target text NOT NULL,
        project_id text NOT NULL,
        day date NOT NULL,
        region text NOT NULL,
        state text NOT NULL CHECK (state IN ('on-track', 'at-risk', 'missed', 'met')),
        reason text NOT NULL,
        deadline timestamptz NOT NULL,
        expected integer NOT NULL,
        accepted integer NOT NULL,
        pending integer NOT NULL,
        rejected integer NOT NULL,
        decided_at timestamptz NOT NULL,
        PRIMARY KEY (target, project_id, day)
      );
      CREATE INDEX deadline_states_open ON {{schema}}.deadline_states (target, day)
        WHERE state IN ('on-track', 'at-risk');
      -- The tracker's look-up of a day's attendance records (record keys 'project/enrolment/yyyy-MM-dd').
      CREATE INDEX upload_ledger_attendance_days ON {{schema}}.upload_ledger (target, created_at)
        WHERE kind = 'attendance';
    `,
  },
  {
    id: '0120_uploads_audit',
    sql: `
      -- Who did what to uploads through the API: a record resubmitted after correction (with what it
      -- was before), a project's credentials put or rotated (never the secrets).
      CREATE TABLE {{schema}}.uploads_audit (
        id bigserial PRIMARY KEY,
        action text NOT NULL CHECK (action IN ('resubmit', 'credentials-put')),
        target text NOT NULL,
        project_id text NOT NULL,
        ledger_id bigint,
        revision integer,
        actor_subject text NOT NULL,
        actor_role text NOT NULL,
        actor_scope text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX uploads_audit_ledger ON {{schema}}.uploads_audit (ledger_id) WHERE ledger_id IS NOT NULL;
      -- The rejections of a project, newest first.
      CREATE INDEX upload_ledger_rejections ON {{schema}}.upload_ledger (project_id, updated_at DESC, id DESC)
        WHERE status IN ('rejected', 'rejected-locally');
    `,
  },
  {
    id: '0130_worker_identity_validity',
    sql: `
      -- The ID's validity (from, to) as Zhejiang V2.0 asks for it (cardDate), encrypted like the number.
      ALTER TABLE {{schema}}.worker_identities ADD COLUMN validity_encrypted text;
    `,
  },
  {
    id: '0140_ledger_deadline_day',
    sql: `
      -- The calendar day whose daily deadline (Zhejiang: 24:00) a record counts toward: a live punch's
      -- day. The deadline tracker counts these; finalised days come after the deadline by design.
      ALTER TABLE {{schema}}.upload_ledger ADD COLUMN deadline_day date;
      CREATE INDEX upload_ledger_deadline_days ON {{schema}}.upload_ledger (target, deadline_day, project_id)
        WHERE deadline_day IS NOT NULL;
    `,
  },
];
