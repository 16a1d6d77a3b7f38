import type { EventEnvelope } from '@realname/contracts';
import { Database, identifier, pgConstraint, pgErrorCode, Sql, withSavepoint } from './database';

/** The stream must not exist yet. */
export const NO_STREAM = 0;
/** Append wherever the stream is now (the store still keeps positions gap-free and unique). */
export const ANY = 'any' as const;
export type ExpectedVersion = number | bigint | typeof ANY;

/** Another writer appended to the stream first; re-read it and decide again. */
export class ConcurrencyConflict extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
  ) {
    super(`stream ${streamId} is no longer at version ${expected}: another writer appended first`);
    this.name = 'ConcurrencyConflict';
  }
}

/** The same event id was appended before. */
export class DuplicateEvent extends Error {
  constructor(readonly eventIds: string[]) {
    super(`event already stored: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEvent';
  }
}

export interface StoredEvent extends EventEnvelope {
  streamPosition: bigint;
  globalPosition: bigint;
  transactionId: bigint;
}

export interface AppendResult {
  /** The stream's version after the append. */
  nextVersion: bigint;
  globalPositions: bigint[];
}

interface EventRow {
  stream_id: string;
  stream_position: string;
  global_position: string;
  transaction_id: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: Record<string, string>;
}

export function rowToEvent(row: EventRow): StoredEvent {
  const m = row.metadata;
  return {
    specversion: '1.0',
    id: row.event_id,
    source: m.source,
    type: row.event_type,
    subject: row.stream_id,
    time: m.time,
    datacontenttype: 'application/json',
    dataschema: m.dataschema,
    schemaversion: row.schema_version,
    correlationid: m.correlationid,
    causationid: m.causationid,
    region: m.region,
    data: row.data,
    streamPosition: BigInt(row.stream_position),
    globalPosition: BigInt(row.global_position),
    transactionId: BigInt(row.transaction_id),
  };
}

/** What the store keeps of an envelope besides its data. */
function metadataOf(e: EventEnvelope) {
  return {
    source: e.source,
    time: e.time,
    dataschema: e.dataschema,
    correlationid: e.correlationid,
    causationid: e.causationid,
    region: e.region,
  };
}

export const EVENT_COLUMNS =
  'stream_id, stream_position, global_position, transaction_id::text AS transaction_id, event_id, event_type, schema_version, data, metadata';

/**
 * A PostgreSQL event store in one schema. Appends check the expected stream version in the same
 * statement that inserts; the primary key (stream_id, stream_position) is the backstop when two
 * writers race, so a concurrent writer gets ConcurrencyConflict, never a silent loss.
 */
export class EventStore {
  readonly schema: string;

  constructor(
    private readonly db: Database,
    schema: string,
  ) {
    this.schema = identifier(schema);
  }

  /**
   * Appends events to one stream. Pass `tx` to append inside the caller's transaction (together with
   * read-model changes); otherwise the append is its own transaction.
   */
  async append(
    streamId: string,
    events: EventEnvelope[],
    expected: ExpectedVersion,
    tx?: Sql,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    for (const e of events) {
      if (e.subject !== streamId)
        throw new Error(`event ${e.id} has subject ${e.subject}, not stream ${streamId}`);
    }
    if (!tx) return this.db.transaction((t) => this.append(streamId, events, expected, t));
    // With ANY, a racing writer can take the same positions; retry inside a savepoint a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await withSavepoint(tx, () => this.insert(tx, streamId, events, expected));
      } catch (err) {
        if (expected === ANY && err instanceof ConcurrencyConflict && attempt < 20) continue;
        throw err;
      }
    }
  }

  /**
   * Appends events to several streams at once, each at the end of its stream (ANY), in one statement:
   * the stream of an event is its subject; within a stream the events keep their order. For writers
   * that group many small appends into one transaction (the device gateway's group commit). A racing
   * writer to one of the streams makes the statement retry inside a savepoint.
   */
  async appendAny(events: EventEnvelope[], tx: Sql): Promise<bigint[]> {
    if (events.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await withSavepoint(tx, () => this.insertAny(tx, events));
      } catch (err) {
        if (err instanceof ConcurrencyConflict && attempt < 20) continue;
        throw err;
      }
    }
  }

  private async insertAny(tx: Sql, events: EventEnvelope[]): Promise<bigint[]> {
    const s = this.schema;
    let rows: { global_position: string }[];
    try {
      rows = await tx.query(
        `WITH e AS (
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])
             WITH ORDINALITY AS e(stream_id, id, type, ver, data, meta, ord)),
         cur AS (
           SELECT d.stream_id, COALESCE((SELECT MAX(stream_position) FROM ${s}.events x WHERE x.stream_id = d.stream_id), 0) AS v
             FROM (SELECT DISTINCT stream_id FROM e) d)
         INSERT INTO ${s}.events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata)
         SELECT e.stream_id, cur.v + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.ord), e.id, e.type, e.ver, e.data, e.meta
           FROM e JOIN cur USING (stream_id)
          ORDER BY e.ord
         RETURNING global_position`,
        [
          events.map((e) => e.subject),
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.schemaversion),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(metadataOf(e))),
        ],
      );
    } catch (err) {
      if (pgErrorCode(err) === '23505') {
        if (pgConstraint(err)?.endsWith('event_id_key')) throw new DuplicateEvent(events.map((e) => e.id));
        throw new ConcurrencyConflict(events[0].subject ?? '(many)', ANY);
      }
      throw err;
    }
    return rows.map((r) => BigInt(r.global_position));
  }

  private async insert(tx: Sql, streamId: string, events: EventEnvelope[], expected: ExpectedVersion) {
    const s = this.schema;
    let rows: { stream_position: string; global_position: string }[];
    try {
      rows = await tx.query(
        `WITH cur AS (SELECT COALESCE(MAX(stream_position), 0) AS v FROM ${s}.events WHERE stream_id = $1)
         INSERT INTO ${s}.events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata)
         SELECT $1, cur.v + e.ord, e.id, e.type, e.ver, e.data, e.meta
         FROM cur, unnest($2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])
              WITH ORDINALITY AS e(id, type, ver, data, meta, ord)
         WHERE $7::bigint IS NULL OR cur.v = $7::bigint
         ORDER BY e.ord
         RETURNING stream_position, global_position`,
        [
          streamId,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.schemaversion),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(metadataOf(e))),
          expected === ANY ? null : String(expected),
        ],
      );
    } catch (err) {
      if (pgErrorCode(err) === '23505') {
        if (pgConstraint(err)?.endsWith('event_id_key')) throw new DuplicateEvent(events.map((e) => e.id));
        throw new ConcurrencyConflict(streamId, expected);
      }
      throw err;
    }
    if (rows.length !== events.length) throw new ConcurrencyConflict(streamId, expected);
    const positions = rows.map((r) => BigInt(r.stream_position));
    return {
      nextVersion: positions.reduce((a, b) => (a > b ? a : b)),
      globalPositions: rows.map((r) => BigInt(r.global_position)),
    };
  }

  /** The events of one stream in order (from a position, inclusive, if given). */
  async readStream(streamId: string, fromPosition = 1n, tx?: Sql): Promise<StoredEvent[]> {
    const rows = await (tx ?? this.db).query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
       WHERE stream_id = $1 AND stream_position >= $2 ORDER BY stream_position`,
      [streamId, String(fromPosition)],
    );
    return rows.map(rowToEvent);
  }

  /** The stream's current version (0 when it does not exist). */
  async streamVersion(streamId: string, tx?: Sql): Promise<bigint> {
    const [row] = await (tx ?? this.db).query<{ v: string }>(
      `SELECT COALESCE(MAX(stream_position), 0)::text AS v FROM ${this.schema}.events WHERE stream_id = $1`,
      [streamId],
    );
    return BigInt(row.v);
  }
}
