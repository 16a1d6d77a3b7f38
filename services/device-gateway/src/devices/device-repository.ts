import { Database } from '@realname/eventstore';
import { actorOf, Caller, CallerScope, regionPrefix, scopeCovers } from '@realname/platform';
import { Device, DeviceFamily, DeviceRegistration, TOKEN_IN_PATH_FAMILIES } from './device';
import { DeviceCredentials, hashToken, newCredential } from './device-credentials';

interface DeviceRow {
  device_id: string;
  project_id: string;
  region: string;
  family: DeviceFamily;
  gate: string | null;
  serial: string | null;
  /** The HMAC secret, encrypted (device-credentials.ts). */
  secret_encrypted: string | null;
  /** SHA-256 (hex) of the path token. */
  token_hash: string | null;
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

/**
 * Who writes: a caller of the admin API (limited to its scope, recorded as the device's `updated_by`),
 * or the gateway's own configuration (GATEWAY_DEVICES at start), which no scope limits.
 */
export type DeviceWriter = Caller | 'configuration';

const scopeOf = (by: DeviceWriter): CallerScope | undefined =>
  by === 'configuration' ? undefined : by.scope;
const actorJson = (by: DeviceWriter): string | null =>
  by === 'configuration' ? null : JSON.stringify(actorOf(by));

/** Thrown by a write to a device, or for a region or project, outside the caller's scope: nothing changed. */
export class DeviceOutOfScope extends Error {
  constructor(
    what: string,
    readonly scope: CallerScope,
  ) {
    super(`${what} is outside your scope (${scope.kind} ${scope.code}); nothing was changed`);
    this.name = 'DeviceOutOfScope';
  }
}

/**
 * The SQL condition that puts a row of `devices` (alias `d`) in the caller's scope: region scopes by
 * division-code prefix, a project scope by project id; an enterprise has no devices. Adds its parameter.
 */
export function deviceScopeSql(scope: CallerScope, params: unknown[], d = 'd'): string {
  const prefix = regionPrefix(scope);
  if (prefix !== undefined) {
    params.push(prefix);
    return `${d}.region LIKE $${params.length}`;
  }
  if (scope.kind === 'project') {
    params.push(scope.code);
    return `${d}.project_id = $${params.length}`;
  }
  return 'false';
}

/** Thrown when a serial is already registered to another device of the same family. */
export class SerialTaken extends Error {}

/** Thrown when a device's family has no credential of the gateway's to rotate (ZKTeco: its serial). */
export class NothingToRotate extends Error {}

/** A credential given out once: in the reply that issued it, never again. */
export interface IssuedCredential {
  /** open-v1: the new HMAC secret. */
  secret?: string;
  /** Hikvision, Uface, HTTPv2: the new path token (also the site agent's key). */
  token?: string;
}

/** Lookups kept at most (unknown ids tried by a stranger included): the oldest go first. */
const CACHE_ENTRIES = 10_000;

/**
 * The devices table. Lookups are cached briefly: every device request needs its device. Credentials are
 * kept as device-credentials.ts says: secrets encrypted, tokens as hashes.
 */
export class DeviceRepository {
  private readonly cache = new Map<string, { device: Device | undefined; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly credentials: DeviceCredentials,
    private readonly cacheMs = 5_000,
  ) {}

