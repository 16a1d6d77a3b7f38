import { Database, Sql } from '@realname/eventstore';
import { AcceptedPunch, BatchPunch, HeldRecord, photoJoinKey, recordIdentity } from './ingest-batch.decider';
import type { RawRequest } from './punch';

/** A raw request as it is kept: what came, from whom, and what became of it. */
export interface RawRequestRow {
  requestId: string;
  deviceId: string;
  raw: RawRequest;
  outcome: string;
  detail?: string;
}

/** A record to claim: the decision's accepted and collapsed records. */
export interface RecordClaim {
  record: BatchPunch;
  outcome: 'accepted' | 'collapsed';
  eventId?: string;
  photoRef?: string;
  requestId: string;
  backfillId?: string;
}

/**
 * Every SQL statement of ingestion: raw requests, device records (one row per device and key: the
 * primary key is the guard against a record stored twice), photos waiting for their punch.
 */
export class PunchRecordsRepository {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  async storeRaw(r: RawRequestRow, sql: Sql = this.db): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.schema}.raw_requests (request_id, device_id, protocol, received_at, headers, body, outcome, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        r.requestId,
        r.deviceId.slice(0, 128),
        r.raw.protocol,
        r.raw.receivedAt,
        JSON.stringify(r.raw.headers),
        r.raw.body,
        r.outcome,
        r.detail?.slice(0, 4000) ?? null,
      ],
    );
  }

  /** The accepted requests of a group commit, in one statement. */
  async storeAccepted(tx: Sql, rows: Omit<RawRequestRow, 'outcome' | 'detail'>[]): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.raw_requests (request_id, device_id, protocol, received_at, headers, body, outcome)
       SELECT r, d, p, t, h, b, 'accepted'
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::bytea[]) AS x(r, d, p, t, h, b)`,
      [
        rows.map((r) => r.requestId),
        rows.map((r) => r.deviceId.slice(0, 128)),
        rows.map((r) => r.raw.protocol),
        rows.map((r) => r.raw.receivedAt),
        rows.map((r) => JSON.stringify(r.raw.headers)),
        rows.map((r) => r.raw.body),
      ],
    );
  }

  /**
   * Locks (device, person) pairs until the transaction ends, in one order everywhere (no deadlock):
   * transactions that could collapse into each other decide one after the other.
   */
  async lockPersons(tx: Sql, pairs: { deviceId: string; personId: string }[]): Promise<void> {
    if (pairs.length === 0) return;
    await tx.query(
      // Device ids hold no '/', so the pair is unambiguous.
      `SELECT pg_advisory_xact_lock(k)
         FROM (SELECT DISTINCT hashtextextended('collapse:' || d || '/' || p, 0) AS k
                 FROM unnest($1::text[], $2::text[]) AS x(d, p) ORDER BY 1) s`,
      [pairs.map((x) => x.deviceId), pairs.map((x) => x.personId)],
    );
  }

  /** The records already held for these keys. */
  async held(tx: Sql, records: BatchPunch[]): Promise<Map<string, HeldRecord>> {
    const held = new Map<string, HeldRecord>();
    if (records.length === 0) return held;
    const rows = await tx.query<{ device_id: string; record_id: string; event_id: string | null }>(
      `SELECT r.device_id, r.record_id, r.event_id
         FROM unnest($1::text[], $2::text[]) AS t(d, k)
         JOIN ${this.schema}.device_records r ON r.device_id = t.d AND r.record_id = t.k`,
      [records.map((r) => r.deviceId), records.map((r) => r.key)],
    );
    for (const r of rows)
      held.set(
        recordIdentity({ deviceId: r.device_id, key: r.record_id }),
        r.event_id ? { eventId: r.event_id } : {},
      );
    return held;
  }

  /** Accepted records of these persons punched within the ranges. */
  async acceptedBetween(
    tx: Sql,
    scope: { deviceId: string; personId: string; from: Date; to: Date }[],
  ): Promise<AcceptedPunch[]> {
    if (scope.length === 0) return [];
    const rows = await tx.query<{
      device_id: string;
      person_id: string;
      record_id: string;
      punched_at: Date;
    }>(
      `SELECT DISTINCT r.device_id, r.person_id, r.record_id, r.punched_at
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS t(d, p, f, u)
         JOIN ${this.schema}.device_records r
           ON r.device_id = t.d AND r.person_id = t.p AND r.punched_at BETWEEN t.f AND t.u AND r.outcome = 'accepted'`,
      [
        scope.map((s) => s.deviceId),
        scope.map((s) => s.personId),
        scope.map((s) => s.from),
        scope.map((s) => s.to),
      ],
    );
    return rows.map((r) => ({
      deviceId: r.device_id,
      personId: r.person_id,
      key: r.record_id,
      punchedAt: r.punched_at,
    }));
  }

  /** Photos stored before their punch, by `photoJoinKey`. */
  async waitingPhotos(tx: Sql, records: BatchPunch[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (records.length === 0) return found;
    const rows = await tx.query<{
      device_id: string;
      person_id: string;
      punched_at: Date;
      photo_ref: string;
    }>(
      `SELECT pp.device_id, pp.person_id, pp.punched_at, pp.photo_ref
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(d, p, ts)
         JOIN ${this.schema}.punch_photos pp ON pp.device_id = t.d AND pp.person_id = t.p AND pp.punched_at = t.ts`,
      [
        records.map((r) => r.deviceId),
        records.map((r) => r.punch.personId),
        records.map((r) => r.punch.punchedAt),
      ],
    );
    for (const r of rows) found.set(photoJoinKey(r.device_id, r.person_id, r.punched_at), r.photo_ref);
    return found;
  }

  /** Inserts the records; returns the identities this transaction claimed (a concurrent one may have won some). */
  async claim(tx: Sql, claims: RecordClaim[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const rows = await tx.query<{ device_id: string; record_id: string }>(
      `INSERT INTO ${this.schema}.device_records (device_id, record_id, event_id, person_id, punched_at, outcome, request_id, photo_ref, backfill_id)
       SELECT d, r, e, p, t, o, q, f, b
         FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::uuid[], $8::text[], $9::uuid[])
           AS x(d, r, e, p, t, o, q, f, b)
       ON CONFLICT (device_id, record_id) DO NOTHING
       RETURNING device_id, record_id`,
      [
        claims.map((c) => c.record.deviceId),
        claims.map((c) => c.record.key),
        claims.map((c) => c.eventId ?? null),
        claims.map((c) => c.record.punch.personId),
        claims.map((c) => c.record.punch.punchedAt),
        claims.map((c) => c.outcome),
        claims.map((c) => c.requestId),
        claims.map((c) => c.photoRef ?? null),
        claims.map((c) => c.backfillId ?? null),
      ],
    );
    return new Set(rows.map((r) => recordIdentity({ deviceId: r.device_id, key: r.record_id })));
  }

  /** A photo that came apart from its punch: remembered for a punch to come, linked to one already here. */
  async joinPhoto(
    tx: Sql,
    p: { deviceId: string; personId: string; punchedAt: Date; photoRef: string },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.punch_photos (device_id, person_id, punched_at, photo_ref) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id, person_id, punched_at) DO UPDATE SET photo_ref = EXCLUDED.photo_ref`,
      [p.deviceId, p.personId, p.punchedAt, p.photoRef],
    );
    await tx.execute(
      `UPDATE ${this.schema}.device_records SET photo_ref = $4
        WHERE device_id = $1 AND person_id = $2 AND punched_at = $3 AND photo_ref IS NULL`,
      [p.deviceId, p.personId, p.punchedAt, p.photoRef],
    );
  }

  /** What the gateway holds from a device in a range, for the admin API. */
  async between(deviceId: string, from: Date, to: Date, limit: number): Promise<Record<string, unknown>[]> {
    return this.db.query<Record<string, unknown>>(
      `SELECT record_id AS key, person_id AS "personId", punched_at AS "punchedAt", outcome, event_id AS "eventId",
              photo_ref AS "photoRef", backfill_id AS "backfillId", first_seen_at AS "receivedAt"
         FROM ${this.schema}.device_records
        WHERE device_id = $1 AND punched_at >= $2 AND punched_at <= $3 ORDER BY punched_at, record_id LIMIT $4`,
      [deviceId, from, to, limit],
    );
  }

  /** The records of a device in a range (collapsed repeats included: the device holds them too). */
  async countBetween(deviceId: string, from: Date, to: Date): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.device_records
        WHERE device_id = $1 AND punched_at >= $2 AND punched_at <= $3`,
      [deviceId, from, to],
    );
    return Number(row.n);
  }

  /** Deletes raw requests older than `days`; returns how many went. */
  /**
   * Deletes raw requests older than `days`, a few thousand rows per statement: one statement over a
   * large table would run into the statement timeout, fail every time and never catch up.
   */
  async purgeRawRequests(days: number, batch = 5_000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.execute(
        `DELETE FROM ${this.schema}.raw_requests WHERE request_id IN (
           SELECT request_id FROM ${this.schema}.raw_requests
           WHERE received_at < now() - make_interval(days => $1) LIMIT $2)`,
        [days, batch],
      );
      total += n;
      if (n < batch) return total;
    }
  }
}
