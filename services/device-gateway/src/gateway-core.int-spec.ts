/**
 * The gateway core every device family uses, against a real PostgreSQL schema: exact ingestion
 * (record keys, person+instant keys, the collapse window, photos content-addressed and joined when
 * they arrive apart), the command lifecycle (queued, sent, retried, succeeded, failed with the
 * device's code, no-reply), presence (offline and back, with events and a backfill of the gap; clock
 * skew) and backfills compared with the device's count.
 */
import { randomBytes } from 'node:crypto';
import { Database, migrate } from '@realname/eventstore';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { Backfills } from './backfill/backfills';
import { CommandQueue } from './commands/command-queue';
import { Device } from './devices/device';
import { DeviceRepository } from './devices/device-repository';
import { DeviceCredentials } from './devices/device-credentials';
import { DevicePresence } from './devices/presence';
import { NormalisedPunch, PunchIngestion, RawRequest } from './ingest/punch-ingestion';
import { gatewayMigrations } from './migrations';
import { photoRef, PhotoStore } from './photos/photo-store';

jest.setTimeout(60_000);

const schema = `gw_${uniqueName('core')}`;
let db: Database;
let devices: DeviceRepository;
let photos: PhotoStore;
let ingestion: PunchIngestion;
let commands: CommandQueue;
let backfills: Backfills;
let presence: DevicePresence;

const keys = `k1:${randomBytes(32).toString('base64')}`;
const testCredentials = () => new DeviceCredentials({ keys, activeKeyId: 'k1' });

const raw = (): RawRequest => ({
  protocol: 'test',
  headers: {},
  body: Buffer.from('x'),
  receivedAt: new Date(),
});
const jpeg = (n = 800) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(n)]);

async function device(id: string, family: Device['family'], serial?: string): Promise<Device> {
  const { device } = await devices.upsert(
    {
      deviceId: id,
      projectId: 'P1',
      region: '330106',
      family,
      serial,
      secret: family === 'open-v1' ? 'a'.repeat(16) : undefined,
      timeZone: 'Asia/Shanghai',
      defaultDirection: 'in',
      enabled: true,
    },
    'configuration',
  );
  return device;
}

function punch(personId: string, at: string, recordId?: string, photo?: Buffer): NormalisedPunch {
  return {
    recordId,
    personId,
    deviceTime: at,
    punchedAt: new Date(at),
    verifyMode: 'face',
    ...(photo ? { photo: { bytes: photo, contentType: 'image/jpeg' } } : {}),
  };
}

