import { Database, Sql } from '@realname/eventstore';
import type { DeviceRef, PresenceState, SeenVia } from './presence.decider';

/** An online device as the silence check reads it; `version` (the row's xmin) guards the write. */
export interface OnlineDevice {
  device: DeviceRef;
  lastSeenAt?: Date;
  version: string;
}

/** Every SQL statement of presence (the devices table's online, last-seen and clock-skew columns). */
export class PresenceRepository {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  /** The device's presence, locked until the transaction ends (signs of life of one device queue up). */
  async lock(tx: Sql, deviceId: string): Promise<PresenceState | undefined> {
    const [row] = await tx.query<{
      online: boolean;
      last_seen_at: Date | null;
      skew_beyond_tolerance: boolean;
    }>(
      `SELECT online, last_seen_at, skew_beyond_tolerance FROM ${this.schema}.devices WHERE device_id = $1 FOR UPDATE`,
      [deviceId],
    );
    return (
      row && {
        online: row.online,
        ...(row.last_seen_at ? { lastSeenAt: row.last_seen_at } : {}),
        skewBeyondTolerance: row.skew_beyond_tolerance,
      }
    );
  }

  /** Online, seen now (by the database clock, which the silence check reads too), and the skew if measured. */
  async markSeen(
    tx: Sql,
    deviceId: string,
    s: { skewMs?: number; via: SeenVia; skewBeyondTolerance: boolean },
  ): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.devices SET online = true, last_seen_at = now(),
          clock_skew_ms = COALESCE($2, clock_skew_ms), clock_skew_source = COALESCE($3, clock_skew_source),
          clock_skew_measured_at = CASE WHEN $2::bigint IS NULL THEN clock_skew_measured_at ELSE now() END,
          skew_beyond_tolerance = $4
        WHERE device_id = $1`,
      [deviceId, s.skewMs ?? null, s.skewMs === undefined ? null : s.via, s.skewBeyondTolerance],
    );
  }

  /** The devices marked online, and the database's now. */
  async online(): Promise<{ now: Date; devices: OnlineDevice[] }> {
    const rows = await this.db.query<{
      device_id: string;
      project_id: string;
      region: string;
      family: DeviceRef['family'];
      gate: string | null;
      last_seen_at: Date | null;
      version: string;
      now: Date;
    }>(
      `SELECT device_id, project_id, region, family, gate, last_seen_at, xmin::text AS version, now() AS now
         FROM ${this.schema}.devices WHERE online`,
    );
    return {
      now: rows[0]?.now ?? new Date(),
      devices: rows.map((r) => ({
        device: {
          deviceId: r.device_id,
          projectId: r.project_id,
          region: r.region,
          family: r.family,
          gate: r.gate ?? undefined,
        },
        ...(r.last_seen_at ? { lastSeenAt: r.last_seen_at } : {}),
        version: r.version,
      })),
    };
  }

  /** Offline, unless the row changed since it was read (a sign of life came meanwhile): compare-and-set on xmin. */
  async markOffline(tx: Sql, deviceId: string, version: string): Promise<boolean> {
    const n = await tx.execute(
      `UPDATE ${this.schema}.devices SET online = false WHERE device_id = $1 AND online AND xmin::text = $2`,
      [deviceId, version],
    );
    return n > 0;
  }

  async countsByState(): Promise<{ family: string; online: boolean; n: number }[]> {
    const rows = await this.db.query<{ family: string; online: boolean; n: string }>(
      `SELECT family, online, count(*) AS n FROM ${this.schema}.devices WHERE enabled GROUP BY family, online`,
    );
    return rows.map((r) => ({ family: r.family, online: r.online, n: Number(r.n) }));
  }

  async skews(): Promise<{ deviceId: string; family: string; skewMs: number }[]> {
    const rows = await this.db.query<{ device_id: string; family: string; clock_skew_ms: string }>(
      `SELECT device_id, family, clock_skew_ms FROM ${this.schema}.devices WHERE enabled AND clock_skew_ms IS NOT NULL`,
    );
    return rows.map((r) => ({ deviceId: r.device_id, family: r.family, skewMs: Number(r.clock_skew_ms) }));
  }
}
