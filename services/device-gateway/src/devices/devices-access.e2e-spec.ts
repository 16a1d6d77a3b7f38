/**
 * Who may do what on the gateway's admin API, with real tokens of the local issuer: every endpoint ×
 * every kind of caller × a device in Xihu (330106, Hangzhou) and one in Ningbo (3302xx). No token: 401;
 * a role the route does not take: 403; a device outside the caller's scope: 404 on read, 403 on write
 * with nothing changed; in scope: 2xx; lists hold no device outside the scope. The gateway runs alone
 * (no registry, no attendance): nothing here depends on another service.
 */
import { randomBytes } from 'node:crypto';
import { OPEN_V1_PUNCHES_PATH, signRequest } from '@realname/contracts';
import { scopeCovers, type CallerScope, type Role } from '@realname/platform';
import {
  authorizationFor,
  freePort,
  resourceServerEnv,
  RunningService,
  startService,
  testIdentity,
  testInfrastructure,
  uniqueName,
} from '@realname/testing';
import {
  DEVICE_READERS,
  DEVICE_WRITERS,
  PERSONAL_DATA_READERS,
  PHOTO_READERS,
  REFUSED_READERS,
} from './device-roles';

jest.setTimeout(180_000);

const run = uniqueName('gwaccess');
let gateway: RunningService;
let url: string;

interface TestDevice {
  deviceId: string;
  projectId: string;
  region: string;
  secret: string;
  /** The hex digest of a punch snapshot this device took. */
  photo?: string;
}
const xihu: TestDevice = {
  deviceId: 'xihu-gate-1',
  projectId: '330106202401150001', // pm-xihu's project
  region: '330106',
  secret: randomBytes(16).toString('hex'),
};
const ningbo: TestDevice = {
  deviceId: 'nb-gate-1',
  projectId: '330203202401150002',
  region: '330203',
  secret: randomBytes(16).toString('hex'),
};
const DEVICES = [xihu, ningbo];

/** Callers of the matrix: a test identity, or nobody (no token). */
const CALLERS = [
  'dev-hz',
  'hz-city',
  'nb-city',
  'municipal-hangzhou',
  'municipal-wuhan',
  'pm-xihu',
  'audit-zj',
  'ops',
  null,
] as const;
type TestCaller = (typeof CALLERS)[number];