async function events(type: string, streamId: string) {
  return db.query<{ data: Record<string, unknown> }>(
    `SELECT data FROM ${schema}.events WHERE event_type = $1 AND stream_id = $2 ORDER BY global_position`,
    [type, streamId],
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 6 });
  await migrate(db, schema, gatewayMigrations);
  devices = new DeviceRepository(db, schema, testCredentials(), 0);
  photos = new PhotoStore(db, schema, 4096);
  ingestion = new PunchIngestion(db, schema, photos, 10_000);
  commands = new CommandQueue(db, schema, { ackTimeoutMs: 200, maxAttempts: 2, retryDelayMs: 0 });
  backfills = new Backfills(db, schema, commands);
  presence = new DevicePresence(db, schema, devices, backfills, {
    offlineAfterMs: 300,
    skewToleranceMs: 60_000,
    writeEveryMs: 0,
    backfillMarginMs: 1000,
  });
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('ingestion', () => {
  it('keeps each record once by its record id, and by person and instant without one', async () => {
    const d = await device('dev-ingest', 'zkteco-push', 'SN-INGEST');
    const batch = [
      punch('10001', '2026-11-21T07:00:00+08:00'),
      punch('10002', '2026-11-21T07:00:00+08:00'),
      punch('10001', '2026-11-21T07:00:00+08:00'), // the same line twice in one post
    ];
    const first = await ingestion.ingest(d, raw(), batch);
    expect(first.results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'duplicate']);
    const again = await ingestion.ingest(d, raw(), batch);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(again.results[0].eventId).toBe(first.results[0].eventId);
    expect(first.results[0].key).toBe('10001@2026-11-20T23:00:00.000Z');

    const seq = await device('dev-seq', 'hikvision-isapi');
    const a = await ingestion.ingest(seq, raw(), [punch('10001', '2026-11-21T07:00:00+08:00', '41')]);
    const b = await ingestion.ingest(seq, raw(), [punch('10001', '2026-11-21T07:00:01+08:00', '41')]);
    expect([a.results[0].status, b.results[0].status]).toEqual(['accepted', 'duplicate']);
    // With record ids, the same person a second later is a new punch (the device counted it).
    const c = await ingestion.ingest(seq, raw(), [punch('10001', '2026-11-21T07:00:01+08:00', '42')]);
    expect(c.results[0].status).toBe('accepted');
    expect(await events('realname.device.PunchRecorded', 'device-dev-seq')).toHaveLength(2);
  });

  it('collapses the same person within the window when there is no record id, across requests too', async () => {
    const d = await device('dev-collapse', 'uface', 'KEY-COLLAPSE');
    const r1 = await ingestion.ingest(d, raw(), [
      punch('20001', '2026-11-21T07:00:00+08:00'),
      punch('20001', '2026-11-21T07:00:03+08:00'),
      punch('20002', '2026-11-21T07:00:03+08:00'),
    ]);
    expect(r1.results.map((r) => r.status)).toEqual(['accepted', 'collapsed', 'accepted']);
    const r2 = await ingestion.ingest(d, raw(), [
      punch('20001', '2026-11-21T07:00:08+08:00'),
      punch('20001', '2026-11-21T07:00:30+08:00'),
      punch('20001', '2026-11-21T07:00:03+08:00'), // a resend of the collapsed one
    ]);
    expect(r2.results.map((r) => r.status)).toEqual(['collapsed', 'accepted', 'duplicate']);
    expect(r2.results[2].eventId).toBeUndefined();
    const stored = await events('realname.device.PunchRecorded', 'device-dev-collapse');
    expect(stored.map((e) => [e.data.personId, e.data.punchedAt])).toEqual([
      ['20001', '2026-11-20T23:00:00.000Z'],
      ['20002', '2026-11-20T23:00:03.000Z'],
      ['20001', '2026-11-20T23:00:30.000Z'],
    ]);
  });

  it('collapses across concurrent transactions too (two gateway instances, the same person)', async () => {
    const d = await device('dev-collapse-race', 'uface', 'KEY-COLLAPSE-RACE');
    const other = new PunchIngestion(db, schema, photos, 10_000);
    for (let i = 0; i < 5; i++) {
      const minute = String(10 + i);
      const [a, b] = await Promise.all([
        ingestion.ingest(d, raw(), [punch('30001', `2026-11-21T07:${minute}:00+08:00`)]),
        other.ingest(d, raw(), [punch('30001', `2026-11-21T07:${minute}:03+08:00`)]),
      ]);
      expect([a.results[0].status, b.results[0].status].sort()).toEqual(['accepted', 'collapsed']);
    }
  });

  it('stores photos once by content, drops those over the limit, and joins a photo that came first', async () => {
    const d = await device('dev-photo', 'zkteco-push', 'SN-PHOTO');
    const pic = jpeg();
    const r = await ingestion.ingest(d, raw(), [
      punch('30001', '2026-11-21T07:00:00+08:00', undefined, pic),
      punch('30002', '2026-11-21T07:00:00+08:00', undefined, pic),
      punch('30003', '2026-11-21T07:00:00+08:00', undefined, jpeg(5000)),
    ]);
    expect(r.results.every((x) => x.status === 'accepted')).toBe(true);
    const stored = await events('realname.device.PunchRecorded', 'device-dev-photo');
    expect(stored.map((e) => e.data.photoRef)).toEqual([photoRef(pic), photoRef(pic), undefined]);
    expect((await photos.get(photoRef(pic)))?.bytes.equals(pic)).toBe(true);
    const [{ n }] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.photos`);
    expect(Number(n)).toBe(1);

    // ATTPHOTO before ATTLOG: the punch picks the photo up; after it, the record is linked.
    const early = jpeg(300);
    await ingestion.attachPhoto(d, raw(), {
      personId: '30004',
      punchedAt: new Date('2026-11-21T07:05:00+08:00'),
      photo: { bytes: early, contentType: 'image/jpeg' },
    });
    await ingestion.ingest(d, raw(), [punch('30004', '2026-11-21T07:05:00+08:00')]);
    const late = jpeg(200);
    await ingestion.ingest(d, raw(), [punch('30005', '2026-11-21T07:06:00+08:00')]);
    await ingestion.attachPhoto(d, raw(), {
      personId: '30005',
      punchedAt: new Date('2026-11-21T07:06:00+08:00'),
      photo: { bytes: late, contentType: 'image/jpeg' },
    });
    const after = await events('realname.device.PunchRecorded', 'device-dev-photo');
    expect(after[3].data.photoRef).toBe(photoRef(early));
    const [linked] = await db.query<{ photo_ref: string }>(
      `SELECT photo_ref FROM ${schema}.device_records WHERE device_id = 'dev-photo' AND person_id = '30005'`,
    );
    expect(linked.photo_ref).toBe(photoRef(late));
  });
});

describe('group commit', () => {
  it('commits concurrent requests together, exactly once each, and fails a bad request alone', async () => {
    const d = await device('dev-group', 'hikvision-isapi');
    const requests = Array.from({ length: 60 }, (_, i) => [
      punch(String(50000 + i), '2026-11-21T08:00:00+08:00', String(i)),
    ]);
    // Every request twice, at once (a resend storm), and one request PostgreSQL cannot store (NUL in text).
    const bad = [punch('bad\u0000person', '2026-11-21T08:00:00+08:00', 'bad')];
    const outcomes = await Promise.allSettled([
      ...requests.map((p) => ingestion.ingest(d, raw(), p)),
      ingestion.ingest(d, raw(), bad),
      ...requests.map((p) => ingestion.ingest(d, raw(), p)),
    ]);
    expect(outcomes[60].status).toBe('rejected');
    const ok = outcomes
      .filter((o) => o.status === 'fulfilled')
      .map((o) => (o as PromiseFulfilledResult<{ results: { status: string }[] }>).value);
    expect(ok).toHaveLength(120);
    const statuses = ok.flatMap((o) => o.results.map((r) => r.status));
    expect(statuses.filter((x) => x === 'accepted')).toHaveLength(60);
    expect(statuses.filter((x) => x === 'duplicate')).toHaveLength(60);
    const stored = await events('realname.device.PunchRecorded', 'device-dev-group');
    expect(stored).toHaveLength(60);
    const [{ n }] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.raw_requests WHERE device_id = 'dev-group'`,
    );
    expect(Number(n)).toBe(120);
  });
});