  /**
   * Registers or updates a device. A family that authenticates by a path token gets one generated
   * when none is given and the device has none yet (`issued`: shown once, in the reply to this call);
   * a secret or token given replaces the stored one; `previous` is the device as it was (undefined: new).
   * For a caller, both the registration (region, project) and the device it replaces must be in the
   * caller's scope ({@link DeviceOutOfScope} otherwise).
   */
  async upsert(
    reg: DeviceRegistration,
    by: DeviceWriter,
  ): Promise<{ device: Device; previous?: Device; issued: IssuedCredential }> {
    const scope = scopeOf(by);
    if (scope && !scopeCovers(scope, reg))
      throw new DeviceOutOfScope(
        scope.kind === 'project' ? `project ${reg.projectId}` : `region ${reg.region}`,
        scope,
      );
    const [existing] = await this.db.query<DeviceRow>(
      `SELECT * FROM ${this.schema}.devices WHERE device_id = $1`,
      [reg.deviceId],
    );
    if (existing && scope && !scopeCovers(scope, toDevice(existing)))
      throw new DeviceOutOfScope(`device "${reg.deviceId}" (registered elsewhere)`, scope);
    const issued: IssuedCredential = {};
    let tokenHash = reg.token ? hashToken(reg.token) : (existing?.token_hash ?? undefined);
    if (!tokenHash && TOKEN_IN_PATH_FAMILIES.includes(reg.family)) {
      issued.token = newCredential();
      tokenHash = hashToken(issued.token);
    }
    if (reg.serial) {
      const [other] = await this.db.query<{ device_id: string }>(
        `SELECT device_id FROM ${this.schema}.devices WHERE family = $1 AND serial = $2 AND device_id <> $3`,
        [reg.family, reg.serial, reg.deviceId],
      );
      if (other)
        throw new SerialTaken(`serial "${reg.serial}" is already registered to device "${other.device_id}"`);
    }
    const [row] = await this.db.query<DeviceRow>(
      `INSERT INTO ${this.schema}.devices (device_id, project_id, region, family, gate, serial, secret_encrypted, token_hash, time_zone, default_direction, enabled, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)
       ON CONFLICT (device_id) DO UPDATE SET project_id = EXCLUDED.project_id, region = EXCLUDED.region,
         family = EXCLUDED.family, gate = EXCLUDED.gate, serial = EXCLUDED.serial,
         secret_encrypted = COALESCE(EXCLUDED.secret_encrypted, ${this.schema}.devices.secret_encrypted),
         token_hash = EXCLUDED.token_hash,
         time_zone = EXCLUDED.time_zone, default_direction = EXCLUDED.default_direction,
         enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING *`,
      [
        reg.deviceId,
        reg.projectId,
        reg.region,
        reg.family,
        reg.gate ?? null,
        reg.serial ?? null,
        reg.secret ? this.credentials.encryptSecret(reg.deviceId, reg.secret) : null,
        tokenHash ?? null,
        reg.timeZone,
        reg.defaultDirection,
        reg.enabled,
        actorJson(by),
      ],
    );
    this.forget(reg.deviceId);
    return {
      device: this.toDevice(row),
      ...(existing ? { previous: this.toDevice(existing) } : {}),
      issued,
    };
  }

  /**
   * Replaces the device's credential (open-v1: its HMAC secret; Hikvision, Uface, HTTPv2: its path
   * token) with `given` or a generated one, returned once. The old one stops working at once here (and
   * within the lookup cache's few seconds on other instances). Undefined when there is no such device.
   */
  async rotateCredential(
    deviceId: string,
    by: DeviceWriter,
    given: IssuedCredential = {},
  ): Promise<{ device: Device; issued: IssuedCredential } | undefined> {
    const current = await this.forWrite(deviceId, by);
    if (!current) return undefined;
    let row: DeviceRow | undefined;
    const issued: IssuedCredential = {};
    if (current.family === 'open-v1') {
      issued.secret = given.secret ?? newCredential();
      [row] = await this.db.query<DeviceRow>(
        `UPDATE ${this.schema}.devices SET secret_encrypted = $2, updated_by = $3::jsonb, updated_at = now()
          WHERE device_id = $1 RETURNING *`,
        [deviceId, this.credentials.encryptSecret(deviceId, issued.secret), actorJson(by)],
      );
    } else if (TOKEN_IN_PATH_FAMILIES.includes(current.family)) {
      issued.token = given.token ?? newCredential();
      [row] = await this.db.query<DeviceRow>(
        `UPDATE ${this.schema}.devices SET token_hash = $2, updated_by = $3::jsonb, updated_at = now()
          WHERE device_id = $1 RETURNING *`,
        [deviceId, hashToken(issued.token), actorJson(by)],
      );
    } else {
      throw new NothingToRotate(
        `a ${current.family} device proves who it is by its serial on the registered-devices list: it has no gateway credential to rotate`,
      );
    }
    this.forget(deviceId);
    return row && { device: this.toDevice(row), issued };
  }

  /**
   * Brings stored secrets up to date, at start: encrypts those an older version kept in the clear and
   * re-encrypts those under a key that is no longer the active one. Returns how many changed.
   */
  async upgradeStoredSecrets(): Promise<number> {
    const rows = await this.db.query<{ device_id: string; secret_encrypted: string }>(
      `SELECT device_id, secret_encrypted FROM ${this.schema}.devices WHERE secret_encrypted IS NOT NULL`,
    );
    let changed = 0;
    for (const r of rows) {
      const upgraded = this.credentials.upgradeSecret(r.device_id, r.secret_encrypted);
      if (!upgraded) continue;
      // Only if no one changed it meanwhile (another instance starting at the same time).
      changed += await this.db.execute(
        `UPDATE ${this.schema}.devices SET secret_encrypted = $3 WHERE device_id = $1 AND secret_encrypted = $2`,
        [r.device_id, r.secret_encrypted, upgraded],
      );
      this.forget(r.device_id);
    }
    return changed;
  }

