import { v7 as uuidv7 } from 'uuid';
import { Registry } from 'prom-client';
import { createEvent, PunchRecorded } from '@realname/contracts';
import { Database, EventStore, Sql } from '@realname/eventstore';
import { BackfillRepository } from '../backfill/backfill.repository';
import type { Device } from '../devices/device';
import { Photo, PhotoStore } from '../photos/photo-store';
import { GroupCommit, GroupCommitOptions } from './group-commit';
import {
  awaitsPhoto,
  backfillProgress,
  BatchPunch,
  collapseScope,
  decideIngest,
  personsToLock,
  punchResults,
  recordIdentity,
  recordsOfBatch,
  RecordDecision,
  settleClaims,
} from './ingest-batch.decider';
import { IngestMetrics } from './ingest-metrics';
import { GATEWAY_SOURCE, IngestOptions, NormalisedPunch, PunchResult, RawRequest } from './punch';
import { PunchRecordsRepository, RecordClaim } from './punch-records.repository';
import { RefusedRequests } from './refused-requests';

export type { GroupCommitOptions } from './group-commit';
export {
  GATEWAY_SOURCE,
  punchKey,
  type IngestOptions,
  type NormalisedPunch,
  type PunchResult,
  type PunchStatus,
  type RawRequest,
} from './punch';

interface Job {
  device: Device;
  raw: RawRequest;
  punches: NormalisedPunch[];
  opts: IngestOptions;
  requestId: string;
}

type Ingested = { requestId: string; results: PunchResult[] };

/**
 * Turns a device's request into PunchRecorded events, exactly once per device record. Requests arriving
 * together share one transaction (group commit); in it the raw requests are stored, the facts are read,
 * the pure decider (ingest-batch.decider.ts) decides each punch, and the repository stores what it
 * decided. The caller acknowledges only after this commits.
 */
export class PunchIngestion {
  private readonly store: EventStore;
  private readonly records: PunchRecordsRepository;
  private readonly backfills: BackfillRepository;
  private readonly metrics: IngestMetrics;
  private readonly groupCommit: GroupCommit<Job, Ingested>;
  private readonly refused: RefusedRequests;

  /**
   * `refused` keeps refused and ignored requests (counted, sampled); without it, one that counts every
   * device as unknown and keeps the default sample.
   */
  constructor(
    private readonly db: Database,
    schema: string,
    private readonly photos: PhotoStore,
    private readonly collapseWindowMs: number,
    registry?: Registry,
    groupCommit: GroupCommitOptions = { concurrency: 2, maxRequests: 500, maxPunches: 5000 },
    refused?: RefusedRequests,
  ) {
    this.refused = refused ?? new RefusedRequests(db, schema, async () => false);
    this.store = new EventStore(db, schema);
    this.records = new PunchRecordsRepository(db, schema);
    this.backfills = new BackfillRepository(db, schema);
    this.metrics = new IngestMetrics(registry);
    this.groupCommit = new GroupCommit<Job, Ingested>(
      (jobs) => this.db.transaction((tx) => this.recordBatch(tx, jobs)),
      groupCommit,
      (job) => job.punches.length,
      (n) => this.metrics.groupCommit(n),
    );
  }

  /** Stores the request and its punches; resolves once they are committed (acknowledge only then). */
  async ingest(
    device: Device,
    raw: RawRequest,
    punches: NormalisedPunch[],
    opts: IngestOptions = {},
  ): Promise<Ingested> {
    const done = await this.groupCommit.submit({ device, raw, punches, opts, requestId: uuidv7() });
    this.metrics.stored(raw.protocol, done.results);
    return done;
  }

  /**
   * Keeps a request that carried no punch but is evidence (an operation log, a result): whole when
   * `accepted`; when `ignored` (not a person's pass, a stranger), counted and only sampled, as refusals.
   */
  async keep(
    deviceId: string,
    raw: RawRequest,
    outcome: 'accepted' | 'ignored',
    detail?: string,
  ): Promise<string> {
    const requestId = uuidv7();
    this.metrics.request(raw.protocol, outcome);
    if (outcome === 'ignored') await this.refused.record(requestId, deviceId, raw, outcome, detail ?? '');
    else await this.records.storeRaw({ requestId, deviceId, raw, outcome, detail });
    return requestId;
  }

