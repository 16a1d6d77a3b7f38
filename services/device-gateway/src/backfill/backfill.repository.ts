import { Database, Sql } from '@realname/eventstore';
import type { Device, DeviceFamily } from '../devices/device';
import { toDevice } from '../devices/device-repository';
import type { Backfill, BackfillReason, BackfillStatus } from './backfills';

interface BackfillRow {
  backfill_id: string;
  device_id: string;
  from_at: Date;
  to_at: Date;
  reason: BackfillReason;
  status: BackfillStatus;
  device_count: number | null;
  received: number;
  recovered: number;
  platform_count: number | null;
  detail: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/** Every SQL statement of backfills. */
export class BackfillRepository {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  async insert(
    b: Pick<
      Backfill,
      'backfillId' | 'deviceId' | 'from' | 'to' | 'reason' | 'status' | 'detail' | 'completedAt'
    >,
    /** Who asked (the admin API's caller); undefined: the gateway itself. */
    requestedBy?: { subject: string; role: string; scope: string },
  ): Promise<Backfill> {
    const [row] = await this.db.query<BackfillRow>(
      `INSERT INTO ${this.schema}.backfills (backfill_id, device_id, from_at, to_at, reason, status, detail, completed_at, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING *`,
      [
        b.backfillId,
        b.deviceId,
        b.from,
        b.to,
        b.reason,
        b.status,
        b.detail ?? null,
        b.completedAt ?? null,
        requestedBy ? JSON.stringify(requestedBy) : null,
      ],
    );
    return toBackfill(row);
  }

  async enabledDevices(families: DeviceFamily[]): Promise<Device[]> {
    const rows = await this.db.query<Parameters<typeof toDevice>[0]>(
      `SELECT * FROM ${this.schema}.devices WHERE enabled AND family = ANY($1::text[]) ORDER BY device_id`,
      [families],
    );
    return rows.map(toDevice);
  }

  async dailyReconcileExists(deviceId: string, from: Date): Promise<boolean> {
    const [done] = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.backfills
        WHERE device_id = $1 AND reason = 'daily-reconcile' AND from_at = $2`,
      [deviceId, from],
    );
    return Number(done.n) > 0;
  }

  async list(deviceId: string, limit: number): Promise<Backfill[]> {
    const rows = await this.db.query<BackfillRow>(
      `SELECT * FROM ${this.schema}.backfills WHERE device_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [deviceId, limit],
    );
    return rows.map(toBackfill);
  }

  async get(backfillId: string): Promise<Backfill | undefined> {
    const [row] = await this.db.query<BackfillRow>(
      `SELECT * FROM ${this.schema}.backfills WHERE backfill_id = $1`,
      [backfillId],
    );
    return row && toBackfill(row);
  }

  /** Commands of the backfill still queued or sent. */
  async openCommands(backfillId: string): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.device_commands
        WHERE origin = $1 AND status IN ('queued', 'sent')`,
      [`backfill:${backfillId}`],
    );
    return Number(row.n);
  }

  async setDeviceCount(backfillId: string, count: number): Promise<void> {
    await this.db.execute(`UPDATE ${this.schema}.backfills SET device_count = $2 WHERE backfill_id = $1`, [
      backfillId,
      count,
    ]);
  }

  async finish(
    backfillId: string,
    f: { status: BackfillStatus; deviceCount?: number; detail?: string; platformCount: number },
  ): Promise<void> {
    await this.db.execute(
      `UPDATE ${this.schema}.backfills SET status = $2, device_count = $3, detail = $4, platform_count = $5, completed_at = now()
        WHERE backfill_id = $1`,
      [backfillId, f.status, f.deviceCount ?? null, f.detail ?? null, f.platformCount],
    );
  }

  /** Records that came for the backfill, in the ingestion's transaction; the first makes it `running`. */
  async recordProgress(tx: Sql, backfillId: string, received: number, recovered: number): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.backfills SET received = received + $2, recovered = recovered + $3,
         status = CASE WHEN status = 'requested' THEN 'running' ELSE status END
        WHERE backfill_id = $1`,
      [backfillId, received, recovered],
    );
  }
}

function toBackfill(r: BackfillRow): Backfill {
  return {
    backfillId: r.backfill_id,
    deviceId: r.device_id,
    from: r.from_at,
    to: r.to_at,
    reason: r.reason,
    status: r.status,
    ...(r.device_count !== null ? { deviceCount: r.device_count } : {}),
    received: r.received,
    recovered: r.recovered,
    ...(r.platform_count !== null ? { platformCount: r.platform_count } : {}),
    ...(r.detail ? { detail: r.detail } : {}),
    createdAt: r.created_at,
    ...(r.completed_at ? { completedAt: r.completed_at } : {}),
  };
}
