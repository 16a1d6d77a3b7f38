/**
 * The Zhejiang V2.0 and Province B targets through the ledger, against a real PostgreSQL (own schema)
 * and their in-process simulators: ledger rows made by the real event handler in each target's shape,
 * sent by the real sender with each target's adapter, credentials and send-time mapping from
 * targets.ts; what each simulator accepted is asserted in its own shape, and a revised day per target.
 */
import { randomBytes } from 'node:crypto';
import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  createEvent,
  ParticipantJoined,
  ProjectSynced,
  TeamFormed,
  WorkerEnrolled,
} from '@realname/contracts';
import { creditCodeCheckChar, residentIdCheckChar } from '@realname/domain-rules';
import { Database, migrate } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { NationalCredentials, NationalPlatformUplink } from '@realname/uplinks';
import {
  ProvinceBSimulator,
  startProvinceBSimulator,
  startZhejiangSimulator,
  ZhejiangSimulator,
} from '@realname/uplink-simulators';
import { WorkerIdentitiesRepository } from '../identities/worker-identities.repository';
import { LedgerRepository, LedgerRow } from '../ledger/ledger.repository';
import { reportingMigrations } from '../migrations';
import { dayKey, teamKey, workerKey } from '../records/national-records';
import { RegistryCopiesRepository } from '../records/records.repository';
import { UplinkRecordsHandler } from '../records/uplink-records.handler';
import { shanghaiToday, UploadSender } from '../sender/upload-sender';
import { UplinkCredentialsRepository } from './credentials.repository';
import { UPLINK_TARGETS } from './targets';

jest.setTimeout(60_000);

