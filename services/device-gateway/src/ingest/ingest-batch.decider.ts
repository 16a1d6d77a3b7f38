import type { DeviceFamily } from '../devices/device';
import type { Photo } from '../photos/photo-store';
import { NormalisedPunch, PunchResult, punchKey } from './punch';

/**
 * What an ingest batch decides, as pure functions over the facts read from the database: which punches
 * are new records, which are resends (the same device sequence number, or the same person and instant),
 * which collapse into an earlier keyless punch of the same person, and which photo a punch gets. The
 * handler (punch-ingestion.ts) reads the facts under the locks, calls these, and stores what they say.
 */

/** The requests of one group commit, as the decider sees them. */
export interface BatchRequest {
  deviceId: string;
  family: DeviceFamily;
  punches: NormalisedPunch[];
}

/** One punch of the batch: which request brought it, at which position, under which key. */
export interface BatchPunch {
  request: number;
  index: number;
  deviceId: string;
  family: DeviceFamily;
  key: string;
  punch: NormalisedPunch;
}

/** A record already held for a key of the batch (a resend); no event id when it was collapsed. */
export interface HeldRecord {
  eventId?: string;
}

/** An accepted punch already held, near a keyless punch of the batch. */
export interface AcceptedPunch {
  deviceId: string;
  personId: string;
  key: string;
  punchedAt: Date;
}

/** The facts the decision needs, read in the batch's transaction. */
export interface IngestFacts {
  /** Held records of the batch's keys, by `recordIdentity`. */
  held: Map<string, HeldRecord>;
  /** Accepted punches held for the persons in `collapseScope`, inside its ranges. */
  acceptedNearby: AcceptedPunch[];
  /** Photos that came before their punch (ZKTeco ATTPHOTO), by `photoJoinKey`: their photoRef. */
  waitingPhotos: Map<string, string>;
}

export type RecordDecision =
  | { outcome: 'accepted'; record: BatchPunch; eventId: string; photo?: Photo; photoRef?: string }
  | { outcome: 'collapsed'; record: BatchPunch }
  | { outcome: 'held'; record: BatchPunch; eventId?: string };

export interface IngestRules {
  /** Keyless punches of one person closer than this are one (0: off). */
  collapseWindowMs: number;
  newEventId: () => string;
}

/** A record is one key of one device. */
export function recordIdentity(r: { deviceId: string; key: string }): string {
  return `${r.deviceId}\u0000${r.key}`;
}

/** How a ZKTeco photo finds its punch: device, person and instant. */
export function photoJoinKey(deviceId: string, personId: string, punchedAt: Date): string {
  return `${deviceId}\u0000${personId}@${punchedAt.toISOString()}`;
}

/**
 * The punches of the batch under their keys, and the records among them: the first punch of a device's
 * key in the batch is the record, later ones are resends within the batch.
 */
export function recordsOfBatch(requests: BatchRequest[]): { punches: BatchPunch[][]; records: BatchPunch[] } {
  const punches = requests.map((r, request) =>
    r.punches.map((punch, index): BatchPunch => ({
      request,
      index,
      deviceId: r.deviceId,
      family: r.family,
      key: punchKey(punch),
      punch,
    })),
  );
  const first = new Map<string, BatchPunch>();
  for (const p of punches.flat()) if (!first.has(recordIdentity(p))) first.set(recordIdentity(p), p);
  return { punches, records: [...first.values()] };
}

/**
 * The persons whose held punches the collapse rule must see, and the ranges to read: the handler locks
 * these (device, person) pairs for the transaction before reading, so that concurrent transactions
 * decide one after the other and the rule needs no second copy in SQL.
 */
export function collapseScope(
  records: BatchPunch[],
  collapseWindowMs: number,
): { deviceId: string; personId: string; from: Date; to: Date }[] {
  if (collapseWindowMs <= 0) return [];
  return records
    .filter((r) => r.punch.recordId === undefined)
    .map((r) => ({
      deviceId: r.deviceId,
      personId: r.punch.personId,
      from: new Date(r.punch.punchedAt.getTime() - collapseWindowMs),
      to: new Date(r.punch.punchedAt.getTime() + collapseWindowMs),
    }));
}

/**
 * The (device, person) pairs the handler locks before reading the facts: those the collapse rule looks
 * at, and ZKTeco punches that may meet their photo (attachPhoto takes the same lock), so that two
 * transactions that could affect each other's decision run one after the other.
 */
export function personsToLock(
  records: BatchPunch[],
  collapseWindowMs: number,
): { deviceId: string; personId: string }[] {
  const collapsing = collapseScope(records, collapseWindowMs).map(({ deviceId, personId }) => ({
    deviceId,
    personId,
  }));
  const joining = records
    .filter(awaitsPhoto)
    .map((r) => ({ deviceId: r.deviceId, personId: r.punch.personId }));
  return [...collapsing, ...joining];
}

