import type {
  DeviceCameOnline,
  DeviceClockSkewChanged,
  DeviceWentOffline,
  EventData,
} from '@realname/contracts';
import type { Device } from './device';

/**
 * Presence as a pure decider: given what is known of a device (online, last seen, skew beyond the
 * tolerance) and a sign of life or the passing of time, the events and the next state. The handler
 * (presence.ts) reads the state under a row lock or compare-and-set, calls these, and stores the result.
 */

export type SeenVia = 'poll' | 'heartbeat' | 'upload' | 'agent';

export type DeviceRef = Pick<Device, 'deviceId' | 'projectId' | 'region' | 'family' | 'gate'>;

export interface PresenceState {
  online: boolean;
  lastSeenAt?: Date;
  skewBeyondTolerance: boolean;
}

export interface PresenceRules {
  /** A device not heard from for this long is offline. */
  offlineAfterMs: number;
  /** A clock further than this from the gateway's is reported. */
  skewToleranceMs: number;
  /** How far before the last sign of life a backfill after an offline period starts. */
  backfillMarginMs: number;
}

export type PresenceEvent =
  | { type: 'DeviceCameOnline'; data: EventData<typeof DeviceCameOnline> }
  | { type: 'DeviceClockSkewChanged'; data: EventData<typeof DeviceClockSkewChanged> }
  | { type: 'DeviceWentOffline'; data: EventData<typeof DeviceWentOffline> };

export interface SignOfLife {
  now: Date;
  via: SeenVia;
  /** The device's own reading of now, when the message carries one. */
  deviceClock?: Date;
}

export interface SignOfLifeDecision {
  events: PresenceEvent[];
  /** The skew measured now (device minus gateway), if the sign carried the device's clock. */
  skewMs?: number;
  skewBeyondTolerance: boolean;
  /** Back after an offline period: the range to ask the device for again. */
  backfill?: { from: Date; to: Date };
}

/** Device clock minus gateway clock, when the sign of life carries a readable clock. */
export function measuredSkew(sign: SignOfLife): number | undefined {
  const clock = sign.deviceClock?.getTime();
  return clock !== undefined && Number.isFinite(clock) ? clock - sign.now.getTime() : undefined;
}

/** A sign of life: an offline device comes online (and its gap is asked for); a skew crossing the tolerance is reported. */
export function decideSignOfLife(
  device: DeviceRef,
  before: PresenceState,
  sign: SignOfLife,
  rules: PresenceRules,
): SignOfLifeDecision {
  const skewMs = measuredSkew(sign);
  const beyond = skewMs === undefined ? before.skewBeyondTolerance : Math.abs(skewMs) > rules.skewToleranceMs;
  const events: PresenceEvent[] = [];
  if (!before.online)
    events.push({
      type: 'DeviceCameOnline',
      data: {
        ...ref(device),
        ...(before.lastSeenAt ? { lastSeenAt: before.lastSeenAt.toISOString() } : {}),
        seenAt: sign.now.toISOString(),
      },
    });
  if (skewMs !== undefined && beyond !== before.skewBeyondTolerance)
    events.push({
      type: 'DeviceClockSkewChanged',
      data: {
        ...ref(device),
        skewMs: Math.round(skewMs),
        withinTolerance: !beyond,
        toleranceMs: rules.skewToleranceMs,
        source: sign.via,
        measuredAt: sign.now.toISOString(),
      },
    });
  const backfill =
    !before.online && before.lastSeenAt
      ? { from: new Date(before.lastSeenAt.getTime() - rules.backfillMarginMs), to: sign.now }
      : undefined;
  return {
    events,
    ...(skewMs !== undefined ? { skewMs } : {}),
    skewBeyondTolerance: beyond,
    ...(backfill ? { backfill } : {}),
  };
}

/** The passing of time: an online device silent for longer than the limit goes offline. */
export function decideSilence(
  device: DeviceRef,
  state: Pick<PresenceState, 'online' | 'lastSeenAt'>,
  now: Date,
  rules: Pick<PresenceRules, 'offlineAfterMs'>,
): PresenceEvent[] {
  if (!state.online || !state.lastSeenAt) return [];
  if (now.getTime() - state.lastSeenAt.getTime() <= rules.offlineAfterMs) return [];
  return [
    {
      type: 'DeviceWentOffline',
      data: {
        ...ref(device),
        lastSeenAt: state.lastSeenAt.toISOString(),
        offlineAfterS: Math.max(1, Math.round(rules.offlineAfterMs / 1000)),
      },
    },
  ];
}

/** What this instance last wrote for a device: signs of life closer together than `writeEveryMs` are written once. */
export interface Remembered {
  writtenAt: number;
  online: boolean;
  beyondTolerance?: boolean;
}

/** Whether a sign of life must be written: not when the device is known online, written recently, and its skew did not cross. */
export function needsWrite(
  known: Remembered | undefined,
  sign: SignOfLife,
  toleranceMs: number,
  writeEveryMs: number,
): boolean {
  const skewMs = measuredSkew(sign);
  const skewFlips =
    skewMs !== undefined && (known?.beyondTolerance ?? false) !== Math.abs(skewMs) > toleranceMs;
  return !(known?.online && sign.now.getTime() - known.writtenAt < writeEveryMs && !skewFlips);
}

function ref(d: DeviceRef) {
  return {
    deviceId: d.deviceId,
    projectId: d.projectId,
    region: d.region,
    family: d.family,
    ...(d.gate ? { gate: d.gate } : {}),
  };
}
