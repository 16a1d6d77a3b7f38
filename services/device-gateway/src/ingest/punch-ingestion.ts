import { v7 as uuidv7 } from 'uuid';
import { Counter, Histogram, Registry } from 'prom-client';
import { createEvent, PunchDirection, PunchRecorded } from '@realname/contracts';
import { Database, EventStore, Sql } from '@realname/eventstore';
import type { Device } from '../devices/device';
import { Photo, PhotoStore } from '../photos/photo-store';

export const GATEWAY_SOURCE = '/realname/device-gateway';

/** A punch in the gateway's normal form, whatever protocol family delivered it. */
export interface NormalisedPunch {
  /**
   * The device's own sequence number / record id where the family has one (Hikvision serialNo, rtlog
   * index, HTTPv2 RecordID, open protocol recordId). Without it a punch is identified by person and
   * instant, and the same person again within the collapse window is collapsed into the first.
   */
  recordId?: string;
  personId: string;
  /** The time exactly as the device sent it. */
  deviceTime: string;
  punchedAt: Date;
  direction?: PunchDirection;
  verifyMode: string;
  photo?: Photo;
}

export interface RawRequest {
  /** The device family (and version) that delivered it, e.g. `zkteco-push`. */
  protocol: string;
  headers: Record<string, string>;
  body: Buffer;
  receivedAt: Date;
  correlationId?: string;
}

export type PunchStatus = 'accepted' | 'duplicate' | 'collapsed';

export interface PunchResult {
  /** The key the punch is known by: its record id, or `<personId>@<instant>` without one. */
  key: string;
  status: PunchStatus;
  /** The event of the punch (for a duplicate: of its first delivery; none for a collapsed punch). */
  eventId?: string;
}

export interface IngestOptions {
  /** The upload answers a records query of this backfill. */
  backfillId?: string;
}

interface Keyed {
  punch: NormalisedPunch;
  key: string;
  index: number;
  /** Which request of the group commit it came with. */
  job: number;
  device: Device;
}

interface Job {
  device: Device;
  raw: RawRequest;
  punches: NormalisedPunch[];
  opts: IngestOptions;
  requestId: string;
  resolve: (done: { requestId: string; results: PunchResult[] }) => void;
  reject: (err: unknown) => void;
}

/** How requests are grouped into transactions. */
export interface GroupCommitOptions {
  /** Transactions in flight at once. */
  concurrency: number;
  maxRequests: number;
  maxPunches: number;
}

/** A record is one key of one device. */
function recordIdentity(k: Keyed): string {
  return `${k.device.deviceId}\u0000${k.key}`;
}

/** The key of a punch: the device's record id, else person and instant. */
export function punchKey(p: NormalisedPunch): string {
  return p.recordId ?? `${p.personId}@${p.punchedAt.toISOString()}`;
}

/**
 * Turns a device's request into PunchRecorded events, exactly once per device record: in one
 * transaction the raw request is stored, the record keys are claimed (a key seen before is a
 * duplicate and keeps its first event id), punches without a record id that repeat the same person
 * within the collapse window are collapsed, photos are stored content-addressed, and the new punches
 * are appended to the device's stream. The caller acknowledges only after this commits.
 */