describe('commands', () => {
  it('moves through queued, sent, retried and succeeded or failed with the device code', async () => {
    const d = await device('dev-cmd', 'zkteco-push', 'SN-CMD');
    const a = await commands.enqueue(d.deviceId, 'person.upsert', { personId: '1', name: 'A' });
    const b = await commands.enqueue(d.deviceId, 'person.delete', { personId: '2' });
    expect(await commands.pendingCounts(d.deviceId)).toMatchObject({
      'person.upsert': 1,
      'person.delete': 1,
    });
    const sent = await commands.claim(d.deviceId, 10);
    expect(sent.map((c) => [c.seq, c.status, c.attempts])).toEqual([
      [a.seq, 'sent', 1],
      [b.seq, 'sent', 1],
    ]);
    expect(await commands.claim(d.deviceId, 10)).toEqual([]);

    expect((await commands.complete(d.deviceId, { seq: a.seq }, { ok: true, code: '0' }))?.status).toBe(
      'succeeded',
    );
    // A second report of the same result is ignored.
    expect(await commands.complete(d.deviceId, { seq: a.seq }, { ok: true })).toBeUndefined();
    // Refused: back to the queue, then failed for good after the last attempt, with the device's code.
    expect((await commands.complete(d.deviceId, { seq: b.seq }, { ok: false, code: '-1002' }))?.status).toBe(
      'queued',
    );
    const [again] = await commands.claim(d.deviceId, 10);
    expect(again.commandId).toBe(b.commandId);
    const failed = await commands.complete(
      d.deviceId,
      { commandId: b.commandId },
      { ok: false, code: '-1002' },
    );
    expect(failed).toMatchObject({ status: 'failed', deviceCode: '-1002', attempts: 2 });
  });

  it('sends a command again when the device never answers, then fails it as no-reply', async () => {
    const d = await device('dev-noreply', 'uface', 'KEY-NOREPLY');
    const c = await commands.enqueue(d.deviceId, 'person.upsert', { personId: '9', name: 'N' });
    await commands.claim(d.deviceId, 1);
    await new Promise((r) => setTimeout(r, 300));
    await commands.expire();
    expect((await commands.get(c.commandId))?.status).toBe('queued');
    await commands.claim(d.deviceId, 1);
    await new Promise((r) => setTimeout(r, 300));
    await commands.expire();
    expect(await commands.get(c.commandId)).toMatchObject({ status: 'failed', deviceCode: 'no-reply' });
  });

  it('lets a later person change supersede a queued one', async () => {
    const d = await device('dev-supersede', 'httpv2', 'SN-SUP');
    await db.transaction(async (tx) => {
      await commands.enqueuePersonChange(
        d.deviceId,
        'person.upsert',
        { personId: '5', name: 'E' },
        'test',
        tx,
      );
      await commands.enqueuePersonChange(d.deviceId, 'person.delete', { personId: '5' }, 'test', tx);
    });
    const claimed = await commands.claim(d.deviceId, 10);
    expect(claimed.map((c) => c.kind)).toEqual(['person.delete']);
  });
});

