import { Database, identifier, Sql } from './database';
import { EVENT_COLUMNS, rowToEvent, StoredEvent } from './event-store';

/**
 * A read model kept from a service's own event store: what an operator needs to rebuild it from the
 * events. Each service declares its projections in `src/projections.ts` (exporting `projections`), next
 * to the code that keeps them live, so the live path and the rebuild apply the same code.
 */
export interface ProjectionDefinition {
  /** `<service>.<read model>`, e.g. `attendance.punches`. */
  name: string;
  /** One line for `ops projection list`. */
  description: string;
  /** The service's schema by default (the service's DATABASE_SCHEMA default). */
  defaultSchema: string;
  /** The tables the projection owns, unqualified: all of them are emptied and filled again by a rebuild. */
  tables: string[];
  /** The event types it reads; the others are not read at all. */
  eventTypes: string[];
  /**
   * Applies events (in store order, only of `eventTypes`) to the read model in `schema`, inside the
   * caller's transaction. Must have the same effect as the live path.
   */
  apply(tx: Sql, schema: string, events: StoredEvent[]): Promise<void>;
}

export interface RebuildProgress {
  /** Events applied so far. */
  applied: number;
  /** Events of the projection's types in the store (counted at the start, in the rebuild's snapshot). */
  total: number;
}

export interface RebuildResult extends RebuildProgress {
  schema: string;
  tables: string[];
  elapsedMs: number;
}

/**
 * Reads the events of one schema in store order (global position), from a position (exclusive), of the
 * given types only, at most `limit`. In a snapshot where every visible event is committed (a
 * REPEATABLE READ transaction) this is the order in which each stream's events were appended.
 */
export async function readEventsAfter(
  sql: Sql,
  schema: string,
  afterGlobalPosition: bigint,
  limit: number,
  eventTypes?: string[],
): Promise<StoredEvent[]> {
  const s = identifier(schema);
  const params: unknown[] = [String(afterGlobalPosition), limit];
  if (eventTypes) params.push(eventTypes);
  const rows = await sql.query<Parameters<typeof rowToEvent>[0]>(
    `SELECT ${EVENT_COLUMNS} FROM ${s}.events e
      WHERE e.global_position > $1::bigint ${eventTypes ? 'AND e.event_type = ANY($3::text[])' : ''}
      ORDER BY e.global_position
      LIMIT $2`,
    params,
  );
  return rows.map(rowToEvent);
}

/**
 * Rebuilds a projection in one transaction: locks its tables (readers and the live writers wait, they
 * never see an empty or half-built read model), empties them, and applies every event of its types in
 * store order, in batches. All or nothing: a failure leaves the read model as it was.
 *
 * REPEATABLE READ with the lock taken before the first read: the snapshot is taken after every writer
 * that had touched the tables has committed, and a writer that appends events later also writes the
 * tables, so it waits for the rebuild and then applies its own events on top.
 */
export async function rebuildProjection(
  db: Database,
  projection: ProjectionDefinition,
  opts: {
    schema?: string;
    batchSize?: number;
    onStart?: (p: RebuildProgress) => void;
    onProgress?: (p: RebuildProgress) => void;
  } = {},
): Promise<RebuildResult> {
  const schema = identifier(opts.schema ?? projection.defaultSchema);
  const tables = projection.tables.map((t) => `${schema}.${identifier(t)}`);
  const batchSize = opts.batchSize ?? 2000;
  const started = Date.now();
  const session = await db.session();
  try {
    await session.sql.execute(`BEGIN ISOLATION LEVEL REPEATABLE READ`);
    try {
      // The session is busy for the whole rebuild: the idle-in-transaction limit does not apply.
      await session.sql.execute(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      const [{ n }] = await session.sql.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${schema}.events WHERE event_type = ANY($1::text[])`,
        [projection.eventTypes],
      );
      const progress: RebuildProgress = { applied: 0, total: Number(n) };
      opts.onStart?.({ ...progress });
      await session.sql.execute(`TRUNCATE ${tables.join(', ')}`);
      let after = 0n;
      for (;;) {
        const events = await readEventsAfter(session.sql, schema, after, batchSize, projection.eventTypes);
        if (events.length === 0) break;
        try {
          await projection.apply(session.sql, schema, events);
        } catch (err) {
          const first = events[0].globalPosition;
          const last = events[events.length - 1].globalPosition;
          throw new Error(
            `${projection.name}: applying the events at global positions ${first}..${last} failed: ` +
              `${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
        after = events[events.length - 1].globalPosition;
        progress.applied += events.length;
        opts.onProgress?.({ ...progress });
      }
      await session.sql.execute(`COMMIT`);
      return { ...progress, schema, tables, elapsedMs: Date.now() - started };
    } catch (err) {
      await session.sql.execute(`ROLLBACK`).catch(() => undefined);
      throw err;
    }
  } finally {
    await session.release();
  }
}