export class PunchIngestion {
  private readonly store: EventStore;
  private readonly punches?: Counter<'result' | 'protocol'>;
  private readonly requests?: Counter<'outcome' | 'protocol'>;
  private readonly photosDropped?: Counter<'protocol'>;
  private readonly batchSize?: Histogram;
  private readonly pending: Job[] = [];
  private flushing = 0;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly photos: PhotoStore,
    private readonly collapseWindowMs: number,
    registry?: Registry,
    private readonly groupCommit: GroupCommitOptions = { concurrency: 2, maxRequests: 500, maxPunches: 5000 },
  ) {
    this.store = new EventStore(db, schema);
    if (registry) {
      this.punches = new Counter({
        name: 'gateway_punches_total',
        help: 'Punches received from devices, by result (accepted, duplicate, collapsed, rejected) and family',
        labelNames: ['result', 'protocol'],
        registers: [registry],
      });
      this.requests = new Counter({
        name: 'gateway_requests_total',
        help: 'Device requests by outcome (accepted, ignored, unauthenticated, malformed) and family',
        labelNames: ['outcome', 'protocol'],
        registers: [registry],
      });
      this.photosDropped = new Counter({
        name: 'gateway_photos_dropped_total',
        help: 'Photos not stored because they exceeded the size limit (the punch was kept)',
        labelNames: ['protocol'],
        registers: [registry],
      });
      this.batchSize = new Histogram({
        name: 'gateway_ingest_group_commit_requests',
        help: 'Device requests committed together in one transaction',
        buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
        registers: [registry],
      });
    }
  }

  /**
   * Stores the request and its punches; resolves once they are committed (acknowledge only then).
   * Requests arriving together are committed together (group commit): one transaction, a handful of
   * statements, whatever the number of requests in it.
   */
  ingest(
    device: Device,
    raw: RawRequest,
    punches: NormalisedPunch[],
    opts: IngestOptions = {},
  ): Promise<{ requestId: string; results: PunchResult[] }> {
    return new Promise<{ requestId: string; results: PunchResult[] }>((resolve, reject) => {
      this.pending.push({ device, raw, punches, opts, requestId: uuidv7(), resolve, reject });
      this.schedule();
    }).then((done) => {
      const count = (st: PunchStatus) => done.results.filter((r) => r.status === st).length;
      for (const st of ['accepted', 'duplicate', 'collapsed'] as const) {
        const n = count(st);
        if (n > 0) this.punches?.inc({ result: st, protocol: raw.protocol }, n);
      }
      this.requests?.inc({ outcome: 'accepted', protocol: raw.protocol });
      return done;
    });
  }

  private schedule(): void {
    while (this.flushing < this.groupCommit.concurrency && this.pending.length > 0) {
      this.flushing++;
      // Let the requests that arrived in the same turn of the event loop join the first transaction.
      setImmediate(() => void this.flushLoop());
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const jobs = this.takeBatch();
        await this.commit(jobs);
      }
    } finally {
      this.flushing--;
    }
  }

  private takeBatch(): Job[] {
    let punches = 0;
    let n = 0;
    while (
      n < this.pending.length &&
      n < this.groupCommit.maxRequests &&
      (n === 0 || punches + this.pending[n].punches.length <= this.groupCommit.maxPunches)
    ) {
      punches += this.pending[n].punches.length;
      n++;
    }
    return this.pending.splice(0, n);
  }

  /** One transaction for the jobs; if it fails, each job alone, so that one bad request fails only itself. */
  private async commit(jobs: Job[]): Promise<void> {
    this.batchSize?.observe(jobs.length);
    try {
      const results = await this.db.transaction((tx) => this.recordBatch(tx, jobs));
      jobs.forEach((j, i) => j.resolve({ requestId: j.requestId, results: results[i] }));
    } catch (err) {
      if (jobs.length === 1) {
        jobs[0].reject(err);
        return;
      }
      for (const job of jobs) {
        try {
          const [results] = await this.db.transaction((tx) => this.recordBatch(tx, [job]));
          job.resolve({ requestId: job.requestId, results });
        } catch (single) {
          job.reject(single);
        }
      }
    }
  }

  /** Keeps a request that carried no punch but is evidence (an operation log, a door event, a result). */
  async keep(
    deviceId: string,
    raw: RawRequest,
    outcome: 'accepted' | 'ignored',
    detail?: string,
  ): Promise<string> {
    const requestId = uuidv7();
    this.requests?.inc({ outcome, protocol: raw.protocol });
    await this.storeRaw(this.db, requestId, deviceId, raw, outcome, detail);
    return requestId;
  }

  /** Keeps a request that was refused (unknown device, bad signature, malformed); emits nothing. */
  async refuse(
    deviceId: string,
    raw: RawRequest,
    outcome: 'unauthenticated' | 'malformed',
    detail: string,
    punchCount = 0,
  ): Promise<void> {
    this.requests?.inc({ outcome, protocol: raw.protocol });
    if (punchCount > 0) this.punches?.inc({ result: 'rejected', protocol: raw.protocol }, punchCount);
    await this.storeRaw(this.db, uuidv7(), deviceId, raw, outcome, detail);
  }

  /**
   * A photo that arrives apart from its punch (ZKTeco ATTPHOTO), in either order: stored, remembered
   * under (device, person, instant) for a punch still to come, and linked to the punch if it is here.
   */
  async attachPhoto(
    device: Device,
    raw: RawRequest,
    p: { personId: string; punchedAt: Date; photo: Photo },
  ): Promise<{ requestId: string; photoRef?: string; tooLarge?: boolean }> {
    const requestId = uuidv7();
    const stored = await this.db.transaction(async (tx) => {
      await this.storeRaw(tx, requestId, device.deviceId, raw, 'accepted', 'photo');
      const put = await this.photos.put(p.photo.bytes, p.photo.contentType, tx);
      if (!put.ref) return put;
      await tx.execute(
        `INSERT INTO ${this.schema}.punch_photos (device_id, person_id, punched_at, photo_ref) VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_id, person_id, punched_at) DO UPDATE SET photo_ref = EXCLUDED.photo_ref`,
        [device.deviceId, p.personId, p.punchedAt, put.ref],
      );
      await tx.execute(
        `UPDATE ${this.schema}.device_records SET photo_ref = $4
          WHERE device_id = $1 AND person_id = $2 AND punched_at = $3 AND photo_ref IS NULL`,
        [device.deviceId, p.personId, p.punchedAt, put.ref],
      );
      return put;
    });
    this.requests?.inc({ outcome: 'accepted', protocol: raw.protocol });
    if (stored.tooLarge) this.photosDropped?.inc({ protocol: raw.protocol });
    return { requestId, photoRef: stored.ref, tooLarge: stored.tooLarge };
  }

  private async storeRaw(
    sql: Sql,
    requestId: string,
    deviceId: string,
    raw: RawRequest,
    outcome: string,
    detail?: string,
  ) {
    await sql.execute(
      `INSERT INTO ${this.schema}.raw_requests (request_id, device_id, protocol, received_at, headers, body, outcome, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        requestId,
        deviceId.slice(0, 128),
        raw.protocol,
        raw.receivedAt,
        JSON.stringify(raw.headers),
        raw.body,
        outcome,
        detail?.slice(0, 4000) ?? null,
      ],
    );
  }

  private async recordBatch(tx: Sql, jobs: Job[]): Promise<PunchResult[][]> {
    await tx.execute(
      `INSERT INTO ${this.schema}.raw_requests (request_id, device_id, protocol, received_at, headers, body, outcome)
       SELECT r, d, p, t, h, b, 'accepted'
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::bytea[]) AS x(r, d, p, t, h, b)`,
      [
        jobs.map((j) => j.requestId),
        jobs.map((j) => j.device.deviceId.slice(0, 128)),
        jobs.map((j) => j.raw.protocol),
        jobs.map((j) => j.raw.receivedAt),
        jobs.map((j) => JSON.stringify(j.raw.headers)),
        jobs.map((j) => j.raw.body),
      ],
    );
    const keyed: Keyed[][] = jobs.map((j, job) =>
      j.punches.map((punch, index) => ({ punch, key: punchKey(punch), index, job, device: j.device })),
    );
    // The first occurrence of a device's key in the batch wins; later ones are duplicates.
    const first = new Map<string, Keyed>();
    for (const k of keyed.flat()) {
      const id = recordIdentity(k);
      if (!first.has(id)) first.set(id, k);
    }
    const unique = [...first.values()];
    const collapsed = await this.collapsedKeys(tx, unique);
    const proposed = new Map(
      unique.map((k) => [recordIdentity(k), collapsed.has(recordIdentity(k)) ? null : uuidv7()]),
    );
    const photoRefs = await this.photoRefs(tx, unique, collapsed);

    const claimed = await tx.query<{ device_id: string; record_id: string }>(
      `INSERT INTO ${this.schema}.device_records (device_id, record_id, event_id, person_id, punched_at, outcome, request_id, photo_ref, backfill_id)
       SELECT d, r, e, p, t, o, q, f, b
         FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $7::uuid[], $8::text[], $9::uuid[])
           AS x(d, r, e, p, t, o, q, f, b)
       ON CONFLICT (device_id, record_id) DO NOTHING
       RETURNING device_id, record_id`,
      [
        unique.map((k) => k.device.deviceId),
        unique.map((k) => k.key),
        unique.map((k) => proposed.get(recordIdentity(k))),
        unique.map((k) => k.punch.personId),
        unique.map((k) => k.punch.punchedAt),
        unique.map((k) => (collapsed.has(recordIdentity(k)) ? 'collapsed' : 'accepted')),
        unique.map((k) => jobs[k.job].requestId),
        unique.map((k) => photoRefs.get(recordIdentity(k)) ?? null),
        unique.map((k) => jobs[k.job].opts.backfillId ?? null),
      ],
    );
    const fresh = new Set(claimed.map((r) => `${r.device_id}\u0000${r.record_id}`));
    const known = await this.knownEvents(
      tx,
      unique.filter((k) => !fresh.has(recordIdentity(k))),
    );

    const accepted = unique.filter((k) => fresh.has(recordIdentity(k)) && !collapsed.has(recordIdentity(k)));
    const events = accepted.map((k) =>
      this.event(k, jobs[k.job], proposed.get(recordIdentity(k))!, photoRefs.get(recordIdentity(k))),
    );
    await this.store.appendAny(events, tx);
    for (const [i, j] of jobs.entries()) {
      if (!j.opts.backfillId) continue;
      const recovered = accepted.filter((k) => k.job === i).length;
      await tx.execute(
        `UPDATE ${this.schema}.backfills SET received = received + $2, recovered = recovered + $3,
           status = CASE WHEN status = 'requested' THEN 'running' ELSE status END
          WHERE backfill_id = $1`,
        [j.opts.backfillId, j.punches.length, recovered],
      );
    }

    return keyed.map((ks) =>
      ks.map((k): PunchResult => {
        const id = recordIdentity(k);
        if (first.get(id) === k && fresh.has(id)) {
          return collapsed.has(id)
            ? { key: k.key, status: 'collapsed' }
            : { key: k.key, status: 'accepted', eventId: proposed.get(id)! };
        }
        const eventId = known.get(id) ?? proposed.get(id) ?? undefined;
        return { key: k.key, status: 'duplicate', ...(eventId ? { eventId } : {}) };
      }),
    );
  }

  /**
   * Punches without a record id that repeat a person within the collapse window of an accepted punch
   * (already stored, or earlier in this batch) are collapsed: a face terminal recognises a person
   * standing in front of it several times a second.
   */
  private async collapsedKeys(tx: Sql, unique: Keyed[]): Promise<Set<string>> {
    const candidates = unique.filter((k) => k.punch.recordId === undefined);
    const out = new Set<string>();
    if (candidates.length === 0 || this.collapseWindowMs <= 0) return out;
    const near = await tx.query<{ d: string; k: string }>(
      `SELECT t.d, t.k FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS t(d, k, p, ts)
        WHERE EXISTS (SELECT 1 FROM ${this.schema}.device_records r
                       WHERE r.device_id = t.d AND r.person_id = t.p AND r.outcome = 'accepted'
                         AND r.record_id <> t.k
                         AND r.punched_at > t.ts - make_interval(secs => $5::double precision / 1000)
                         AND r.punched_at < t.ts + make_interval(secs => $5::double precision / 1000))`,
      [
        candidates.map((k) => k.device.deviceId),
        candidates.map((k) => k.key),
        candidates.map((k) => k.punch.personId),
        candidates.map((k) => k.punch.punchedAt),
        this.collapseWindowMs,
      ],
    );
    for (const r of near) out.add(`${r.d}\u0000${r.k}`);
    // Within the batch: in time order, a punch near one kept before it (same device and person) is collapsed.
    const kept = new Map<string, number[]>();
    const byTime = [...candidates].sort((a, b) => a.punch.punchedAt.getTime() - b.punch.punchedAt.getTime());
    for (const k of byTime) {
      const id = recordIdentity(k);
      if (out.has(id)) continue;
      const who = `${k.device.deviceId}\u0000${k.punch.personId}`;
      const t = k.punch.punchedAt.getTime();
      const times = kept.get(who) ?? [];
      if (times.some((x) => Math.abs(t - x) < this.collapseWindowMs)) out.add(id);
      else kept.set(who, [...times, t]);
    }
    return out;
  }

  /** Stores the photos that came with the punches, and finds those that came before them (ZKTeco). */
  private async photoRefs(tx: Sql, unique: Keyed[], collapsed: Set<string>): Promise<Map<string, string>> {
    const refs = new Map<string, string>();
    for (const k of unique) {
      const id = recordIdentity(k);
      if (!k.punch.photo || collapsed.has(id)) continue;
      const put = await this.photos.put(k.punch.photo.bytes, k.punch.photo.contentType, tx);
      if (put.ref) refs.set(id, put.ref);
      else if (put.tooLarge) this.photosDropped?.inc({ protocol: k.device.family });
    }
    const waiting = unique.filter(
      (k) => k.device.family === 'zkteco-push' && !k.punch.photo && !collapsed.has(recordIdentity(k)),
    );
    if (waiting.length > 0) {
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
          waiting.map((k) => k.device.deviceId),
          waiting.map((k) => k.punch.personId),
          waiting.map((k) => k.punch.punchedAt),
        ],
      );
      const found = new Map(
        rows.map((r) => [`${r.device_id}\u0000${r.person_id}@${r.punched_at.toISOString()}`, r.photo_ref]),
      );
      for (const k of waiting) {
        const ref = found.get(
          `${k.device.deviceId}\u0000${k.punch.personId}@${k.punch.punchedAt.toISOString()}`,
        );
        if (ref) refs.set(recordIdentity(k), ref);
      }
    }
    return refs;
  }

  private async knownEvents(tx: Sql, seen: Keyed[]): Promise<Map<string, string>> {
    const known = new Map<string, string>();
    if (seen.length === 0) return known;
    const rows = await tx.query<{ device_id: string; record_id: string; event_id: string | null }>(
      `SELECT r.device_id, r.record_id, r.event_id
         FROM unnest($1::text[], $2::text[]) AS t(d, k)
         JOIN ${this.schema}.device_records r ON r.device_id = t.d AND r.record_id = t.k`,
      [seen.map((k) => k.device.deviceId), seen.map((k) => k.key)],
    );
    for (const r of rows) if (r.event_id) known.set(`${r.device_id}\u0000${r.record_id}`, r.event_id);
    return known;
  }

  private event(k: Keyed, job: Job, eventId: string, photoRef: string | undefined) {
    const { device, raw } = job;
    const p = k.punch;
    const streamId = `device-${device.deviceId}`;
    return createEvent(
      PunchRecorded,
      {
        deviceId: device.deviceId,
        projectId: device.projectId,
        region: device.region,
        deviceRecordId: k.key,
        personId: p.personId,
        deviceTime: p.deviceTime,
        punchedAt: p.punchedAt.toISOString(),
        timeZone: device.timeZone,
        receivedAt: raw.receivedAt.toISOString(),
        skewMs: raw.receivedAt.getTime() - p.punchedAt.getTime(),
        direction: p.direction ?? device.defaultDirection,
        verifyMode: p.verifyMode,
        protocol: raw.protocol,
        rawRequestId: job.requestId,
        ...(photoRef ? { photoRef } : {}),
      },
      {
        id: eventId,
        source: GATEWAY_SOURCE,
        subject: streamId,
        region: device.region,
        correlationId: raw.correlationId,
        causationId: job.requestId,
        time: p.punchedAt,
      },
    );
  }
}
