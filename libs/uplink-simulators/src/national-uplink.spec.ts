// The adapter against the national simulator over real HTTP on an ephemeral local port (no stack).
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  JsonObject,
  NationalCredentials,
  NationalPlatformUplink,
  planBatches,
  platformDateTime,
  PollOutcome,
  RecordKind,
  SendOutcome,
  UplinkBatch,
  UplinkPlanError,
  UplinkRecord,
} from '@realname/uplinks';
import { NationalSimulator, platformToday, startNationalSimulator } from './national';

const APPID = 'P330100202611001';
const SECRET = 'k7Q2mX9pL4vB8nR1tY6wC3zD5fH0jG2s';
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]).toString('base64');
const ASYNC_DELAY_MS = 150;

let simulator: NationalSimulator;
let uplink: NationalPlatformUplink;
let sequence = 0;

function adapter(
  overrides: { secret?: string; endpoint?: string; timeoutMs?: number } = {},
): NationalPlatformUplink {
  return new NationalPlatformUplink({
    endpoint: overrides.endpoint ?? simulator.url,
    credentials: new NationalCredentials({ appid: APPID, secret: overrides.secret ?? SECRET }),
    timeoutMs: overrides.timeoutMs ?? 5_000,
  });
}

function record(
  kind: RecordKind,
  key: string,
  header: JsonObject,
  item: JsonObject,
  dependsOn: string[] = [],
): UplinkRecord {
  return { kind, key, header, item, dependsOn };
}

/** Sends one batch and, when the platform hands out a ticket, polls it to the end. */
async function settle(
  batch: UplinkBatch,
  via: NationalPlatformUplink = uplink,
): Promise<SendOutcome | PollOutcome> {
  const sent = await via.send(batch);
  if (sent.outcome !== 'submitted') return sent;
  return via.awaitResult(sent.ticket, { intervalMs: 20, timeoutMs: 5_000 });
}

async function settleAll(records: UplinkRecord[]): Promise<Array<SendOutcome | PollOutcome>> {
  const outcomes = [];
  for (const batch of planBatches(records, uplink.profile)) outcomes.push(await settle(batch));
  return outcomes;
}

function worker(id: string, extra: JsonObject = {}): JsonObject {
  return {
    workerName: `工人${id.slice(-4)}`,
    isTeamLeader: 0,
    idCardType: '01',
    idCardNumber: id,
    workType: '020',
    workRole: '20',
    headImage: PNG,
    ...extra,
  };
}

function idNumber(n: number): string {
  return `110101199003${String(n).padStart(6, '0')}`;
}

interface Site {
  projectCode: string;
  corpCode: string;
  teamSysNo: number;
  teamRecord: UplinkRecord;
  teamHeader: JsonObject;
}

/** Given an enterprise, a project, its participating unit and one team, all accepted upstream. */
async function givenSiteWithTeam(): Promise<Site> {
  sequence += 1;
  const projectCode = `${APPID}-${sequence}`;
  const corpCode = `91330100MA2${String(sequence).padStart(7, '0')}`;
  const teamRecord = record(
    'team',
    `team-${sequence}`,
    {},
    {
      projectCode,
      corpCode,
      corpName: '某劳务公司',
      teamName: '钢筋一班',
      teamLeaderIdNumber: idNumber(999),
    },
  );
  const outcomes = await settleAll([
    record('enterprise', `corp-${sequence}`, {}, { corpCode, corpName: '某劳务公司' }),
    record(
      'project',
      `project-${sequence}`,
      {},
      { projectCode, name: '某住宅项目', contractorCorpCode: corpCode },
    ),
    record(
      'participating-unit',
      `unit-${sequence}`,
      {},
      {
        projectCode,
        corpCode,
        corpName: '某劳务公司',
        corpType: '006',
        bankInfos: [
          {
            bankCode: '102',
            bankName: '工商银行',
            bankNumber: '6222021234567890123',
            bankLinkNumber: '102331000001',
          },
        ],
      },
    ),
    teamRecord,
  ]);
  expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  const last = outcomes[3];
  if (last.outcome !== 'accepted') throw new Error('team not accepted');
  const teamSysNo = Number(last.keys['teamSysNo']);
  return {
    projectCode,
    corpCode,
    teamSysNo,
    teamRecord,
    teamHeader: { projectCode, corpCode, corpName: '某劳务公司', teamSysNo, teamName: '钢筋一班' },
  };
}

