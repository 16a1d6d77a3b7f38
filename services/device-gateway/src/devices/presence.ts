import { Gauge, Registry } from 'prom-client';
import {
  createEvent,
  DeviceCameOnline,
  DeviceClockSkewChanged,
  DeviceWentOffline,
} from '@realname/contracts';
import { ANY, Database, EventStore, Sql } from '@realname/eventstore';
import type { EventEnvelope } from '@realname/contracts';
import type { Backfills } from '../backfill/backfills';
import type { Device } from './device';
import type { DeviceRepository } from './device-repository';
import { GATEWAY_SOURCE } from '../ingest/punch-ingestion';

export interface PresenceOptions {
  /** A device not heard from for this long is offline. */
  offlineAfterMs: number;
  /** A clock further than this from the gateway's is reported. */
  skewToleranceMs: number;
  /** Signs of life closer together than this are written once (the monitor needs no finer grain). */
  writeEveryMs: number;
  /** How far before the last sign of life a backfill after an offline period starts. */
  backfillMarginMs: number;
}

export type SeenVia = 'poll' | 'heartbeat' | 'upload' | 'agent';

interface Remembered {
  writtenAt: number;
  online: boolean;
  beyondTolerance?: boolean;
}

/**
 * Online/offline from heartbeats, polls and uploads, and the device's clock skew. Each sign of life
 * is recorded (at most every `writeEveryMs` per device); the transition offline -> online emits
 * DeviceCameOnline and starts a backfill of the gap; `sweep` (run periodically) marks devices not heard
 * from for `offlineAfterMs` as offline with DeviceWentOffline. Transitions are decided in PostgreSQL,
 * so several gateway instances agree.
 */
