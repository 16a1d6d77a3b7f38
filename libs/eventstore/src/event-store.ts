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

/** One stream's part of a multi-stream append: its new events and the version it must still be at. */
export interface StreamAppend {
  streamId: string;
  events: EventEnvelope[];
  /** The stream's version when it was read (NO_STREAM when it did not exist). */
  expected: number | bigint;
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
    ...(m.actorsubject
      ? { actorsubject: m.actorsubject, actorrole: m.actorrole, actorscope: m.actorscope }
      : {}),
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
    ...(e.actorsubject
      ? { actorsubject: e.actorsubject, actorrole: e.actorrole, actorscope: e.actorscope }
      : {}),
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
   * that group many small appends into one transaction (the device gateway's group commit). Writers
   * using appendAny on the same stream wait for each other (a transaction-scoped advisory lock per
   * stream, taken in a fixed order), so positions stay in order; should another writer take a
   * position first anyway, that event is skipped (ON CONFLICT DO NOTHING keeps the transaction usable)
   * and appended again after the new end of its stream.
   */
  async appendAny(events: EventEnvelope[], tx: Sql): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('stream:' || s, 0))
         FROM (SELECT DISTINCT unnest($1::text[]) AS s ORDER BY 1) streams`,
      [[...new Set(events.map((e) => e.subject ?? ''))]],
    );
    let remaining = events;
    for (let attempt = 1; remaining.length > 0; attempt++) {
      if (attempt > 20) throw new ConcurrencyConflict(remaining[0].subject ?? '(many)', ANY);
      const inserted = new Set(await this.insertAny(tx, remaining));
      remaining = remaining.filter((e) => !inserted.has(e.id));
    }
  }

  /** Inserts what it can; returns the ids of the events inserted. */
  private async insertAny(tx: Sql, events: EventEnvelope[]): Promise<string[]> {
    const s = this.schema;
    const rows = await tx.query<{ event_id: string }>(
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
       ON CONFLICT (stream_id, stream_position) DO NOTHING
       RETURNING event_id`,
      [
        events.map((e) => e.subject),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.schemaversion),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(metadataOf(e))),
      ],
    );
    return rows.map((r) => r.event_id);
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

  /**
   * Appends to several streams at once, each at its own expected version, all or nothing, in one
   * statement (inside a savepoint of the caller's transaction, which stays usable after a conflict). For
   * consumers that decide many streams in one transaction: if any stream moved since it was read, nothing
   * is appended and ConcurrencyConflict names that stream, so the caller re-reads and decides again.
   * Returns one result per append, in the order given.
   */
  async appendToStreams(appends: StreamAppend[], tx: Sql): Promise<AppendResult[]> {
    const nonEmpty = appends.filter((a) => a.events.length > 0);
    checkStreamAppends(nonEmpty);
    let positions = new Map<string, bigint>();
    if (nonEmpty.length > 0) {
      try {
        positions = await withSavepoint(tx, () => this.insertExpected(tx, nonEmpty));
      } catch (err) {
        // Rolled back to the savepoint: the transaction can be asked which stream moved.
        if (err instanceof ConcurrencyConflict) throw await this.conflictAmong(tx, nonEmpty);
        throw err;
      }
    }
    return appends.map((a) => {
      const expected = BigInt(a.expected);
      return {
        nextVersion: expected + BigInt(a.events.length),
        globalPositions: a.events.map((_, i) => positions.get(`${expected + BigInt(i + 1)}/${a.streamId}`)!),
      };
    });
  }

  /**
   * The statement behind appendToStreams: every event goes to its stream's expected version + its place
   * in that stream's list, and only if every stream is still at its expected version (otherwise no row
   * is inserted). A writer racing for the same positions meets the primary key. Returns the global
   * position by "stream position/stream id".
   */
  private async insertExpected(tx: Sql, appends: StreamAppend[]): Promise<Map<string, bigint>> {
    const s = this.schema;
    // The rows go as one JSON document rather than one array per column: the event data is embedded as
    // it is instead of being escaped twice (JSON text inside an array literal), which is cheaper on both
    // sides for batches of hundreds of events.
    let ord = 0;
    const rows = appends.flatMap((a) =>
      a.events.map((e) => ({
        stream_id: a.streamId,
        expected: String(a.expected),
        id: e.id,
        type: e.type,
        ver: e.schemaversion,
        data: e.data,
        meta: metadataOf(e),
        ord: ord++,
      })),
    );
    let inserted: { stream_id: string; stream_position: string; global_position: string }[];
    try {
      inserted = await tx.query(
        `WITH e AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb)
             AS e(stream_id text, expected bigint, id uuid, type text, ver int, data jsonb, meta jsonb, ord int)),
         moved AS (
           SELECT 1 FROM (SELECT DISTINCT stream_id, expected FROM e) d
            WHERE COALESCE((SELECT MAX(stream_position) FROM ${s}.events x WHERE x.stream_id = d.stream_id), 0) <> d.expected)
         INSERT INTO ${s}.events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata)
         SELECT e.stream_id, e.expected + row_number() OVER (PARTITION BY e.stream_id ORDER BY e.ord), e.id, e.type, e.ver, e.data, e.meta
           FROM e
          WHERE NOT EXISTS (SELECT 1 FROM moved)
          ORDER BY e.ord
         RETURNING stream_id, stream_position, global_position`,
        [JSON.stringify(rows)],
      );
    } catch (err) {
      if (pgErrorCode(err) === '23505') {
        if (pgConstraint(err)?.endsWith('event_id_key')) throw new DuplicateEvent(rows.map((r) => r.id));
        throw new ConcurrencyConflict(appends[0].streamId, appends[0].expected);
      }
      throw err;
    }
    if (inserted.length !== rows.length)
      throw new ConcurrencyConflict(appends[0].streamId, appends[0].expected);
    return new Map(inserted.map((r) => [`${r.stream_position}/${r.stream_id}`, BigInt(r.global_position)]));
  }

  /**
   * The conflict to report after a multi-stream append failed: the first stream (in the caller's order)
   * no longer at its expected version. A racing writer that has not committed yet is not visible, so
   * when every stream still looks as expected the first one is named.
   */
  private async conflictAmong(tx: Sql, appends: StreamAppend[]): Promise<ConcurrencyConflict> {
    const versions = await this.streamVersions(
      appends.map((a) => a.streamId),
      tx,
    );
    const moved = appends.find((a) => versions.get(a.streamId) !== BigInt(a.expected));
    const first = moved ?? appends[0];
    return new ConcurrencyConflict(first.streamId, first.expected);
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

  /**
   * The events of several streams in one query, by stream id, each in order. A stream without events
   * maps to an empty list.
   */
  async readStreams(streamIds: string[], tx?: Sql): Promise<Map<string, StoredEvent[]>> {
    const byStream = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    if (streamIds.length === 0) return byStream;
    const rows = await (tx ?? this.db).query<EventRow>(
      // LATERAL: one primary-key range scan per stream, whatever the planner guesses about ANY(...) on a
      // table whose statistics lag behind (a sequential scan of a fresh, fast-growing table otherwise).
      `SELECT e.* FROM unnest($1::text[]) AS s(id)
       CROSS JOIN LATERAL (SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events
                            WHERE stream_id = s.id ORDER BY stream_position) e`,
      [[...byStream.keys()]],
    );
    for (const row of rows) byStream.get(row.stream_id)!.push(rowToEvent(row));
    return byStream;
  }

  /** The current versions of several streams (0 for those that do not exist). */
  async streamVersions(streamIds: string[], tx?: Sql): Promise<Map<string, bigint>> {
    const versions = new Map<string, bigint>(streamIds.map((id) => [id, 0n]));
    if (streamIds.length === 0) return versions;
    const rows = await (tx ?? this.db).query<{ stream_id: string; v: string }>(
      `SELECT s.id AS stream_id, v.v FROM unnest($1::text[]) AS s(id)
       CROSS JOIN LATERAL (SELECT MAX(stream_position)::text AS v FROM ${this.schema}.events WHERE stream_id = s.id) v
       WHERE v.v IS NOT NULL`,
      [[...versions.keys()]],
    );
    for (const r of rows) versions.set(r.stream_id, BigInt(r.v));
    return versions;
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

/** A multi-stream append names each stream once, with the events of that stream only. */
function checkStreamAppends(appends: StreamAppend[]): void {
  const seen = new Set<string>();
  for (const a of appends) {
    if (seen.has(a.streamId))
      throw new Error(`stream ${a.streamId} appears twice in one multi-stream append`);
    seen.add(a.streamId);
    if (typeof a.expected !== 'bigint' && !Number.isInteger(a.expected))
      throw new Error(
        `stream ${a.streamId}: expected version must be a whole number, not ${String(a.expected)}`,
      );
    for (const e of a.events) {
      if (e.subject !== a.streamId)
        throw new Error(`event ${e.id} has subject ${e.subject}, not stream ${a.streamId}`);
    }
  }
}
