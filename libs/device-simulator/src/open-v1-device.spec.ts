import { formatLocalTime } from '@realname/contracts';
import { FakeGateway } from '../test/fake-gateway';
import { OpenV1Device, OpenV1DeviceOptions, sendMalformed } from './open-v1-device';

const SECRET = 'device-secret-0123456789';
const DEVICE = 'sim-open-g01';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 4)]);

describe('OpenV1Device (reference device loop)', () => {
  let gw: FakeGateway;
  beforeEach(async () => {
    gw = await new FakeGateway().start();
    gw.secrets.set(DEVICE, SECRET);
  });
  afterEach(() => gw.stop());

  const device = (extra: Partial<OpenV1DeviceOptions> = {}) =>
    new OpenV1Device({
      baseUrl: gw.url,
      deviceId: DEVICE,
      secret: SECRET,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      maxAttempts: 2,
      ...extra,
    });
  const enrol = (...ids: string[]) =>
    ids.map((personId) =>
      gw.queue(DEVICE, { kind: 'person.upsert', person: { personId, name: `Worker ${personId}` } }),
    );

  it('takes people from the gateway (with their photo), and removes them again', async () => {
    const sha = gw.addPhoto(JPEG);
    gw.queue(DEVICE, {
      kind: 'person.upsert',
      person: {
        personId: '10001',
        name: 'Zhang Wei',
        cardNumber: '88',
        photoUrl: `/open/v1/photos/${sha}`,
        photoSha256: sha,
      },
    });
    enrol('10002', '10003');
    const d = device({ firmware: 'sim-1.0' });
    const r = await d.tick();
    expect(r.error).toBeUndefined();
    expect(r.commands).toBe(3);
    expect([...d.persons.keys()].sort()).toEqual(['10001', '10002', '10003']);
    expect(d.persons.get('10001')).toEqual({
      personId: '10001',
      name: 'Zhang Wei',
      cardNumber: '88',
      photoSha256: sha,
      photoBytes: JPEG.length,
    });
    expect(gw.commands.get(DEVICE)!.every((c) => c.status === 'succeeded')).toBe(true);
    expect(gw.heartbeats[0].body).toMatchObject({ firmware: 'sim-1.0', personCount: 0, storedRecords: 0 });

    gw.queue(DEVICE, { kind: 'person.delete', person: { personId: '10002' } });
    gw.queue(DEVICE, { kind: 'person.delete', person: { personId: 'never-held' } });
    await d.tick();
    expect([...d.persons.keys()].sort()).toEqual(['10001', '10003']);
    expect(gw.commands.get(DEVICE)!.every((c) => c.status === 'succeeded')).toBe(true);
    expect(gw.heartbeats[1].body).toMatchObject({ personCount: 3 });
  });

  it('reports a photo it cannot use, and a full person store, as failures with codes', async () => {
    gw.queue(DEVICE, {
      kind: 'person.upsert',
      person: {
        personId: '1',
        name: 'A',
        photoUrl: `/open/v1/photos/${'0'.repeat(64)}`,
        photoSha256: '0'.repeat(64),
      },
    });
    enrol('2', '3');
    const d = device({ maxPersons: 1 });
    await d.tick();
    const results = gw.commands.get(DEVICE)!.map((c) => [c.status, c.result?.code]);
    expect(results).toEqual([
      ['failed', 'photo-unusable'],
      ['succeeded', undefined],
      ['failed', 'storage-full'],
    ]);
  });

  it('records punches of the people it holds only, and uploads them', async () => {
    enrol('10001');
    const d = device();
    await d.tick();
    expect(d.punch('10001', { direction: 'in' })).toMatchObject({
      recordId: '0000000001',
      personId: '10001',
    });
    expect(d.punch('99999')).toBeUndefined();
    expect(d.unrecognised).toBe(1);
    const r = await d.tick();
    expect(r.flushed).toMatchObject({ sent: 1, accepted: 1, remaining: 0 });
    expect(gw.storedCount(DEVICE)).toBe(1);
    expect(d.log).toHaveLength(1);
  });

  it('buffers while offline and catches up when back', async () => {
    enrol('10001', '10002');
    const d = device();
    await d.tick();
    d.online = false;
    for (let i = 0; i < 30; i++) d.punch(i % 2 ? '10001' : '10002', { at: Date.now() - (30 - i) * 60_000 });
    expect(await d.tick()).toMatchObject({ online: false, commands: 0 });
    expect(gw.storedCount(DEVICE)).toBe(0);
    d.online = true;
    const r = await d.tick();
    expect(r.flushed).toMatchObject({ accepted: 30, remaining: 0 });
    expect(gw.heartbeats.at(-1)!.body).toMatchObject({ storedRecords: 30 });
  });

  it('answers a records.query from its log with the backfill id, even for records it never sent', async () => {
    enrol('10001');
    const d = device({ batchSize: 7 });
    await d.tick();
    const start = Date.parse('2026-11-21T00:00:00Z');
    for (let i = 0; i < 20; i++) d.punch('10001', { at: start + i * 60_000 });
    expect(d.forgetUnsent()).toBe(20); // a reboot wiped the upload queue; the record log survived
    const query = gw.queue(DEVICE, {
      kind: 'records.query',
      range: {
        from: new Date(start + 5 * 60_000).toISOString(),
        to: new Date(start + 14 * 60_000).toISOString(),
      },
      backfillId: 'bf-1',
    });
    await d.tick();
    const cmd = gw.commands.get(DEVICE)!.find((c) => c.commandId === query)!;
    expect(cmd.status).toBe('succeeded');
    expect(cmd.result).toMatchObject({ ok: true, count: 10 }); // minutes 5..14, both ends included
    const stored = [...gw.stored.get(DEVICE)!.values()];
    expect(stored).toHaveLength(10);
    expect(stored.every((s) => s.backfillId === 'bf-1')).toBe(true);
    expect(stored.map((s) => s.punch.time)[0]).toBe(
      formatLocalTime(new Date(start + 5 * 60_000), 'Asia/Shanghai'),
    );
  });

  it('a storm of three resends of the log: all duplicates', async () => {
    enrol('10001');
    const d = device({ batchSize: 4 });
    await d.tick();
    for (let i = 0; i < 10; i++) d.punch('10001', { at: Date.now() - i * 1000 });
    await d.tick();
    const storm = await d.storm(3);
    expect(storm).toEqual({
      requests: 9,
      records: 30,
      statuses: { accepted: 0, duplicate: 30, collapsed: 0 },
    });
    expect(gw.storedCount(DEVICE)).toBe(10);
  });

  it('with a clock an hour off, is refused as stale, sets its clock from the Date header and carries on', async () => {
    const events: string[] = [];
    const d = device({ clockSkewMs: -3_600_000, onEvent: (e) => events.push(e.type) });
    const r = await d.tick();
    expect(r.error).toBeUndefined();
    expect(Math.abs(d.clockSkewMs)).toBeLessThan(2000);
    expect(events).toContain('clock-set');
    expect(gw.requests.map((x) => x.status)).toEqual([401, 200]);

    const never = device({ clockSkewMs: -3_600_000, clockSync: 'never' });
    expect((await never.tick()).error?.message).toMatch(/401/);
  });

  it('keeps a punch whose photo the gateway refuses, sending it again without the photo', async () => {
    enrol('10001');
    gw.maxPhotoBytes = 100;
    const d = device();
    await d.tick();
    d.punch('10001', { photo: new Uint8Array(JPEG) });
    d.punch('10001', { at: Date.now() - 5000 });
    const r = await d.tick();
    expect(r.flushed).toMatchObject({ accepted: 2, rejected: 0, remaining: 0 });
    expect(d.buffer.counters.photosDropped).toBe(1);
  });

  it('reports results again in the next round when the report was lost', async () => {
    enrol('10001');
    const d = device();
    const realReport = d.client.reportResults.bind(d.client);
    let fail = true;
    d.client.reportResults = async (results, options) => {
      if (fail) {
        fail = false;
        throw new Error('connection reset');
      }
      return realReport(results, options);
    };
    expect((await d.tick()).error?.message).toMatch(/connection reset/);
    expect(d.unreported).toHaveLength(1);
    await d.tick();
    expect(d.unreported).toHaveLength(0);
    expect(gw.commands.get(DEVICE)![0].status).toBe('succeeded');
  });

  it('runs rounds on its own until stopped', async () => {
    enrol('10001');
    const d = device({ heartbeatEveryS: 0.02 });
    d.start();
    await new Promise((r) => setTimeout(r, 200));
    await d.stop();
    const n = gw.heartbeats.length;
    expect(n).toBeGreaterThan(2);
    expect(d.persons.has('10001')).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(gw.heartbeats.length).toBe(n);
  });

  it('sends the faulty requests broken firmware and networks produce', async () => {
    const d = device();
    const records = [{ recordId: '1', personId: '10001', time: '2026-11-21 08:00:00' }];
    const status = async (kind: Parameters<typeof sendMalformed>[1]) => {
      const r = await sendMalformed(d.client, kind, records);
      return [r.status, (r.json as { type?: string }).type?.split(':').pop()];
    };
    expect(await status('truncated-in-transit')).toEqual([401, 'bad-signature']);
    expect(await status('truncated-signed')).toEqual([400, 'invalid-request']);
    expect(await status('not-json')).toEqual([400, 'invalid-request']);
    expect(await status('wrong-secret')).toEqual([401, 'bad-signature']);
    expect(await status('stale-clock')).toEqual([401, 'stale-timestamp']);
    expect(await status('unsigned')).toEqual([401, 'missing-headers']);
    expect(gw.storedCount()).toBe(0);
  });
});
