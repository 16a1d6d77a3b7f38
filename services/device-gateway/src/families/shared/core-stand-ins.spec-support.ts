/**
 * For the device controller specs: in-memory stand-ins for the gateway core (devices, ingestion,
 * presence, command queue, backfills, photos) that keep the core's contracts and record what they were
 * given, and a Nest app serving one controller over real HTTP with them.
 */
import 'reflect-metadata';
import { INestApplication, Module, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { raw } from 'express';
import { JsonLogger, LOGGER } from '@realname/platform';
import { Backfills } from '../../backfill/backfills';
import {
  CommandKind,
  CommandOutcome,
  CommandQueue,
  CommandStatus,
  DeviceCommand,
} from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence } from '../../devices/presence';
import { NormalisedPunch, PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { Photo, photoRef, PhotoStore } from '../../photos/photo-store';

export class CoreStandIns {
  /** Punches stored, each once by its key (a repeat is a duplicate). */
  punches: (NormalisedPunch & { key: string; backfillId?: string })[] = [];
  /** Requests kept without punches. */
  kept: { outcome: string; detail?: string }[] = [];
  refused: { deviceId: string; outcome: string; detail: string; body: Buffer }[] = [];
  seen: { via: string; deviceClock?: Date }[] = [];
  /** Backfills requested. */
  backfills: { from: Date; to: Date; reason: string }[] = [];
  /** Backfills there are, by id (requested ones, and those a spec adds). */
  readonly knownBackfills = new Map<string, { backfillId: string; deviceId: string }>();
  readonly commands: DeviceCommand[] = [];
  readonly photos = new Map<string, Photo>();
  /** A refused command is due again only later (the real queue waits attempts x retry delay). */
  readonly notBefore = new Map<number, number>();
  /** How many of the next ingests fail (storage down). */
  failIngest = 0;
  /** While true, reading a device fails as it does when PostgreSQL is away (connection refused). */
  databaseAway = false;
  private seq = 100;

  /** `devices` are the registered devices; the first is the one commands are queued for by default. */
  constructor(private readonly devices: Device[]) {}

  private reachable(): void {
    if (this.databaseAway)
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }

  repo = {
    find: async (id: string) => {
      this.reachable();
      return this.devices.find((d) => d.deviceId === id);
    },
    findBySerial: async (family: string, sn: string) => {
      this.reachable();
      return this.devices.find((d) => d.family === family && d.serial === sn);
    },
    tokenMatches: (d: Device, t: string) => !!d.token && d.token === t,
  };
  ingestion = {
    ingest: async (
      _d: Device,
      _raw: RawRequest,
      punches: NormalisedPunch[],
      o: { backfillId?: string } = {},
    ) => {
      if (this.failIngest > 0) {
        this.failIngest--;
        throw new Error('database unavailable');
      }
      return {
        requestId: 'r',
        results: punches.map((p) => {
          const key = p.recordId ?? `${p.personId}@${p.punchedAt.toISOString()}`;
          const dup = this.punches.some((x) => x.key === key);
          if (!dup) this.punches.push({ ...p, key, ...o });
          return { key, status: dup ? ('duplicate' as const) : ('accepted' as const) };
        }),
      };
    },
    keep: async (_id: string, _raw: RawRequest, outcome: string, detail?: string) => {
      this.kept.push({ outcome, detail });
      return 'r';
    },
    refuse: async (deviceId: string, raw: RawRequest, outcome: string, detail: string) => {
      this.refused.push({ deviceId, outcome, detail, body: raw.body });
    },
  };
  presence = {
    seen: async (_d: Device, o: { via: string; deviceClock?: Date }) => void this.seen.push(o),
  };
  queue = {
    claim: async (deviceId: string, limit: number, kinds?: CommandKind[]) => {
      const due = this.commands
        .filter((c) => c.deviceId === deviceId && this.isDue(c) && (!kinds || kinds.includes(c.kind)))
        .slice(0, limit);
      for (const c of due) {
        c.status = 'sent';
        c.attempts++;
      }
      return due.map((c) => ({ ...c }));
    },
    pendingCounts: async (deviceId: string) => {
      const counts = { 'person.upsert': 0, 'person.delete': 0, 'records.query': 0, 'records.verify': 0 };
      for (const c of this.commands) if (c.deviceId === deviceId && this.isDue(c)) counts[c.kind]++;
      return counts;
    },
    complete: async (deviceId: string, ref: { seq: number } | { commandId: string }, o: CommandOutcome) => {
      const c = this.commands.find(
        (x) =>
          x.deviceId === deviceId &&
          ('seq' in ref ? x.seq === ref.seq : x.commandId === ref.commandId) &&
          x.status === 'sent',
      );
      if (!c) return undefined;
      c.status = o.ok ? 'succeeded' : c.attempts >= 3 ? 'failed' : 'queued';
      if (c.status === 'queued') this.notBefore.set(c.seq, Date.now() + 60_000);
      c.deviceCode = o.code;
      c.detail = o.detail;
      c.result = o.result;
      return { ...c };
    },
    list: async (
      deviceId: string,
      f: { status?: CommandStatus; kind?: CommandKind; limit?: number; afterSeq?: number },
    ) =>
      this.commands
        .filter(
          (c) =>
            c.deviceId === deviceId &&
            (!f.status || c.status === f.status) &&
            (!f.kind || c.kind === f.kind) &&
            c.seq > (f.afterSeq ?? 0),
        )
        .slice(0, f.limit ?? 100)
        .map((c) => ({ ...c })),
    get: async (commandId: string) => this.commands.find((c) => c.commandId === commandId),
  };
  backfillService = {
    request: async (d: Device, from: Date, to: Date, reason: string) => {
      this.backfills.push({ from, to, reason });
      const backfill = { backfillId: 'b-' + this.backfills.length, deviceId: d.deviceId };
      this.knownBackfills.set(backfill.backfillId, backfill);
      return backfill;
    },
    get: async (id: string) => this.knownBackfills.get(id),
  };
  photoStore = { get: async (ref: string) => this.photos.get(ref.replace(/^sha256:/, '')) };

  /** The core as Nest providers (and a logger that prints nothing). */
  providers(): Provider[] {
    return [
      { provide: DeviceRepository, useValue: this.repo },
      { provide: PunchIngestion, useValue: this.ingestion },
      { provide: DevicePresence, useValue: this.presence },
      { provide: CommandQueue, useValue: this.queue },
      { provide: Backfills, useValue: this.backfillService },
      { provide: PhotoStore, useValue: this.photoStore },
      { provide: LOGGER, useValue: new JsonLogger('test', 'error', () => undefined) },
    ];
  }

  enqueue(
    kind: CommandKind,
    payload: DeviceCommand['payload'],
    deviceId = this.devices[0].deviceId,
  ): DeviceCommand {
    const c: DeviceCommand = {
      commandId: `0190f0e4-0000-7000-8000-${String(++this.seq).padStart(12, '0')}`,
      seq: this.seq,
      deviceId,
      kind,
      payload,
      status: 'queued',
      attempts: 0,
      createdAt: new Date(),
    };
    this.commands.push(c);
    return c;
  }

  addPhoto(bytes: Buffer): string {
    const ref = photoRef(bytes);
    this.photos.set(ref.slice(7), { bytes, contentType: 'image/jpeg' });
    return ref;
  }

  /** Forgets what was recorded (not the devices, commands, photos or backfills there are). */
  reset(): void {
    this.punches = [];
    this.kept = [];
    this.refused = [];
    this.seen = [];
    this.backfills = [];
  }

  private isDue(c: DeviceCommand): boolean {
    return c.status === 'queued' && (this.notBefore.get(c.seq) ?? 0) <= Date.now();
  }
}

/**
 * `controller` served over real HTTP on 127.0.0.1 with `providers`, request bodies kept raw under
 * `mount` (as the gateway does for device routes). `configure` runs before it listens.
 */
export async function serveController(
  controller: Type<unknown>,
  mount: string,
  providers: Provider[],
  configure?: (app: INestApplication) => void,
): Promise<{ app: INestApplication; base: string }> {
  @Module({ controllers: [controller], providers })
  class TestModule {}
  const app = await NestFactory.create(TestModule, { bodyParser: false, logger: false });
  app.use(mount, raw({ type: () => true, limit: '10mb' }));
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