export class DevicePresence {
  private readonly memory = new Map<string, Remembered>();
  private readonly store: EventStore;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly devices: DeviceRepository,
    private readonly backfills: Backfills,
    private readonly opts: PresenceOptions,
    registry?: Registry,
  ) {
    this.store = new EventStore(db, schema);
    if (registry) {
      const { db, schema } = this;
      new Gauge({
        name: 'gateway_devices',
        help: 'Registered, enabled devices by family and state (online, offline)',
        labelNames: ['family', 'state'],
        registers: [registry],
        async collect() {
          this.reset();
          const rows = await db
            .query<{ family: string; online: boolean; n: string }>(
              `SELECT family, online, count(*) AS n FROM ${schema}.devices WHERE enabled GROUP BY family, online`,
            )
            .catch(() => []);
          for (const r of rows)
            this.set({ family: r.family, state: r.online ? 'online' : 'offline' }, Number(r.n));
        },
      });
      new Gauge({
        name: 'gateway_device_clock_skew_seconds',
        help: 'Device clock minus gateway clock at the last measurement, per device',
        labelNames: ['device', 'family'],
        registers: [registry],
        async collect() {
          this.reset();
          const rows = await db
            .query<{ device_id: string; family: string; clock_skew_ms: string }>(
              `SELECT device_id, family, clock_skew_ms FROM ${schema}.devices WHERE enabled AND clock_skew_ms IS NOT NULL`,
            )
            .catch(() => []);
          for (const r of rows)
            this.set({ device: r.device_id, family: r.family }, Number(r.clock_skew_ms) / 1000);
        },
      });
    }
  }

  /** A sign of life. `deviceClock` is the device's own reading of now, when the message carries one. */
  async seen(device: Device, o: { via: SeenVia; deviceClock?: Date }): Promise<void> {
    const now = Date.now();
    const known = this.memory.get(device.deviceId);
    const skewMs =
      o.deviceClock && Number.isFinite(o.deviceClock.getTime()) ? o.deviceClock.getTime() - now : undefined;
    const skewFlips =
      skewMs !== undefined &&
      (known?.beyondTolerance ?? false) !== Math.abs(skewMs) > this.opts.skewToleranceMs;
    if (known?.online && now - known.writtenAt < this.opts.writeEveryMs && !skewFlips) return;
    this.memory.set(device.deviceId, {
      writtenAt: now,
      online: true,
      beyondTolerance: known?.beyondTolerance,
    });

    const transition = await this.db.transaction(async (tx) => {
      const [before] = await tx.query<{
        online: boolean;
        last_seen_at: Date | null;
        skew_beyond_tolerance: boolean;
      }>(
        `SELECT online, last_seen_at, skew_beyond_tolerance FROM ${this.schema}.devices WHERE device_id = $1 FOR UPDATE`,
        [device.deviceId],
      );
      if (!before) return undefined;
      const beyond =
        skewMs === undefined ? before.skew_beyond_tolerance : Math.abs(skewMs) > this.opts.skewToleranceMs;
      await tx.execute(
        `UPDATE ${this.schema}.devices SET online = true, last_seen_at = now(),
            clock_skew_ms = COALESCE($2, clock_skew_ms), clock_skew_source = COALESCE($3, clock_skew_source),
            clock_skew_measured_at = CASE WHEN $2::bigint IS NULL THEN clock_skew_measured_at ELSE now() END,
            skew_beyond_tolerance = $4
          WHERE device_id = $1`,
        [device.deviceId, skewMs ?? null, skewMs === undefined ? null : o.via, beyond],
      );
      const events: EventEnvelope[] = [];
      if (!before.online) {
        events.push(
          createEvent(
            DeviceCameOnline,
            {
              ...ref(device),
              ...(before.last_seen_at ? { lastSeenAt: before.last_seen_at.toISOString() } : {}),
              seenAt: new Date(now).toISOString(),
            },
            this.meta(device),
          ),
        );
      }
      if (skewMs !== undefined && beyond !== before.skew_beyond_tolerance) {
        events.push(
          createEvent(
            DeviceClockSkewChanged,
            {
              ...ref(device),
              skewMs: Math.round(skewMs),
              withinTolerance: !beyond,
              toleranceMs: this.opts.skewToleranceMs,
              source: o.via,
              measuredAt: new Date(now).toISOString(),
            },
            this.meta(device),
          ),
        );
      }
      await this.append(tx, device, events);
      this.memory.set(device.deviceId, { writtenAt: now, online: true, beyondTolerance: beyond });
      return { cameBack: !before.online, lastSeenAt: before.last_seen_at };
    });
    if (transition?.cameBack) this.devices.forget(device.deviceId);
    // Back after an offline period: ask for what the device recorded meanwhile.
    if (transition?.cameBack && transition.lastSeenAt) {
      const from = new Date(transition.lastSeenAt.getTime() - this.opts.backfillMarginMs);
      await this.backfills.request(device, from, new Date(now), 'came-online');
    }
  }

  /** Marks devices not heard from for the offline limit as offline; returns their ids. */
  async sweep(): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{
        device_id: string;
        project_id: string;
        region: string;
        family: Device['family'];
        gate: string | null;
        last_seen_at: Date;
      }>(
        `UPDATE ${this.schema}.devices SET online = false
          WHERE online AND last_seen_at < now() - make_interval(secs => $1::double precision / 1000)
          RETURNING device_id, project_id, region, family, gate, last_seen_at`,
        [this.opts.offlineAfterMs],
      );
      for (const r of rows) {
        const device = {
          deviceId: r.device_id,
          projectId: r.project_id,
          region: r.region,
          family: r.family,
          gate: r.gate ?? undefined,
        };
        await this.append(tx, device, [
          createEvent(
            DeviceWentOffline,
            {
              ...ref(device),
              lastSeenAt: r.last_seen_at.toISOString(),
              offlineAfterS: Math.max(1, Math.round(this.opts.offlineAfterMs / 1000)),
            },
            this.meta(device),
          ),
        ]);
        this.memory.delete(r.device_id);
        this.devices.forget(r.device_id);
      }
      return rows.map((r) => r.device_id);
    });
  }

  private async append(tx: Sql, device: Pick<Device, 'deviceId'>, events: EventEnvelope[]) {
    if (events.length > 0) await this.store.append(`device-${device.deviceId}`, events, ANY, tx);
  }

  private meta(device: Pick<Device, 'deviceId' | 'region'>) {
    return { source: GATEWAY_SOURCE, subject: `device-${device.deviceId}`, region: device.region };
  }
}

function ref(d: Pick<Device, 'deviceId' | 'projectId' | 'region' | 'family' | 'gate'>) {
  return {
    deviceId: d.deviceId,
    projectId: d.projectId,
    region: d.region,
    family: d.family,
    ...(d.gate ? { gate: d.gate } : {}),
  };
}