async function givenWorkers(site: Site, ids: string[]): Promise<void> {
  const outcomes = await settleAll(
    ids.map((id) => record('project-worker', `w-${id}`, site.teamHeader, worker(id))),
  );
  expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
}

beforeAll(async () => {
  simulator = await startNationalSimulator({
    projects: [{ appid: APPID, secret: SECRET }],
    asyncDelayMs: ASYNC_DELAY_MS,
  });
  uplink = adapter();
});

afterAll(async () => {
  await simulator.close();
});

afterEach(() => {
  simulator.setDown(false);
  simulator.setRateLimit(undefined);
  simulator.failNext(0);
});

describe('national uplink against the simulator: happy path per method', () => {
  it('checks the signature and credentials', async () => {
    await expect(uplink.checkSign()).resolves.toEqual({ outcome: 'accepted' });
  });

  it('uploads enterprise, project, participating unit and team, adopting the generated teamSysNo', async () => {
    const site = await givenSiteWithTeam();
    expect(site.teamSysNo).toBeGreaterThan(0);
    const [unit] = simulator
      .accepted('ProjectSubContractor.Add')
      .filter((a) => a.record['projectCode'] === site.projectCode);
    // The simulator stores what it decrypted: equal to our clear text only if we encrypted correctly.
    expect(unit.record['bankInfos']).toEqual([
      expect.objectContaining({ bankNumber: '6222021234567890123' }),
    ]);
    const [team] = simulator.accepted('Team.Add').filter((a) => a.record['projectCode'] === site.projectCode);
    expect(team.record).toMatchObject({ teamSysNo: site.teamSysNo, teamLeaderIdNumber: idNumber(999) });
  });

  it('uploads 7 workers in calls of 5 and 2, ID numbers encrypted on the wire', async () => {
    const site = await givenSiteWithTeam();
    const before = simulator.calls().filter((c) => c.method === 'ProjectWorker.Add').length;
    const ids = Array.from({ length: 7 }, (_, i) => idNumber(100 + i));
    await givenWorkers(site, ids);
    expect(simulator.calls().filter((c) => c.method === 'ProjectWorker.Add').length - before).toBe(2);
    const stored = simulator
      .accepted('ProjectWorker.Add')
      .filter((a) => a.record['projectCode'] === site.projectCode);
    expect(stored.map((a) => a.record['idCardNumber'])).toEqual(ids);
    expect(stored[0].record).toMatchObject({ teamSysNo: site.teamSysNo, workerName: '工人0100' });
  });

  it('uploads contracts, a training, entries, attendance, payroll and exits in dependency order', async () => {
    const site = await givenSiteWithTeam();
    const ids = Array.from({ length: 6 }, (_, i) => idNumber(200 + i));
    await givenWorkers(site, ids);
    const today = platformToday();
    const punchTime = platformDateTime(new Date(Date.now() - 60_000));
    const { projectCode, corpCode, teamSysNo } = site;
    const entryHeader = { projectCode, corpCode, corpName: '某劳务公司', teamSysNo };
    const payrollHeader = { ...entryHeader, payMonth: today.slice(0, 7) };
    const records = [
      ...ids.map((id) =>
        record(
          'worker-contract',
          `c-${id}`,
          { projectCode },
          {
            corpCode,
            corpName: '某劳务公司',
            idCardType: '01',
            idCardNumber: id,
            contractPeriodType: 0,
            startDate: today,
            endDate: '2027-12-31',
            unit: 80,
            unitPrice: 300,
          },
        ),
      ),
      record(
        'training',
        `tr-${projectCode}`,
        {},
        {
          projectCode,
          trainingDate: today,
          trainingDuration: 2,
          trainingName: '入场安全教育',
          trainingTypeCode: '003002',
          workers: ids.map((id) => ({ idCardType: '01', idCardNumber: id, isPass: 1, trainingScore: 90 })),
        },
      ),
      ...ids.map((id) =>
        record('entry', `in-${id}`, entryHeader, {
          idCardType: '01',
          idCardNumber: id,
          date: today,
          type: 1,
        }),
      ),
      ...ids.flatMap((id) =>
        ['01', '02'].map((direction) =>
          record(
            'attendance',
            `att-${id}-${direction}`,
            { projectCode, teamSysNo },
            {
              idCardType: '01',
              idCardNumber: id,
              date: punchTime,
              direction,
              attendType: '001',
              channel: 'gate-1',
            },
          ),
        ),
      ),
      ...ids.map((id) =>
        record('payroll', `pay-${id}`, payrollHeader, {
          idCardType: '01',
          idCardNumber: id,
          days: 20,
          workHours: 160,
          payRollBankCardNumber: '6222021234567890123',
          payRollBankCode: '102',
          totalPayAmount: 6000,
          actualAmount: 6000,
          isBackPay: 0,
        }),
      ),
      ...ids.map((id) =>
        record('exit', `out-${id}`, entryHeader, {
          idCardType: '01',
          idCardNumber: id,
          date: today,
          type: 0,
        }),
      ),
    ];
    const batches = planBatches(records, uplink.profile);
    expect(batches.map((b) => `${b.kind}:${b.records.length}`)).toEqual([
      'worker-contract:5',
      'worker-contract:1',
      'training:1',
      'entry:6',
      'attendance:12',
      'payroll:6',
      'exit:6',
    ]);
    for (const batch of batches) expect(await settle(batch)).toEqual({ outcome: 'accepted', keys: {} });
    const ofProject = (method: string) =>
      simulator.accepted(method).filter((a) => a.record['projectCode'] === projectCode);
    expect(ofProject('WorkerContract.Add')).toHaveLength(6);
    expect(ofProject('ProjectTraining.Add')).toHaveLength(1);
    expect(ofProject('WorkerEntryExit.Add')).toHaveLength(12);
    expect(ofProject('WorkerAttendance.Add')).toHaveLength(12);
    expect(ofProject('Payroll.Add')[0].record).toMatchObject({
      idCardNumber: ids[0],
      payRollBankCardNumber: '6222021234567890123',
    });
  });
});

