// The representative "Province B" style adapter against its simulator over real HTTP (ephemeral port).
import {
  JsonObject,
  planBatches,
  platformDateTime,
  PROVINCE_B_PROFILE,
  ProvinceBCredentials,
  ProvinceBUplink,
  RecordKind,
  SendOutcome,
  UplinkPlanError,
  UplinkRecord,
} from '@realname/uplinks';
import { platformToday } from './national';
import { ProvinceBSimulator, startProvinceBSimulator } from './province-b';

const APP_KEY = 'pb-demo-330100';
const SECRET = 'pb-secret-7f3a9c';
const TOKEN_LIFETIME_SECONDS = 120;

let simulator: ProvinceBSimulator;
/** Offset of the simulator's clock from real time, moved by tests to age tokens. */
let platformSkewMs = 0;
let sequence = 0;

function adapter(options: { secret?: string; clockSkewMs?: number; baseUrl?: string } = {}): ProvinceBUplink {
  return new ProvinceBUplink({
    baseUrl: options.baseUrl ?? simulator.url,
    credentials: new ProvinceBCredentials({ appKey: APP_KEY, secret: options.secret ?? SECRET }),
    now: () => new Date(Date.now() + (options.clockSkewMs ?? 0)),
    timeoutMs: 3_000,
  });
}

function record(kind: RecordKind, key: string, header: JsonObject, item: JsonObject): UplinkRecord {
  return { kind, key, header, item, dependsOn: [] };
}

async function sendAll(uplink: ProvinceBUplink, records: UplinkRecord[]): Promise<SendOutcome[]> {
  const outcomes: SendOutcome[] = [];
  for (const batch of planBatches(records, uplink.profile)) outcomes.push(await uplink.send(batch));
  return outcomes;
}

function id(n: number): string {
  return `4401061985${String(n).padStart(8, '0')}`;
}

interface Site {
  projectCode: string;
  corpCode: string;
  teamId: string;
}

async function givenTeam(uplink: ProvinceBUplink): Promise<Site> {
  sequence += 1;
  const projectCode = `PB-${sequence}`;
  const corpCode = `91440100MA5${String(sequence).padStart(7, '0')}`;
  const outcomes = await sendAll(uplink, [
    record(
      'participating-unit',
      `u-${sequence}`,
      {},
      { projectCode, corpCode, corpName: '某建筑劳务公司', corpType: '006' },
    ),
    record('team', `t-${sequence}`, {}, { projectCode, corpCode, teamName: '泥工班' }),
  ]);
  const team = outcomes[1];
  if (outcomes[0].outcome !== 'accepted' || team.outcome !== 'accepted')
    throw new Error(`site refused: ${JSON.stringify(outcomes)}`);
  return { projectCode, corpCode, teamId: String(team.keys['teamId']) };
}

async function givenWorkers(uplink: ProvinceBUplink, site: Site, ids: string[]): Promise<void> {
  const outcomes = await sendAll(
    uplink,
    ids.map((n) =>
      record(
        'project-worker',
        `w-${n}`,
        { projectCode: site.projectCode, teamId: site.teamId },
        {
          workerName: '李四',
          idCardType: '01',
          idCardNumber: n,
        },
      ),
    ),
  );
  expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
}

beforeAll(async () => {
  simulator = await startProvinceBSimulator({
    projects: [{ appKey: APP_KEY, secret: SECRET }],
    tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
    now: () => new Date(Date.now() + platformSkewMs),
  });
});

afterAll(async () => {
  await simulator.close();
});

afterEach(() => {
  platformSkewMs = 0;
  simulator.setDown(false);
  simulator.setRateLimit(undefined);
  simulator.failNext(0);
});

const logins = (): number => simulator.calls().filter((c) => c.path === 'auth/login').length;

