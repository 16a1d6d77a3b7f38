import { createServer } from 'node:net';
import { OpenV1Punch, verifyRequest } from '@realname/contracts';
import { FakeGateway } from '../test/fake-gateway';
import {
  DevicePunch,
  DeviceProtocolError,
  formatOffsetTime,
  GatewayUnavailableError,
  OpenProtocolClient,
  registerDevice,
} from './open-protocol-client';

const SECRET = 'test-secret-0123456789abcdef';
const DEVICE = 'sim-test-g01';

function punches(n: number, from = 1): OpenV1Punch[] {
  return Array.from({ length: n }, (_, i) => ({
    recordId: String(from + i).padStart(10, '0'),
    personId: String(10001 + i),
    time: `2026-11-21 07:${String(i % 60).padStart(2, '0')}:00`,
    direction: 'in' as const,
    verifyMode: 'face' as const,
  }));
}

describe('OpenProtocolClient', () => {
  let gw: FakeGateway;
  beforeEach(async () => {
    gw = await new FakeGateway().start();
    gw.secrets.set(DEVICE, SECRET);
  });
  afterEach(() => gw.stop());

  const client = (extra: Partial<ConstructorParameters<typeof OpenProtocolClient>[0]> = {}) =>
    new OpenProtocolClient({
      baseUrl: gw.url,
      deviceId: DEVICE,
      secret: SECRET,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      ...extra,
    });

  it('signs the exact bytes it sends, so the shared verifier accepts them', async () => {
    const batch = punches(3);
    const reply = await client().upload(batch);

    expect(reply.results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(gw.requests).toHaveLength(1);
    const req = gw.requests[0];
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-device-id']).toBe(DEVICE);
    expect(req.headers['x-timestamp']).toMatch(/^\d{10}$/);
    expect(req.headers['x-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    const check = verifyRequest(
      SECRET,
      { timestamp: req.headers['x-timestamp'] as string, signature: req.headers['x-signature'] as string },
      req.body,
      Date.now(),
      300,
    );
    expect(check).toEqual({ ok: true });
    expect(JSON.parse(req.body.toString('utf8'))).toEqual({ punches: batch });
    // A different secret does not verify: the check above is not vacuous.
    expect(
      verifyRequest(
        'another-secret-0123456789',
        { timestamp: req.headers['x-timestamp'] as string, signature: req.headers['x-signature'] as string },
        req.body,
        Date.now(),
        300,
      ).ok,
    ).toBe(false);
  });

  it('sends only the protocol fields, whatever else the caller passes', async () => {
    const extra = { ...punches(1)[0], photo: 'x', deviceId: 'y' } as OpenV1Punch;
    await client().upload([extra]);
    expect(Object.keys(JSON.parse(gw.requests[0].body.toString()).punches[0])).toEqual([
      'recordId',
      'personId',
      'time',
      'direction',
      'verifyMode',
    ]);
  });

  it('retries a 503 with the same records and a fresh signature, then succeeds', async () => {
    gw.failNext(2, 503);
    let clock = Date.now();
    const retries: number[] = [];
    const batch = punches(4);
    const reply = await client({ now: () => (clock += 1000) }).upload(batch, {
      onRetry: (r) => retries.push(r.status ?? 0),
    });

    expect(retries).toEqual([503, 503]);
    expect(gw.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    const bodies = gw.requests.map((r) => r.body.toString('utf8'));
    expect(new Set(bodies).size).toBe(1); // the very same bytes every time
    for (const r of gw.requests) {
      expect(JSON.parse(r.body.toString()).punches.map((p: OpenV1Punch) => p.recordId)).toEqual(
        batch.map((p) => p.recordId),
      );
    }
    const stamps = gw.requests.map((r) => r.headers['x-timestamp']);
    expect(new Set(stamps).size).toBe(3); // a new timestamp (and so signature) per attempt
    expect(new Set(gw.requests.map((r) => r.headers['x-signature'])).size).toBe(3);
    expect(reply.results.every((r) => r.status === 'accepted')).toBe(true);
  });

  it('does not retry a 400 and hands over the problem', async () => {
    const batch = punches(3);
    batch[1] = { ...batch[1], time: 'yesterday' };
    const err = await client()
      .upload(batch)
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DeviceProtocolError);
    const e = err as DeviceProtocolError;
    expect(e.status).toBe(400);
    expect(e.problem?.type).toBe('urn:realname:problem:invalid-request');
    expect(e.errors).toEqual([{ field: 'punches[1].time', message: 'is not a time' }]);
    expect(e.badPunchIndexes).toEqual([1]);
    expect(gw.requests).toHaveLength(1);
  });

  it('does not retry a 401 either', async () => {
    const err = await new OpenProtocolClient({
      baseUrl: gw.url,
      deviceId: DEVICE,
      secret: 'wrong-secret-0123456789',
    })
      .upload(punches(1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceProtocolError);
    expect((err as DeviceProtocolError).status).toBe(401);
    expect((err as DeviceProtocolError).problem?.type).toBe('urn:realname:problem:bad-signature');
    expect(gw.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts transient failures', async () => {
    gw.failNext(10, 500);
    const err = await client({ maxAttempts: 3 })
      .upload(punches(1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect((err as GatewayUnavailableError).attempts).toBe(3);
    expect((err as GatewayUnavailableError).lastStatus).toBe(500);
    expect(gw.requests).toHaveLength(3);
  });

  it('retries a timeout and a refused connection', async () => {
    gw.hang = true;
    const timedOut = await client({ timeoutMs: 100, maxAttempts: 2 })
      .upload(punches(1))
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(GatewayUnavailableError);
    expect(gw.requests).toHaveLength(2);

    // A port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const retries: unknown[] = [];
    const refused = await new OpenProtocolClient({
      baseUrl: `http://127.0.0.1:${port}`,
      deviceId: DEVICE,
      secret: SECRET,
      maxAttempts: 3,
      backoffBaseMs: 1,
    })
      .upload(punches(1), { onRetry: (r) => retries.push(r.error) })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayUnavailableError);
    expect(retries).toHaveLength(2);
  });

  it('refuses an empty or oversized batch before sending anything', async () => {
    await expect(client().upload([])).rejects.toThrow(RangeError);
    await expect(client().upload(punches(501))).rejects.toThrow(/500/);
    expect(gw.requests).toHaveLength(0);
  });

  it('sendRaw sends forged and malformed requests and returns the reply without throwing', async () => {
    const c = client();
    const forged = await c.sendRaw('{"punches":[]}', { 'X-Signature': 'v1=' + '0'.repeat(64) });
    expect(forged.status).toBe(401);
    expect(forged.json).toMatchObject({ type: 'urn:realname:problem:bad-signature' });
    expect(forged.headers['content-type']).toBe('application/problem+json');

    const unsigned = await c.sendRaw('{}', { 'x-signature': null, 'X-Timestamp': null });
    expect(unsigned.status).toBe(401);
    expect(gw.requests[1].headers['x-signature']).toBeUndefined();

    const malformed = await c.sendRaw('{"punches": [');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ status: 400, errors: [{ field: '(body)' }] });

    const ok = await c.sendRaw(Buffer.from(JSON.stringify({ punches: punches(1) })));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ results: [{ status: 'accepted' }] });
  });

  it('registers a device with the admin bearer token', async () => {
    const reg = {
      deviceId: 'sim-new-g01',
      projectId: '330106202601010001',
      region: '330106',
      secret: 'abcdefabcdefabcdef12',
    };
    const view = await registerDevice(gw.url + '/', gw.adminToken, reg);
    expect(view).toEqual({ deviceId: 'sim-new-g01', projectId: '330106202601010001', region: '330106' });
    expect(gw.secrets.get('sim-new-g01')).toBe(reg.secret);
    expect(gw.requests[0].headers.authorization).toBe(`Bearer ${gw.adminToken}`);

    const denied = await registerDevice(gw.url, 'wrong-token', reg).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DeviceProtocolError);
    expect((denied as DeviceProtocolError).status).toBe(401);
  });
});

