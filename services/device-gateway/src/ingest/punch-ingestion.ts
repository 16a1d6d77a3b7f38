import { v7 as uuidv7 } from 'uuid';
import { Counter, Registry } from 'prom-client';
import { createEvent, PunchDirection, PunchRecorded } from '@realname/contracts';
import { ANY, Database, EventStore, Sql } from '@realname/eventstore';
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

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly photos: PhotoStore,
    private readonly collapseWindowMs: number,
    registry?: Registry,
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
    }
  }

  async ingest(
    device: Device,
    raw: RawRequest,
    punches: NormalisedPunch[],
    opts: IngestOptions = {},
  ): Promise<{ requestId: string; results: PunchResult[] }> {
    const requestId = uuidv7();
    const results = await this.db.transaction(async (tx) => {
      await this.storeRaw(tx, requestId, device.deviceId, raw, 'accepted');
      return this.record(tx, device, raw, requestId, punches, opts);
    });
    const count = (s: PunchStatus) => results.filter((r) => r.status === s).length;
    for (const s of ['accepted', 'duplicate', 'collapsed'] as const) {
      const n = count(s);
      if (n > 0) this.punches?.inc({ result: s, protocol: raw.protocol }, n);
    }
    this.requests?.inc({ outcome: 'accepted', protocol: raw.protocol });
    return { requestId, results };
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

  private async record(
    tx: Sql,
    device: Device,
    raw: RawRequest,
    requestId: string,
    punches: NormalisedPunch[],
    opts: IngestOptions,
  ): Promise<PunchResult[]> {
    const keyed: Keyed[] = punches.map((punch, index) => ({ punch, key: punchKey(punch), index }));
    // The first occurrence of a key in the batch wins; later ones in the same batch are duplicates.
    const firstIndex = new Map<string, number>();
    for (const k of keyed) if (!firstIndex.has(k.key)) firstIndex.set(k.key, k.index);
    const unique = [...firstIndex.values()].map((i) => keyed[i]);
    const collapsed = await this.collapsedKeys(tx, device.deviceId, unique);
    const proposed = new Map(unique.map((k) => [k.key, collapsed.has(k.key) ? null : uuidv7()]));
    const photoRefs = await this.photoRefs(tx, device, raw, unique, collapsed);

    const claimed = await tx.query<{ record_id: string }>(
      `INSERT INTO ${this.schema}.device_records (device_id, record_id, event_id, person_id, punched_at, outcome, request_id, photo_ref, backfill_id)
       SELECT $1, r, e, p, t, o, $7, f, $9 FROM unnest($2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[], $8::text[]) AS x(r, e, p, t, o, f)
       ON CONFLICT (device_id, record_id) DO NOTHING
       RETURNING record_id`,
      [
        device.deviceId,
        unique.map((k) => k.key),
        unique.map((k) => proposed.get(k.key)),
        unique.map((k) => k.punch.personId),
        unique.map((k) => k.punch.punchedAt),
        unique.map((k) => (collapsed.has(k.key) ? 'collapsed' : 'accepted')),
        requestId,
        unique.map((k) => photoRefs.get(k.key) ?? null),
        opts.backfillId ?? null,
      ],
    );
    const fresh = new Set(claimed.map((r) => r.record_id));
    const known = await this.knownEvents(
      tx,
      device.deviceId,
      unique.filter((k) => !fresh.has(k.key)).map((k) => k.key),
    );

    const streamId = `device-${device.deviceId}`;
    const events = unique
      .filter((k) => fresh.has(k.key) && !collapsed.has(k.key))
      .map((k) =>
        this.event(device, raw, requestId, k, proposed.get(k.key)!, photoRefs.get(k.key), streamId),
      );
    if (events.length > 0) await this.store.append(streamId, events, ANY, tx);
    if (opts.backfillId) {
      await tx.execute(
        `UPDATE ${this.schema}.backfills SET received = received + $2, recovered = recovered + $3,
           status = CASE WHEN status = 'requested' THEN 'running' ELSE status END
          WHERE backfill_id = $1`,
        [opts.backfillId, punches.length, events.length],
      );
    }

    return keyed.map((k): PunchResult => {
      const isFirst = firstIndex.get(k.key) === k.index;
      if (isFirst && fresh.has(k.key)) {
        return collapsed.has(k.key)
          ? { key: k.key, status: 'collapsed' }
          : { key: k.key, status: 'accepted', eventId: proposed.get(k.key)! };
      }
      const eventId = known.get(k.key) ?? proposed.get(k.key) ?? undefined;
      return { key: k.key, status: 'duplicate', ...(eventId ? { eventId } : {}) };
    });
  }

  /**
   * Punches without a record id that repeat a person within the collapse window of an accepted punch
   * (already stored, or earlier in this batch) are collapsed: a face terminal recognises a person
   * standing in front of it several times a second.
   */
  private async collapsedKeys(tx: Sql, deviceId: string, unique: Keyed[]): Promise<Set<string>> {
    const candidates = unique.filter((k) => k.punch.recordId === undefined);
    const out = new Set<string>();
    if (candidates.length === 0 || this.collapseWindowMs <= 0) return out;
    const near = await tx.query<{ k: string }>(
      `SELECT t.k FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS t(k, p, ts)
        WHERE EXISTS (SELECT 1 FROM ${this.schema}.device_records d
                       WHERE d.device_id = $1 AND d.person_id = t.p AND d.outcome = 'accepted'
                         AND d.record_id <> t.k
                         AND d.punched_at > t.ts - make_interval(secs => $5::double precision / 1000)
                         AND d.punched_at < t.ts + make_interval(secs => $5::double precision / 1000))`,
      [
        deviceId,
        candidates.map((k) => k.key),
        candidates.map((k) => k.punch.personId),
        candidates.map((k) => k.punch.punchedAt),
        this.collapseWindowMs,
      ],
    );
    for (const r of near) out.add(r.k);
    // Within the batch: in time order, a punch near one kept before it is collapsed.
    const kept = new Map<string, number[]>();
    const byTime = [...candidates].sort((a, b) => a.punch.punchedAt.getTime() - b.punch.punchedAt.getTime());
    for (const k of byTime) {
      if (out.has(k.key)) continue;
      const t = k.punch.punchedAt.getTime();
      const times = kept.get(k.punch.personId) ?? [];
      if (times.some((s) => Math.abs(t - s) < this.collapseWindowMs)) out.add(k.key);
      else kept.set(k.punch.personId, [...times, t]);
    }
    return out;
  }

  /** Stores the photos that came with the punches, and finds those that came before them (ZKTeco). */
  private async photoRefs(
    tx: Sql,
    device: Device,
    raw: RawRequest,
    unique: Keyed[],
    collapsed: Set<string>,
  ): Promise<Map<string, string>> {
    const refs = new Map<string, string>();
    for (const k of unique) {
      if (!k.punch.photo || collapsed.has(k.key)) continue;
      const put = await this.photos.put(k.punch.photo.bytes, k.punch.photo.contentType, tx);
      if (put.ref) refs.set(k.key, put.ref);
      else if (put.tooLarge) this.photosDropped?.inc({ protocol: raw.protocol });
    }
    const waiting = unique.filter((k) => !refs.has(k.key) && !k.punch.photo && !collapsed.has(k.key));
    if (device.family === 'zkteco-push' && waiting.length > 0) {
      const rows = await tx.query<{ person_id: string; punched_at: Date; photo_ref: string }>(
        `SELECT pp.person_id, pp.punched_at, pp.photo_ref
           FROM unnest($2::text[], $3::timestamptz[]) AS t(p, ts)
           JOIN ${this.schema}.punch_photos pp ON pp.device_id = $1 AND pp.person_id = t.p AND pp.punched_at = t.ts`,
        [device.deviceId, waiting.map((k) => k.punch.personId), waiting.map((k) => k.punch.punchedAt)],
      );
      const found = new Map(rows.map((r) => [`${r.person_id}@${r.punched_at.toISOString()}`, r.photo_ref]));
      for (const k of waiting) {
        const ref = found.get(`${k.punch.personId}@${k.punch.punchedAt.toISOString()}`);
        if (ref) refs.set(k.key, ref);
      }
    }
    return refs;
  }

  private async knownEvents(tx: Sql, deviceId: string, keys: string[]): Promise<Map<string, string>> {
    const known = new Map<string, string>();
    if (keys.length === 0) return known;
    const rows = await tx.query<{ record_id: string; event_id: string | null }>(
      `SELECT record_id, event_id FROM ${this.schema}.device_records WHERE device_id = $1 AND record_id = ANY($2::text[])`,
      [deviceId, keys],
    );
    for (const r of rows) if (r.event_id) known.set(r.record_id, r.event_id);
    return known;
  }

  private event(
    device: Device,
    raw: RawRequest,
    requestId: string,
    k: Keyed,
    eventId: string,
    photoRef: string | undefined,
    streamId: string,
  ) {
    const p = k.punch;
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
        rawRequestId: requestId,
        ...(photoRef ? { photoRef } : {}),
      },
      {
        id: eventId,
        source: GATEWAY_SOURCE,
        subject: streamId,
        region: device.region,
        correlationId: raw.correlationId,
        causationId: requestId,
        time: p.punchedAt,
      },
    );
  }
}