describe('presence and backfills', () => {
  it('goes offline, comes back with events, and asks for the gap; measures clock skew', async () => {
    const d = await device('dev-presence', 'zkteco-push', 'SN-PRES');
    await presence.seen(d, { via: 'poll' });
    await new Promise((r) => setTimeout(r, 400));
    expect(await presence.sweep()).toContain('dev-presence');
    await presence.seen(d, { via: 'poll', deviceClock: new Date(Date.now() + 5 * 60_000) });
    const types = await db.query<{ type: string }>(
      `SELECT event_type AS type FROM ${schema}.events WHERE stream_id = 'device-dev-presence' ORDER BY global_position`,
    );
    expect(types.map((t) => t.type)).toEqual([
      'realname.device.DeviceCameOnline',
      'realname.device.DeviceWentOffline',
      'realname.device.DeviceCameOnline',
      'realname.device.DeviceClockSkewChanged',
    ]);
    const fresh = await new DeviceRepository(db, schema, testCredentials(), 0).find('dev-presence');
    expect(fresh?.online).toBe(true);
    expect(fresh?.clockSkewMs).toBeGreaterThan(290_000);
    const [bf] = await backfills.list('dev-presence');
    expect(bf).toMatchObject({ reason: 'came-online', status: 'requested' });
    const queued = await commands.list('dev-presence', { status: 'queued' });
    expect(queued.map((c) => c.kind)).toEqual(['records.query', 'records.verify']);
  });

  it('completes a backfill when the device count matches what the gateway holds', async () => {
    const d = await device('dev-backfill', 'zkteco-push', 'SN-BF');
    const from = new Date('2026-11-21T06:00:00+08:00');
    const to = new Date('2026-11-21T08:00:00+08:00');
    await ingestion.ingest(d, raw(), [punch('40001', '2026-11-21T06:30:00+08:00')]);
    const bf = await backfills.request(d, from, to, 'on-demand');
    const [query, verify] = await commands.claim(d.deviceId, 10);
    // The device re-sends the range: one it had sent before, one that was missing.
    await ingestion.ingest(
      d,
      raw(),
      [punch('40001', '2026-11-21T06:30:00+08:00'), punch('40002', '2026-11-21T07:30:00+08:00')],
      { backfillId: bf.backfillId },
    );
    await commands.complete(d.deviceId, { seq: query.seq }, { ok: true });
    expect((await backfills.get(bf.backfillId))?.status).toBe('running');
    await commands.complete(d.deviceId, { seq: verify.seq }, { ok: true, result: { count: 2 } });
    expect(await backfills.get(bf.backfillId)).toMatchObject({
      status: 'complete',
      deviceCount: 2,
      platformCount: 2,
      received: 2,
      recovered: 1,
    });

    const short = await backfills.request(d, from, to, 'on-demand');
    const cmds = await commands.claim(d.deviceId, 10);
    for (const c of cmds)
      await commands.complete(d.deviceId, { seq: c.seq }, { ok: true, result: { count: 3 } });
    expect(await backfills.get(short.backfillId)).toMatchObject({
      status: 'incomplete',
      deviceCount: 3,
      platformCount: 2,
    });
  });

  it('asks each Uface device once a day for the whole day before, after the set local hour', async () => {
    const d = await device('dev-daily', 'uface', 'KEY-DAILY');
    const early = new Date('2026-11-21T01:30:00+08:00');
    const later = new Date('2026-11-21T03:00:00+08:00');
    const mine = (list: { deviceId: string }[]) => list.filter((b) => b.deviceId === d.deviceId);
    expect(mine(await backfills.reconcileDaily(early, ['uface'], 2))).toEqual([]);
    const [first] = mine(await backfills.reconcileDaily(later, ['uface'], 2));
    expect(first).toMatchObject({
      reason: 'daily-reconcile',
      from: new Date('2026-11-20T00:00:00+08:00'),
      to: new Date('2026-11-20T23:59:59+08:00'),
    });
    expect(mine(await backfills.reconcileDaily(new Date('2026-11-21T23:00:00+08:00'), ['uface'], 2))).toEqual(
      [],
    );
    const queued = await commands.list(d.deviceId, { kind: 'records.query' });
    expect(queued).toHaveLength(1);
  });

  it('records a backfill as unsupported for a family without a record query', async () => {
    const d = await device('dev-httpv2', 'httpv2', 'SN-H2');
    const bf = await backfills.request(d, new Date(Date.now() - 3600_000), new Date(), 'on-demand');
    expect(bf.status).toBe('unsupported');
    expect(await commands.list(d.deviceId)).toEqual([]);
  });
});
