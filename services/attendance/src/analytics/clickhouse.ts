import { createClient, ClickHouseClient } from '@clickhouse/client';
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
}): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.username,
    password: opts.password,
    request_timeout: 30_000,
    compression: { request: false, response: false },
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

/**
 * Applies the numbered .sql files once each, in order, recording them in `<db>.schema_migrations`.
 * Every statement is IF NOT EXISTS, so two replicas starting at once do no harm.
 */
export async function migrateClickHouse(
  client: ClickHouseClient,
  database: string,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const db = chIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (id String, applied_at DateTime('UTC') DEFAULT now()) ENGINE = TinyLog`,
  });
  const done = new Set(
    (
      await (
        await client.query({ query: `SELECT id FROM ${db}.schema_migrations`, format: 'JSONEachRow' })
      ).json<{ id: string }>()
    ).map((r) => r.id),
  );
  const applied: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.sql$/.test(f))
    .sort()) {
    const id = file.replace(/\.sql$/, '');
    if (done.has(id)) continue;
    const sql = readFileSync(join(dir, file), 'utf8').replaceAll('{{db}}', db);
    await client.command({ query: sql });
    await client.insert({ table: `${db}.schema_migrations`, values: [{ id }], format: 'JSONEachRow' });
    applied.push(id);
  }
  return applied;
}
