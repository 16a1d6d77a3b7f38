import { v7 as uuidv7 } from 'uuid';
import { formatLocalTime, localDay, parseDeviceTime } from '@realname/contracts';
import { Database } from '@realname/eventstore';
import type { Device, DeviceFamily } from '../devices/device';
import { toDevice } from '../devices/device-repository';
import { CommandOutcome, CommandQueue, DeviceCommand, RecordsRange } from '../commands/command-queue';

export type BackfillReason = 'came-online' | 'on-demand' | 'serial-gap' | 'daily-reconcile';
export type BackfillStatus = 'requested' | 'running' | 'complete' | 'incomplete' | 'failed' | 'unsupported';

export interface Backfill {
  backfillId: string;
  deviceId: string;
  from: Date;
  to: Date;
  reason: BackfillReason;
  status: BackfillStatus;
  /** How many records the device says it holds in the range (where it can count: ZKTeco VERIFY SUM, record queries). */
  deviceCount?: number;
  /** Records the device sent again for this backfill, and how many of them were new. */
  received: number;
  recovered: number;
  /** Records of the range the gateway holds once the backfill finished. */
  platformCount?: number;
  detail?: string;
  createdAt: Date;
  completedAt?: Date;
}

/** How each family is asked for the records of a range. */
const HOW: Record<DeviceFamily, { query: boolean; verify: boolean; unsupported?: string }> = {
  'zkteco-push': { query: true, verify: true },
  'hikvision-isapi': { query: true, verify: false },
  uface: { query: true, verify: false },
  'open-v1': { query: true, verify: false },
  httpv2: {
    query: false,
    verify: false,
    unsupported:
      'HTTPv2 terminals offer no record query; they keep every record until it is acknowledged and retry every 10 s',
  },
};

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

/**
 * Filling gaps: after a device was offline, on a gap in its sequence numbers, or on demand, the device
 * is asked for the records of a time range (each family in its own way, through the command queue);
 * what comes back goes through normal ingestion, so nothing is counted twice. Where the device can
 * count its records, the count is compared with what the gateway holds.
 */
export class Backfills {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly commands: CommandQueue,
  ) {
    commands.onCompleted((c, o) => this.onCommandAnswered(c, o));
  }

  async request(device: Device, from: Date, to: Date, reason: BackfillReason): Promise<Backfill> {
    const how = HOW[device.family];
    const backfillId = uuidv7();
    const [row] = await this.db.query<BackfillRow>(
      `INSERT INTO ${this.schema}.backfills (backfill_id, device_id, from_at, to_at, reason, status, detail, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        backfillId,
        device.deviceId,
        from,
        to,
        reason,
        how.unsupported ? 'unsupported' : 'requested',
        how.unsupported ?? null,
        how.unsupported ? new Date() : null,
      ],
    );
    const range: RecordsRange = { from: from.toISOString(), to: to.toISOString(), backfillId };
    if (how.query)
      await this.commands.enqueue(device.deviceId, 'records.query', range, `backfill:${backfillId}`);
    if (how.verify)
      await this.commands.enqueue(device.deviceId, 'records.verify', range, `backfill:${backfillId}`);
    return toBackfill(row);
  }

  /**
   * The daily reconcile: some devices (Uface) do not resend a callback that was lost, so once a day, after
   * `afterHour` local time, each enabled device of these families is asked for the whole of the day before
   * (in its own zone). At most once per device and day, however often this runs.
   */
  async reconcileDaily(now: Date, families: DeviceFamily[], afterHour: number): Promise<Backfill[]> {
    if (families.length === 0) return [];
    const rows = await this.db.query<Parameters<typeof toDevice>[0]>(
      `SELECT * FROM ${this.schema}.devices WHERE enabled AND family = ANY($1::text[]) ORDER BY device_id`,
      [families],
    );
    const requested: Backfill[] = [];
    for (const device of rows.map(toDevice)) {
      const localHour = Number(formatLocalTime(now, device.timeZone).slice(11, 13));
      if (localHour < afterHour) continue;
      const yesterday = localDay(new Date(now.getTime() - 86_400_000), device.timeZone);
      const from = parseDeviceTime(`${yesterday} 00:00:00`, device.timeZone);
      const to = parseDeviceTime(`${yesterday} 23:59:59`, device.timeZone);
      if (!from || !to) continue;
      const [done] = await this.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${this.schema}.backfills
          WHERE device_id = $1 AND reason = 'daily-reconcile' AND from_at = $2`,
        [device.deviceId, from],
      );
      if (Number(done.n) > 0) continue;
      requested.push(await this.request(device, from, to, 'daily-reconcile'));
    }
    return requested;
  }

  async list(deviceId: string, limit = 50): Promise<Backfill[]> {
    const rows = await this.db.query<BackfillRow>(
      `SELECT * FROM ${this.schema}.backfills WHERE device_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [deviceId, limit],
    );
    return rows.map(toBackfill);
  }

  async get(backfillId: string): Promise<Backfill | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(backfillId)) return undefined;
    const [row] = await this.db.query<BackfillRow>(
      `SELECT * FROM ${this.schema}.backfills WHERE backfill_id = $1`,
      [backfillId],
    );
    return row && toBackfill(row);
  }

  /** The records of a device in a range that the gateway holds (collapsed repeats included: the device holds them too). */
  async platformCount(deviceId: string, from: Date, to: Date): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.device_records
        WHERE device_id = $1 AND punched_at >= $2 AND punched_at <= $3`,
      [deviceId, from, to],
    );
    return Number(row.n);
  }

  private async onCommandAnswered(c: DeviceCommand, o: CommandOutcome): Promise<void> {
    if (c.kind !== 'records.query' && c.kind !== 'records.verify') return;
    const { backfillId } = c.payload as RecordsRange;
    const backfill = await this.get(backfillId);
    if (!backfill || ['complete', 'failed', 'unsupported'].includes(backfill.status)) return;
    if (c.status === 'queued') return; // refused this time; it will be sent again
    const open = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.schema}.device_commands
        WHERE origin = $1 AND status IN ('queued', 'sent')`,
      [`backfill:${backfillId}`],
    );
    const count = numberOr(o.result?.count);
    const deviceCount = count ?? backfill.deviceCount;
    if (c.status === 'failed') {
      await this.finish(
        backfill,
        'failed',
        deviceCount,
        `${c.kind} failed: ${c.deviceCode ?? ''} ${c.detail ?? ''}`.trim(),
      );
      return;
    }
    if (Number(open[0].n) > 0) {
      if (count !== undefined)
        await this.db.execute(
          `UPDATE ${this.schema}.backfills SET device_count = $2 WHERE backfill_id = $1`,
          [backfillId, count],
        );
      return;
    }
    const held = await this.platformCount(backfill.deviceId, backfill.from, backfill.to);
    const complete = deviceCount === undefined || held >= deviceCount;
    await this.finish(
      backfill,
      complete ? 'complete' : 'incomplete',
      deviceCount,
      complete
        ? undefined
        : `the device holds ${deviceCount} records in the range, the platform ${held}: request the range again`,
      held,
    );
  }

  private async finish(
    b: Backfill,
    status: BackfillStatus,
    deviceCount?: number,
    detail?: string,
    held?: number,
  ) {
    const platform = held ?? (await this.platformCount(b.deviceId, b.from, b.to));
    await this.db.execute(
      `UPDATE ${this.schema}.backfills SET status = $2, device_count = $3, detail = $4, platform_count = $5, completed_at = now()
        WHERE backfill_id = $1`,
      [b.backfillId, status, deviceCount ?? null, detail ?? null, platform],
    );
  }
}

function numberOr(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
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
