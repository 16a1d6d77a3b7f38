import { Database, identifier } from './database';

export interface Migration {
  /** Ordered, never renamed: `0001_event_store`. */
  id: string;
  sql: string;
}

/**
 * Applies numbered SQL migrations once each, recording them in `<schema>.schema_migrations`.
 * An advisory lock keeps two replicas starting together from applying the same migration twice.
 */
export async function migrate(db: Database, schema: string, migrations: Migration[]): Promise<string[]> {
  identifier(schema);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`migrate:${schema}`]);
    await tx.execute(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.execute(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await tx.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`)).map((r) => r.id),
    );
    for (const m of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
      if (done.has(m.id)) continue;
      await tx.execute(m.sql.replaceAll('{{schema}}', schema));
      await tx.execute(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [m.id]);
      applied.push(m.id);
    }
  });
  return applied;
}

/**
 * The event store's own tables. `transaction_id` lets pollers read only rows whose transaction has
 * finished (see CommittedEventPoller), so a transaction that commits late is never skipped.
 */
export const eventStoreMigrations: Migration[] = [
  {
    id: '0001_event_store',
    sql: `
      CREATE TABLE {{schema}}.events (
        global_position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        stream_id text NOT NULL,
        stream_position bigint NOT NULL,
        event_id uuid NOT NULL UNIQUE,
        event_type text NOT NULL,
        schema_version int NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, stream_position)
      );
      CREATE INDEX events_commit_order ON {{schema}}.events (transaction_id, global_position);
      CREATE TABLE {{schema}}.checkpoints (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE {{schema}}.inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        outcome text NOT NULL DEFAULT 'processed',
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      );
    `,
  },
];

/** The service's pool, with its schema migrated: what every service's `Database` provider does. */
export async function connectMigrated(opts: {
  url: string;
  poolSize: number;
  applicationName: string;
  schema: string;
  migrations: Migration[];
  /** The pool's statement timeout (Database.connect's default when absent). */
  statementTimeoutMs?: number;
  /**
   * The migrations' statement timeout: they run on a connection of their own, closed afterwards, since
   * a migration may rewrite a large table. Default 10 minutes; 0: no limit.
   */
  migrationStatementTimeoutMs?: number;
}): Promise<Database> {
  const migrator = await Database.connect({
    url: opts.url,
    poolSize: 1,
    applicationName: `${opts.applicationName} migrations`,
    statementTimeoutMs: opts.migrationStatementTimeoutMs ?? 600_000,
  });
  try {
    await migrate(migrator, opts.schema, opts.migrations);
  } finally {
    await migrator.close();
  }
  return Database.connect({
    url: opts.url,
    poolSize: opts.poolSize,
    applicationName: opts.applicationName,
    statementTimeoutMs: opts.statementTimeoutMs,
  });
}
