/**
 * The upload ledger and its sender against a real PostgreSQL (own schema) and the in-process national
 * simulator: ledger rows made by the real event handler from registry and attendance events, sent in
 * dependency order with the real national adapter, polled, reconciled and settled.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  AttendanceRecorded,
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
import {
  NATIONAL_PROFILE,
  NationalCredentials,
  NationalPlatformUplink,
  UplinkAdapter,
} from '@realname/uplinks';
import { NationalSimulator, startNationalSimulator } from '@realname/uplink-simulators';
import { WorkerIdentitiesRepository } from '../identities/worker-identities.repository';
import { dependencyKey, LedgerRepository, LedgerRow } from '../ledger/ledger.repository';
import { reportingMigrations } from '../migrations';
import { punchKey } from '../records/attendance-punch-records';
import { dayKey, teamKey } from '../records/national-records';
import { RegistryCopiesRepository } from '../records/records.repository';
import { UplinkRecordsHandler } from '../records/uplink-records.handler';
import { UplinkCredentialsRepository } from '../uplinks/credentials.repository';
import { RoundSummary, shanghaiToday, UploadSender } from './upload-sender';

jest.setTimeout(60_000);

const run = uniqueName('up');
const schema = `up_${run}`;
const projectId = `3301up${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const secret = randomBytes(16).toString('hex');
const creditCode = (first17: string) => first17 + creditCodeCheckChar(first17);
const residentId = (first17: string) => first17 + residentIdCheckChar(first17);
const CONTRACTOR = creditCode('91330106MA2B3C4D5');
const SUBCONTRACTOR = creditCode('91330100MA27XY1A2');
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x11)]).toString(
  'base64',
);
const day = (offset: number) => shanghaiToday(new Date(Date.now() + offset * 86_400_000));
const YESTERDAY = day(-1);
const TWO_DAYS_AGO = day(-2);

let db: Database;
let simulator: NationalSimulator;
let ledger: LedgerRepository;
let handler: UplinkRecordsHandler;
let sender: UploadSender;
let credentials: UplinkCredentialsRepository;
let identities: WorkerIdentitiesRepository;
/** Another client of the same platform (the integrity platform, an earlier system of the site). */
let upstream: NationalPlatformUplink;

const opts = { source: '/realname/worker-registry', subject: 'test', region };

function adapterFor(): (projectId: string) => Promise<UplinkAdapter | undefined> {
  return async (project) => {
    const stored = await credentials.national(db, 'national', project);
    return stored && new NationalPlatformUplink({ endpoint: simulator.url, credentials: stored.credentials });
  };
}

function newSender(): UploadSender {
  return new UploadSender(db, ledger, identities, adapterFor(), {
    target: 'national',
    profile: NATIONAL_PROFILE,
    claimSize: 100,
    leaseMs: 5_000,
    backoffMs: 100,
    backoffMaxMs: 1_000,
    pollMs: 30,
    waitMs: 0,
  });
}

async function apply(...events: Parameters<UplinkRecordsHandler['handle']>[1][]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const event of events) await handler.handle(tx, event);
  });
}