describe('OpenProtocolClient: heartbeat, commands, photos', () => {
  let gw: FakeGateway;
  beforeEach(async () => {
    gw = await new FakeGateway().start();
    gw.secrets.set(DEVICE, SECRET);
  });
  afterEach(() => gw.stop());

  const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 9)]);
  const client = (extra: Partial<ConstructorParameters<typeof OpenProtocolClient>[0]> = {}) =>
    new OpenProtocolClient({
      baseUrl: gw.url,
      deviceId: DEVICE,
      secret: SECRET,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      ...extra,
    });
  const bodyOf = (i: number) => JSON.parse(gw.requests[i].body.toString('utf8'));

  it('formats the device clock with its zone offset', () => {
    const t = Date.parse('2026-11-20T23:41:02.750Z');
    expect(formatOffsetTime(t, 'Asia/Shanghai')).toBe('2026-11-21T07:41:02+08:00');
    expect(formatOffsetTime(t, 'UTC')).toBe('2026-11-20T23:41:02Z');
    expect(formatOffsetTime(t, 'America/St_Johns')).toBe('2026-11-20T20:11:02-03:30');
  });

  it('heartbeats with the device clock and status, and reads the pending work', async () => {
    gw.queue(DEVICE, { kind: 'person.delete', person: { personId: '10001' } });
    const now = Date.parse('2026-11-21T00:00:00Z');
    const reply = await client({ now: () => Date.now() }).heartbeat({ firmware: 'sim-1', personCount: 0 });
    expect(reply.pending).toEqual({ personUpserts: 0, personDeletes: 1, recordQueries: 0 });
    expect(reply.pollAfterS).toBe(30);
    const sent = bodyOf(0);
    expect(sent).toMatchObject({ firmware: 'sim-1', personCount: 0 });
    expect(sent.deviceTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(gw.requests[0].path).toBe('/open/v1/heartbeat');
    expect(now).toBeGreaterThan(0);
  });

  it('claims commands and reports one result per command', async () => {
    const a = gw.queue(DEVICE, { kind: 'person.upsert', person: { personId: '10001', name: 'Zhang Wei' } });
    const b = gw.queue(DEVICE, {
      kind: 'records.query',
      range: { from: '2026-11-21T00:00:00Z', to: '2026-11-21T01:00:00Z' },
      backfillId: 'bf-1',
    });
    const c = client();
    const commands = await c.claim(5);
    expect(commands.map((x) => x.commandId)).toEqual([a, b]);
    expect(bodyOf(0)).toEqual({ limit: 5 });
    expect(await c.claim()).toEqual([]);
    expect(bodyOf(1)).toEqual({});

    const statuses = await c.reportResults([
      { commandId: a, ok: true },
      { commandId: b, ok: false, code: 'busy', message: 'x'.repeat(600) },
    ]);
    expect(statuses).toEqual([
      { commandId: a, status: 'recorded', commandStatus: 'succeeded' },
      { commandId: b, status: 'recorded', commandStatus: 'failed' },
    ]);
    expect(bodyOf(2).results[1].message).toHaveLength(500);
    await expect(c.reportResults([])).rejects.toThrow(RangeError);
    await expect(c.claim(51)).rejects.toThrow(RangeError);
  });

  it('fetches a photo by its URL relative to the claim URL, signed over an empty body, and checks its hash', async () => {
    const sha = gw.addPhoto(JPEG);
    const c = client();
    const photo = await c.fetchPhoto({ photoUrl: `/open/v1/photos/${sha}`, photoSha256: sha });
    expect(photo.bytes.equals(JPEG)).toBe(true);
    expect(photo.contentType).toBe('image/jpeg');
    const req = gw.requests[0];
    expect(req.body).toHaveLength(0);
    expect(
      verifyRequest(
        SECRET,
        { timestamp: req.headers['x-timestamp'] as string, signature: req.headers['x-signature'] as string },
        Buffer.alloc(0),
        Date.now(),
        300,
      ),
    ).toEqual({ ok: true });

    // Bytes that do not hash to what the command promised are not taken.
    const other = gw.addPhoto(Buffer.concat([JPEG, Buffer.from([1])]));
    gw.photos.set(other, JPEG);
    await expect(c.fetchPhoto({ photoSha256: other })).rejects.toThrow(/hash/);
    // The signed request goes to the gateway only.
    await expect(
      c.fetchPhoto({ photoUrl: `https://elsewhere.example/open/v1/photos/${sha}` }),
    ).rejects.toThrow(/origin/);
    const missing = await c.fetchPhoto({ photoSha256: '0'.repeat(64) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DeviceProtocolError);
    expect((missing as DeviceProtocolError).status).toBe(404);
  });

  it('uploads photo bytes as base64 and the backfill id with the batch; takes collapsed results', async () => {
    const c = client();
    const batch: DevicePunch[] = [{ ...punches(1)[0], photo: new Uint8Array(JPEG) }, punches(1, 2)[0]];
    await c.upload(batch, { backfillId: 'bf-7' });
    const sent = bodyOf(0);
    expect(sent.backfillId).toBe('bf-7');
    expect(Buffer.from(sent.punches[0].photo, 'base64').equals(JPEG)).toBe(true);
    expect(sent.punches[1].photo).toBeUndefined();
    expect(gw.stored.get(DEVICE)?.get(batch[0].recordId)?.backfillId).toBe('bf-7');
    await expect(c.upload([{ ...punches(1)[0], photo: new Uint8Array([1, 2, 3]) }])).rejects.toThrow(/JPEG/);

    gw.failNext(1, 200, {
      requestId: 'r',
      serverTime: 'now',
      results: [{ recordId: '1', status: 'collapsed' }],
    });
    const reply = await c.upload(punches(1));
    expect(reply.results[0].status).toBe('collapsed');
  });
});