async function http(method: string, path: string, who: TestCaller, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(who ? await authorizationFor(who) : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

async function signed(d: TestDevice, path: string, body: unknown, secret = d.secret) {
  const text = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-device-id': d.deviceId,
      'x-timestamp': ts,
      'x-signature': signRequest(secret, ts, text),
    },
    body: text,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const registration = (d: TestDevice, change: Record<string, unknown> = {}) => ({
  deviceId: d.deviceId,
  projectId: d.projectId,
  region: d.region,
  family: 'open-v1',
  secret: randomBytes(16).toString('hex'),
  ...change,
});

const day = 86_400_000;
const range = () => ({
  from: new Date(Date.now() - day).toISOString(),
  to: new Date(Date.now() + day).toISOString(),
});

interface Endpoint {
  name: string;
  roles: Role[];
  write: boolean;
  method: string;
  path: (d: TestDevice) => string;
  body?: (d: TestDevice) => unknown;
  ok: number;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: 'get',
    roles: DEVICE_READERS,
    write: false,
    method: 'GET',
    path: (d) => `/api/v1/devices/${d.deviceId}`,
    ok: 200,
  },
  {
    name: 'register (update)',
    roles: DEVICE_WRITERS,
    write: true,
    method: 'POST',
    path: () => '/api/v1/devices',
    // Changes nothing that matters to the other rows: the same device, a new gate name.
    body: (d) => ({ ...registration(d), secret: d.secret, gate: 'Matrix gate' }),
    ok: 201,
  },
  {
    name: 'enable',
    roles: DEVICE_WRITERS,
    write: true,
    method: 'PATCH',
    path: (d) => `/api/v1/devices/${d.deviceId}`,
    body: () => ({ enabled: true }),
    ok: 200,
  },
  {
    name: 'rotate credential',
    roles: DEVICE_WRITERS,
    write: true,
    method: 'POST',
    path: (d) => `/api/v1/devices/${d.deviceId}/credentials/rotations`,
    // The device keeps its secret: the rotation names the one it already has.
    body: (d) => ({ secret: d.secret }),
    ok: 200,
  },
  {
    name: 'refused requests',
    roles: REFUSED_READERS,
    write: false,
    method: 'GET',
    path: (d) => `/api/v1/devices/${d.deviceId}/refused-requests`,
    ok: 200,
  },
  {
    name: 'commands',
    roles: PERSONAL_DATA_READERS,
    write: false,
    method: 'GET',
    path: (d) => `/api/v1/devices/${d.deviceId}/commands`,
    ok: 200,
  },
  {
    name: 'person sync',
    roles: DEVICE_WRITERS,
    write: true,
    method: 'POST',
    path: (d) => `/api/v1/devices/${d.deviceId}/person-sync`,
    ok: 200,
  },
  {
    name: 'request a backfill',
    roles: DEVICE_WRITERS,
    write: true,
    method: 'POST',
    path: (d) => `/api/v1/devices/${d.deviceId}/backfills`,
    body: () => range(),
    ok: 201,
  },
  {
    name: 'backfills',
    roles: DEVICE_READERS,
    write: false,
    method: 'GET',
    path: (d) => `/api/v1/devices/${d.deviceId}/backfills`,
    ok: 200,
  },
  {
    name: 'records',
    roles: PERSONAL_DATA_READERS,
    write: false,
    method: 'GET',
    path: (d) => {
      const r = range();
      return `/api/v1/devices/${d.deviceId}/records?from=${encodeURIComponent(r.from)}&to=${encodeURIComponent(r.to)}`;
    },
    ok: 200,
  },
  {
    name: 'photo',
    roles: PHOTO_READERS,
    write: false,
    method: 'GET',
    path: (d) => `/api/v1/photos/${d.photo}`,
    ok: 200,
  },
];

function scopeOf(who: Exclude<TestCaller, null>): { roles: string[]; scope: CallerScope } {
  const i = testIdentity(who);
  return { roles: i.roles, scope: { kind: i.scopeKind as CallerScope['kind'], code: i.scope } };
}

/** What the caller should get from the endpoint for the device. */
function expected(e: Endpoint, who: TestCaller, d: TestDevice): number {
  if (who === null) return 401;
  const { roles, scope } = scopeOf(who);
  if (!e.roles.some((r) => roles.includes(r))) return 403;
  if (!scopeCovers(scope, d)) return e.write ? 403 : 404;
  return e.ok;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = await startService(
    'device-gateway',
    {
      ...resourceServerEnv(),
      DATABASE_URL: infra.postgresUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `${run}.`,
      KAFKA_GROUP_ID: `gateway-${run}`,
      GATEWAY_HTTP_PORT: String(port),
      DATABASE_SCHEMA: `gw_${run}`,
      DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
      API_RATE_LIMIT_PER_S: '0',
      GATEWAY_DEVICES: JSON.stringify(
        DEVICES.map((d) => ({
          deviceId: d.deviceId,
          projectId: d.projectId,
          region: d.region,
          secret: d.secret,
        })),
      ),
    },
    `${url}/health/ready`,
  );
  // Each device takes a punch with its snapshot: the photos of the matrix.
  for (const d of DEVICES) {
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(600)]);
    const r = await signed(d, OPEN_V1_PUNCHES_PATH, {
      punches: [
        {
          recordId: `r-${d.deviceId}`,
          personId: '10001',
          time: new Date(Date.now() - 60_000).toISOString().slice(0, 19) + 'Z',
          direction: 'in',
          verifyMode: 'face',
          photo: photo.toString('base64'),
        },
      ],
    });
    expect(r.status).toBe(200);
    // Read back as the city's supervisor: the snapshot's reference.
    const reader = d === xihu ? 'hz-city' : 'nb-city';
    const records = await http('GET', ENDPOINTS.find((e) => e.name === 'records')!.path(d), reader);
    d.photo = (records.json.records as { photoRef: string }[])[0].photoRef.replace('sha256:', '');
  }
});