describe('national uplink: the asynchronous answer', () => {
  it('hands out a requestSerialCode that is pending until the platform has decided', async () => {
    const site = await givenSiteWithTeam();
    const batch = planBatches(
      [record('project-worker', 'w-async', site.teamHeader, worker(idNumber(300)))],
      uplink.profile,
    )[0];
    const sent = await uplink.send(batch);
    if (sent.outcome !== 'submitted') throw new Error(`expected a ticket, got ${sent.outcome}`);
    expect(sent.ticket).toMatch(/^projectworker-add-\d{10}-\d+-\d{4}$/);
    await expect(uplink.poll(sent.ticket)).resolves.toEqual({ outcome: 'pending' });
    await expect(uplink.awaitResult(sent.ticket, { intervalMs: 20, timeoutMs: 5_000 })).resolves.toEqual({
      outcome: 'accepted',
      keys: {},
    });
  });

  it('gives up waiting at the deadline and reports the ticket still pending', async () => {
    const site = await givenSiteWithTeam();
    const batch = planBatches(
      [record('project-worker', 'w-slow', site.teamHeader, worker(idNumber(301)))],
      uplink.profile,
    )[0];
    const sent = await uplink.send(batch);
    if (sent.outcome !== 'submitted') throw new Error(`expected a ticket, got ${sent.outcome}`);
    await expect(uplink.awaitResult(sent.ticket, { intervalMs: 10, timeoutMs: 20 })).resolves.toEqual({
      outcome: 'pending',
    });
  });
});

