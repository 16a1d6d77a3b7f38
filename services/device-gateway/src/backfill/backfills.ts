import { v7 as uuidv7 } from 'uuid';
import { formatLocalTime, localDay, parseDeviceTime } from '@realname/contracts';
import { Database } from '@realname/eventstore';
import type { Device, DeviceFamily } from '../devices/device';
import { PunchRecordsRepository } from '../ingest/punch-records.repository';
import { BackfillRepository } from './backfill.repository';
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

/**
 * Filling gaps: after a device was offline, on a gap in its sequence numbers, or on demand, the device
 * is asked for the records of a time range (each family in its own way, through the command queue);
 * what comes back goes through normal ingestion, so nothing is counted twice. Where the device can
 * count its records, the count is compared with what the gateway holds.
 */
export class Backfills {
  private readonly repo: BackfillRepository;
  private readonly records: PunchRecordsRepository;

  constructor(
    db: Database,
    schema: string,
    private readonly commands: CommandQueue,
  ) {
    this.repo = new BackfillRepository(db, schema);
    this.records = new PunchRecordsRepository(db, schema);
    commands.onCompleted((c, o) => this.onCommandAnswered(c, o));
  }

  async request(
    device: Device,
    from: Date,
    to: Date,
    reason: BackfillReason,
    requestedBy?: { subject: string; role: string; scope: string },
  ): Promise<Backfill> {
    const how = HOW[device.family];
    const backfillId = uuidv7();
    const backfill = await this.repo.insert(
      {
        backfillId,
        deviceId: device.deviceId,
        from,
        to,
        reason,
        status: how.unsupported ? 'unsupported' : 'requested',
        detail: how.unsupported,
        completedAt: how.unsupported ? new Date() : undefined,
      },
      requestedBy,
    );
    const range: RecordsRange = { from: from.toISOString(), to: to.toISOString(), backfillId };
    if (how.query)
      await this.commands.enqueue(device.deviceId, 'records.query', range, `backfill:${backfillId}`);
    if (how.verify)
      await this.commands.enqueue(device.deviceId, 'records.verify', range, `backfill:${backfillId}`);
    return backfill;
  }

  /**
   * The daily reconcile: some devices (Uface) do not resend a callback that was lost, so once a day, after
   * `afterHour` local time, each enabled device of these families is asked for the whole of the day before
   * (in its own zone). At most once per device and day, however often this runs.
   */
  async reconcileDaily(now: Date, families: DeviceFamily[], afterHour: number): Promise<Backfill[]> {
    if (families.length === 0) return [];
    const requested: Backfill[] = [];
    for (const device of await this.repo.enabledDevices(families)) {
      const localHour = Number(formatLocalTime(now, device.timeZone).slice(11, 13));
      if (localHour < afterHour) continue;
      const yesterday = localDay(new Date(now.getTime() - 86_400_000), device.timeZone);
      const from = parseDeviceTime(`${yesterday} 00:00:00`, device.timeZone);
      const to = parseDeviceTime(`${yesterday} 23:59:59`, device.timeZone);
      if (!from || !to) continue;
      if (await this.repo.dailyReconcileExists(device.deviceId, from)) continue;
      requested.push(await this.request(device, from, to, 'daily-reconcile'));
    }
    return requested;
  }

  list(deviceId: string, limit = 50): Promise<Backfill[]> {
    return this.repo.list(deviceId, limit);
  }

  async get(backfillId: string): Promise<Backfill | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(backfillId)) return undefined;
    return this.repo.get(backfillId);
  }

  /** The records of a device in a range that the gateway holds (collapsed repeats included: the device holds them too). */
  platformCount(deviceId: string, from: Date, to: Date): Promise<number> {
    return this.records.countBetween(deviceId, from, to);
  }

  private async onCommandAnswered(c: DeviceCommand, o: CommandOutcome): Promise<void> {
    if (c.kind !== 'records.query' && c.kind !== 'records.verify') return;
    const { backfillId } = c.payload as RecordsRange;
    const backfill = await this.get(backfillId);
    if (!backfill || ['complete', 'failed', 'unsupported'].includes(backfill.status)) return;
    if (c.status === 'queued') return; // refused this time; it will be sent again
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
    if ((await this.repo.openCommands(backfillId)) > 0) {
      if (count !== undefined) await this.repo.setDeviceCount(backfillId, count);
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
    const platformCount = held ?? (await this.platformCount(b.deviceId, b.from, b.to));
    await this.repo.finish(b.backfillId, { status, deviceCount, detail, platformCount });
  }
}

function numberOr(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
