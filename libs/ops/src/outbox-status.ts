import { AttendanceRecorded } from '@realname/contracts';
import { Database, identifier, OUTBOX_CHECKPOINT } from '@realname/eventstore';

/**
 * The event types a checkpoint's poller reads, when it does not read them all (the backlog of such a
 * checkpoint counts only these). Kept in step with the pollers' `eventTypes` option.
 */
export const CHECKPOINT_EVENT_TYPES: Record<string, string[]> = {
  'sink:clickhouse': [AttendanceRecorded.type],
};

export { OUTBOX_CHECKPOINT };

export interface CheckpointStatus {
  name: string;
  /** Undefined when the poller never moved its checkpoint (it starts from the first event). */
  transactionId?: string;
  globalPosition?: string;
  updatedAt?: Date;
  /** Events committed after the checkpoint (of the poller's types): not yet handled. */
  backlog: number;
  /** Age of the oldest of them, in milliseconds. */
  oldestPendingAgeMs?: number;
}

export interface SchemaStatus {
  schema: string;
  events: number;
  lastRecordedAt?: Date;
  /** The outbox relay's checkpoint first, then the other pollers'. */
  checkpoints: CheckpointStatus[];
}

/** The schemas that hold an event store (an `events` and a `checkpoints` table). */
export async function eventStoreSchemas(db: Database): Promise<string[]> {
  const rows = await db.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables
      WHERE table_name IN ('events', 'checkpoints')
      GROUP BY table_schema HAVING count(*) = 2 ORDER BY table_schema`,
  );
  return rows.map((r) => r.schema);
}

/** Events stored, and for the outbox relay and every other poller: checkpoint, backlog, oldest pending. */
export async function outboxStatus(db: Database, schemaName: string): Promise<SchemaStatus> {
  const schema = identifier(schemaName);
  const [exists] = await db.query<{ events: boolean; checkpoints: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS events, to_regclass($2) IS NOT NULL AS checkpoints`,
    [`${schema}.events`, `${schema}.checkpoints`],
  );
  if (!exists.events || !exists.checkpoints)
    throw new Error(`schema ${schema} holds no event store (no ${schema}.events / ${schema}.checkpoints)`);
  const [totals] = await db.query<{ n: string; last: Date | null }>(
    `SELECT count(*)::text AS n, max(recorded_at) AS last FROM ${schema}.events`,
  );
  const stored = await db.query<{
    name: string;
    transaction_id: string;
    global_position: string;
    updated_at: Date;
  }>(
    `SELECT name, transaction_id::text AS transaction_id, global_position::text AS global_position, updated_at
       FROM ${schema}.checkpoints ORDER BY name`,
  );
  const names = [OUTBOX_CHECKPOINT, ...stored.map((c) => c.name).filter((n) => n !== OUTBOX_CHECKPOINT)];
  const checkpoints: CheckpointStatus[] = [];
  for (const name of names) {
    const cp = stored.find((c) => c.name === name);
    const types = CHECKPOINT_EVENT_TYPES[name];
    const params: unknown[] = [cp?.transaction_id ?? '0', cp?.global_position ?? '0'];
    if (types) params.push(types);
    // The same condition as CommittedEventPoller.backlog: after the checkpoint in commit order.
    const [pending] = await db.query<{ n: string; oldest: Date | null }>(
      `SELECT count(*)::text AS n, min(recorded_at) AS oldest FROM ${schema}.events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          ${types ? 'AND event_type = ANY($3::text[])' : ''}`,
      params,
    );
    checkpoints.push({
      name,
      transactionId: cp?.transaction_id,
      globalPosition: cp?.global_position,
      updatedAt: cp?.updated_at,
      backlog: Number(pending.n),
      oldestPendingAgeMs: pending.oldest ? Math.max(0, Date.now() - pending.oldest.getTime()) : undefined,
    });
  }
  return {
    schema,
    events: Number(totals.n),
    lastRecordedAt: totals.last ?? undefined,
    checkpoints,
  };
}

/** Rows in ClickHouse's attendance fact table (what the sink has delivered), or the error. */
export async function clickHousePunches(ch: {
  url: string;
  user: string;
  password: string;
  database: string;
}): Promise<{ rows?: number; lastInsertedAt?: string; error?: string }> {
  try {
    const res = await fetch(ch.url, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': ch.user, 'X-ClickHouse-Key': ch.password },
      body: `SELECT count(), toString(max(inserted_at)) FROM ${identifier(ch.database)}.punches FORMAT TabSeparated`,
      signal: AbortSignal.timeout(10_000),
    });
    const text = (await res.text()).trim();
    if (!res.ok) return { error: `HTTP ${res.status}: ${text.split('\n')[0].slice(0, 200)}` };
    const [rows, last] = text.split('\t');
    return { rows: Number(rows), lastInsertedAt: last };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
