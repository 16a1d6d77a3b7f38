/**
 * The HTTPv2 controller over real HTTP, with the core (devices, ingestion, presence, commands, photos)
 * replaced by in-memory stand-ins that keep the core's contracts, driven by the HTTPv2 simulator.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { raw } from 'express';
import { JsonLogger, LOGGER } from '@realname/platform';
import {
  HttpV2Device,
  HttpV2DeviceError,
  httpV2MultipartBody,
  httpV2SampleJpeg,
} from '@realname/device-simulator';
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
import { HttpV2Controller } from './httpv2.controller';

const JPEG = httpV2SampleJpeg(800, 9);

const device: Device = {
  deviceId: 'v2-1',
  projectId: 'P1',
  region: '330106',
  family: 'httpv2',
  serial: 'V2-0001',
  token: 'tok_v2_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'unknown',
  enabled: true,
  online: true,
};

class Fakes {
  readonly punches: (NormalisedPunch & { key: string })[] = [];
  readonly kept: { outcome: string; detail?: string }[] = [];
  readonly refused: { deviceId: string; outcome: string; detail: string }[] = [];
  readonly seen: { via: string; deviceClock?: Date }[] = [];
  readonly commands: DeviceCommand[] = [];
  readonly photos = new Map<string, Photo>();
  /** A refused command is due again only later (the real queue waits attempts x retry delay). */
  readonly notBefore = new Map<number, number>();
  private seq = 100;

  repo = {
    find: async (id: string) => (id === device.deviceId ? device : undefined),
    findBySerial: async (family: string, sn: string) =>
      family === device.family && sn === device.serial ? device : undefined,
    tokenMatches: (d: Device, t: string) => !!d.token && d.token === t,
  };
  ingestion = {
    ingest: async (_d: Device, _raw: RawRequest, punches: NormalisedPunch[]) => ({
      requestId: 'r',
      results: punches.map((p) => {
        const key = p.recordId ?? `${p.personId}@${p.punchedAt.toISOString()}`;
        const dup = this.punches.some((x) => x.key === key);
        if (!dup) this.punches.push({ ...p, key });
        return { key, status: dup ? ('duplicate' as const) : ('accepted' as const) };
      }),
    }),
    keep: async (_id: string, _raw: RawRequest, outcome: string, detail?: string) => {
      this.kept.push({ outcome, detail });
      return 'r';
    },
    refuse: async (deviceId: string, _raw: RawRequest, outcome: string, detail: string) => {
      this.refused.push({ deviceId, outcome, detail });
    },
  };
  presence = {
    seen: async (_d: Device, o: { via: string; deviceClock?: Date }) => void this.seen.push(o),
  };
  queue = {
    claim: async (deviceId: string, limit: number, kinds?: CommandKind[]) => {
      const due = this.commands
        .filter(
          (c) =>
            c.deviceId === deviceId &&
            c.status === 'queued' &&
            (this.notBefore.get(c.seq) ?? 0) <= Date.now() &&
            (!kinds || kinds.includes(c.kind)),
        )
        .slice(0, limit);
      for (const c of due) {
        c.status = 'sent';
        c.attempts++;
      }
      return due.map((c) => ({ ...c }));
    },
    pendingCounts: async (deviceId: string) => {
      const counts = { 'person.upsert': 0, 'person.delete': 0, 'records.query': 0, 'records.verify': 0 };
      for (const c of this.commands)
        if (
          c.deviceId === deviceId &&
          c.status === 'queued' &&
          (this.notBefore.get(c.seq) ?? 0) <= Date.now()
        )
          counts[c.kind]++;
      return counts;
    },
    complete: async (deviceId: string, ref: { seq: number }, o: CommandOutcome) => {
      const c = this.commands.find(
        (x) => x.deviceId === deviceId && x.seq === ref.seq && x.status === 'sent',
      );
      if (!c) return undefined;
      c.status = o.ok ? 'succeeded' : c.attempts >= 3 ? 'failed' : 'queued';
      if (c.status === 'queued') this.notBefore.set(c.seq, Date.now() + 60_000);
      c.deviceCode = o.code;
      c.detail = o.detail;
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
  };
  photoStore = { get: async (ref: string) => this.photos.get(ref.replace(/^sha256:/, '')) };

  enqueue(kind: CommandKind, payload: DeviceCommand['payload']): DeviceCommand {
    const c: DeviceCommand = {
      commandId: `00000000-0000-7000-8000-${String(++this.seq).padStart(12, '0')}`,
      seq: this.seq,
      deviceId: device.deviceId,
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
}

let fakes: Fakes;
let app: INestApplication;
let base: string;

beforeAll(async () => {
  fakes = new Fakes();
  @Module({
    controllers: [HttpV2Controller],
    providers: [
      { provide: DeviceRepository, useValue: fakes.repo },
      { provide: PunchIngestion, useValue: fakes.ingestion },
      { provide: DevicePresence, useValue: fakes.presence },
      { provide: CommandQueue, useValue: fakes.queue },
      { provide: PhotoStore, useValue: fakes.photoStore },
      { provide: LOGGER, useValue: new JsonLogger('test', 'error', () => undefined) },
    ],
  })
  class TestModule {}
  app = await NestFactory.create(TestModule, { bodyParser: false, logger: false });
  app.use('/httpv2', raw({ type: () => true, limit: '10mb' }));
  await app.listen(0, '127.0.0.1');
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
});
afterAll(async () => {
  await app?.close();
});

let records = 1;
function sim(over: Partial<ConstructorParameters<typeof HttpV2Device>[0]> = {}): HttpV2Device {
  // One device, one record counter: each simulator instance continues where the last one stopped.
  records += 1000;
  return new HttpV2Device({
    firstRecordId: records,
    baseUrl: `${base}/httpv2/${device.token}`,
    sn: 'V2-0001',
    retryIntervalMs: 5,
    downloadLimit: 2,
    ...over,
  });
}

describe('keepalive and people', () => {
  it('announces pending work, hands people out in pages with photo and MD5, and completes them by UserID', async () => {
    const ref = fakes.addPhoto(JPEG);
    const a = fakes.enqueue('person.upsert', { personId: '30001', name: '孙七', photoRef: ref });
    const b = fakes.enqueue('person.upsert', { personId: '30002', name: '周八', cardNumber: 'C8' });
    const c = fakes.enqueue('person.upsert', { personId: '30003', name: '吴九' });
    const del = fakes.enqueue('person.delete', { personId: '30003' });
    const d = sim({ clockSkewMs: -30_000 });
    const k = await d.keepalive();
    expect(k).toMatchObject({ AddPeople: 3, DeletePeople: 1 });
    expect(k.reply.json).toMatchObject({ Success: 1, ServerTime: expect.any(Number) });
    expect(fakes.seen.at(-1)).toMatchObject({ via: 'heartbeat', deviceClock: expect.any(Date) });

    expect(await d.syncPeople()).toEqual({ added: 3, deleted: 1, failed: 0 });
    expect(d.persons.get('30001')).toEqual({
      UserID: '30001',
      Name: '孙七',
      photoMd5: createHash('md5').update(JPEG).digest('hex'),
    });
    expect(d.persons.get('30002')).toEqual({ UserID: '30002', Name: '周八', CardNo: 'C8' });
    expect(d.persons.has('30003')).toBe(false);
    expect([a, b, c, del].map((x) => x.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(a.deviceCode).toBe('0');
  });

  it('a refused person goes back to the queue with the device error code', async () => {
    const c = fakes.enqueue('person.upsert', {
      personId: '30004',
      name: 'Z',
      photoRef: fakes.addPhoto(Buffer.from('not a jpeg at all')),
    });
    const d = sim();
    expect(await d.syncPeople()).toEqual({ added: 0, deleted: 0, failed: 1 });
    expect(c).toMatchObject({ status: 'queued', deviceCode: String(HttpV2DeviceError.photoUnreadable) });
    const path = `${base}/httpv2/${device.token}/People/UploadPeopleResult`;
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        SN: 'V2-0001',
        Results: [{ UserID: 'nobody', ErrorCode: 0 }, { ErrorCode: 0 }],
      }),
    });
    expect(await res.json()).toEqual({
      Success: 1,
      Applied: 0,
      Unknown: ['nobody'],
      Skipped: [{ Field: 'Results[1].UserID', Message: expect.any(String) }],
    });
  });

  it('refuses an unknown SN, a wrong token and a malformed body with typed errors', async () => {
    const wrongSn = await sim({ sn: 'V2-9999' }).post('Device/Keepalive', JSON.stringify({ SN: 'V2-9999' }));
    expect(wrongSn).toMatchObject({ status: 401, json: { Success: 0, ErrorCode: 1002 } });
    const wrongToken = new HttpV2Device({ baseUrl: `${base}/httpv2/someone-elses-token-123`, sn: 'V2-0001' });
    expect((await wrongToken.post('Device/Keepalive', JSON.stringify({ SN: 'V2-0001' }))).status).toBe(401);
    const d = sim();
    const noSn = await d.post('Device/Keepalive', JSON.stringify({ DeviceTime: 1763683262 }));
    expect(noSn).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: 'SN' }] },
    });
    const badJson = await d.post('People/DownloadPeopleList', '{"SN":"V2-0001","Limit":');
    expect(badJson).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: '(body)' }] },
    });
    const badLimit = await d.post('People/DownloadPeopleList', JSON.stringify({ SN: 'V2-0001', Limit: -3 }));
    expect(badLimit).toMatchObject({ status: 400, json: { ErrorMsg: expect.stringMatching(/^Limit: /) } });
  });
});