describe('Province B style: happy path per supported kind', () => {
  it('uploads unit, team (adopting teamId), workers in calls of 10, contract, entry, attendance, payroll and exit', async () => {
    const uplink = adapter();
    const site = await givenTeam(uplink);
    expect(site.teamId).toMatch(/^T\d{6}$/);
    const ids = Array.from({ length: 12 }, (_, i) => id(100 + i));
    const workerCallsBefore = simulator.calls().filter((c) => c.path === 'worker/add').length;
    await givenWorkers(uplink, site, ids);
    expect(simulator.calls().filter((c) => c.path === 'worker/add').length - workerCallsBefore).toBe(2);

    const today = platformToday();
    const { projectCode, teamId } = site;
    const outcomes = await sendAll(uplink, [
      record(
        'worker-contract',
        'c-1',
        { projectCode },
        { idCardNumber: ids[0], startDate: today, endDate: '2027-06-30' },
      ),
      record('entry', 'in-1', { projectCode, teamId }, { idCardNumber: ids[0], date: today }),
      ...['IN', 'OUT'].map((direction, i) =>
        record(
          'attendance',
          `a-${direction}`,
          { projectCode, teamId },
          {
            idCardNumber: ids[0],
            checkTime: platformDateTime(new Date(Date.now() - (2 - i) * 60_000)),
            direction,
          },
        ),
      ),
      record(
        'payroll',
        'p-1',
        { projectCode, teamId, payMonth: today.slice(0, 7) },
        { idCardNumber: ids[0], actualAmount: 420 },
      ),
      record('exit', 'out-1', { projectCode, teamId }, { idCardNumber: ids[0], date: today }),
    ]);
    // Both punches share one header, so they travel in one call: six records, five calls.
    expect(outcomes).toEqual(Array.from({ length: 5 }, () => ({ outcome: 'accepted', keys: {} })));
    const stored = simulator.accepted().filter((a) => a.record['projectCode'] === projectCode);
    expect(stored.map((a) => a.resource)).toEqual([
      'subcontractor',
      'team',
      ...ids.map(() => 'worker'),
      'contract',
      'entry',
      'attendance',
      'attendance',
      'payroll',
      'exit',
    ]);
    // One login served every call: the token is kept while it lives.
    expect(uplink.loginCount).toBe(1);
  });

  it('describes itself: its own limits and order, upper-case MD5 in a ±6-minute window, synchronous answers', () => {
    expect(PROVINCE_B_PROFILE.batchLimits).toMatchObject({
      'project-worker': 10,
      attendance: 50,
      entry: 30,
      payroll: 30,
    });
    expect(PROVINCE_B_PROFILE.dependencyOrder[0]).toBe('participating-unit');
    expect(PROVINCE_B_PROFILE.signing).toMatchObject({
      scheme: 'sorted-form-md5-uppercase',
      clockWindowSeconds: 360,
    });
    expect(PROVINCE_B_PROFILE.answers).toBe('synchronous');
  });
});

describe('Province B style: the session token', () => {
  it('logs in again and repeats the call when the platform says the token has expired', async () => {
    const uplink = adapter();
    const site = await givenTeam(uplink);
    expect(uplink.loginCount).toBe(1);
    // The platform's clock moves past the token's life but stays inside the ±6-minute window.
    platformSkewMs = (TOKEN_LIFETIME_SECONDS + 30) * 1000;
    const before = simulator.calls().length;
    const [outcome] = await sendAll(uplink, [
      record(
        'project-worker',
        'w-renew',
        { projectCode: site.projectCode, teamId: site.teamId },
        {
          workerName: '王五',
          idCardType: '01',
          idCardNumber: id(900),
        },
      ),
    ]);
    expect(outcome).toEqual({ outcome: 'accepted', keys: {} });
    expect(uplink.loginCount).toBe(2);
    expect(
      simulator
        .calls()
        .slice(before)
        .map((c) => `${c.path} ${c.code}`),
    ).toEqual(['worker/add 1001', 'auth/login 0000', 'worker/add 0000']);
  });

  it('renews a token about to expire before using it, so the platform never refuses it', async () => {
    // Adapter and platform share one clock here, moved together.
    const uplink = new ProvinceBUplink({
      baseUrl: simulator.url,
      credentials: new ProvinceBCredentials({ appKey: APP_KEY, secret: SECRET }),
      now: () => new Date(Date.now() + platformSkewMs),
    });
    await givenTeam(uplink);
    expect(uplink.loginCount).toBe(1);
    // 100 s on: the platform still honours the 120 s token, but we are in its last 30 s and renew.
    platformSkewMs = 100_000;
    const before = simulator.calls().length;
    await givenTeam(uplink);
    expect(uplink.loginCount).toBe(2);
    const since = simulator.calls().slice(before);
    expect(since[0]).toMatchObject({ path: 'auth/login', code: '0000' });
    expect(since.some((c) => c.code === '1001')).toBe(false);
  });

  it('shares one login among calls made at the same time', async () => {
    const uplink = adapter();
    const before = logins();
    await Promise.all([givenTeam(uplink), givenTeam(uplink), givenTeam(uplink)]);
    expect(logins() - before).toBe(1);
  });
});

