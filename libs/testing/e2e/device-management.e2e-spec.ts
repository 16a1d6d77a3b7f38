/**
 * Device management through the gateway's admin API, with the registry and Kafka really running:
 * registration per family (what each must give, the path token returned once, serial clashes), a device
 * registered after workers entered gets them with their faces (fetched from the registry with the
 * gateway's own access token), the photos API only for supervisors and only for photos devices took,
 * disabling, online/offline with events on device.status.v1 and clock skew, backfill requests, metrics,
 * credential rotation (shown once, the old one refused at once, never in a reply or a log) and refused
 * requests (counted by device and reason, a capped sample per device).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRequest } from '@realname/contracts';
import { eventually } from '../src';
import { SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

let site: SiteUnderTest;

beforeAll(async () => {
  site = await startSite({ attendance: false });
});

afterAll(async () => {
  await site?.stop();
});

/** A signed open-v1 call, as the reference client makes it. */
async function openV1(deviceId: string, secret: string, path: string, body: unknown) {
  const text = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(site.urls.gateway + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-device-id': deviceId,
      'x-timestamp': ts,
      'x-signature': signRequest(secret, ts, text),
    },
    body: text,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

it('registers each family with what identifies it, returns a generated token once and never shows it again', async () => {
  const hik = await site.registerDevice({
    deviceId: 'hik-north-1',
    family: 'hikvision-isapi',
    gate: 'North gate',
  });
  expect(hik.token).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  expect(hik.endpoints.httpHost).toBe(`${site.urls.gateway}/isapi/v1/hik-north-1/${hik.token}/events`);
  const shown = (await site.gateway('GET', '/api/v1/devices/hik-north-1')).json;
  expect(JSON.stringify(shown)).not.toContain(hik.token);
  expect(shown).toMatchObject({
    family: 'hikvision-isapi',
    gate: 'North gate',
    hasToken: true,
    online: false,
  });
  // Updating keeps the token; the reply does not repeat it.
  const again = await site.registerDevice({
    deviceId: 'hik-north-1',
    family: 'hikvision-isapi',
    gate: 'North gate 2',
  });
  expect(again.token).toBeUndefined();
  expect(JSON.stringify(again)).not.toContain(hik.token);
  expect(again.endpoints.httpHost).toBe(`${site.urls.gateway}/isapi/v1/hik-north-1/<token>/events`);

  const missing = await site.gateway(
    'POST',
    '/api/v1/devices',
    { deviceId: 'zk-1', projectId: site.projectId, region: site.region, family: 'zkteco-push' },
    { allowError: true },
  );
  expect(missing.status).toBe(400);
  expect(missing.json.errors).toEqual([
    { field: 'serial', message: expect.stringMatching(/required for the zkteco-push family/) },
  ]);

  await site.registerDevice({ deviceId: 'zk-1', family: 'zkteco-push', serial: 'CKJD201960001' });
  const clash = await site.gateway(
    'POST',
    '/api/v1/devices',
    {
      deviceId: 'zk-2',
      projectId: site.projectId,
      region: site.region,
      family: 'zkteco-push',
      serial: 'CKJD201960001',
    },
    { allowError: true },
  );
  expect(clash.status).toBe(409);
  expect(clash.json.errors[0]).toMatchObject({ field: 'serial', message: expect.stringContaining('zk-1') });

  const list = (await site.gateway('GET', `/api/v1/devices?projectId=${site.projectId}&family=zkteco-push`))
    .json;
  expect(list.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(['zk-1']);
  const badFilter = await site.gateway('GET', '/api/v1/devices?family=brand-x', undefined, {
    allowError: true,
  });
  expect(badFilter.status).toBe(400);
  expect(badFilter.json.errors[0].field).toBe('family');
});

it('gives a device registered after workers entered everyone on site, with their faces; the photos API serves no faces', async () => {
  const workers = await site.enterWorkers(2);
  // The gateway learns about the entries from Kafka; the first device of the project gets them then.
  const probe = await site.registerDevice({ deviceId: 'probe-1', family: 'hikvision-isapi' });
  const upserts = await eventually(
    async () => {
      const r = (await site.gateway('GET', '/api/v1/devices/probe-1/commands?kind=person.upsert')).json;
      return r.commands.length >= 2 ? r.commands : undefined;
    },
    { timeoutMs: 60_000, what: 'person commands for the first device' },
  );
  const late = await site.registerDevice({ deviceId: 'uface-late', family: 'uface', serial: 'UF84E0F42D11' });
  expect(late.personsQueued).toBe(2);
  const cmds = (await site.gateway('GET', '/api/v1/devices/uface-late/commands')).json.commands;
  expect(cmds.map((c: { payload: { personId: string } }) => c.payload.personId).sort()).toEqual(
    workers.map((w) => w.personId).sort(),
  );
  expect(
    cmds.every((c: { status: string; kind: string }) => c.status === 'queued' && c.kind === 'person.upsert'),
  ).toBe(true);
  const withFace = upserts.find((c: { payload: { photoRef?: string } }) => c.payload.photoRef);
  expect(withFace.payload.name).toBeTruthy();
  const digest = withFace.payload.photoRef.replace('sha256:', '');

  // The face came from the registry (the gateway's client credentials) and reaches the device's agent.
  const photo = await fetch(`${site.urls.gateway}/agent/v1/devices/probe-1/photos/${digest}`, {
    headers: { authorization: `Bearer ${probe.token}` },
  });
  expect(photo.status).toBe(200);
  expect(photo.headers.get('content-type')).toBe('image/jpeg');
  expect(Buffer.from(await photo.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  // The admin photos API: a token, a supervisor's role, and a photo a device of the scope took.
  const photos = `/api/v1/photos/${digest}`;
  expect((await site.gateway('GET', photos, undefined, { as: null, allowError: true })).status).toBe(401);
  expect((await site.gateway('GET', photos, undefined, { allowError: true })).status).toBe(403);
  expect((await site.gateway('GET', photos, undefined, { as: 'hz-city', allowError: true })).status).toBe(
    404,
  );

  // Exit: every device of the project is told to remove the worker.
  await site.exitWorker(workers[0]);
  await eventually(
    async () => {
      const r = (await site.gateway('GET', '/api/v1/devices/uface-late/commands?kind=person.delete')).json;
      return r.commands.find(
        (c: { payload: { personId: string } }) => c.payload.personId === workers[0].personId,
      );
    },
    { timeoutMs: 60_000, what: 'the delete command after the exit' },
  );
  // The queued upsert of the exited worker was superseded: the device never gets it.
  const superseded = (await site.gateway('GET', '/api/v1/devices/uface-late/commands?status=failed')).json
    .commands;
  expect(superseded).toEqual([
    expect.objectContaining({
      kind: 'person.upsert',
      deviceCode: 'superseded',
      payload: expect.objectContaining({ personId: workers[0].personId }),
    }),
  ]);
});

it('tracks online, offline and clock skew from heartbeats, and refuses a disabled device', async () => {
  const secret = randomBytes(16).toString('hex');
  await site.registerDevice({ deviceId: 'open-1', family: 'open-v1', secret });
  const skewed = new Date(Date.now() + 10 * 60_000).toISOString();
  const hb = await openV1('open-1', secret, '/open/v1/heartbeat', { deviceTime: skewed });
  expect(hb.status).toBe(200);
  const online = (await site.gateway('GET', '/api/v1/devices/open-1')).json;
  expect(online).toMatchObject({ online: true, clockSkewSource: 'heartbeat' });
  expect(online.clockSkewMs).toBeGreaterThan(9 * 60_000);

  // Silent for longer than the gateway's offline limit (3 s here): offline, and listed as such.
  await eventually(
    async () => {
      const r = (await site.gateway('GET', `/api/v1/devices?projectId=${site.projectId}&online=false`)).json;
      return r.devices.some((d: { deviceId: string }) => d.deviceId === 'open-1') || undefined;
    },
    { timeoutMs: 20_000, what: 'open-1 offline' },
  );
  await openV1('open-1', secret, '/open/v1/heartbeat', { deviceTime: new Date().toISOString() });
  // Back online: a backfill of the gap was requested.
  const backfills = (await site.gateway('GET', '/api/v1/devices/open-1/backfills')).json.backfills;
  expect(backfills[0]).toMatchObject({ reason: 'came-online', status: 'requested' });

  const metrics = await (await fetch(`${site.urls.gateway}/metrics`)).text();
  expect(metrics).toMatch(/gateway_devices\{family="open-v1",state="online"[^}]*\} 1/);
  expect(metrics).toMatch(/gateway_device_commands_total\{kind="person.upsert",status="queued"[^}]*\} \d+/);
  expect(metrics).toMatch(
    /gateway_device_clock_skew_seconds\{device="open-1",family="open-v1"[^}]*\} -?[\d.e-]+/,
  );

  await site.gateway('PATCH', '/api/v1/devices/open-1', { enabled: false });
  const refused = await openV1('open-1', secret, '/open/v1/heartbeat', {
    deviceTime: new Date().toISOString(),
  });
  expect(refused.status).toBe(401);
});

it('validates backfill requests and records them per family', async () => {
  const bad = await site.gateway(
    'POST',
    '/api/v1/devices/zk-1/backfills',
    { from: '2026-11-21T09:00:00+08:00', to: '2026-11-21T08:00:00+08:00' },
    { allowError: true },
  );
  expect(bad.status).toBe(400);
  expect(bad.json.errors).toEqual([{ field: 'from', message: 'must be before "to"' }]);
  const ok = await site.gateway('POST', '/api/v1/devices/zk-1/backfills', {
    from: '2026-11-21T06:00:00+08:00',
    to: '2026-11-21T08:00:00+08:00',
  });
  expect(ok.json).toMatchObject({ reason: 'on-demand', status: 'requested' });
  const queued = (
    await site.gateway('GET', '/api/v1/devices/zk-1/commands?status=queued')
  ).json.commands.filter((c: { kind: string }) => c.kind.startsWith('records.'));
  expect(queued.map((c: { kind: string }) => c.kind)).toEqual(['records.query', 'records.verify']);
  expect(queued[0].payload).toEqual({
    from: '2026-11-20T22:00:00.000Z',
    to: '2026-11-21T00:00:00.000Z',
    backfillId: ok.json.backfillId,
  });
});

it('rotates credentials: the new one is shown once, the old one is refused, neither is ever shown or logged again', async () => {
  const secret = randomBytes(16).toString('hex');
  await site.registerDevice({ deviceId: 'open-rot', family: 'open-v1', secret });
  expect(
    (await openV1('open-rot', secret, '/open/v1/heartbeat', { deviceTime: new Date().toISOString() })).status,
  ).toBe(200);

  const rotated = (await site.gateway('POST', '/api/v1/devices/open-rot/credentials/rotations', {})).json;
  expect(rotated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(rotated.hasSecret).toBe(true);
  const fresh = rotated.secret as string;
  const old = await openV1('open-rot', secret, '/open/v1/heartbeat', {
    deviceTime: new Date().toISOString(),
  });
  expect(old.status).toBe(401);
  expect(
    (await openV1('open-rot', fresh, '/open/v1/heartbeat', { deviceTime: new Date().toISOString() })).status,
  ).toBe(200);

  const hik = await site.registerDevice({ deviceId: 'hik-rot', family: 'hikvision-isapi' });
  const hikRotated = (await site.gateway('POST', '/api/v1/devices/hik-rot/credentials/rotations', {})).json;
  expect(hikRotated.token).not.toBe(hik.token);
  expect(hikRotated.endpoints.httpHost).toContain(hikRotated.token);
  const event = (token: string) =>
    fetch(`${site.urls.gateway}/isapi/v1/hik-rot/${token}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
  expect((await event(hik.token)).status).toBe(401);
  expect((await event(hikRotated.token)).status).toBe(400); // authenticated, then refused as malformed

  const zk = await site.gateway(
    'POST',
    '/api/v1/devices/zk-1/credentials/rotations',
    {},
    { allowError: true },
  );
  expect(zk.status).toBe(409);

  // Never shown again: not by GET, not by the list, not by a plain update.
  const shown = JSON.stringify([
    (await site.gateway('GET', '/api/v1/devices/open-rot')).json,
    (await site.gateway('GET', '/api/v1/devices/hik-rot')).json,
    (await site.gateway('GET', `/api/v1/devices?projectId=${site.projectId}`)).json,
    await site.registerDevice({ deviceId: 'hik-rot', family: 'hikvision-isapi', gate: 'East' }),
  ]);
  for (const c of [secret, fresh, hik.token, hikRotated.token]) expect(shown).not.toContain(c);

  // Refused requests: per device by reason, with a sample cut to the first bytes; unknown devices apart.
  await fetch(
    `${site.urls.gateway}/isapi/v1/nobody-${randomBytes(3).toString('hex')}/tok_0123456789abcdef/events`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(64 * 1024),
    },
  );
  const refusedHik = (await site.gateway('GET', '/api/v1/devices/hik-rot/refused-requests')).json;
  expect(refusedHik.counts).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ reason: 'bad-credentials', count: 1 }),
      expect.objectContaining({ reason: 'malformed', count: 1 }),
    ]),
  );
  expect(refusedHik.samples[0]).toMatchObject({ deviceId: 'hik-rot', protocol: 'hikvision-isapi' });
  // Requests naming no device belong to no region: a province-wide supervisor sees them, a city's not.
  const unknownPath = `/api/v1/devices/${encodeURIComponent('(unknown)')}/refused-requests`;
  expect((await site.gateway('GET', unknownPath, undefined, { allowError: true })).status).toBe(404);
  const unknown = (await site.gateway('GET', unknownPath, undefined, { as: 'zj-province' })).json;
  const big = unknown.samples.find((x: { bodySize: number }) => x.bodySize === 64 * 1024);
  expect(big).toMatchObject({ reason: 'unknown-device', truncated: true });
  expect(big.bodySample.length).toBe(4096);
  const metrics = await (await fetch(`${site.urls.gateway}/metrics`)).text();
  expect(metrics).toMatch(
    /gateway_device_requests_refused_total\{device="hik-rot",reason="bad-credentials"[^}]*\} 1/,
  );
  expect(metrics).toMatch(
    /gateway_device_requests_refused_total\{device="open-rot",reason="bad-credentials"[^}]*\} 1/,
  );
  expect(metrics).toMatch(
    /gateway_device_requests_refused_total\{device="\(unknown\)",reason="unknown-device"[^}]*\} \d+/,
  );
  expect(metrics).not.toMatch(/gateway_device_requests_refused_total\{device="nobody-/);

  // Nor in any log line of the services started for the tests.
  const logs = join(__dirname, '../../../tmp/e2e-logs');
  const text = existsSync(logs)
    ? readdirSync(logs)
        .filter((f) => f.startsWith('device-gateway'))
        .map((f) => readFileSync(join(logs, f), 'utf8'))
        .join('\n')
    : '';
  for (const c of [secret, fresh, hik.token, hikRotated.token]) expect(text).not.toContain(c);
});