describe('records', () => {
  it('stores a record once whatever the storm, with RecordID as the key and IsEntry as direction', async () => {
    const d = sim();
    const before = fakes.punches.length;
    const r = d.identify('30001', { at: Date.UTC(2026, 10, 21, 0, 5, 0), isEntry: 0, recordType: 1 });
    const replies = await d.storm(r, 3);
    expect(replies.map((x) => x?.text)).toEqual(['{"Success":1}', '{"Success":1}', '{"Success":1}']);
    expect(fakes.punches.length - before).toBe(1);
    expect(fakes.punches.at(-1)).toMatchObject({
      recordId: String(r.RecordID),
      personId: '30001',
      deviceTime: String(r.RecordDate),
      punchedAt: new Date(r.RecordDate * 1000),
      direction: 'out',
      verifyMode: 'card',
      photo: { bytes: expect.any(Buffer), contentType: 'image/jpeg' },
    });
  });

  it('buffers offline and delivers the complete backlog in order when back', async () => {
    const d = sim();
    d.online = false;
    const ids = Array.from(
      { length: 12 },
      (_, i) => d.identify(`3100${i % 4}`, { at: Date.UTC(2026, 10, 21, 1, i, 0) }).RecordID,
    );
    expect(await d.flush({ maxAttempts: 2 })).toBe(0);
    d.online = true;
    expect(await d.flush()).toBe(12);
    const stored = fakes.punches.filter((p) => p.personId.startsWith('3100')).map((p) => Number(p.recordId));
    expect(stored).toEqual(ids);
  });

  it('keeps strangers as ignored, drops a cut-off photo but keeps the record, and names bad fields', async () => {
    const d = sim();
    const stranger = d.identify('');
    expect(await d.flush()).toBe(1);
    expect(fakes.kept.at(-1)).toMatchObject({
      outcome: 'ignored',
      detail: expect.stringContaining(`record ${stranger.RecordID}`),
    });

    const r = d.identify('30009', { photo: httpV2SampleJpeg(20_000) });
    const { body, contentType } = d.recordBody(r);
    const cut = await d.post(
      'Record/UploadIdentifyRecord',
      body.subarray(0, body.length - 5_000),
      contentType,
    );
    expect(cut.json).toEqual({ Success: 1 });
    expect(fakes.punches.at(-1)).toMatchObject({ recordId: String(r.RecordID), personId: '30009' });
    expect(fakes.punches.at(-1)).not.toHaveProperty('photo');

    const bad = httpV2MultipartBody([
      { name: 'SN', value: 'V2-0001' },
      {
        name: 'RecordDetail',
        value: JSON.stringify({ RecordID: 'x', RecordDate: 'yesterday', UserID: '1' }),
      },
    ]);
    const refused = await d.post('Record/UploadIdentifyRecord', bad.body, bad.contentType);
    expect(refused).toMatchObject({
      status: 400,
      json: { Success: 0, ErrorCode: 1001, Errors: [{ Field: 'RecordDetail.RecordDate' }] },
    });
    const noSn = httpV2MultipartBody([{ name: 'RecordDetail', value: JSON.stringify({ RecordID: 1 }) }]);
    expect(await d.post('Record/UploadIdentifyRecord', noSn.body, noSn.contentType)).toMatchObject({
      status: 400,
      json: { Errors: [{ Field: 'SN' }] },
    });
    expect(fakes.refused.at(-1)).toMatchObject({ outcome: 'malformed' });
  });

  it('retries every interval until the gateway stores the record', async () => {
    const d = sim({ retryIntervalMs: 20 });
    const realIngest = fakes.ingestion.ingest;
    let failures = 2;
    fakes.ingestion.ingest = async (...args) => {
      if (failures-- > 0) throw new Error('database down');
      return realIngest(...args);
    };
    try {
      const r = d.identify('30010');
      expect(await d.flush()).toBe(1);
      expect(d.counters.failedAttempts).toBe(2);
      expect(fakes.punches.at(-1)).toMatchObject({ recordId: String(r.RecordID) });
    } finally {
      fakes.ingestion.ingest = realIngest;
    }
  });
});