  async setEnabled(deviceId: string, enabled: boolean, by: DeviceWriter): Promise<Device | undefined> {
    if (!(await this.forWrite(deviceId, by))) return undefined;
    const [row] = await this.db.query<DeviceRow>(
      `UPDATE ${this.schema}.devices SET enabled = $2, updated_by = $3::jsonb, updated_at = now()
        WHERE device_id = $1 RETURNING *`,
      [deviceId, enabled, actorJson(by)],
    );
    this.forget(deviceId);
    return row && this.toDevice(row);
  }

  /** The device with this id; `fresh` skips the lookup cache. */
  async find(deviceId: string, fresh = false): Promise<Device | undefined> {
    if (fresh) this.forget(deviceId);
    return this.cached(`id:${deviceId}`, async () => {
      const [row] = await this.db.query<DeviceRow>(
        `SELECT * FROM ${this.schema}.devices WHERE device_id = $1`,
        [deviceId],
      );
      return row && this.toDevice(row);
    });
  }

  /**
   * The device with this id if it is in the caller's scope (filtered in SQL, never cached): a device
   * outside the scope is not found, exactly like a missing one.
   */
  async findInScope(deviceId: string, scope: CallerScope): Promise<Device | undefined> {
    const params: unknown[] = [deviceId];
    const [row] = await this.db.query<DeviceRow>(
      `SELECT d.* FROM ${this.schema}.devices d WHERE d.device_id = $1 AND ${deviceScopeSql(scope, params)}`,
      params,
    );
    return row && this.toDevice(row);
  }

  /**
   * The device a write is about, read scope-free (fresh): undefined when there is none, and
   * {@link DeviceOutOfScope} when it exists outside the caller's scope (a write there is forbidden).
   */
  async forWrite(deviceId: string, by: DeviceWriter): Promise<Device | undefined> {
    const device = await this.find(deviceId, true);
    const scope = scopeOf(by);
    if (device && scope && !scopeCovers(scope, device))
      throw new DeviceOutOfScope(`device "${deviceId.slice(0, 64)}"`, scope);
    return device;
  }

  /** The device of a family that reports this serial (ZKTeco SN, Uface deviceKey, HTTPv2 SN). */
  async findBySerial(family: DeviceFamily, serial: string): Promise<Device | undefined> {
    return this.cached(`sn:${family}:${serial}`, async () => {
      const [row] = await this.db.query<DeviceRow>(
        `SELECT * FROM ${this.schema}.devices WHERE family = $1 AND serial = $2`,
        [family, serial],
      );
      return row && this.toDevice(row);
    });
  }

  /** Constant-time comparison of a presented path token with the device's (its hash); false when it has none. */
  tokenMatches(device: Device, token: string): boolean {
    return this.credentials.tokenMatches(device.tokenHash, token);
  }

  /** The devices in the caller's scope (filtered in SQL) that match the filter. */
  async list(filter: DeviceFilter, scope: CallerScope): Promise<Device[]> {
    const params: unknown[] = [filter.projectId ?? null, filter.family ?? null, filter.online ?? null];
    const rows = await this.db.query<DeviceRow>(
      `SELECT d.* FROM ${this.schema}.devices d
        WHERE ($1::text IS NULL OR d.project_id = $1) AND ($2::text IS NULL OR d.family = $2)
          AND ($3::boolean IS NULL OR d.online = $3) AND ${deviceScopeSql(scope, params)}
        ORDER BY d.device_id`,
      params,
    );
    return rows.map((r) => this.toDevice(r));
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
    this.cache.delete(key);
    this.cache.set(key, { device, at: Date.now() });
    // A Map iterates in insertion order: the first keys are the oldest.
    for (const old of this.cache.keys()) {
      if (this.cache.size <= CACHE_ENTRIES) break;
      this.cache.delete(old);
    }
    return device;
  }

  private toDevice(r: DeviceRow): Device {
    const secret = r.secret_encrypted
      ? this.credentials.decryptSecret(r.device_id, r.secret_encrypted)
      : undefined;
    return { ...toDevice(r), ...(secret ? { secret } : {}) };
  }
}

/**
 * A device row as a Device, without its secret (only the repository decrypts it; an open-v1 device
 * without a readable secret is refused).
 */
export function toDevice(r: DeviceRow): Device {
  return {
    deviceId: r.device_id,
    projectId: r.project_id,
    region: r.region,
    family: r.family,
    ...(r.gate ? { gate: r.gate } : {}),
    ...(r.serial ? { serial: r.serial } : {}),
    ...(r.token_hash ? { tokenHash: r.token_hash } : {}),
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