  /**
   * Counts a request that was refused (unknown device, bad credentials, malformed) and keeps a capped
   * sample of it (RefusedRequests); emits nothing.
   */
  async refuse(
    deviceId: string,
    raw: RawRequest,
    outcome: 'unauthenticated' | 'malformed',
    detail: string,
    punchCount = 0,
  ): Promise<void> {
    this.metrics.request(raw.protocol, outcome, punchCount);
    await this.refused.record(uuidv7(), deviceId, raw, outcome, detail);
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
      await this.records.storeRaw(
        { requestId, deviceId: device.deviceId, raw, outcome: 'accepted', detail: 'photo' },
        tx,
      );
      // The same lock as a batch holding this person's punch: one of the two sees the other.
      await this.records.lockPersons(tx, [{ deviceId: device.deviceId, personId: p.personId }]);
      const put = await this.photos.put(p.photo.bytes, p.photo.contentType, tx);
      if (put.ref)
        await this.records.joinPhoto(tx, {
          deviceId: device.deviceId,
          personId: p.personId,
          punchedAt: p.punchedAt,
          photoRef: put.ref,
        });
      return put;
    });
    this.metrics.request(raw.protocol, 'accepted');
    if (stored.tooLarge) this.metrics.photoDropped(raw.protocol);
    return { requestId, photoRef: stored.ref, tooLarge: stored.tooLarge };
  }

  /** One group commit: read the facts, decide, store what was decided. */
  private async recordBatch(tx: Sql, jobs: Job[]): Promise<Ingested[]> {
    await this.records.storeAccepted(
      tx,
      jobs.map((j) => ({ requestId: j.requestId, deviceId: j.device.deviceId, raw: j.raw })),
    );
    const requests = jobs.map((j) => ({
      deviceId: j.device.deviceId,
      family: j.device.family,
      punches: j.punches,
    }));
    const { punches, records } = recordsOfBatch(requests);
    // The collapse rule and the photo join are decided here, in TypeScript, under these locks; SQL
    // only reads the facts and stores the outcome (no copy of the rule in SQL).
    await this.records.lockPersons(tx, personsToLock(records, this.collapseWindowMs));
    const scope = collapseScope(records, this.collapseWindowMs);
    const facts = {
      held: await this.records.held(tx, records),
      acceptedNearby: await this.records.acceptedBetween(tx, scope),
      waitingPhotos: await this.records.waitingPhotos(tx, records.filter(awaitsPhoto)),
    };
    const decided = decideIngest(records, facts, {
      collapseWindowMs: this.collapseWindowMs,
      newEventId: () => uuidv7(),
    });

    const claims = await this.claimsOf(tx, decided, jobs);
    const claimed = await this.records.claim(tx, claims);
    const lost = claims.filter((c) => !claimed.has(recordIdentity(c.record))).map((c) => c.record);
    const decisions = settleClaims(decided, claimed, await this.records.held(tx, lost));

    const photoRefs = new Map(claims.map((c) => [recordIdentity(c.record), c.photoRef]));
    const events = decisions.flatMap((d) =>
      d.outcome === 'accepted'
        ? [this.event(d.record, jobs[d.record.request], d.eventId, photoRefs.get(recordIdentity(d.record)))]
        : [],
    );
    await this.store.appendAny(events, tx);
    for (const p of backfillProgress(requests, decisions)) {
      const backfillId = jobs[p.request].opts.backfillId;
      if (backfillId) await this.backfills.recordProgress(tx, backfillId, p.received, p.recovered);
    }
    return punchResults(punches, decisions).map((results, i) => ({ requestId: jobs[i].requestId, results }));
  }

  /** The rows to insert for the new records, with the photos they brought stored first. */
  private async claimsOf(tx: Sql, decisions: RecordDecision[], jobs: Job[]): Promise<RecordClaim[]> {
    const claims: RecordClaim[] = [];
    for (const d of decisions) {
      if (d.outcome === 'held') continue;
      const job = jobs[d.record.request];
      const base = { record: d.record, requestId: job.requestId, backfillId: job.opts.backfillId };
      if (d.outcome === 'collapsed') {
        claims.push({ ...base, outcome: 'collapsed' });
        continue;
      }
      let photoRef = d.photoRef;
      if (d.photo) {
        const put = await this.photos.put(d.photo.bytes, d.photo.contentType, tx);
        if (put.tooLarge) this.metrics.photoDropped(job.device.family);
        photoRef = put.ref;
      }
      claims.push({ ...base, outcome: 'accepted', eventId: d.eventId, photoRef });
    }
    return claims;
  }

  private event(r: BatchPunch, job: Job, eventId: string, photoRef: string | undefined) {
    const { device, raw } = job;
    const p = r.punch;
    const streamId = `device-${device.deviceId}`;
    return createEvent(
      PunchRecorded,
      {
        deviceId: device.deviceId,
        projectId: device.projectId,
        region: device.region,
        deviceRecordId: r.key,
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
