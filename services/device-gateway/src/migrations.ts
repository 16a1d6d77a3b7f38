import { eventStoreMigrations, Migration } from '@realname/eventstore';

export const gatewayMigrations: Migration[] = [
  ...eventStoreMigrations,
  {
    id: '0101_devices',
    sql: `
      CREATE TABLE {{schema}}.devices (
        device_id text PRIMARY KEY,
        project_id text NOT NULL,
        region text NOT NULL,
        protocol text NOT NULL DEFAULT 'open-v1',
        secret text NOT NULL,
        time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
        default_direction text NOT NULL DEFAULT 'unknown',
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Every request a device sent, as received, before it was acknowledged.
      CREATE TABLE {{schema}}.raw_requests (
        request_id uuid PRIMARY KEY,
        device_id text NOT NULL,
        protocol text NOT NULL,
        received_at timestamptz NOT NULL,
        headers jsonb NOT NULL,
        body bytea NOT NULL,
        outcome text NOT NULL,
        detail text
      );
      CREATE INDEX raw_requests_device ON {{schema}}.raw_requests (device_id, received_at);
      -- The device's own record ids seen so far: a record seen before is acknowledged, never emitted twice.
      CREATE TABLE {{schema}}.device_records (
        device_id text NOT NULL,
        record_id text NOT NULL,
        event_id uuid NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, record_id)
      );
    `,
  },
  {
    id: '0102_device_families',
    sql: `
      -- Devices of every family: a gate, a serial (ZKTeco SN, Uface deviceKey, HTTPv2 SN), a path token
      -- for families without authentication, and what the gateway knows of their presence and clock.
      ALTER TABLE {{schema}}.devices RENAME COLUMN protocol TO family;
      ALTER TABLE {{schema}}.devices ALTER COLUMN secret DROP NOT NULL;
      ALTER TABLE {{schema}}.devices
        ADD COLUMN gate text,
        ADD COLUMN serial text,
        ADD COLUMN token text,
        ADD COLUMN online boolean NOT NULL DEFAULT false,
        ADD COLUMN last_seen_at timestamptz,
        ADD COLUMN clock_skew_ms bigint,
        ADD COLUMN clock_skew_source text,
        ADD COLUMN clock_skew_measured_at timestamptz,
        ADD COLUMN skew_beyond_tolerance boolean NOT NULL DEFAULT false;
      CREATE UNIQUE INDEX devices_family_serial ON {{schema}}.devices (family, serial) WHERE serial IS NOT NULL;
      CREATE INDEX devices_project ON {{schema}}.devices (project_id);

      -- Every record key a device delivered: accepted ones carry their event; collapsed ones (the same
      -- person again within the collapse window) none. Person and instant serve the collapse check.
      ALTER TABLE {{schema}}.device_records
        ALTER COLUMN event_id DROP NOT NULL,
        ADD COLUMN person_id text,
        ADD COLUMN punched_at timestamptz,
        ADD COLUMN outcome text NOT NULL DEFAULT 'accepted',
        ADD COLUMN request_id uuid,
        ADD COLUMN photo_ref text,
        ADD COLUMN backfill_id uuid;
      CREATE INDEX device_records_person_time ON {{schema}}.device_records (device_id, person_id, punched_at);
      CREATE INDEX device_records_time ON {{schema}}.device_records (device_id, punched_at);

      -- Photos, content-addressed (sha256 of the bytes), kept for a retention period.
      CREATE TABLE {{schema}}.photos (
        sha256 text PRIMARY KEY,
        content_type text NOT NULL,
        size integer NOT NULL,
        bytes bytea NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX photos_last_used ON {{schema}}.photos (last_used_at);
      -- Photos that arrive apart from their punch (ZKTeco ATTPHOTO), joined by device, person and instant.
      CREATE TABLE {{schema}}.punch_photos (
        device_id text NOT NULL,
        person_id text NOT NULL,
        punched_at timestamptz NOT NULL,
        photo_ref text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (device_id, person_id, punched_at)
      );

      -- Commands for devices (person issuance, record queries), whatever family delivers them.
      CREATE TABLE {{schema}}.device_commands (
        command_id uuid PRIMARY KEY,
        seq bigserial UNIQUE,
        device_id text NOT NULL,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'queued',
        attempts integer NOT NULL DEFAULT 0,
        device_code text,
        detail text,
        result jsonb,
        origin text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        completed_at timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX device_commands_due ON {{schema}}.device_commands (device_id, status, next_attempt_at, seq);
      CREATE INDEX device_commands_sent ON {{schema}}.device_commands (status, sent_at) WHERE status = 'sent';

      -- Who should be on the gates of each project: the gateway's copy of the registry's enrolments.
      CREATE TABLE {{schema}}.gate_persons (
        enrolment_id text PRIMARY KEY,
        project_id text NOT NULL,
        worker_id text NOT NULL,
        person_id text NOT NULL,
        name text NOT NULL,
        card_number text,
        entered boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX gate_persons_project ON {{schema}}.gate_persons (project_id) WHERE entered;

      -- Requests to a device for the records of a time range, and how they ended.
      CREATE TABLE {{schema}}.backfills (
        backfill_id uuid PRIMARY KEY,
        device_id text NOT NULL,
        from_at timestamptz NOT NULL,
        to_at timestamptz NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'requested',
        device_count integer,
        received integer NOT NULL DEFAULT 0,
        recovered integer NOT NULL DEFAULT 0,
        platform_count integer,
        detail text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );
      CREATE INDEX backfills_device ON {{schema}}.backfills (device_id, created_at);
      CREATE INDEX raw_requests_received ON {{schema}}.raw_requests (received_at);
    `,
  },
  {
    id: '0103_device_credentials_and_refusals',
    sql: `
      -- Device credentials never in the clear. Path tokens: only their SHA-256 is kept (existing tokens
      -- hashed here). HMAC secrets: encrypted with the gateway's keys (DEVICE_SECRET_KEYS), which SQL
      -- does not have: the column is renamed here and the secrets still in the clear are encrypted by
      -- the gateway at start, before it serves a request (DeviceRepository.upgradeStoredSecrets).
      ALTER TABLE {{schema}}.devices RENAME COLUMN token TO token_hash;
      UPDATE {{schema}}.devices SET token_hash = encode(sha256(convert_to(token_hash, 'UTF8')), 'hex')
       WHERE token_hash IS NOT NULL;
      ALTER TABLE {{schema}}.devices RENAME COLUMN secret TO secret_encrypted;

      -- Refused and ignored requests are kept only as a sample: the first bytes of the body (body_size
      -- says how large it was) with a short retention, and the reason. Counted per device, reason and day.
      ALTER TABLE {{schema}}.raw_requests ADD COLUMN reason text, ADD COLUMN body_size integer;
      CREATE INDEX raw_requests_refused ON {{schema}}.raw_requests (device_id, received_at)
       WHERE outcome <> 'accepted';
      CREATE TABLE {{schema}}.refused_request_counts (
        device_id text NOT NULL,
        reason text NOT NULL,
        day date NOT NULL,
        count bigint NOT NULL DEFAULT 0,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (device_id, day, reason)
      );
      -- Refused and ignored requests stored whole by earlier versions: cut to a sample.
      UPDATE {{schema}}.raw_requests SET body_size = length(body), body = substring(body FROM 1 FOR 4096)
       WHERE outcome <> 'accepted' AND length(body) > 4096;
    `,
  },
  {
    id: '0104_admin_scope_and_actor',
    sql: `
      -- The admin API serves a photo only to a caller whose scope covers a device that took it: found
      -- by the photo's reference.
      CREATE INDEX device_records_photo ON {{schema}}.device_records (photo_ref) WHERE photo_ref IS NOT NULL;
      CREATE INDEX punch_photos_photo ON {{schema}}.punch_photos (photo_ref);
      -- Who last registered or changed the device, and who asked for a backfill, through the admin API
      -- (subject, role, scope): these are not events, so the actor is kept on the row (NULL: the
      -- configuration, or the gateway itself).
      ALTER TABLE {{schema}}.devices ADD COLUMN updated_by jsonb;
      ALTER TABLE {{schema}}.backfills ADD COLUMN requested_by jsonb;
    `,
  },
];