/** ZKTeco sends photo and punch apart: a punch of theirs without a photo may find one waiting. */
export function awaitsPhoto(r: BatchPunch): boolean {
  return r.family === 'zkteco-push' && !r.punch.photo;
}

/**
 * The decision for each record of the batch. A key already held is a resend. A keyless punch of a
 * person with an accepted punch (held, or earlier in the batch) closer than the collapse window is
 * collapsed: a face terminal recognises a person standing in front of it several times a second. Every
 * other record is accepted with a new event id, with the photo it brought or the one waiting for it.
 */
export function decideIngest(
  records: BatchPunch[],
  facts: IngestFacts,
  rules: IngestRules,
): RecordDecision[] {
  const fresh = records.filter((r) => !facts.held.has(recordIdentity(r)));
  const collapsed = collapsedRecords(fresh, facts.acceptedNearby, rules.collapseWindowMs);
  return records.map((record): RecordDecision => {
    const held = facts.held.get(recordIdentity(record));
    if (held) return { outcome: 'held', record, ...(held.eventId ? { eventId: held.eventId } : {}) };
    if (collapsed.has(record)) return { outcome: 'collapsed', record };
    const { photo, personId, punchedAt } = record.punch;
    const waiting = awaitsPhoto(record)
      ? facts.waitingPhotos.get(photoJoinKey(record.deviceId, personId, punchedAt))
      : undefined;
    return {
      outcome: 'accepted',
      record,
      eventId: rules.newEventId(),
      ...(photo ? { photo } : {}),
      ...(waiting ? { photoRef: waiting } : {}),
    };
  });
}

function collapsedRecords(fresh: BatchPunch[], held: AcceptedPunch[], windowMs: number): Set<BatchPunch> {
  const out = new Set<BatchPunch>();
  if (windowMs <= 0) return out;
  const near = (a: Date, b: Date) => Math.abs(a.getTime() - b.getTime()) < windowMs;
  const keyless = fresh.filter((r) => r.punch.recordId === undefined);
  for (const r of keyless) {
    const p = r.punch;
    if (
      held.some(
        (h) =>
          h.deviceId === r.deviceId &&
          h.personId === p.personId &&
          h.key !== r.key &&
          near(h.punchedAt, p.punchedAt),
      )
    )
      out.add(r);
  }
  // Within the batch, in time order: a punch near one kept before it (same device and person) is collapsed.
  const kept = new Map<string, Date[]>();
  const byTime = keyless
    .filter((r) => !out.has(r))
    .sort((a, b) => a.punch.punchedAt.getTime() - b.punch.punchedAt.getTime());
  for (const r of byTime) {
    const who = `${r.deviceId}\u0000${r.punch.personId}`;
    const times = kept.get(who) ?? [];
    if (times.some((t) => near(t, r.punch.punchedAt))) out.add(r);
    else kept.set(who, [...times, r.punch.punchedAt]);
  }
  return out;
}

/**
 * After the records were claimed: a record the decision took for new but that a concurrent transaction
 * claimed first (the primary key of device_records is the guard) is a resend after all.
 */
export function settleClaims(
  decisions: RecordDecision[],
  claimed: Set<string>,
  heldNow: Map<string, HeldRecord>,
): RecordDecision[] {
  return decisions.map((d) => {
    if (d.outcome === 'held' || claimed.has(recordIdentity(d.record))) return d;
    const eventId = heldNow.get(recordIdentity(d.record))?.eventId;
    return { outcome: 'held', record: d.record, ...(eventId ? { eventId } : {}) };
  });
}

/** What each punch of each request is told: the record's own outcome, or a duplicate of it. */
export function punchResults(punches: BatchPunch[][], decisions: RecordDecision[]): PunchResult[][] {
  const byRecord = new Map(decisions.map((d) => [recordIdentity(d.record), d]));
  return punches.map((ps) =>
    ps.map((p): PunchResult => {
      const d = byRecord.get(recordIdentity(p))!;
      if (d.record === p && d.outcome === 'accepted')
        return { key: p.key, status: 'accepted', eventId: d.eventId };
      if (d.record === p && d.outcome === 'collapsed') return { key: p.key, status: 'collapsed' };
      const eventId = d.outcome === 'collapsed' ? undefined : d.eventId;
      return { key: p.key, status: 'duplicate', ...(eventId ? { eventId } : {}) };
    }),
  );
}

/** Per request: punches received and new records recovered (for the backfill it answers). */
export function backfillProgress(
  requests: BatchRequest[],
  decisions: RecordDecision[],
): { request: number; received: number; recovered: number }[] {
  return requests.map((r, request) => ({
    request,
    received: r.punches.length,
    recovered: decisions.filter((d) => d.outcome === 'accepted' && d.record.request === request).length,
  }));
}