describe('Province B style: refusals classified', () => {
  it('blames the credentials when our clock is outside the ±6-minute window, and accepts 5 minutes off', async () => {
    const ahead = adapter({ clockSkewMs: 7 * 60_000 });
    const outcome = await ahead.send({
      kind: 'participating-unit',
      header: {},
      records: [
        record('participating-unit', 'u-late', {}, { projectCode: 'PB-clock', corpCode: 'X', corpName: 'X' }),
      ],
    });
    expect(outcome).toEqual({
      outcome: 'rejected',
      scope: 'credentials',
      message: '1003 时间戳超出允许范围(±6分钟)',
    });
    const behind = adapter({ clockSkewMs: -5 * 60_000 });
    await expect(givenTeam(behind)).resolves.toMatchObject({ teamId: expect.stringMatching(/^T/) });
  });

  it('blames the credentials for a wrong secret (signature refused at login)', async () => {
    const wrong = adapter({ secret: 'not-the-secret' });
    const outcome = await wrong.send({
      kind: 'participating-unit',
      header: {},
      records: [
        record('participating-unit', 'u-x', {}, { projectCode: 'PB-sig', corpCode: 'X', corpName: 'X' }),
      ],
    });
    expect(outcome).toEqual({ outcome: 'rejected', scope: 'credentials', message: '1002 签名错误' });
  });

  it("passes on the platform's message for a worker of a team never uploaded", async () => {
    const outcome = await adapter().send({
      kind: 'project-worker',
      header: { projectCode: 'PB-none', teamId: 'T999999' },
      records: [
        record('project-worker', 'w-x', {}, { workerName: 'x', idCardType: '01', idCardNumber: id(1) }),
      ],
    });
    expect(outcome).toEqual({
      outcome: 'rejected',
      scope: 'record',
      message: '1007 班组teamId=T999999不存在,请先上传班组',
    });
  });

  it('answers a second team of the same name with already-exists, and reconciling adopts the first teamId', async () => {
    const uplink = adapter();
    const site = await givenTeam(uplink);
    const team = record(
      'team',
      'team-again',
      {},
      { projectCode: site.projectCode, corpCode: site.corpCode, teamName: '泥工班' },
    );
    await expect(uplink.send({ kind: 'team', header: {}, records: [team] })).resolves.toEqual({
      outcome: 'already-exists',
      message: '班组已存在',
    });
    await expect(uplink.reconcile(team)).resolves.toEqual({
      outcome: 'found',
      keys: { teamId: site.teamId },
    });
    const stranger = record(
      'team',
      'team-new',
      {},
      { projectCode: site.projectCode, corpCode: site.corpCode, teamName: '钢筋班' },
    );
    await expect(uplink.reconcile(stranger)).resolves.toEqual({ outcome: 'not-found' });
  });

  it('refuses, before any traffic, a kind it does not take, a batch over its limit, and a poll', async () => {
    const uplink = adapter();
    const before = simulator.calls().length;
    await expect(
      uplink.send({
        kind: 'enterprise',
        header: {},
        records: [record('enterprise', 'e', {}, { corpCode: 'X' })],
      }),
    ).rejects.toThrow(UplinkPlanError);
    const eleven = Array.from({ length: 11 }, (_, i) =>
      record('project-worker', `w${i}`, {}, { idCardNumber: id(i) }),
    );
    await expect(uplink.send({ kind: 'project-worker', header: {}, records: eleven })).rejects.toThrow(
      /at most 10/,
    );
    await expect(uplink.poll('any')).rejects.toThrow(UplinkPlanError);
    expect(simulator.calls().length).toBe(before);
  });
});

describe('Province B style: failures worth retrying', () => {
  it('classifies its rate-limit code and HTTP 429 as retriable', async () => {
    const uplink = adapter();
    await givenTeam(uplink);
    simulator.setRateLimit({ callsPerSecond: 0, answer: 'busy-code' });
    const unit = record(
      'participating-unit',
      'u-rl',
      {},
      { projectCode: 'PB-rl', corpCode: 'X', corpName: 'X' },
    );
    await expect(
      uplink.send({ kind: 'participating-unit', header: {}, records: [unit] }),
    ).resolves.toMatchObject({
      outcome: 'retriable',
      reason: 'rate-limited',
    });
    simulator.setRateLimit({ callsPerSecond: 0, answer: 'http-429' });
    await expect(
      uplink.send({ kind: 'participating-unit', header: {}, records: [unit] }),
    ).resolves.toMatchObject({
      outcome: 'retriable',
      reason: 'rate-limited',
      code: 429,
    });
  });

  it('classifies HTTP 500 and a platform that is down as retriable, then succeeds when it recovers', async () => {
    const uplink = adapter();
    await givenTeam(uplink);
    const unit = record(
      'participating-unit',
      'u-500',
      {},
      { projectCode: 'PB-500', corpCode: 'X', corpName: 'X' },
    );
    simulator.failNext(1);
    await expect(
      uplink.send({ kind: 'participating-unit', header: {}, records: [unit] }),
    ).resolves.toMatchObject({
      outcome: 'retriable',
      reason: 'server-error',
      code: 500,
    });
    simulator.setDown(true);
    await expect(
      uplink.send({ kind: 'participating-unit', header: {}, records: [unit] }),
    ).resolves.toMatchObject({
      outcome: 'retriable',
      reason: 'network',
    });
    simulator.setDown(false);
    await expect(uplink.send({ kind: 'participating-unit', header: {}, records: [unit] })).resolves.toEqual({
      outcome: 'accepted',
      keys: {},
    });
  });
});
