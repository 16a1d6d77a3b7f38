import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Database } from '@realname/eventstore';
import { Device, DeviceFamily, DeviceRegistration, TOKEN_IN_PATH_FAMILIES } from './device';

interface DeviceRow {
  device_id: string;
  project_id: string;
  region: string;
  family: DeviceFamily;
  gate: string | null;
  serial: string | null;
  secret: string | null;
  token: string | null;
  time_zone: string;
  default_direction: Device['defaultDirection'];
  enabled: boolean;
  online: boolean;
  last_seen_at: Date | null;
  clock_skew_ms: string | null;
  clock_skew_source: string | null;
  clock_skew_measured_at: Date | null;
}

export interface DeviceFilter {
  projectId?: string;
  family?: DeviceFamily;
  online?: boolean;
}

/** Thrown when a serial is already registered to another device of the same family. */
export class SerialTaken extends Error {}

/** The devices table. Lookups are cached briefly: every device request needs its device. */
export class DeviceRepository {
  private readonly cache = new Map<string, { device: Device | undefined; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly cacheMs = 5_000,
  ) {}

  /**
   * Registers or updates a device. A family that authenticates by a path token gets one generated
   * when none is given and the device has none yet; `previous` is the device as it was (undefined: new).
   */
  async upsert(
    reg: DeviceRegistration,
  ): Promise<{ device: Device; previous?: Device; tokenIssued: boolean }> {
    const [existing] = await this.db.query<DeviceRow>(
      `SELECT * FROM ${this.schema}.devices WHERE device_id = $1`,
      [reg.deviceId],
    );
    let token = reg.token ?? existing?.token ?? undefined;
    const tokenIssued = !token && TOKEN_IN_PATH_FAMILIES.includes(reg.family);
    if (tokenIssued) token = randomBytes(24).toString('base64url');
    if (reg.serial) {
      const [other] = await this.db.query<{ device_id: string }>(
        `SELECT device_id FROM ${this.schema}.devices WHERE family = $1 AND serial = $2 AND device_id <> $3`,
        [reg.family, reg.serial, reg.deviceId],
      );
      if (other)
        throw new SerialTaken(`serial "${reg.serial}" is already registered to device "${other.device_id}"`);
    }
    const [row] = await this.db.query<DeviceRow>(
      `INSERT INTO ${this.schema}.devices (device_id, project_id, region, family, gate, serial, secret, token, time_zone, default_direction, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (device_id) DO UPDATE SET project_id = EXCLUDED.project_id, region = EXCLUDED.region,
         family = EXCLUDED.family, gate = EXCLUDED.gate, serial = EXCLUDED.serial,
         secret = COALESCE(EXCLUDED.secret, ${this.schema}.devices.secret), token = EXCLUDED.token,
         time_zone = EXCLUDED.time_zone, default_direction = EXCLUDED.default_direction,
         enabled = EXCLUDED.enabled, updated_at = now()
       RETURNING *`,
      [
        reg.deviceId,
        reg.projectId,
        reg.region,
        reg.family,
        reg.gate ?? null,
        reg.serial ?? null,
        reg.secret ?? null,
        token ?? null,
        reg.timeZone,
        reg.defaultDirection,
        reg.enabled,
      ],
    );
    this.forget(reg.deviceId);
    return { device: toDevice(row), ...(existing ? { previous: toDevice(existing) } : {}), tokenIssued };
  }

  async setEnabled(deviceId: string, enabled: boolean): Promise<Device | undefined> {
    const [row] = await this.db.query<DeviceRow>(
      `UPDATE ${this.schema}.devices SET enabled = $2, updated_at = now() WHERE device_id = $1 RETURNING *`,
      [deviceId, enabled],
    );
    this.forget(deviceId);
    return row && toDevice(row);
  }

  async find(deviceId: string): Promise<Device | undefined> {
    return this.cached(`id:${deviceId}`, async () => {
      const [row] = await this.db.query<DeviceRow>(
        `SELECT * FROM ${this.schema}.devices WHERE device_id = $1`,
        [deviceId],
      );
      return row && toDevice(row);
    });
  }

  /** The device of a family that reports this serial (ZKTeco SN, Uface deviceKey, HTTPv2 SN). */
  async findBySerial(family: DeviceFamily, serial: string): Promise<Device | undefined> {
    return this.cached(`sn:${family}:${serial}`, async () => {
      const [row] = await this.db.query<DeviceRow>(
        `SELECT * FROM ${this.schema}.devices WHERE family = $1 AND serial = $2`,
        [family, serial],
      );
      return row && toDevice(row);
    });
  }

  /** Constant-time comparison of a path token with the device's; false when the device has none. */
  tokenMatches(device: Device, token: string): boolean {
    if (!device.token) return false;
    const a = Buffer.from(device.token);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async list(filter: DeviceFilter = {}): Promise<Device[]> {
    const rows = await this.db.query<DeviceRow>(
      `SELECT * FROM ${this.schema}.devices
        WHERE ($1::text IS NULL OR project_id = $1) AND ($2::text IS NULL OR family = $2)
          AND ($3::boolean IS NULL OR online = $3)
        ORDER BY device_id`,
      [filter.projectId ?? null, filter.family ?? null, filter.online ?? null],
    );
    return rows.map(toDevice);
  }

  /** Drops cached entries of a device (after it changed). */
  forget(deviceId: string): void {
    for (const [key, hit] of this.cache) {
      if (key === `id:${deviceId}` || hit.device?.deviceId === deviceId) this.cache.delete(key);
    }
  }

  private async cached(key: string, load: () => Promise<Device | undefined>): Promise<Device | undefined> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.device;
    const device = await load();
    this.cache.set(key, { device, at: Date.now() });
    return device;
  }
}

export function toDevice(r: DeviceRow): Device {
  return {
    deviceId: r.device_id,
    projectId: r.project_id,
    region: r.region,
    family: r.family,
    ...(r.gate ? { gate: r.gate } : {}),
    ...(r.serial ? { serial: r.serial } : {}),
    ...(r.secret ? { secret: r.secret } : {}),
    ...(r.token ? { token: r.token } : {}),
    timeZone: r.time_zone,
    defaultDirection: r.default_direction,
    enabled: r.enabled,
    online: r.online,
    ...(r.last_seen_at ? { lastSeenAt: r.last_seen_at } : {}),
    ...(r.clock_skew_ms !== null ? { clockSkewMs: Number(r.clock_skew_ms) } : {}),
    ...(r.clock_skew_source ? { clockSkewSource: r.clock_skew_source } : {}),
    ...(r.clock_skew_measured_at ? { clockSkewMeasuredAt: r.clock_skew_measured_at } : {}),
  };
}