afterAll(async () => {
  await gateway?.stop();
});

describe.each(ENDPOINTS.map((e) => [e.name, e] as const))('%s', (_name, e) => {
  const rows = CALLERS.flatMap((who) => DEVICES.map((d) => [who ?? 'no token', d.deviceId, who, d] as const));
  it.each(rows)('as %s, device %s', async (_w, _d, who, d) => {
    const want = expected(e, who, d);
    const r = await http(e.method, e.path(d), who, e.body?.(d));
    expect({ status: r.status, type: r.json.type }).toEqual({
      status: want,
      type: want < 300 ? undefined : expect.stringContaining('urn:realname:problem:'),
    });
    if (want === 403 && e.roles.some((role) => scopeOf(who!).roles.includes(role)))
      expect(r.json.detail).toMatch(/outside your scope/);
  });
});

describe('lists', () => {
  it.each(CALLERS.map((who) => [who ?? 'no token', who] as const))(
    'as %s: exactly the devices of the scope',
    async (_w, who) => {
      const r = await http('GET', '/api/v1/devices', who);
      if (who === null) return expect(r.status).toBe(401);
      const { roles, scope } = scopeOf(who);
      if (!DEVICE_READERS.some((role) => roles.includes(role))) return expect(r.status).toBe(403);
      expect(r.status).toBe(200);
      const listed = (r.json.devices as { deviceId: string; region: string; projectId: string }[]).map(
        (d) => d.deviceId,
      );
      expect(listed.sort()).toEqual(
        DEVICES.filter((d) => scopeCovers(scope, d))
          .map((d) => d.deviceId)
          .sort(),
      );
    },
  );
});

describe('writes outside the scope', () => {
  it('refuse a new device in another region, naming the region and the scope', async () => {
    const r = await http('POST', '/api/v1/devices', 'dev-hz', registration(ningbo, { deviceId: 'nb-new' }));
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({
      type: 'urn:realname:problem:out-of-scope',
      detail: expect.stringMatching(/region 330203 is outside your scope \(city 330100\)/),
    });
    expect((await http('GET', '/api/v1/devices/nb-new', 'nb-city')).status).toBe(404);
  });

  it('refuse taking over a device of another region by registering it in one of the scope', async () => {
    const r = await http('POST', '/api/v1/devices', 'dev-hz', registration(ningbo, { region: '330106' }));
    expect(r.status).toBe(403);
    expect(r.json.detail).toMatch(/nb-gate-1/);
  });

  it('changed nothing on the Ningbo device', async () => {
    const d = (await http('GET', `/api/v1/devices/${ningbo.deviceId}`, 'nb-city')).json;
    expect(d).toMatchObject({ region: ningbo.region, projectId: ningbo.projectId, enabled: true });
    expect(d.gate).toBeUndefined();
    const commands = (await http('GET', `/api/v1/devices/${ningbo.deviceId}/commands`, 'nb-city')).json;
    expect(commands.commands).toEqual([]);
    const backfills = (await http('GET', `/api/v1/devices/${ningbo.deviceId}/backfills`, 'nb-city')).json;
    expect(backfills.backfills).toEqual([]);
    // Its credential still works: nobody rotated it.
    const hb = await signed(ningbo, '/open/v1/heartbeat', { deviceTime: new Date().toISOString() });
    expect(hb.status).toBe(200);
  });

  it('while the Xihu device took the changes of its device administrator', async () => {
    const d = (await http('GET', `/api/v1/devices/${xihu.deviceId}`, 'hz-city')).json;
    expect(d).toMatchObject({ gate: 'Matrix gate', enabled: true });
    const hb = await signed(xihu, '/open/v1/heartbeat', { deviceTime: new Date().toISOString() });
    expect(hb.status).toBe(200);
  });
});
