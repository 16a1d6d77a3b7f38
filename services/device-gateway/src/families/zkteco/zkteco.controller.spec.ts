/**
 * The ZKTeco controller driven by the reference simulator over real HTTP, with in-memory stand-ins for
 * the gateway core (no database): the whole conversation of a device, as the firmware holds it.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { raw } from 'express';
import { LOGGER, SERVICE_CONFIG } from '@realname/platform';
import { ZKTECO_BEHAVIOURS, ZktecoDevice } from '@realname/device-simulator';
import { CommandKind, CommandPayload, CommandQueue, DeviceCommand } from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence } from '../../devices/presence';
import { NormalisedPunch, PunchIngestion, punchKey, RawRequest } from '../../ingest/punch-ingestion';
import { PhotoStore } from '../../photos/photo-store';
import { ZktecoController } from './zkteco.controller';

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);

function device(sn: string, extra: Partial<Device> = {}): Device {
  return {
    deviceId: `gate-${sn}`,
    projectId: 'p1',
    region: '330106',
    family: 'zkteco-push',
    serial: sn,
    timeZone: 'Asia/Shanghai',
    defaultDirection: 'unknown',
    enabled: true,
    online: true,
    ...extra,
  } as Device;
}

class FakeIngestion {
  readonly keys = new Set<string>();
  readonly ingested: { punches: NormalisedPunch[]; backfillId?: string; statuses: string[] }[] = [];
  readonly kept: { outcome: string; detail?: string; body: Buffer }[] = [];
  readonly refused: { deviceId: string; outcome: string; detail: string; body: Buffer; count?: number }[] =
    [];
  readonly photos: { personId: string; punchedAt: Date; bytes: Buffer }[] = [];
  failNext = false;

  async ingest(_d: Device, _raw: RawRequest, punches: NormalisedPunch[], opts: { backfillId?: string } = {}) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database unavailable');
    }
    const results = punches.map((p) => {
      const key = punchKey(p);
      const status = this.keys.has(key) ? 'duplicate' : 'accepted';
      this.keys.add(key);
      return { key, status };
    });
    this.ingested.push({ punches, backfillId: opts.backfillId, statuses: results.map((r) => r.status) });
    return { requestId: 'r', results };
  }
  async keep(_id: string, raw: RawRequest, outcome: string, detail?: string) {
    this.kept.push({ outcome, detail, body: raw.body });
    return 'r';
  }
  async refuse(deviceId: string, raw: RawRequest, outcome: string, detail: string, count?: number) {
    this.refused.push({ deviceId, outcome, detail, body: raw.body, count });
  }
  async attachPhoto(
    _d: Device,
    _raw: RawRequest,
    p: { personId: string; punchedAt: Date; photo: { bytes: Buffer } },
  ) {
    this.photos.push({ personId: p.personId, punchedAt: p.punchedAt, bytes: p.photo.bytes });
    return { requestId: 'r', photoRef: 'sha256:x' };
  }
}

class FakeCommands {
  readonly list: DeviceCommand[] = [];
  private seq = 100;
  enqueue(deviceId: string, kind: CommandKind, payload: CommandPayload): DeviceCommand {
    const c: DeviceCommand = {
      commandId: `c${this.seq}`,
      seq: ++this.seq,
      deviceId,
      kind,
      payload,
      status: 'queued',
      attempts: 0,
      createdAt: new Date(),
    };
    this.list.push(c);
    return c;
  }
  async claim(deviceId: string, limit: number) {
    const due = this.list.filter((c) => c.deviceId === deviceId && c.status === 'queued').slice(0, limit);
    for (const c of due) {
      c.status = 'sent';
      c.attempts++;
    }
    return due.map((c) => ({ ...c }));
  }
  async complete(
    deviceId: string,
    ref: { seq: number },
    o: { ok: boolean; code?: string; result?: Record<string, unknown> },
  ) {
    const c = this.list.find((x) => x.deviceId === deviceId && x.seq === ref.seq && x.status === 'sent');
    if (!c) return undefined;
    c.status = o.ok ? 'succeeded' : 'failed';
    c.deviceCode = o.code;
    if (o.result) c.result = o.result;
    return c;
  }
}

describe('ZktecoController with the ZKTeco simulator', () => {
  let app: INestApplication;
  let base: string;
  let ingestion: FakeIngestion;
  let commands: FakeCommands;
  const seen: { deviceId: string; via: string }[] = [];
  const devices = new Map<string, Device>();
  const photos = new Map<string, { bytes: Buffer; contentType: string }>();

  beforeAll(async () => {
    ingestion = new FakeIngestion();
    commands = new FakeCommands();
    @Module({
      controllers: [ZktecoController],
      providers: [
        {
          provide: DeviceRepository,
          useValue: { findBySerial: async (_f: string, sn: string) => devices.get(sn) },
        },
        { provide: PunchIngestion, useValue: ingestion },
        {
          provide: DevicePresence,
          useValue: {
            seen: async (d: Device, o: { via: string }) =>
              void seen.push({ deviceId: d.deviceId, via: o.via }),
          },
        },
        { provide: CommandQueue, useValue: commands },
        { provide: PhotoStore, useValue: { get: async (ref: string) => photos.get(ref) } },
        { provide: SERVICE_CONFIG, useValue: { DEVICE_OFFLINE_AFTER_S: 6 } },
        { provide: LOGGER, useValue: { event: () => undefined } },
      ],
    })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false, bodyParser: false });
    app.use('/iclock', raw({ type: () => true, limit: '10mb' }));
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const sim = (sn: string, extra: Partial<ConstructorParameters<typeof ZktecoDevice>[0]> = {}) => {
    devices.set(sn, device(sn));
    return new ZktecoDevice({ baseUrl: base, serial: sn, pollIntervalMs: 50, ...extra });
  };

  it('answers the options exchange with the options block and a Date header that corrects a skewed clock', async () => {
    const d = sim('OPT1', { behaviour: 'skewed-clock', language: '83' });
    expect(Math.abs(d.clockErrorMs)).toBeGreaterThan(60_000);
    await d.connect();
    expect(d.options['delay']).toBe('2');
    expect(d.options['timezone']).toBe('8');
    expect(d.options['attlogstamp']).toBe('None');
    expect(Math.abs(d.clockErrorMs)).toBeLessThan(2000);
    expect(seen).toContainEqual({ deviceId: 'gate-OPT1', via: 'poll' });
    const reply = await d.sendRaw('GET', '/iclock/cdata', { options: 'all' });
    expect(reply.headers['date']).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(reply.headers['content-type']).toContain('gb2312');
  });

  it('refuses an unknown or disabled SN with a short text and 403, keeping the request', async () => {
    const d = new ZktecoDevice({ baseUrl: base, serial: 'NOPE1' });
    await expect(d.connect()).rejects.toThrow(/HTTP 403/);
    expect(ingestion.refused).toContainEqual(
      expect.objectContaining({ deviceId: 'sn:NOPE1', outcome: 'unauthenticated' }),
    );
    devices.set('OFF1', device('OFF1', { enabled: false }));
    const reply = await new ZktecoDevice({ baseUrl: base, serial: 'OFF1' }).sendRaw(
      'GET',
      '/iclock/getrequest',
      {},
    );
    expect(reply.status).toBe(403);
    expect(reply.text).toMatch(/^ERROR: SN OFF1 is not a registered, enabled zkteco-push device/);
    const noSn = await fetch(`${base}/iclock/getrequest`);
    expect(noSn.status).toBe(400);
    expect(await noSn.text()).toContain('SN query parameter is required');
  });

  it('issues person commands on getrequest and completes them from the device results', async () => {
    const d = sim('CMD1', { language: '83' });
    photos.set('sha256:face', { bytes: JPEG, contentType: 'image/jpeg' });
    const up = commands.enqueue('gate-CMD1', 'person.upsert', {
      personId: '10001',
      name: '张三',
      photoRef: 'sha256:face',
    });
    const up2 = commands.enqueue('gate-CMD1', 'person.upsert', {
      personId: '10002',
      name: 'Li Si',
      cardNumber: '778899',
    });
    await d.connect();
    await d.pollOnce();
    expect(d.users.get('10001')).toMatchObject({ name: '张三' });
    expect(d.users.get('10001')?.photo?.equals(JPEG)).toBe(true);
    expect(d.users.get('10002')).toMatchObject({ name: 'Li Si', card: '778899' });
    expect(commands.list.find((c) => c.seq === up.seq)?.status).toBe('succeeded');
    expect(commands.list.find((c) => c.seq === up2.seq)?.status).toBe('succeeded');
    expect(d.commandsReceived[0].command).toBe('DATA UPDATE USERINFO PIN=10001\tName=张三\tPri=0\tCard=');

    const del = commands.enqueue('gate-CMD1', 'person.delete', { personId: '10001' });
    await d.pollOnce();
    expect(d.users.has('10001')).toBe(false);
    expect(commands.list.find((c) => c.seq === del.seq)?.status).toBe('succeeded');
    await d.pollOnce(); // nothing queued: OK
    expect(d.commandsReceived).toHaveLength(4);
  });

  it('takes ATTLOG uploads, reporting the good lines and keeping the bad ones apart', async () => {
    const d = sim('ATT1', { behaviour: 'malformed' });
    await d.connect();
    d.punch('10001', { at: '2026-11-21 07:41:02', status: 0, verify: 15 });
    d.punch('10002', { at: '2026-11-21 07:42:02', status: 1, verify: 1 });
    d.punch('10003', { at: '2026-11-21 07:43:02', status: 4, verify: 4 });
    const before = ingestion.ingested.length;
    const reply = await d.sendRaw('POST', '/iclock/cdata', { table: 'ATTLOG', Stamp: '1' }, '');
    expect(reply.text).toBe('OK:0');
    await d.flush();
    expect(d.pendingRecords).toHaveLength(0);
    const batch = ingestion.ingested[before];
    expect(batch.punches.map((p) => [p.personId, p.direction, p.verifyMode])).toEqual([
      ['10001', 'in', 'face'],
      ['10002', 'out', 'fingerprint'],
      ['10003', undefined, 'card'],
    ]);
    expect(batch.punches[0].punchedAt.toISOString()).toBe('2026-11-20T23:41:02.000Z');
    const bad = ingestion.refused[ingestion.refused.length - 1];
    expect(bad).toMatchObject({ deviceId: 'gate-ATT1', outcome: 'malformed', count: 4 });
    expect(bad.body.toString()).toContain('not-a-time');
    expect(bad.body.toString()).not.toContain('07:41:02');
  });

  it('answers OK:<n> to each copy of a resend storm; the core sees duplicates', async () => {
    const d = sim('STORM1', { behaviour: ZKTECO_BEHAVIOURS['resend-storm'] });
    await d.connect();
    const before = ingestion.ingested.length;
    d.punch('20001', { at: '2026-11-21 08:00:00' });
    d.punch('20002', { at: '2026-11-21 08:00:05' });
    await d.flush();
    const copies = ingestion.ingested.slice(before);
    expect(copies.map((c) => c.statuses)).toEqual([
      ['accepted', 'accepted'],
      ['duplicate', 'duplicate'],
      ['duplicate', 'duplicate'],
    ]);
    expect(d.counters.attlogPosts).toBe(3);
    expect(d.pendingRecords).toHaveLength(0);
  });

  it('refuses a body with nothing usable with ERROR and 400', async () => {
    const d = sim('BAD1');
    const reply = await d.sendRaw('POST', '/iclock/cdata', { table: 'ATTLOG' }, 'junk\n\u0000\u0001\n');
    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(/^ERROR: nothing in this upload could be read: line 1: time is missing/);
    const noTable = await d.sendRaw('POST', '/iclock/cdata', {}, 'x');
    expect(noTable.status).toBe(400);
    expect(noTable.text).toContain('table');
  });

  it('answers 500 ERROR when storage fails, and the device keeps its records', async () => {
    const d = sim('FAIL1');
    d.punch('30001', { at: '2026-11-21 09:00:00' });
    ingestion.failNext = true;
    await d.flush();
    expect(d.pendingRecords).toHaveLength(1);
    await d.flush();
    expect(d.pendingRecords).toHaveLength(0);
  });

  it('takes ATTPHOTO as binary and attaches it to the punch', async () => {
    const d = sim('PHOTO1');
    d.punch('10001', { at: '2026-11-21 07:41:02', photo: JPEG });
    await d.flush();
    const p = ingestion.photos[ingestion.photos.length - 1];
    expect(p.personId).toBe('10001');
    expect(p.punchedAt.toISOString()).toBe('2026-11-20T23:41:02.000Z');
    expect(p.bytes.equals(JPEG)).toBe(true);
    const fdata = await d.sendRaw('POST', '/iclock/fdata', {}, Buffer.from('PIN=bad\0xx'));
    expect(fdata.status).toBe(400);
  });

  it('keeps OPERLOG with GB2312 names decoded, using the language remembered from the options exchange', async () => {
    const d = sim('OPER1', { language: '83' });
    await d.connect();
    d.enrolLocally('10009', '王小明');
    await d.flush();
    const kept = ingestion.kept[ingestion.kept.length - 1];
    expect(kept.outcome).toBe('accepted');
    expect(kept.detail).toContain('1 USER (10009 王小明)');
  });

  it('re-uploads a range on DATA QUERY ATTLOG, ties it to the backfill, and counts with VERIFY SUM', async () => {
    const d = sim('BF1', { behaviour: { dropUpload: (r) => r.pin === '40002' } });
    await d.connect();
    d.punch('40001', { at: '2026-11-21 10:00:00' });
    d.punch('40002', { at: '2026-11-21 10:05:00' });
    d.punch('40003', { at: '2026-11-21 10:10:00' });
    await d.flush();
    expect(ingestion.keys.has(`40002@${new Date('2026-11-21T02:05:00Z').toISOString()}`)).toBe(false);
    const range = { from: '2026-11-21T01:59:00Z', to: '2026-11-21T02:30:00Z', backfillId: 'bf-1' };
    const q = commands.enqueue('gate-BF1', 'records.query', range);
    const v = commands.enqueue('gate-BF1', 'records.verify', range);
    const before = ingestion.ingested.length;
    await d.pollOnce();
    const upload = ingestion.ingested[before];
    expect(upload.backfillId).toBe('bf-1');
    expect(upload.statuses).toEqual(['duplicate', 'accepted', 'duplicate']);
    expect(commands.list.find((c) => c.seq === q.seq)).toMatchObject({
      status: 'succeeded',
      result: { count: 3 },
    });
    expect(commands.list.find((c) => c.seq === v.seq)).toMatchObject({
      status: 'succeeded',
      result: { count: 3 },
    });
  });

  it('takes results from the devicecmd query string', async () => {
    const d = sim('QS1', { behaviour: { resultsInQuery: true } });
    const c = commands.enqueue('gate-QS1', 'person.delete', { personId: '1' });
    await d.pollOnce();
    expect(commands.list.find((x) => x.seq === c.seq)?.status).toBe('succeeded');
    const bad = await d.sendRaw('POST', '/iclock/devicecmd', { ID: 'x', Return: '0' });
    expect(bad.status).toBe(400);
  });

  it('speaks the PUSH 3.x access-control variant: registry, push, rtlog with index, user commands', async () => {
    const d = sim('ACC1', { mode: 'access' });
    await d.connect();
    expect(d.registryCode).toMatch(/^[0-9a-f]{16}$/);
    expect(d.options['requestdelay']).toBe('2');
    const c = commands.enqueue('gate-ACC1', 'person.upsert', { personId: '50001', name: 'Wu' });
    await d.pollOnce();
    expect(d.users.get('50001')).toMatchObject({ name: 'Wu' });
    expect(commands.list.find((x) => x.seq === c.seq)?.status).toBe('succeeded');
    const before = ingestion.ingested.length;
    d.punch('50001', { at: '2026-11-21 11:00:00', status: 1 });
    await d.flush();
    expect(ingestion.ingested[before].punches[0]).toMatchObject({
      personId: '50001',
      recordId: '1',
      direction: 'out',
    });
    const time = await d.sendRaw('GET', '/iclock/rtdata', { type: 'time' });
    expect(time.text).toMatch(/^DateTime=\d+,ServerTZ=\+0800/);
  });

  it('polls on its own every Delay and uploads what it buffered while offline', async () => {
    const d = sim('LOOP1');
    d.setOnline(false);
    d.punch('60001', { at: '2026-11-21 12:00:00' });
    d.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(d.pendingRecords).toHaveLength(1);
    d.setOnline(true);
    for (let i = 0; i < 40 && d.pendingRecords.length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    await d.stop();
    expect(d.pendingRecords).toHaveLength(0);
    expect(seen.filter((s) => s.deviceId === 'gate-LOOP1' && s.via === 'poll').length).toBeGreaterThan(0);
  });
});
