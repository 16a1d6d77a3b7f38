import { Gauge, Registry } from 'prom-client';
import {
  createEvent,
  DeviceCameOnline,
  DeviceClockSkewChanged,
  DeviceWentOffline,
  EventEnvelope,
} from '@realname/contracts';
import { ANY, Database, EventStore, Sql } from '@realname/eventstore';
import type { Backfills } from '../backfill/backfills';
import { GATEWAY_SOURCE } from '../ingest/punch';
import type { Device } from './device';
import type { DeviceRepository } from './device-repository';
import {
  decideSignOfLife,
  decideSilence,
  DeviceRef,
  needsWrite,
  PresenceEvent,
  PresenceRules,
  Remembered,
  SeenVia,
} from './presence.decider';
import { PresenceRepository } from './presence.repository';

export type { SeenVia } from './presence.decider';

export interface PresenceOptions extends PresenceRules {
  /** Signs of life closer together than this are written once (the monitor needs no finer grain). */
  writeEveryMs: number;
}

/**
 * Online/offline from heartbeats, polls and uploads, and the device's clock skew. The transitions are
 * decided by presence.decider.ts; here each sign of life is recorded (at most every `writeEveryMs` per
 * device) under the device row's lock, and `sweep` (run periodically) marks silent devices offline with
 * a compare-and-set, so several gateway instances agree without the rule being written in SQL.
 */
export class DevicePresence {
  private readonly memory = new Map<string, Remembered>();
  private readonly store: EventStore;
  private readonly repo: PresenceRepository;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly devices: DeviceRepository,
    private readonly backfills: Backfills,
    private readonly opts: PresenceOptions,
    registry?: Registry,
  ) {
    this.store = new EventStore(db, schema);
    const repo = (this.repo = new PresenceRepository(db, schema));
    if (registry) {
      new Gauge({
        name: 'gateway_devices',
        help: 'Registered, enabled devices by family and state (online, offline)',
        labelNames: ['family', 'state'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const r of await repo.countsByState().catch(() => []))
            this.set({ family: r.family, state: r.online ? 'online' : 'offline' }, r.n);
        },
      });
      new Gauge({
        name: 'gateway_device_clock_skew_seconds',
        help: 'Device clock minus gateway clock at the last measurement, per device',
        labelNames: ['device', 'family'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const r of await repo.skews().catch(() => []))
            this.set({ device: r.deviceId, family: r.family }, r.skewMs / 1000);
        },
      });
    }
  }

  /** A sign of life. `deviceClock` is the device's own reading of now, when the message carries one. */
  async seen(device: Device, o: { via: SeenVia; deviceClock?: Date }): Promise<void> {
    const sign = { now: new Date(), ...o };
    const known = this.memory.get(device.deviceId);
    if (!needsWrite(known, sign, this.opts.skewToleranceMs, this.opts.writeEveryMs)) return;
    const writtenAt = sign.now.getTime();
    this.memory.set(device.deviceId, { writtenAt, online: true, beyondTolerance: known?.beyondTolerance });

    const decision = await this.db.transaction(async (tx) => {
      const before = await this.repo.lock(tx, device.deviceId);
      if (!before) return undefined;
      const d = decideSignOfLife(device, before, sign, this.opts);
      await this.repo.markSeen(tx, device.deviceId, {
        skewMs: d.skewMs,
        via: o.via,
        skewBeyondTolerance: d.skewBeyondTolerance,
      });
      await this.append(tx, device, d.events);
      this.memory.set(device.deviceId, { writtenAt, online: true, beyondTolerance: d.skewBeyondTolerance });
      return d;
    });
    if (decision?.events.some((e) => e.type === 'DeviceCameOnline')) this.devices.forget(device.deviceId);
    // Back after an offline period: ask for what the device recorded meanwhile.
    if (decision?.backfill)
      await this.backfills.request(device, decision.backfill.from, decision.backfill.to, 'came-online');
  }

  /** Marks devices not heard from for the offline limit as offline; returns their ids. */
  async sweep(): Promise<string[]> {
    const { now, devices } = await this.repo.online();
    const offline: string[] = [];
    for (const d of devices) {
      const events = decideSilence(d.device, { online: true, lastSeenAt: d.lastSeenAt }, now, this.opts);
      if (events.length === 0) continue;
      const marked = await this.db.transaction(async (tx) => {
        if (!(await this.repo.markOffline(tx, d.device.deviceId, d.version))) return false;
        await this.append(tx, d.device, events);
        return true;
      });
      if (!marked) continue;
      this.memory.delete(d.device.deviceId);
      this.devices.forget(d.device.deviceId);
      offline.push(d.device.deviceId);
    }
    return offline;
  }

  private async append(tx: Sql, device: DeviceRef, events: PresenceEvent[]) {
    if (events.length === 0) return;
    const meta = { source: GATEWAY_SOURCE, subject: `device-${device.deviceId}`, region: device.region };
    await this.store.append(
      `device-${device.deviceId}`,
      events.map((e) => envelope(e, meta)),
      ANY,
      tx,
    );
  }
}

function envelope(
  e: PresenceEvent,
  meta: { source: string; subject: string; region: string },
): EventEnvelope {
  switch (e.type) {
    case 'DeviceCameOnline':
      return createEvent(DeviceCameOnline, e.data, meta);
    case 'DeviceClockSkewChanged':
      return createEvent(DeviceClockSkewChanged, e.data, meta);
    case 'DeviceWentOffline':
      return createEvent(DeviceWentOffline, e.data, meta);
  }
}