/** Rounds until nothing is left to send or poll; returns the rounds' summaries. */
async function drain(limitMs = 20_000): Promise<RoundSummary[]> {
  const rounds: RoundSummary[] = [];
  const until = Date.now() + limitMs;
  for (;;) {
    rounds.push(await sender.runOnce());
    const live = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.upload_ledger WHERE status IN ('pending', 'sent')`,
    );
    if (Number(live[0].n) === 0) return rounds;
    if (Date.now() > until) {
      const stuck = await db.query(
        `SELECT kind, record_key, status, waiting_for, problems, last_error, serial_code FROM ${schema}.upload_ledger`,
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
      corpName: '杭州示例劳务有限公司',
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

const finalised = (d: AttendanceDay) =>
  createEvent(AttendanceDayFinalised, d, { ...opts, source: '/realname/attendance' });
const revised = (d: AttendanceDay) =>
  createEvent(
    AttendanceDayRevised,
    { ...d, previous: { revision: d.revision - 1, status: 'present', workedMinutes: 60 } },
    { ...opts, source: '/realname/attendance' },
  );

async function rows(kind: LedgerRow['kind'], key: string): Promise<LedgerRow[]> {
  return ledger.find(db, 'national', kind, key);
}

const punchesOf = (idCardNumber: string, on: string) =>
  simulator
    .accepted('WorkerAttendance.Add')
    .filter((a) => a.record['idCardNumber'] === idCardNumber && String(a.record['date']).startsWith(on));

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, reportingMigrations);
  simulator = await startNationalSimulator({ projects: [{ appid: projectId, secret }], asyncDelayMs: 20 });
  const vault = new PersonalDataVault({
    keys: `k1:${randomBytes(32).toString('base64')}`,
    activeKeyId: 'k1',
    hashKey: randomBytes(32).toString('base64'),
  });
  ledger = new LedgerRepository(schema);
  credentials = new UplinkCredentialsRepository(schema, vault);
  identities = new WorkerIdentitiesRepository(schema, vault);
  handler = new UplinkRecordsHandler(['national'], ledger, new RegistryCopiesRepository(schema));
  sender = newSender();
  await credentials.put(db, 'national', projectId, { appid: projectId, secret });
  for (const n of [1, 2, 3, 4]) {
    await identities.put(db, `w-${n}`, {
      idCardType: '01',
      idCardNumber: residentId(`33010619900101${String(100 + n)}`),
      headImage: jpeg,
    });
  }
  // Enterprises and the project reach the platform from the integrity platform, before any of ours.
  upstream = new NationalPlatformUplink({
    endpoint: simulator.url,
    credentials: new NationalCredentials({ appid: projectId, secret }),
  });
  for (const [corpCode, corpName] of [
    [CONTRACTOR, '杭州示例建设有限公司'],
    [SUBCONTRACTOR, '杭州示例劳务有限公司'],
  ]) {
    const corp = await upstream.call('Corp.Upload', {
      corpCode,
      corpName,
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
  // Let the queued writes of the platform settle before ours depend on them.
  await new Promise((resolve) => setTimeout(resolve, 50));
});

afterAll(async () => {
  await simulator?.close();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

const idOf = (n: number) => residentId(`33010619900101${String(100 + n)}`);

describe('uploads to the national platform through the ledger', () => {
  it('keeps a day waiting, visibly, for its team, then sends unit, team, worker and day in order', async () => {
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
      enrolled(1),
      finalised(attendanceDay(1, TWO_DAYS_AGO, 1, [['08:00:00', '12:00:00']])),
    );
    // No team yet: the worker and the day wait for it, and say so.
    await sender.runOnce();
    const [day] = await rows('attendance', dayKey(projectId, 'en-1', TWO_DAYS_AGO));
    expect(day.status).toBe('pending');
    expect(day.waitingFor).toEqual(
      expect.arrayContaining([dependencyKey('team', teamKey(projectId, 'team-1'))]),
    );
    expect(simulator.calls().filter((c) => c.method === 'WorkerAttendance.Add')).toHaveLength(0);

    await apply(
      createEvent(
        ParticipantJoined,
        {
          projectId,
          participantId: 'pa-1',
          creditCode: SUBCONTRACTOR,
          corpName: '杭州示例劳务有限公司',
          unitType: '009',
        },
        opts,
      ),
      createEvent(TeamFormed, { projectId, teamId: 'team-1', name: '钢筋班', participantId: 'pa-1' }, opts),
    );
    await drain();

    const [team] = await rows('team', teamKey(projectId, 'team-1'));
    expect(team.status).toBe('accepted');
    expect(team.platformKeys['teamSysNo']).toBeDefined();
    const [accepted] = await rows('attendance', dayKey(projectId, 'en-1', TWO_DAYS_AGO));
    expect(accepted.status).toBe('accepted');
    expect(accepted.waitingFor).toEqual([]);
    const punches = punchesOf(idOf(1), TWO_DAYS_AGO);
    expect(punches.map((p) => [p.record['date'], p.record['direction']])).toEqual([
      [`${TWO_DAYS_AGO} 08:00:00`, '01'],
      [`${TWO_DAYS_AGO} 12:00:00`, '02'],
    ]);
    expect(punches[0].record['teamSysNo']).toBe(String(team.platformKeys['teamSysNo']));
  });

  it('adopts the teamSysNo of a team the platform already holds instead of failing', async () => {
    const made = await upstream.call('Team.Add', {
      projectCode: projectId,
      corpCode: SUBCONTRACTOR,
      corpName: '杭州示例劳务有限公司',
      teamName: '木工班',
    });
    expect(made.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const found = await upstream.query('Team.Query', { projectCode: projectId, teamName: '木工班' });
    const platformTeamSysNo = found.ok ? found.page.rows[0]?.['teamSysNo'] : undefined;
    expect(platformTeamSysNo).toBeDefined();

    await apply(
      createEvent(TeamFormed, { projectId, teamId: 'team-2', name: '木工班', participantId: 'pa-1' }, opts),
    );
    await drain();
    const [team] = await rows('team', teamKey(projectId, 'team-2'));
    expect(team.status).toBe('accepted');
    expect(String(team.platformKeys['teamSysNo'])).toBe(String(platformTeamSysNo));
  });

  it('accepts a day exactly once across a replay of its events and a sender that died after the call', async () => {
    const event = finalised(attendanceDay(1, YESTERDAY, 1, [['07:30:00', '11:30:00']]));
    await apply(event);
    await apply(event); // the inbox would drop it; the ledger must not double it either
    expect(await rows('attendance', dayKey(projectId, 'en-1', YESTERDAY))).toHaveLength(1);

    // The sender sent the day, then died before writing the serial code (the lease runs out).
    const adapter = (await adapterFor()(projectId))!;
    const teamSysNo = String((await rows('team', teamKey(projectId, 'team-1')))[0].platformKeys['teamSysNo']);
    const header = { projectCode: projectId, teamSysNo };
    const item = (date: string, direction: string) => ({
      idCardType: '01',
      idCardNumber: idOf(1),
      date,
      direction,
    });
    const sent = await adapter.send({
      kind: 'attendance',
      header,
      records: [
        { kind: 'attendance', key: 'a', dependsOn: [], header, item: item(`${YESTERDAY} 07:30:00`, '01') },
        { kind: 'attendance', key: 'b', dependsOn: [], header, item: item(`${YESTERDAY} 11:30:00`, '02') },
      ],
    });
    expect(sent.outcome).toBe('submitted');
    await new Promise((resolve) => setTimeout(resolve, 50));

    await drain();
    await drain(); // a second run finds nothing to do
    const [row] = await rows('attendance', dayKey(projectId, 'en-1', YESTERDAY));
    expect(row.status).toBe('accepted');
    expect(row.itemsPresent).toEqual([0, 1]);
    expect(punchesOf(idOf(1), YESTERDAY)).toHaveLength(2);
    // The platform's "already exists" was settled by looking the punches up, not by failing the day.
    expect(simulator.calls().filter((c) => c.method === 'WorkerAttendance.Query').length).toBeGreaterThan(0);
  });

  it('re-sends a revised day: the earlier revision is superseded and only the new punches go up', async () => {
    const callsBefore = simulator.calls().filter((c) => c.method === 'WorkerAttendance.Add').length;
    await apply(
      revised(
        attendanceDay(1, YESTERDAY, 2, [
          ['07:30:00', '11:30:00'],
          ['13:00:00', '17:00:00'],
        ]),
      ),
    );
    const [first, second] = await rows('attendance', dayKey(projectId, 'en-1', YESTERDAY));
    expect(first.status).toBe('superseded');
    expect(second.itemsPresent).toEqual([0, 1]);
    await drain();

    const [, settled] = await rows('attendance', dayKey(projectId, 'en-1', YESTERDAY));
    expect(settled.status).toBe('accepted');
    expect(punchesOf(idOf(1), YESTERDAY).map((p) => p.record['date'])).toEqual([
      `${YESTERDAY} 07:30:00`,
      `${YESTERDAY} 11:30:00`,
      `${YESTERDAY} 13:00:00`,
      `${YESTERDAY} 17:00:00`,
    ]);
    // One call carried the two new punches; no "already exists" round trip for the old ones.
    expect(simulator.calls().filter((c) => c.method === 'WorkerAttendance.Add').length - callsBefore).toBe(1);
  });

  it('only delays under a rate limit and a failing platform: nothing is rejected, everything arrives', async () => {
    await apply(enrolled(2), enrolled(3));
    for (const n of [2, 3]) {
      await apply(finalised(attendanceDay(n, YESTERDAY, 1, [['08:00:00', '17:00:00']])));
    }
    simulator.setRateLimit({ callsPerSecond: 1, answer: 'busy-code' });
    simulator.failNext(2, 503);
    try {
      const rounds = await drain(30_000);
      expect(rounds.reduce((n, r) => n + r.retried, 0)).toBeGreaterThan(0);
      expect(rounds.reduce((n, r) => n + r.rejected + r.rejectedLocally, 0)).toBe(0);
    } finally {
      simulator.setRateLimit(undefined);
    }
    for (const n of [2, 3]) {
      const [row] = await rows('attendance', dayKey(projectId, `en-${n}`, YESTERDAY));
      expect(row.status).toBe('accepted');
      expect(punchesOf(idOf(n), YESTERDAY)).toHaveLength(2);
    }
  });

  it('holds a project whose secret the platform refuses, saying why, and sends once it is corrected', async () => {
    const THREE_DAYS_AGO = day(-3);
    await credentials.put(db, 'national', projectId, { appid: projectId, secret: 'x'.repeat(32) });
    try {
      await apply(finalised(attendanceDay(1, THREE_DAYS_AGO, 1, [['09:00:00', '10:00:00']])));
      await sender.runOnce();
      const [held] = await rows('attendance', dayKey(projectId, 'en-1', THREE_DAYS_AGO));
      expect(held.status).toBe('pending');
      expect(held.waitingFor).toEqual([`credentials:national/${projectId}`]);
      expect(held.problems.map((p) => p.code)).toEqual(['platform-signature-rejected']);
    } finally {
      await credentials.put(db, 'national', projectId, { appid: projectId, secret });
    }
    await drain();
    const [sent] = await rows('attendance', dayKey(projectId, 'en-1', THREE_DAYS_AGO));
    expect(sent.status).toBe('accepted');
    expect(sent.problems).toEqual([]);
    expect(punchesOf(idOf(1), THREE_DAYS_AGO)).toHaveLength(2);
  });

  it('sends a punch as it happens, and its finalised day only what the live punches did not', async () => {
    const FIVE_DAYS_AGO = day(-5);
    const punch = (id: string, time: string, direction: 'in' | 'out' | 'unknown', resolved = true) =>
      createEvent(
        AttendanceRecorded,
        {
          punchEventId: id,
          projectId,
          personId: 'p-1',
          day: FIVE_DAYS_AGO,
          punchedAt: new Date(`${FIVE_DAYS_AGO}T${time}+08:00`).toISOString(),
          direction,
          deviceId: 'gate-1',
          deviceRecordId: id,
          verifyMode: 'face',
          receivedAt: new Date().toISOString(),
          resolution: resolved
            ? {
                status: 'resolved',
                enrolmentId: 'en-1',
                workerId: 'w-1',
                teamId: 'team-1',
                participantId: 'pa-1',
              }
            : { status: 'unresolved', reason: 'unknown-person' },
        },
        { ...opts, source: '/realname/attendance' },
      );
    const [inId, outId, blindId, strangerId] = [1, 2, 3, 4].map(() => randomUUID());
    // As the consumer hands them over: one batch (a repeat within it is one record too).
    await db.transaction((tx) =>
      handler.handleBatch(tx, [
        punch(inId, '08:00:00', 'in'),
        punch(outId, '12:00:00', 'out'),
        punch(inId, '08:00:00', 'in'),
        punch(blindId, '13:00:00', 'unknown'), // no direction: it waits for its day's pairing
        punch(strangerId, '13:05:00', 'in', false), // nobody enrolled: nothing to send
      ]),
    );
    await apply(punch(inId, '08:00:00', 'in')); // a redelivery makes no second record
    expect(await rows('attendance', punchKey(projectId, 'en-1', inId))).toHaveLength(1);
    expect(await rows('attendance', punchKey(projectId, 'en-1', blindId))).toHaveLength(0);
    await drain();
    expect((await rows('attendance', punchKey(projectId, 'en-1', outId)))[0].status).toBe('accepted');
    expect(punchesOf(idOf(1), FIVE_DAYS_AGO).map((p) => [p.record['date'], p.record['direction']])).toEqual([
      [`${FIVE_DAYS_AGO} 08:00:00`, '01'],
      [`${FIVE_DAYS_AGO} 12:00:00`, '02'],
    ]);

    // The next morning the day is finalised: the blind punch paired as an in, closed at 17:00.
    const calls = simulator.calls().filter((c) => c.method === 'WorkerAttendance.Add').length;
    await apply(
      finalised(
        attendanceDay(1, FIVE_DAYS_AGO, 1, [
          ['08:00:00', '12:00:00'],
          ['13:00:00', '17:00:00'],
        ]),
      ),
    );
    const [dayRow] = await rows('attendance', dayKey(projectId, 'en-1', FIVE_DAYS_AGO));
    expect(dayRow.itemsPresent).toEqual([0, 1]);
    await drain();
    expect(punchesOf(idOf(1), FIVE_DAYS_AGO).map((p) => p.record['date'])).toEqual([
      `${FIVE_DAYS_AGO} 08:00:00`,
      `${FIVE_DAYS_AGO} 12:00:00`,
      `${FIVE_DAYS_AGO} 13:00:00`,
      `${FIVE_DAYS_AGO} 17:00:00`,
    ]);
    expect(simulator.calls().filter((c) => c.method === 'WorkerAttendance.Add').length - calls).toBe(1);
  });

  it('rejects locally, in plain Chinese and English, a day the platform would refuse', async () => {
    await apply(enrolled(4));
    await drain();
    const tomorrow = day(1);
    await apply(finalised(attendanceDay(4, tomorrow, 1, [['08:00:00', '09:00:00']])));
    const calls = simulator.calls().length;
    await drain();
    const [row] = await rows('attendance', dayKey(projectId, 'en-4', tomorrow));
    expect(row.status).toBe('rejected-locally');
    expect(row.problems.map((p) => p.code)).toContain('date-in-future');
    expect(row.problems[0].zh).toMatch(/[\u4e00-\u9fff]/);
    expect(row.problems[0].en).toMatch(/[a-z]/);
    expect(simulator.calls().length).toBe(calls);
  });

  it('lets only the round holding a row settle it: a sender whose lease ran out changes nothing', async () => {
    const FOUR_DAYS_AGO = day(-4);
    await apply(finalised(attendanceDay(1, FOUR_DAYS_AGO, 1, [['08:00:00', '09:00:00']])));
    const [slow] = (await ledger.claimDue(db, 'national', 100, 1)).filter((r) => r.kind === 'attendance');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [fresh] = (await ledger.claimDue(db, 'national', 100, 60_000)).filter(
      (r) => r.kind === 'attendance',
    );
    expect(fresh.id).toBe(slow.id);

    await ledger.markRejected(db, slow, 'rejected', [{ code: 'x', path: '', zh: '旧', en: 'stale' }]);
    expect((await rows('attendance', dayKey(projectId, 'en-1', FOUR_DAYS_AGO)))[0].status).toBe('pending');
    await ledger.markPresent(db, fresh, [0, 1], {});
    expect((await rows('attendance', dayKey(projectId, 'en-1', FOUR_DAYS_AGO)))[0].status).toBe('accepted');
  });
});
