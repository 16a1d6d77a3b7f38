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
];
