/**
 * Missed-event detection for Hikvision pushes. Every event carries its `serialNo` and the `frontSerialNo`
 * of the event before it on the device; when an event names a predecessor newer than anything seen from
 * the device, the events in between never arrived (the device gave up on them, or they were lost on the
 * way). The tracker reports such a gap once, with the time range to fetch again from the device.
 *
 * State is per gateway process and bounded (recent serials per device, a bounded number of devices): a
 * restart forgets it (the first event after a restart sets the baseline; the "came online" backfill covers
 * the rest), and with several gateway replicas a device whose pushes are spread over them may show false
 * gaps. A false gap costs one extra backfill, which is idempotent (records are deduplicated by serialNo).
 */

export interface SerialGap {
  /** First and last missing serial numbers (inclusive). */
  fromSerial: number;
  toSerial: number;
  /** The time range to query again: from the last event seen before the gap to the event revealing it. */
  from: Date;
  to: Date;
}

interface DeviceSerials {
  /** Highest serial seen since the baseline, with its event time. */
  highest: number;
  highestAt: Date;
  /** Recently seen serials (insertion-ordered, bounded). */
  seen: Set<number>;
}

export interface SerialObservation {
  serialNo?: number;
  frontSerialNo?: number;
  /** false: an offline event uploaded later. */
  currentEvent?: boolean;
  /** The event's own time (device clock); receive time when the event had none. */
  at: Date;
}

export class SerialGapTracker {
  private readonly devices = new Map<string, DeviceSerials>();

  constructor(
    private readonly maxDevices = 10_000,
    private readonly recentPerDevice = 2_048,
  ) {}

  /** Records an event; returns the gap it reveals, if any. */
  observe(deviceId: string, o: SerialObservation): SerialGap | undefined {
    const serial = o.serialNo;
    if (serial === undefined || !Number.isSafeInteger(serial) || serial < 0) return undefined;
    const state = this.devices.get(deviceId);
    if (!state) {
      this.remember(deviceId, { highest: serial, highestAt: o.at, seen: new Set([serial]) });
      return undefined;
    }
    // LRU order: touched devices move to the end.
    this.devices.delete(deviceId);
    this.devices.set(deviceId, state);

    if (state.seen.has(serial)) return undefined; // a resend
    this.addSeen(state, serial);

    if (serial > state.highest) {
      const front = o.frontSerialNo;
      let gap: SerialGap | undefined;
      // frontSerialNo 0 or missing: the device does not say (first event after a reset, old firmware).
      if (front !== undefined && Number.isSafeInteger(front) && front > state.highest && front < serial) {
        const from = state.highestAt.getTime() <= o.at.getTime() ? state.highestAt : o.at;
        const to = state.highestAt.getTime() <= o.at.getTime() ? o.at : state.highestAt;
        gap = { fromSerial: state.highest + 1, toSerial: front, from, to };
      }
      state.highest = serial;
      state.highestAt = o.at;
      return gap;
    }
    // Lower than the highest and never seen: a late (re)delivery of an older event, which fills a hole;
    // or, for a live event, a device whose numbering restarted (reset): start a new baseline.
    if (o.currentEvent !== false && (o.frontSerialNo === undefined || o.frontSerialNo < serial)) {
      const restarted = serial + this.recentPerDevice < state.highest || o.frontSerialNo === 0;
      if (restarted) {
        state.highest = serial;
        state.highestAt = o.at;
      }
    }
    return undefined;
  }

  /** Forgets a device (e.g. after it was re-registered). */
  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  private remember(deviceId: string, s: DeviceSerials): void {
    this.devices.set(deviceId, s);
    while (this.devices.size > this.maxDevices) {
      const oldest = this.devices.keys().next().value as string;
      this.devices.delete(oldest);
    }
  }

  private addSeen(state: DeviceSerials, serial: number): void {
    state.seen.add(serial);
    while (state.seen.size > this.recentPerDevice) {
      const oldest = state.seen.values().next().value as number;
      state.seen.delete(oldest);
    }
  }
}
