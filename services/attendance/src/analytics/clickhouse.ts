import { createClient, ClickHouseClient, Logger } from '@clickhouse/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ClickHouse access for attendance analytics. Everything that differs between ClickHouse 18.16 (the
 * Debian package the local stack runs) and current releases is kept in this file: today that is only
 * what we avoid (DateTime64, LowCardinality, async_insert, query parameters), so the SQL is one dialect.
 */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'clickhouse', 'migrations');

export function connectClickHouse(opts: {
  url: string;
  username: string;
  password: string;
  /** Routes the client's own log entries into the service's JSON log (`clickHouseLoggerClass`). */
  LoggerClass?: new () => Logger;
}): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    request_timeout: 30_000,
    compression: { request: false, response: false },
    ...(opts.LoggerClass ? { log: { LoggerClass: opts.LoggerClass } } : {}),
  });
}

/** Quotes a string literal (18.16 has no server-side query parameters over HTTP). */
export function chString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function chIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a safe ClickHouse identifier`);
  return name;
}

/** `2026-11-21T00:01:02.000Z` -> `2026-11-21 00:01:02` (DateTime('UTC') text form). */
export function chDateTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

/** What applying migrations needs from a ClickHouse: the server over HTTP, or an embedded engine in tests. */
export interface ClickHouseMigrationTarget {
  command(sql: string): Promise<void>;
  appliedIds(database: string): Promise<string[]>;
  recordApplied(database: string, id: string): Promise<void>;
}

/** The migration files in order: id and SQL text with `{{db}}` substituted. */
export function clickHouseMigrations(database: string, dir = MIGRATIONS_DIR): { id: string; sql: string }[] {
  const db = chIdentifier(database);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort()
    .map((file) => ({
      id: file.replace(/\.sql$/, ''),
      sql: readFileSync(join(dir, file), 'utf8').replaceAll('{{db}}', db),
    }));
}

/**
 * Applies the numbered .sql files once each, in order, recording them in `<db>.schema_migrations`.
 * CREATE statements are IF NOT EXISTS; an ALTER ... ADD COLUMN (18.16 has no IF NOT EXISTS for columns)
 * that finds its column already there was applied by a replica starting at the same time, and counts as
 * applied (an ALTER's ADD COLUMN clauses are applied together or not at all).
 */
export async function applyClickHouseMigrations(
  target: ClickHouseMigrationTarget,
  database: string,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const db = chIdentifier(database);
  await target.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await target.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (id String, applied_at DateTime('UTC') DEFAULT now()) ENGINE = TinyLog`,
  );
  const done = new Set(await target.appliedIds(db));
  const applied: string[] = [];
  for (const { id, sql } of clickHouseMigrations(db, dir)) {
    if (done.has(id)) continue;
    try {
      await target.command(sql);
    } catch (err) {
      const columnExists = /column with this name already exists/i.test(String(err));
      if (!(columnExists && /^\s*ALTER TABLE/im.test(sql))) throw err;
    }
    await target.recordApplied(db, id);
    applied.push(id);
  }
  return applied;
}

export async function migrateClickHouse(
  client: ClickHouseClient,
  database: string,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  return applyClickHouseMigrations(
    {
      command: async (query) => {
        await client.command({ query });
      },
      appliedIds: async (db) =>
        (
          await (
            await client.query({ query: `SELECT id FROM ${db}.schema_migrations`, format: 'JSONEachRow' })
          ).json<{ id: string }>()
        ).map((r) => r.id),
      recordApplied: async (db, id) => {
        await client.insert({ table: `${db}.schema_migrations`, values: [{ id }], format: 'JSONEachRow' });
      },
    },
    database,
    dir,
  );
}
