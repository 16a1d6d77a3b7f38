import { Database } from '@realname/eventstore';
import { Device, DeviceRegistration } from './device';

interface DeviceRow {
  device_id: string;
  project_id: string;
  region: string;
  protocol: string;
  secret: string;
  time_zone: string;
  default_direction: Device['defaultDirection'];
  enabled: boolean;
}

/** The devices table. Lookups are cached briefly: every punch request needs its device. */
export class DeviceRepository {
  private readonly cache = new Map<string, { device: Device | undefined; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly cacheMs = 5_000,
  ) {}

  async upsert(reg: DeviceRegistration, protocol = 'open-v1'): Promise<Device> {
    await this.db.execute(
      `INSERT INTO ${this.schema}.devices (device_id, project_id, region, protocol, secret, time_zone, default_direction, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (device_id) DO UPDATE SET project_id = EXCLUDED.project_id, region = EXCLUDED.region,
         protocol = EXCLUDED.protocol, secret = EXCLUDED.secret, time_zone = EXCLUDED.time_zone,
         default_direction = EXCLUDED.default_direction, enabled = EXCLUDED.enabled, updated_at = now()`,
      [
        reg.deviceId,
        reg.projectId,
        reg.region,
        protocol,
        reg.secret,
        reg.timeZone,
        reg.defaultDirection,
        reg.enabled,
      ],
    );
    this.cache.delete(reg.deviceId);
    return { ...reg, protocol };
  }

  async find(deviceId: string): Promise<Device | undefined> {
    const hit = this.cache.get(deviceId);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.device;
    const [row] = await this.db.query<DeviceRow>(
      `SELECT * FROM ${this.schema}.devices WHERE device_id = $1`,
      [deviceId],
    );
    const device = row ? toDevice(row) : undefined;
    this.cache.set(deviceId, { device, at: Date.now() });
    return device;
  }

  async list(projectId?: string): Promise<Device[]> {
    const rows = await this.db.query<DeviceRow>(
      `SELECT * FROM ${this.schema}.devices WHERE ($1::text IS NULL OR project_id = $1) ORDER BY device_id`,
      [projectId ?? null],
    );
    return rows.map(toDevice);
  }
}

function toDevice(r: DeviceRow): Device {
  return {
    deviceId: r.device_id,
    projectId: r.project_id,
    region: r.region,
    protocol: r.protocol,
    secret: r.secret,
    timeZone: r.time_zone,
    defaultDirection: r.default_direction,
    enabled: r.enabled,
  };
}