describe('national uplink: rejections', () => {
  it('passes on the platform message for a worker of a team never uploaded', async () => {
    const site = await givenSiteWithTeam();
    const header = { ...site.teamHeader, teamSysNo: 987654 };
    const [outcome] = await settleAll([record('project-worker', 'w-orphan', header, worker(idNumber(400)))]);
    expect(outcome).toEqual({
      outcome: 'rejected',
      scope: 'record',
      message: '班组teamSysNo=987654不存在,请先上传班组',
    });
  });

  it('passes on the reasons for a missing or oversized head image and a punch in the future', async () => {
    const site = await givenSiteWithTeam();
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(51 * 1024)]).toString('base64');
    const [missing, oversized] = await settleAll([
      record('project-worker', 'w-noimg', site.teamHeader, worker(idNumber(401), { headImage: '' })),
      record(
        'project-worker',
        'w-bigimg',
        { ...site.teamHeader, teamName: 'x' },
        worker(idNumber(402), { headImage: big }),
      ),
    ]);
    expect(missing).toMatchObject({ outcome: 'rejected', message: 'workerList[0].headImage不能为空' });
    expect(oversized).toMatchObject({
      outcome: 'rejected',
      message: 'workerList[0].headImage大小不能超过50KB',
    });

    await givenWorkers(site, [idNumber(403)]);
    const tomorrow = platformDateTime(new Date(Date.now() + 86_400_000));
    const [future] = await settleAll([
      record(
        'attendance',
        'att-future',
        { projectCode: site.projectCode, teamSysNo: site.teamSysNo },
        { idCardType: '01', idCardNumber: idNumber(403), date: tomorrow, direction: '01' },
      ),
    ]);
    expect(future).toMatchObject({
      outcome: 'rejected',
      scope: 'record',
      message: 'dataList[0].date不能晚于当前日期',
    });
  });

  it('blames the credentials, not the record, for a wrong secret', async () => {
    const wrong = adapter({ secret: 'WRONGsecretWRONGsecretWRONGsecre' });
    await expect(wrong.checkSign()).resolves.toEqual({
      outcome: 'rejected',
      scope: 'credentials',
      code: -2,
      message: '签名错误',
    });
  });

  it('refuses to send more than the method takes per call, before any network traffic', async () => {
    const callsBefore = simulator.calls().length;
    const records = Array.from({ length: 6 }, (_, i) =>
      record('project-worker', `w-many-${i}`, { projectCode: 'P' }, worker(idNumber(500 + i))),
    );
    await expect(
      uplink.send({ kind: 'project-worker', header: { projectCode: 'P' }, records }),
    ).rejects.toThrow(UplinkPlanError);
    // A clone whose profile lowers the limit is held to its own, lower, limit.
    const clone = new NationalPlatformUplink({
      endpoint: simulator.url,
      credentials: new NationalCredentials({ appid: APPID, secret: SECRET }),
      profile: {
        ...uplink.profile,
        target: 'clone',
        batchLimits: { ...uplink.profile.batchLimits, 'project-worker': 2 },
      },
    });
    await expect(
      clone.send({ kind: 'project-worker', header: { projectCode: 'P' }, records: records.slice(0, 3) }),
    ).rejects.toThrow('ProjectWorker.Add takes at most 2 records per call, got 3');
    expect(simulator.calls().length).toBe(callsBefore);
  });

  it('lets the kind decide the entry/exit type and refuses an item that contradicts it', async () => {
    const site = await givenSiteWithTeam();
    await givenWorkers(site, [idNumber(510)]);
    const header = { projectCode: site.projectCode, corpCode: site.corpCode, teamSysNo: site.teamSysNo };
    const item = { idCardType: '01', idCardNumber: idNumber(510), date: platformToday() };
    await expect(settleAll([record('entry', 'in-510', header, item)])).resolves.toEqual([
      { outcome: 'accepted', keys: {} },
    ]);
    const stored = simulator
      .accepted('WorkerEntryExit.Add')
      .filter((a) => a.record['projectCode'] === site.projectCode);
    expect(stored.map((a) => a.record['type'])).toEqual([1]);
    const contradiction = record('exit', 'out-510', header, { ...item, type: 1 });
    await expect(uplink.send({ kind: 'exit', header, records: [contradiction] })).rejects.toThrow(
      /is an exit but carries type 1/,
    );
  });
});

