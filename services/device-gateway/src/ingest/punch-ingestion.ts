import { v7 as uuidv7 } from 'uuid';
import { Counter, Registry } from 'prom-client';
import { createEvent, PunchDirection, PunchRecorded } from '@realname/contracts';
import { ANY, Database, EventStore, Sql } from '@realname/eventstore';
import type { Device } from '../devices/device';

export const GATEWAY_SOURCE = '/realname/device-gateway';

/** A punch in the gateway's normal form, whatever protocol family delivered it. */
export interface NormalisedPunch {
  recordId: string;
  personId: string;
  /** The time exactly as the device sent it. */
  deviceTime: string;
  punchedAt: Date;
  direction?: PunchDirection;
  verifyMode: string;
  photoRef?: string;
}

export interface RawRequest {
  protocol: string;
  headers: Record<string, string>;
  body: Buffer;
  receivedAt: Date;
  correlationId?: string;
}

export interface PunchResult {
  recordId: string;
  status: 'accepted' | 'duplicate';
  eventId: string;
}

/**
 * Turns a device's request into PunchRecorded events, exactly once per device record: in one
 * transaction the raw request is stored, the record ids are claimed (a record id seen before is a
 * duplicate and keeps its first event id), and the new punches are appended to the device's stream.
 * The caller acknowledges only after this commits.
 */
export class PunchIngestion {
  private readonly store: EventStore;
  private readonly punches?: Counter<'result' | 'protocol'>;
  private readonly requests?: Counter<'outcome' | 'protocol'>;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    registry?: Registry,
  ) {
    this.store = new EventStore(db, schema);
    if (registry) {
      this.punches = new Counter({
        name: 'gateway_punches_total',
        help: 'Punches received from devices, by result (accepted, duplicate, rejected)',
        labelNames: ['result', 'protocol'],
        registers: [registry],
      });
      this.requests = new Counter({
        name: 'gateway_requests_total',
        help: 'Device requests by outcome (accepted, unauthenticated, malformed, failed)',
        labelNames: ['outcome', 'protocol'],
        registers: [registry],
      });
    }
  }

  async ingest(
    device: Device,
    raw: RawRequest,
    punches: NormalisedPunch[],
  ): Promise<{ requestId: string; results: PunchResult[] }> {
    const requestId = uuidv7();
    const results = await this.db.transaction(async (tx) => {
      await this.storeRaw(tx, requestId, device.deviceId, raw, 'accepted');
      return this.record(tx, device, raw, requestId, punches);
    });
    const accepted = results.filter((r) => r.status === 'accepted').length;
    this.punches?.inc({ result: 'accepted', protocol: raw.protocol }, accepted);
    this.punches?.inc({ result: 'duplicate', protocol: raw.protocol }, results.length - accepted);
    this.requests?.inc({ outcome: 'accepted', protocol: raw.protocol });
    return { requestId, results };
  }

  /** Keeps a request that was refused (bad signature, malformed) for diagnosis; emits nothing. */
  async refuse(
    deviceId: string,
    raw: RawRequest,
    outcome: 'unauthenticated' | 'malformed',
    detail: string,
    punchCount = 0,
  ): Promise<void> {
    this.requests?.inc({ outcome, protocol: raw.protocol });
    if (punchCount > 0) this.punches?.inc({ result: 'rejected', protocol: raw.protocol }, punchCount);
    await this.db.transaction((tx) => this.storeRaw(tx, uuidv7(), deviceId, raw, outcome, detail));
  }

  private async storeRaw(
    tx: Sql,
    requestId: string,
    deviceId: string,
    raw: RawRequest,
    outcome: string,
    detail?: string,
  ) {
    await tx.execute(
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
        detail ?? null,
      ],
    );
  }

  private async record(
    tx: Sql,
    device: Device,
    raw: RawRequest,
    requestId: string,
    punches: NormalisedPunch[],
  ): Promise<PunchResult[]> {
    // The first occurrence of a record id in the batch wins; later ones in the same batch are duplicates.
    const firstIndex = new Map<string, number>();
    punches.forEach((p, i) => firstIndex.has(p.recordId) || firstIndex.set(p.recordId, i));
    const unique = [...firstIndex.values()].map((i) => punches[i]);
    const proposed = new Map(unique.map((p) => [p.recordId, uuidv7()]));

    const claimed = await tx.query<{ record_id: string }>(
      `INSERT INTO ${this.schema}.device_records (device_id, record_id, event_id)
       SELECT $1, r, e FROM unnest($2::text[], $3::uuid[]) AS t(r, e)
       ON CONFLICT (device_id, record_id) DO NOTHING
       RETURNING record_id`,
      [device.deviceId, [...proposed.keys()], [...proposed.values()]],
    );
    const fresh = new Set(claimed.map((r) => r.record_id));
    const seenBefore = unique.filter((p) => !fresh.has(p.recordId)).map((p) => p.recordId);
    const known = new Map<string, string>();
    if (seenBefore.length > 0) {
      const rows = await tx.query<{ record_id: string; event_id: string }>(
        `SELECT record_id, event_id FROM ${this.schema}.device_records WHERE device_id = $1 AND record_id = ANY($2::text[])`,
        [device.deviceId, seenBefore],
      );
      for (const r of rows) known.set(r.record_id, r.event_id);
    }

    const streamId = `device-${device.deviceId}`;
    const events = unique
      .filter((p) => fresh.has(p.recordId))
      .map((p) =>
        createEvent(
          PunchRecorded,
          {
            deviceId: device.deviceId,
            projectId: device.projectId,
            region: device.region,
            deviceRecordId: p.recordId,
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
            ...(p.photoRef ? { photoRef: p.photoRef } : {}),
          },
          {
            id: proposed.get(p.recordId),
            source: GATEWAY_SOURCE,
            subject: streamId,
            region: device.region,
            correlationId: raw.correlationId,
            causationId: requestId,
            time: p.punchedAt,
          },
        ),
      );
    if (events.length > 0) await this.store.append(streamId, events, ANY, tx);

    return punches.map((p, i) => {
      const isFirst = firstIndex.get(p.recordId) === i;
      if (isFirst && fresh.has(p.recordId))
        return { recordId: p.recordId, status: 'accepted', eventId: proposed.get(p.recordId)! };
      return {
        recordId: p.recordId,
        status: 'duplicate',
        eventId: known.get(p.recordId) ?? proposed.get(p.recordId)!,
      };
    });
  }
}
