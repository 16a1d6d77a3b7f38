// The admin API the demo drives: a project registered there can upload at once (its keys are valid, its
// enterprises and the project are upstream), and the accepted counts say what reporting put up.
import { NationalCredentials, NationalPlatformUplink } from '@realname/uplinks';
import { parseUplinkSimulatorArgs } from './cli';
import { NationalAdmin, startNationalAdmin } from './national-admin';
import { NationalSimulator, startNationalSimulator } from './national';

const PROJECT = {
  appid: '330106202612030001',
  secret: 'Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc',
  projectCode: '330106202612030001',
  name: 'Demo tower',
  contractor: { corpCode: '91330106MA2H4K7N15', corpName: 'Hangzhou Builders Ltd' },
  corps: [
    { corpCode: '91330106MA2H4K7N15', corpName: 'Hangzhou Builders Ltd' },
    { corpCode: '91330100MA27XL0E2K', corpName: 'Xihu Labour Services Ltd' },
  ],
};

let simulator: NationalSimulator;
let admin: NationalAdmin;

beforeEach(async () => {
  simulator = await startNationalSimulator({ projects: [], asyncDelayMs: 0 });
  admin = await startNationalAdmin(simulator, { port: 0 });
});
afterEach(async () => {
  await admin.close();
  await simulator.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const uplink = (secret = PROJECT.secret) =>
  new NationalPlatformUplink({
    endpoint: simulator.url,
    credentials: new NationalCredentials({ appid: PROJECT.appid, secret }),
  });

/** Uploads one participating unit of the project and waits for the platform's decision. */
async function unitAccepted(secret?: string): Promise<string> {
  const adapter = uplink(secret);
  const sent = await adapter.send({
    kind: 'participating-unit',
    header: {},
    records: [
      {
        kind: 'participating-unit',
        key: 'unit-1',
        dependsOn: [],
        header: {},
        item: {
          projectCode: PROJECT.projectCode,
          corpCode: '91330100MA27XL0E2K',
          corpName: 'Xihu Labour Services Ltd',
          corpType: '008',
        },
      },
    ],
  });
  if (sent.outcome !== 'submitted') return sent.outcome;
  return (await adapter.awaitResult(sent.ticket, { intervalMs: 10, timeoutMs: 5_000 })).outcome;
}

describe('national simulator admin API', () => {
  it('registers a project: its keys sign calls and its enterprises and project are upstream', async () => {
    const res = await post('/projects', PROJECT);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      appid: PROJECT.appid,
      secret: PROJECT.secret,
      projectCode: PROJECT.projectCode,
      corps: 2,
      known: false,
    });

    // A participating unit needs the project and the enterprise upstream: both were seeded.
    expect(await unitAccepted()).toBe('accepted');
    const counts = await (await fetch(`${admin.url}/accepted`)).json();
    expect(counts.methods['ProjectSubContractor.Add']).toBe(1);
    // Seeded enterprises and projects are held, not counted as accepted uploads.
    expect(counts.methods['Corp.Upload']).toBe(0);
    expect(counts.methods['Project.Add']).toBe(0);
    expect(counts.total).toBe(1);
    expect(counts.calls).toBeGreaterThanOrEqual(2);
  });

  it('counts per project when asked', async () => {
    await post('/projects', PROJECT);
    await unitAccepted();
    const mine = await (await fetch(`${admin.url}/accepted?projectCode=${PROJECT.projectCode}`)).json();
    const other = await (await fetch(`${admin.url}/accepted?projectCode=330106209901010001`)).json();
    expect(mine.total).toBe(1);
    expect(other.total).toBe(0);
  });

  it('before registration the appid is unknown; registering again keeps the secret unless rotating', async () => {
    expect(await unitAccepted()).not.toBe('accepted');
    await post('/projects', PROJECT);
    const other = 'Zm1Nb2Vc3Xz4Lk5Jh6Gf7Ds8Ap9Oi0Uy';
    const again = await post('/projects', { ...PROJECT, secret: other });
    expect(await again.json()).toMatchObject({ secret: PROJECT.secret, known: true });
    const rotated = await post('/projects', { ...PROJECT, secret: other, rotate: true });
    expect(await rotated.json()).toMatchObject({ secret: other, known: true });
    expect(await unitAccepted(other)).toBe('accepted');
    expect(await unitAccepted(PROJECT.secret)).not.toBe('accepted');
  });

  it('refuses a body without its fields, naming the field', async () => {
    const res = await post('/projects', { ...PROJECT, contractor: { corpCode: 'X' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('contractor.corpName is required: a non-empty string');
    expect((await post('/projects', '{not json')).status).toBe(400);
    expect((await post('/projects', { ...PROJECT, corps: 'all' })).status).toBe(400);
    expect((await fetch(`${admin.url}/nothing`)).status).toBe(404);
  });
});

describe('state across runs (--state)', () => {
  it('a restored simulator holds the keys, the records and the results of writes of the first', async () => {
    await post('/projects', PROJECT);
    expect(await unitAccepted()).toBe('accepted');
    const pendingSerial = await uplink().send({
      kind: 'participating-unit',
      header: {},
      records: [
        {
          kind: 'participating-unit',
          key: 'unit-2',
          dependsOn: [],
          header: {},
          item: {
            projectCode: PROJECT.projectCode,
            corpCode: PROJECT.contractor.corpCode,
            corpName: 'x',
            corpType: '006',
          },
        },
      ],
    });
    const snapshot = JSON.parse(JSON.stringify(simulator.snapshot()));

    const next = await startNationalSimulator({ projects: [], asyncDelayMs: 0 });
    try {
      next.restore(snapshot);
      expect(next.acceptedCount('ProjectSubContractor.Add')).toBe(2);
      const again = new NationalPlatformUplink({
        endpoint: next.url,
        credentials: new NationalCredentials({ appid: PROJECT.appid, secret: PROJECT.secret }),
      });
      // A write sent before the restart is answered after it.
      if (pendingSerial.outcome !== 'submitted') throw new Error('not submitted');
      expect((await again.poll(pendingSerial.ticket)).outcome).toBe('accepted');
      // The unit is still upstream: sending it again is "already exists".
      const sent = await again.send({
        kind: 'participating-unit',
        header: {},
        records: [
          {
            kind: 'participating-unit',
            key: 'unit-1',
            dependsOn: [],
            header: {},
            item: {
              projectCode: PROJECT.projectCode,
              corpCode: '91330100MA27XL0E2K',
              corpName: 'x',
              corpType: '008',
            },
          },
        ],
      });
      if (sent.outcome !== 'submitted') throw new Error('not submitted');
      expect((await again.awaitResult(sent.ticket, { intervalMs: 10 })).outcome).toBe('already-exists');
    } finally {
      await next.close();
    }
  });
});

describe('realname-uplink-simulators command line', () => {
  it('has defaults and reads the rate limit', () => {
    expect(parseUplinkSimulatorArgs([])).toEqual({
      kind: 'run',
      args: { port: 8095, adminPort: 8096, host: '127.0.0.1', asyncDelayMs: 200 },
    });
    expect(parseUplinkSimulatorArgs(['--port', '0', '--rate-limit', '5', '--async-delay-ms=50'])).toEqual({
      kind: 'run',
      args: {
        port: 0,
        adminPort: 8096,
        host: '127.0.0.1',
        asyncDelayMs: 50,
        rateLimit: { callsPerSecond: 5, answer: 'http-429' },
      },
    });
  });

  it('names the flag at fault', () => {
    expect(parseUplinkSimulatorArgs(['--rate-limit', 'many'])).toEqual({
      kind: 'error',
      message: '--rate-limit must be a whole number from 1 to 100000 (got "many")',
    });
    expect(parseUplinkSimulatorArgs(['--rate-limit-answer', 'busy-code'])).toEqual({
      kind: 'error',
      message: '--rate-limit-answer needs --rate-limit N',
    });
    expect(parseUplinkSimulatorArgs(['--help'])).toEqual({ kind: 'help' });
  });
});
