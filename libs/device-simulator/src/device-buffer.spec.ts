import { FakeGateway } from '../test/fake-gateway';
import { DeviceBuffer } from './device-buffer';
import { OpenProtocolClient } from './open-protocol-client';

const SECRET = 'buffer-secret-0123456789';
const DEVICE = 'sim-buffer-g01';

function punch(i: number) {
  return {
    personId: String(10001 + (i % 7)),
    time: `2026-11-21 07:${String(i % 60).padStart(2, '0')}:00`,
    direction: 'in' as const,
  };
}

describe('DeviceBuffer', () => {
  let gw: FakeGateway;
  let client: OpenProtocolClient;
  beforeEach(async () => {
    gw = await new FakeGateway().start();
    gw.secrets.set(DEVICE, SECRET);
    client = new OpenProtocolClient({
      baseUrl: gw.url,
      deviceId: DEVICE,
      secret: SECRET,
      maxAttempts: 2,
      backoffBaseMs: 1,
    });
  });
  afterEach(() => gw.stop());

  it('hands out increasing, zero-padded record ids and keeps given ones', () => {
    const b = new DeviceBuffer(DEVICE);
    expect(b.append(punch(0)).recordId).toBe('0000000001');
    expect(b.append(punch(1)).recordId).toBe('0000000002');
    expect(b.append({ ...punch(2), recordId: 'given-7' }).recordId).toBe('given-7');
    expect(b.append(punch(3)).recordId).toBe('0000000003');
    expect(
      new DeviceBuffer(DEVICE, { recordIdPrefix: 'r', recordIdWidth: 4, firstSequence: 42 }).append(punch(0))
        .recordId,
    ).toBe('r0042');
  });

  it('keeps the records after a failed flush and drops them once acknowledged', async () => {
    const b = new DeviceBuffer(DEVICE);
    for (let i = 0; i < 7; i++) b.append(punch(i));
    const ids = b.pending.map((p) => p.recordId);

    gw.failNext(2, 503); // both attempts of the first batch fail: the gateway is "down"
    const failed = await b.flush(client, 3);
    expect(failed.error).toBeDefined();
    expect(failed.sent).toBe(0);
    expect(failed.remaining).toBe(7);
    expect(b.pending.map((p) => p.recordId)).toEqual(ids);
    expect(b.lastError?.message).toMatch(/HTTP 503/);
    expect(b.counters).toMatchObject({ sent: 0, accepted: 0, retries: 1, failedFlushes: 1 });

    // Offline meanwhile: new punches queue up behind the old ones.
    b.append(punch(7));
    const ok = await b.flush(client, 3);
    expect(ok.error).toBeUndefined();
    expect(ok).toMatchObject({ sent: 8, accepted: 8, duplicate: 0, remaining: 0 });
    expect(b.size).toBe(0);
    expect(b.lastError).toBeUndefined();
    expect(gw.storedCount(DEVICE)).toBe(8);
    // In order, in batches of at most 3, the same record ids as before the failure.
    const sentIds = gw.requests
      .filter((r) => r.status === 200)
      .flatMap((r) => JSON.parse(r.body.toString()).punches.map((p: { recordId: string }) => p.recordId));
    expect(sentIds).toEqual([...ids, '0000000008']);
    expect(
      gw.requests.filter((r) => r.status === 200).map((r) => JSON.parse(r.body.toString()).punches.length),
    ).toEqual([3, 3, 2]);
  });

  it('drops records acknowledged as duplicates too, and counts them', async () => {
    const b = new DeviceBuffer(DEVICE);
    const first = b.append(punch(0));
    await b.flush(client);
    b.append(first); // the device resends a record the gateway already has
    b.append(punch(1));
    const r = await b.flush(client);
    expect(r).toMatchObject({ sent: 2, accepted: 1, duplicate: 1, remaining: 0 });
    expect(b.counters).toMatchObject({ appended: 3, sent: 3, accepted: 2, duplicate: 1, rejected: 0 });
  });

  it('drops exactly the records a 400 names and sends the rest', async () => {
    const b = new DeviceBuffer(DEVICE);
    b.append(punch(0));
    const bad = b.append({ ...punch(1), time: 'not a time' });
    b.append(punch(2));
    const r = await b.flush(client, 10);
    expect(r).toMatchObject({ sent: 3, accepted: 2, rejected: 1, remaining: 0 });
    expect(b.rejectedRecords).toEqual([
      { punch: bad, status: 400, reason: 'punches[1].time: is not a time' },
    ]);
    expect(gw.storedCount(DEVICE)).toBe(2);
  });

  it('keeps everything when the device itself is refused (401)', async () => {
    const b = new DeviceBuffer(DEVICE);
    b.append(punch(0));
    const stranger = new OpenProtocolClient({ baseUrl: gw.url, deviceId: 'not-registered', secret: SECRET });
    const r = await b.flush(stranger);
    expect(r.error?.message).toMatch(/401/);
    expect(b.size).toBe(1);
    expect(b.counters.rejected).toBe(0);
  });

  it('joins a flush already running instead of sending twice', async () => {
    const b = new DeviceBuffer(DEVICE);
    for (let i = 0; i < 5; i++) b.append(punch(i));
    const [x, y] = await Promise.all([b.flush(client, 5), b.flush(client, 5)]);
    expect(x).toBe(y);
    expect(gw.requests).toHaveLength(1);
  });
});