const run = uniqueName('tg');
const schema = `tg_${run}`;
const projectId = `3301tg${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const zhejiangSecret = randomBytes(16).toString('hex');
const appKey = `pb-${run}`;
const provinceBSecret = randomBytes(12).toString('hex');
const creditCode = (first17: string) => first17 + creditCodeCheckChar(first17);
const residentId = (first17: string) => first17 + residentIdCheckChar(first17);
const CONTRACTOR = creditCode('91330106MA2B3C4D5');
const SUBCONTRACTOR = creditCode('91330100MA27XY1A2');
const CORP_NAME = '杭州示例劳务有限公司';
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x11)]).toString(
  'base64',
);
const YESTERDAY = shanghaiToday(new Date(Date.now() - 86_400_000));
// The 17th character is odd: a man, so Zhejiang's gender is 1.
const idOf = (n: number) => residentId(`330106199001011${String(10 + 2 * n + 1)}`.slice(0, 17));

let db: Database;
let zhejiang: ZhejiangSimulator;
let provinceB: ProvinceBSimulator;
let ledger: LedgerRepository;
let handler: UplinkRecordsHandler;
let credentials: UplinkCredentialsRepository;
let identities: WorkerIdentitiesRepository;
let senders: Record<'zhejiang' | 'province-b', UploadSender>;

const opts = { source: '/realname/worker-registry', subject: 'test', region };

function senderOf(target: 'zhejiang' | 'province-b', endpoint: string): UploadSender {
  const definition = UPLINK_TARGETS[target];
  return new UploadSender(
    db,
    ledger,
    identities,
    (project) => definition.connect(db, credentials, project, endpoint),
    {
      target,
      profile: definition.profile,
      mapping: definition.send,
      claimSize: 100,
      leaseMs: 5_000,
      backoffMs: 100,
      backoffMaxMs: 1_000,
      pollMs: 30,
      waitMs: 0,
    },
  );
}

async function apply(...events: Parameters<UplinkRecordsHandler['handle']>[1][]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const event of events) await handler.handle(tx, event);
  });
}

/** Rounds of both senders until nothing of either target is left to send or poll. */
async function drain(limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    for (const sender of Object.values(senders)) await sender.runOnce();
    const live = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.upload_ledger
        WHERE status IN ('pending', 'sent') AND NOT ('identity:w-2' = ANY(waiting_for))`,
    );
    if (Number(live[0].n) === 0) return;
    if (Date.now() > until) {
      const stuck = await db.query(
        `SELECT target, kind, record_key, status, waiting_for, problems, last_error FROM ${schema}.upload_ledger
          WHERE status NOT IN ('accepted', 'superseded')`,
      );
      throw new Error(`ledger not drained: ${JSON.stringify(stuck)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function enrolled(n: number) {
  return createEvent(
    WorkerEnrolled,
    {
      enrolmentId: `en-${n}`,
      projectId,
      workerId: `w-${n}`,
      name: `工人${n}`,
      idHash: `hash-${n}`.padEnd(32, '0'),
      maskedIdNumber: '3301**********0001',
      teamId: 'team-1',
      teamName: '钢筋班',
      participantId: 'pa-1',
      creditCode: SUBCONTRACTOR,
      corpName: CORP_NAME,
      workType: '010',
      workRole: '20',
      isTeamLeader: false,
      credentials: { personId: `p-${n}` },
    },
    opts,
  );
}

function attendanceDay(n: number, on: string, revision: number, times: [string, string][]): AttendanceDay {
  const at = (time: string) => new Date(`${on}T${time}+08:00`).toISOString().replace('.000Z', 'Z');
  return {
    projectId,
    region,
    enrolmentId: `en-${n}`,
    workerId: `w-${n}`,
    teamId: 'team-1',
    participantId: 'pa-1',
    keyPosts: [],
    day: on,
    revision,
    status: 'present',
    calendar: { working: true, kind: 'workday', version: '2026' },
    intervals: times.map(([inAt, outAt]) => ({
      in: { at: at(inAt), direction: 'in' as const, inferred: false },
      out: { at: at(outAt), direction: 'out' as const, inferred: false },
      minutes: 60,
    })),
    workedMinutes: 60 * times.length,
    punches: 2 * times.length,
    corrections: [],
    rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
    cause: revision === 1 ? 'finalised' : 'late-punch',
  };
}

const attendance = { ...opts, source: '/realname/attendance' };
const finalised = (d: AttendanceDay) => createEvent(AttendanceDayFinalised, d, attendance);
const revised = (d: AttendanceDay) =>
  createEvent(
    AttendanceDayRevised,
    { ...d, previous: { revision: d.revision - 1, status: 'present', workedMinutes: 60 } },
    attendance,
  );

async function rows(target: string, kind: LedgerRow['kind'], key: string): Promise<LedgerRow[]> {
  return ledger.find(db, target, kind, key);
}

const zhejiangPunches = () =>
  zhejiang
    .accepted('WorkerAttendance.Add')
    .filter((a) => a.record['idCardNumber'] === idOf(1) && String(a.record['date']).startsWith(YESTERDAY))
    .map((a) => [a.record['date'], a.record['direction']]);
const provinceBPunches = () =>
  provinceB
    .accepted('attendance')
    .filter((a) => a.record['projectCode'] === projectId && a.record['idCardNumber'] === idOf(1))
    .map((a) => [a.record['checkTime'], a.record['direction']]);

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, reportingMigrations);
  zhejiang = await startZhejiangSimulator({
    projects: [{ appid: projectId, secret: zhejiangSecret }],
    asyncDelayMs: 20,
  });
  provinceB = await startProvinceBSimulator({ projects: [{ appKey, secret: provinceBSecret }] });
  const vault = new PersonalDataVault({
    keys: `k1:${randomBytes(32).toString('base64')}`,
    activeKeyId: 'k1',
    hashKey: randomBytes(32).toString('base64'),
  });
  ledger = new LedgerRepository(schema);
  credentials = new UplinkCredentialsRepository(schema, vault);
  identities = new WorkerIdentitiesRepository(schema, vault);
  handler = new UplinkRecordsHandler(
    ['zhejiang', 'province-b'],
    ledger,
    new RegistryCopiesRepository(schema),
  );
  senders = {
    zhejiang: senderOf('zhejiang', zhejiang.url),
    'province-b': senderOf('province-b', provinceB.url),
  };
  await credentials.put(db, 'zhejiang', projectId, { appid: projectId, secret: zhejiangSecret });
  await credentials.put(db, 'province-b', projectId, { appKey, secret: provinceBSecret });
  await identities.put(db, 'w-1', {
    idCardType: '01',
    idCardNumber: idOf(1),
    headImage: jpeg,
    validity: { from: '2016-03-01', to: '2036-03-01' },
  });
  // Enterprises and the project reach the province from the integrity platform, before any of ours.
  const upstream = new NationalPlatformUplink({
    endpoint: zhejiang.url,
    credentials: new NationalCredentials({ appid: projectId, secret: zhejiangSecret }),
  });
  for (const corpCode of [CONTRACTOR, SUBCONTRACTOR]) {
    const corp = await upstream.call('Corp.Upload', {
      corpCode,
      corpName: CORP_NAME,
      corpType: '150',
      areaCode: region,
    });
    expect(corp.ok).toBe(true);
  }
  const project = await upstream.call('Project.Add', {
    projectCode: projectId,
    name: '西湖区示例安置房项目',
    contractorCorpCode: CONTRACTOR,
  });
  expect(project.ok).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 50));
});

afterAll(async () => {
  await zhejiang?.close();
  await provinceB?.close();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('Zhejiang V2.0 and Province B through the ledger', () => {
  it('sends unit, team, worker and day to each target in its own shape', async () => {
    await apply(
      createEvent(
        ProjectSynced,
        {
          projectId,
          name: '西湖区示例安置房项目',
          region,
          category: '01',
          status: '003',
          address: '杭州市西湖区',
          generalContractor: { creditCode: CONTRACTOR, name: '杭州示例建设有限公司' },
          constructionOwner: { creditCode: CONTRACTOR, name: '杭州示例建设有限公司' },
          changeCursor: '1',
        },
        opts,
      ),
      createEvent(
        ParticipantJoined,
        { projectId, participantId: 'pa-1', creditCode: SUBCONTRACTOR, corpName: CORP_NAME, unitType: '009' },
        opts,
      ),
      createEvent(TeamFormed, { projectId, teamId: 'team-1', name: '钢筋班', participantId: 'pa-1' }, opts),
      enrolled(1),
      finalised(attendanceDay(1, YESTERDAY, 1, [['08:00:00', '12:00:00']])),
    );
    // Each target's ledger row is in its shape: Province B's punches carry checkTime and IN/OUT.
    const [provinceBDay] = await rows('province-b', 'attendance', dayKey(projectId, 'en-1', YESTERDAY));
    expect(provinceBDay.payload.items).toEqual([
      { checkTime: `${YESTERDAY} 08:00:00`, direction: 'IN' },
      { checkTime: `${YESTERDAY} 12:00:00`, direction: 'OUT' },
    ]);
    const [zhejiangDay] = await rows('zhejiang', 'attendance', dayKey(projectId, 'en-1', YESTERDAY));
    expect(zhejiangDay.payload.items[0]).toEqual({ date: `${YESTERDAY} 08:00:00`, direction: '01' });

    await drain();

    for (const target of ['zhejiang', 'province-b']) {
      const [day] = await rows(target, 'attendance', dayKey(projectId, 'en-1', YESTERDAY));
      expect(day.status).toBe('accepted');
    }
    // Zhejiang: the national shape plus the V2.0 worker additions read from the ID, image and validity.
    const [team] = await rows('zhejiang', 'team', teamKey(projectId, 'team-1'));
    const teamSysNo = String(team.platformKeys['teamSysNo']);
    const [worker] = zhejiang
      .accepted('ProjectWorker.Add')
      .filter((a) => a.record['projectCode'] === projectId && a.record['idCardNumber'] === idOf(1));
    expect(worker.record).toMatchObject({
      workerName: '工人1',
      gender: '1',
      headImageSuffix: 'jpg',
      cardDate: '2016-03-01~2036-03-01',
      teamSysNo,
    });
    expect(zhejiangPunches()).toEqual([
      [`${YESTERDAY} 08:00:00`, '01'],
      [`${YESTERDAY} 12:00:00`, '02'],
    ]);

    // Province B: its own teamId (issued when the team was accepted) and its punch names.
    const [pbTeam] = await rows('province-b', 'team', teamKey(projectId, 'team-1'));
    const teamId = String(pbTeam.platformKeys['teamId']);
    expect(teamId).toMatch(/^T\d{6}$/);
    expect(provinceB.accepted('subcontractor').filter((a) => a.record['projectCode'] === projectId)).toEqual([
      { resource: 'subcontractor', record: expect.objectContaining({ corpCode: SUBCONTRACTOR }) },
    ]);
    const [pbWorker] = provinceB
      .accepted('worker')
      .filter((a) => a.record['projectCode'] === projectId && a.record['idCardNumber'] === idOf(1));
    expect(pbWorker.record).toMatchObject({ teamId, workerName: '工人1', idCardType: '01' });
    expect(pbWorker.record['teamSysNo']).toBeUndefined();
    expect(provinceBPunches()).toEqual([
      [`${YESTERDAY} 08:00:00`, 'IN'],
      [`${YESTERDAY} 12:00:00`, 'OUT'],
    ]);
    expect(provinceB.accepted('attendance').every((a) => a.record['teamId'] === teamId)).toBe(true);
  });

  it('sends only the new punches of a revised day to each target', async () => {
    const zhejiangCalls = zhejiang.calls().filter((c) => c.method === 'WorkerAttendance.Add').length;
    const provinceBCalls = provinceB.calls().filter((c) => c.path === 'attendance/add').length;
    await apply(
      revised(
        attendanceDay(1, YESTERDAY, 2, [
          ['08:00:00', '12:00:00'],
          ['13:00:00', '17:00:00'],
        ]),
      ),
    );
    for (const target of ['zhejiang', 'province-b']) {
      const [first, second] = await rows(target, 'attendance', dayKey(projectId, 'en-1', YESTERDAY));
      expect(first.status).toBe('superseded');
      expect(second.itemsPresent).toEqual([0, 1]);
    }
    await drain();

    for (const target of ['zhejiang', 'province-b']) {
      const [, settled] = await rows(target, 'attendance', dayKey(projectId, 'en-1', YESTERDAY));
      expect(settled.status).toBe('accepted');
    }
    expect(zhejiangPunches().map(([date]) => date)).toEqual(
      ['08:00:00', '12:00:00', '13:00:00', '17:00:00'].map((t) => `${YESTERDAY} ${t}`),
    );
    expect(provinceBPunches()).toEqual([
      [`${YESTERDAY} 08:00:00`, 'IN'],
      [`${YESTERDAY} 12:00:00`, 'OUT'],
      [`${YESTERDAY} 13:00:00`, 'IN'],
      [`${YESTERDAY} 17:00:00`, 'OUT'],
    ]);
    // One call per target carried the two new punches: no "already exists" round trip for the old ones.
    expect(zhejiang.calls().filter((c) => c.method === 'WorkerAttendance.Add').length - zhejiangCalls).toBe(
      1,
    );
    const since = provinceB
      .calls()
      .filter((c) => c.path === 'attendance/add')
      .slice(provinceBCalls);
    expect(since.map((c) => c.code)).toEqual(['0000']);
  });

  it('holds a Zhejiang worker whose ID validity is not known, saying why; Province B does not need it', async () => {
    await identities.put(db, 'w-2', { idCardType: '01', idCardNumber: idOf(2), headImage: jpeg });
    await apply(enrolled(2));
    await drain();
    const [held] = await rows('zhejiang', 'project-worker', workerKey(projectId, 'en-2'));
    expect(held.status).toBe('pending');
    expect(held.waitingFor).toEqual(['identity:w-2']);
    expect(held.problems.map((p) => p.code)).toEqual(['target-mapping']);
    expect(held.problems[0].en).toMatch(/cardDate/);
    const [sent] = await rows('province-b', 'project-worker', workerKey(projectId, 'en-2'));
    expect(sent.status).toBe('accepted');
  });

  it("stores each target's credential shape encrypted, bumps the version on rotation, refuses another shape", async () => {
    expect((await credentials.provinceB(db, 'province-b', projectId))?.version).toBe(1);
    await credentials.put(db, 'province-b', projectId, { appKey, secret: provinceBSecret });
    const rotated = await credentials.provinceB(db, 'province-b', projectId);
    expect(rotated?.version).toBe(2);
    expect(rotated?.credentials.appKey).toBe(appKey);
    expect(JSON.stringify(rotated?.credentials)).not.toContain(provinceBSecret);
    const [stored] = await db.query<{ secret_encrypted: string }>(
      `SELECT secret_encrypted FROM ${schema}.uplink_credentials WHERE target = 'province-b'`,
    );
    expect(stored.secret_encrypted).not.toContain(provinceBSecret);
    expect((await credentials.national(db, 'zhejiang', projectId))?.credentials.appid).toBe(projectId);
    await expect(
      credentials.put(db, 'province-b', projectId, { appid: projectId, secret: zhejiangSecret }),
    ).rejects.toThrow(/appKey/);
    await expect(credentials.put(db, 'zhejiang', projectId, { appKey, secret: 'x' })).rejects.toThrow(
      /appid/,
    );
    await expect(credentials.put(db, 'hubei', projectId, { appid: 'a', secret: 'b' })).rejects.toThrow(
      /not a known uplink target/,
    );
  });
});