describe('national uplink: already exists, reconciled', () => {
  it('answers a second Team.Add with already-exists, and reconciling adopts the first teamSysNo', async () => {
    const site = await givenSiteWithTeam();
    const again = await settle({ kind: 'team', header: {}, records: [site.teamRecord] });
    expect(again).toMatchObject({ outcome: 'already-exists', message: '班组名称已存在' });
    await expect(uplink.reconcile(site.teamRecord)).resolves.toEqual({
      outcome: 'found',
      keys: { teamSysNo: site.teamSysNo },
    });
  });

  it('finds workers by their encrypted ID number, and reports the ones the platform does not hold', async () => {
    const site = await givenSiteWithTeam();
    await givenWorkers(site, [idNumber(600)]);
    const existing = record('project-worker', 'w-600', site.teamHeader, worker(idNumber(600)));
    const fresh = record('project-worker', 'w-601', site.teamHeader, worker(idNumber(601)));
    const [outcome] = await settleAll([existing, fresh]);
    expect(outcome.outcome).toBe('already-exists');
    await expect(uplink.reconcile(existing)).resolves.toEqual({ outcome: 'found', keys: {} });
    await expect(uplink.reconcile(fresh)).resolves.toEqual({ outcome: 'not-found' });
  });

  it('finds an attendance punch through the per-day query', async () => {
    const site = await givenSiteWithTeam();
    await givenWorkers(site, [idNumber(700)]);
    const date = platformDateTime(new Date(Date.now() - 120_000));
    const punch = record(
      'attendance',
      'att-700',
      { projectCode: site.projectCode, teamSysNo: site.teamSysNo },
      { idCardType: '01', idCardNumber: idNumber(700), date, direction: '01' },
    );
    await expect(settleAll([punch])).resolves.toEqual([{ outcome: 'accepted', keys: {} }]);
    await expect(settleAll([punch])).resolves.toEqual([
      expect.objectContaining({ outcome: 'already-exists' }),
    ]);
    await expect(uplink.reconcile(punch)).resolves.toEqual({ outcome: 'found', keys: {} });
    const otherDirection = record('attendance', 'att-700-out', punch.header, {
      ...punch.item,
      direction: '02',
    });
    await expect(uplink.reconcile(otherDirection)).resolves.toEqual({ outcome: 'not-found' });
  });
});

describe('national uplink: failures worth retrying', () => {
  it('classifies the rate-limit code -5 and HTTP 429 as retriable', async () => {
    simulator.setRateLimit({ callsPerSecond: 1, answer: 'busy-code' });
    const first = await uplink.checkSign();
    const second = await uplink.checkSign();
    // Two calls may straddle a second boundary; at least one of three in quick succession must be refused.
    const third = await uplink.checkSign();
    expect(first).toEqual({ outcome: 'accepted' });
    expect([second, third]).toContainEqual(
      expect.objectContaining({ outcome: 'retriable', reason: 'rate-limited', code: -5 }),
    );

    simulator.setRateLimit({ callsPerSecond: 1, answer: 'http-429' });
    const outcomes = [await uplink.checkSign(), await uplink.checkSign(), await uplink.checkSign()];
    expect(outcomes).toContainEqual(
      expect.objectContaining({ outcome: 'retriable', reason: 'rate-limited', code: 429 }),
    );
  });

  it('classifies HTTP 500 as retriable, then succeeds when the platform recovers', async () => {
    simulator.failNext(2);
    await expect(uplink.checkSign()).resolves.toMatchObject({
      outcome: 'retriable',
      reason: 'server-error',
      code: 500,
    });
    await expect(uplink.checkSign()).resolves.toMatchObject({ outcome: 'retriable', reason: 'server-error' });
    await expect(uplink.checkSign()).resolves.toEqual({ outcome: 'accepted' });
  });

  it('classifies a platform that is down as a retriable network failure', async () => {
    simulator.setDown(true);
    await expect(uplink.checkSign()).resolves.toMatchObject({ outcome: 'retriable', reason: 'network' });
  });

  it('classifies a platform that never answers as a retriable timeout', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const slow = adapter({ endpoint: `http://127.0.0.1:${port}/open.api`, timeoutMs: 100 });
      await expect(slow.checkSign()).resolves.toMatchObject({ outcome: 'retriable', reason: 'timeout' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('keeps polling through a retriable failure until the result arrives', async () => {
    const site = await givenSiteWithTeam();
    const batch = planBatches(
      [record('project-worker', 'w-800', site.teamHeader, worker(idNumber(800)))],
      uplink.profile,
    )[0];
    const sent = await uplink.send(batch);
    if (sent.outcome !== 'submitted') throw new Error(`expected a ticket, got ${sent.outcome}`);
    simulator.failNext(2, 503);
    await expect(uplink.awaitResult(sent.ticket, { intervalMs: 20, timeoutMs: 5_000 })).resolves.toEqual({
      outcome: 'accepted',
      keys: {},
    });
  });
});
