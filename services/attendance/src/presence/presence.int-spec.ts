/**
 * Key-personnel presence and consecutive absence against a real PostgreSQL (own schema): key persons,
 * enrolments, timesheet days and punches written as the projections write them, read back through the
 * queries the REST and gRPC controllers use, in scopes of a county, cities, a province, a project and
 * enterprises.
 */
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Database, migrate } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { workingDays } from '@realname/domain-rules';
import { attendanceMigrations } from '../migrations';
import { ProjectNotFound, ScopeNotServed } from '../punches/punch-queries';
import { PresenceQueries, RegionNotFound } from './presence-queries';
import { PresenceRepository } from './presence.repository';
import { PresenceGrpcController } from './presence.grpc';

jest.setTimeout(60_000);

const schema = `att_${uniqueName('presence')}`;
const XIHU = '330106202401150001'; // Hangzhou: four key posts, 2 days of absence flagged
const BINJIANG = '330108202405200001'; // known only from a punch (no registry project yet)
const NINGBO = '330203202402010001'; // default profile: two key posts, 3 days
const GC = '91330106MA2H4K7N15'; // the general contractor's credit code
const SUB = '91330106MA2H4K7N23'; // a labour subcontractor's

const scopes = {
  xihu: { kind: 'county', code: '330106' },
  hangzhou: { kind: 'city', code: '330100' },
  ningbo: { kind: 'city', code: '330200' },
  zhejiang: { kind: 'province', code: '330000' },
  pmXihu: { kind: 'project', code: XIHU },
  gc: { kind: 'enterprise', code: GC },
  sub: { kind: 'enterprise', code: SUB },
} satisfies Record<string, CallerScope>;

const NOVEMBER = workingDays('330106', '2026-11-01', '2026-11-30');

let db: Database;
let queries: PresenceQueries;

async function project(projectId: string, region: string, name: string) {
  await db.execute(`INSERT INTO ${schema}.projects (project_id, region, name) VALUES ($1, $2, $3)`, [
    projectId,
    region,
    name,
  ]);
}

async function keyPerson(
  projectId: string,
  participantId: string,
  post: string,
  idHash: string,
  since: string,
) {
  await db.execute(
    `INSERT INTO ${schema}.key_persons (project_id, participant_id, post, id_hash, name, masked_id_number, since)
     VALUES ($1, $2, $3, $4, $5, '3301**********0011', $6)`,
    [projectId, participantId, post, idHash, `name-${idHash}`, since],
  );
}

async function enrolment(
  projectId: string,
  enrolmentId: string,
  e: {
    idHash: string;
    participantId: string;
    creditCode: string;
    enteredOn: string | null;
    exitedOn?: string;
  },
) {
  await db.execute(
    `INSERT INTO ${schema}.enrolments (enrolment_id, project_id, worker_id, name, masked_id_number, team_id, team_name,
       participant_id, credit_code, corp_name, person_id, entered_on, exited_on, id_hash)
     VALUES ($1, $2, $3, $4, '3301**********0001', 'team-1', '钢筋班', $5, $6, $7, $1, $8, $9, $10)`,
    [
      enrolmentId,
      projectId,
      `w-${enrolmentId}`,
      `工人-${enrolmentId}`,
      e.participantId,
      e.creditCode,
      e.creditCode === GC ? '杭州某某建设有限公司' : '杭州某某劳务有限公司',
      e.enteredOn,
      e.exitedOn ?? null,
      e.idHash,
    ],
  );
}

async function timesheet(projectId: string, region: string, enrolmentId: string, days: string[], st: string) {
  for (const day of days)
    await db.execute(
      `INSERT INTO ${schema}.timesheet_days (project_id, enrolment_id, day, region, worker_id, team_id, participant_id,
         revision, status, working, calendar_kind, intervals, worked_minutes, punches, corrections, cause,
         finalised_at, revised_at)
       VALUES ($1, $2, $3, $4, $5, 'team-1', 'pa', 1, $6, true, 'workday', '[]', 480, 2, '[]', 'finalised', now(), now())`,
      [projectId, enrolmentId, day, region, `w-${enrolmentId}`, st],
    );
}

async function punch(projectId: string, region: string, day: string, enrolmentId: string | null) {
  await db.execute(
    `INSERT INTO ${schema}.punches (punch_event_id, attendance_event_id, project_id, person_id, day, punched_at, direction,
       device_id, device_record_id, verify_mode, received_at, region, global_position, resolution_status,
       unresolved_reason, enrolment_id)
     VALUES ($1, $2, $3, 'p', $4, ($4::date + time '08:00') AT TIME ZONE 'Asia/Shanghai', 'in', 'gate', 'rec', 'face', now(),
       $5, 1, $6, $7, $8)`,
    [
      randomUUID(),
      randomUUID(),
      projectId,
      day,
      region,
      enrolmentId ? 'resolved' : 'unresolved',
      enrolmentId ? null : 'unknown-person',
      enrolmentId,
    ],
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, attendanceMigrations);
  queries = new PresenceQueries(new PresenceRepository(db, schema));

  await project(XIHU, '330106', '西湖区某某安置房项目');
  await project(NINGBO, '330203', '宁波某某项目');
  // Xihu: the project manager enrolled (15 days present, 2 on leave); the chief supervising engineer
  // never enrolled; the safety officer appointed at 03:00 on Tuesday 10th (the attendance day of Monday
  // 9th) and present 2-13; a post the region does not supervise.
  await keyPerson(XIHU, 'pa-gc', 'project-manager', 'h-pm', '2026-03-01T09:00:00+08:00');
  await keyPerson(XIHU, 'pa-sup', 'chief-supervising-engineer', 'h-cse', '2026-03-01T09:00:00+08:00');
  await keyPerson(XIHU, 'pa-gc', 'safety-officer', 'h-so', '2026-11-10T03:00:00+08:00');
  await keyPerson(XIHU, 'pa-gc', 'quality-inspector', 'h-qi', '2026-03-01T09:00:00+08:00');
  await enrolment(XIHU, 'en-pm', {
    idHash: 'h-pm',
    participantId: 'pa-gc',
    creditCode: GC,
    enteredOn: '2026-03-02',
  });
  await enrolment(XIHU, 'en-so', {
    idHash: 'h-so',
    participantId: 'pa-gc',
    creditCode: GC,
    enteredOn: '2026-03-02',
  });
  await timesheet(XIHU, '330106', 'en-pm', NOVEMBER.slice(0, 15), 'present');
  await timesheet(XIHU, '330106', 'en-pm', NOVEMBER.slice(15, 17), 'leave');
  await timesheet(XIHU, '330106', 'en-pm', NOVEMBER.slice(17, 18), 'absent');
  await timesheet(XIHU, '330106', 'en-so', NOVEMBER.slice(0, 10), 'present');
  // Xihu workers of the subcontractor: w1 last present Monday 16th with leave on the 18th; w2 present
  // the 19th; w3 exited the 10th; w4 punched on the 20th (not finalised yet); w5 entered the 19th.
  for (const [id, enteredOn, exitedOn] of [
    ['en-w1', '2026-11-02', undefined],
    ['en-w2', '2026-11-02', undefined],
    ['en-w3', '2026-11-02', '2026-11-10'],
    ['en-w4', '2026-11-02', undefined],
    ['en-w5', '2026-11-19', undefined],
  ] as const)
    await enrolment(XIHU, id, {
      idHash: `h-${id}`,
      participantId: 'pa-sub',
      creditCode: SUB,
      enteredOn,
      exitedOn,
    });
  await timesheet(XIHU, '330106', 'en-w1', ['2026-11-16'], 'present');
  await timesheet(XIHU, '330106', 'en-w1', ['2026-11-17'], 'absent');
  await timesheet(XIHU, '330106', 'en-w1', ['2026-11-18'], 'leave');
  await timesheet(XIHU, '330106', 'en-w2', ['2026-11-19'], 'incomplete');
  await punch(XIHU, '330106', '2026-11-20', 'en-w4');
  await punch(XIHU, '330106', '2026-11-10', null);
  // Ningbo: a project manager without enrolment, a safety officer (not a key post there), a worker never present.
  await keyPerson(NINGBO, 'pa-nb', 'project-manager', 'h-nbpm', '2026-01-01T09:00:00+08:00');
  await keyPerson(NINGBO, 'pa-nb', 'safety-officer', 'h-nbso', '2026-01-01T09:00:00+08:00');
  await enrolment(NINGBO, 'en-nb1', {
    idHash: 'h-nb1',
    participantId: 'pa-nbw',
    creditCode: SUB,
    enteredOn: '2026-11-02',
  });
  // Binjiang: attendance has a punch of it, the registry's project has not arrived.
  await punch(BINJIANG, '330108', '2026-11-02', null);
  await enrolment(BINJIANG, 'en-bj1', {
    idHash: 'h-bj1',
    participantId: 'pa-bj',
    creditCode: GC,
    enteredOn: '2026-11-02',
  });
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

const NOV = { from: '2026-11-01', to: '2026-11-30' };

describe('key-personnel presence of a project', () => {
  it("lists the region's key posts with working days, presence, leave, rate and the minimum", async () => {
    const p = await queries.projectPresence({ projectId: XIHU, ...NOV }, scopes.xihu);
    expect(p).toMatchObject({
      projectId: XIHU,
      projectName: '西湖区某某安置房项目',
      region: '330106',
      presenceMinimum: 0.8,
      keyPosts: ['project-manager', 'chief-supervising-engineer', 'safety-officer', 'technical-lead'],
    });
    expect(p.profileVersion).toContain('3301:');
    expect(
      p.persons.map((k) => [
        k.post,
        k.workingDays,
        k.daysPresent,
        k.leaveDays,
        k.presenceRate,
        k.belowMinimum,
      ]),
    ).toEqual([
      ['chief-supervising-engineer', 21, 0, 0, 0, true],
      ['project-manager', 21, 15, 2, 0.7895, true],
      // From the attendance day of the appointment (Monday 9th, 04:00 boundary): 16 working days, 5 present.
      ['safety-officer', 16, 5, 0, 0.3125, true],
    ]);
    const cse = p.persons[0];
    expect(cse).toMatchObject({ enrolled: false, entered: false, participantId: 'pa-sup', corpName: null });
    expect(p.persons[1]).toMatchObject({
      enrolled: true,
      entered: true,
      since: '2026-03-01',
      corpName: '杭州某某建设有限公司',
      name: 'name-h-pm',
      maskedIdNumber: '3301**********0011',
    });
    expect(p.persons[2].since).toBe('2026-11-09');
  });

  it("applies each region's profile: in Ningbo only the default two posts are supervised", async () => {
    const p = await queries.projectPresence({ projectId: NINGBO, ...NOV }, scopes.ningbo);
    expect(p.keyPosts).toEqual(['project-manager', 'chief-supervising-engineer']);
    expect(p.persons.map((k) => [k.post, k.enrolled, k.daysPresent])).toEqual([
      ['project-manager', false, 0],
    ]);
  });

  it('answers a project outside the scope as not found, the same as an unknown one', async () => {
    await expect(queries.projectPresence({ projectId: XIHU, ...NOV }, scopes.ningbo)).rejects.toThrow(
      ProjectNotFound,
    );
    await expect(queries.projectPresence({ projectId: NINGBO, ...NOV }, scopes.pmXihu)).rejects.toThrow(
      ProjectNotFound,
    );
    await expect(
      queries.projectPresence({ projectId: '330106209912310001', ...NOV }, scopes.zhejiang),
    ).rejects.toThrow(ProjectNotFound);
  });

  it("shows an enterprise only its own units' key posts", async () => {
    const gc = await queries.projectPresence({ projectId: XIHU, ...NOV }, scopes.gc);
    expect(gc.persons.map((k) => k.post)).toEqual(['project-manager', 'safety-officer']);
    const sub = await queries.projectPresence({ projectId: XIHU, ...NOV }, scopes.sub);
    expect(sub.persons).toEqual([]);
  });

  it('refuses a period longer than 366 days or reversed', async () => {
    await expect(
      queries.projectPresence({ projectId: XIHU, from: '2025-01-01', to: '2026-01-02' }, scopes.xihu),
    ).rejects.toThrow(/366/);
    await expect(
      queries.projectPresence({ projectId: XIHU, from: '2026-11-30', to: '2026-11-01' }, scopes.xihu),
    ).rejects.toThrow(/after/);
  });
});

describe('key-personnel presence of a region', () => {
  it('covers the projects of the region within the scope only', async () => {
    const hz = await queries.regionPresence({ region: '330100', ...NOV }, scopes.hangzhou);
    expect(hz.projects.map((p) => p.projectId)).toEqual([XIHU]);
    const zj = await queries.regionPresence({ region: '330000', ...NOV }, scopes.zhejiang);
    expect(zj.projects.map((p) => p.projectId)).toEqual([XIHU, NINGBO]);
    const nb = await queries.regionPresence({ region: '330200', ...NOV }, scopes.ningbo);
    expect(nb.projects.map((p) => p.projectId)).toEqual([NINGBO]);
  });

  it('answers a region outside the scope as not found (a city never sees another city, nor its province)', async () => {
    await expect(queries.regionPresence({ region: '330200', ...NOV }, scopes.hangzhou)).rejects.toThrow(
      RegionNotFound,
    );
    await expect(queries.regionPresence({ region: '330000', ...NOV }, scopes.hangzhou)).rejects.toThrow(
      RegionNotFound,
    );
    await expect(queries.regionPresence({ region: '330108', ...NOV }, scopes.xihu)).rejects.toThrow(
      RegionNotFound,
    );
  });

  it('gives a project manager their own project when it lies in the region, and an enterprise no region', async () => {
    const own = await queries.regionPresence({ region: '330100', ...NOV }, scopes.pmXihu);
    expect(own.projects.map((p) => p.projectId)).toEqual([XIHU]);
    await expect(queries.regionPresence({ region: '330200', ...NOV }, scopes.pmXihu)).rejects.toThrow(
      RegionNotFound,
    );
    await expect(queries.regionPresence({ region: '330100', ...NOV }, scopes.gc)).rejects.toThrow(
      ScopeNotServed,
    );
  });

  it('refuses a region that is not a six-digit code', async () => {
    await expect(queries.regionPresence({ region: '33', ...NOV }, scopes.zhejiang)).rejects.toThrow(
      /six-digit/,
    );
  });
});

describe('consecutive absence', () => {
  const ASOF = '2026-11-20';

  it("flags entered workers with the region's streak or more, longest first", async () => {
    const a = await queries.projectAbsences({ projectId: XIHU, asOf: ASOF }, scopes.xihu);
    expect(a.minDays).toBe(2);
    expect(
      a.workers.map((w) => [w.enrolmentId, w.lastPresent, w.absentSince, w.absentWorkingDays, w.leaveDays]),
    ).toEqual([
      // The safety officer: last present Friday 13th, 16-20 absent.
      ['en-so', '2026-11-13', '2026-11-14', 5, 0],
      // w1: 17, 19, 20 absent, the 18th on leave.
      ['en-w1', '2026-11-16', '2026-11-17', 3, 1],
      // w5: entered Thursday 19th, never present.
      ['en-w5', null, '2026-11-19', 2, 0],
    ]);
    // The project manager was present up to the 23rd; w2 the 19th; w3 exited; w4 punched on the 20th.
    expect(a.workers[1]).toMatchObject({ name: '工人-en-w1', teamName: '钢筋班', enteredOn: '2026-11-02' });
  });

  it('takes minDays from the query', async () => {
    const a = await queries.projectAbsences({ projectId: XIHU, asOf: ASOF, minDays: '4' }, scopes.xihu);
    expect(a.workers.map((w) => w.enrolmentId)).toEqual(['en-so']);
    await expect(
      queries.projectAbsences({ projectId: XIHU, asOf: ASOF, minDays: '0.5' }, scopes.xihu),
    ).rejects.toThrow(/minDays/);
  });

  it('refuses an asOf more than a year ahead', async () => {
    await expect(
      queries.projectAbsences({ projectId: XIHU, asOf: '9999-12-31' }, scopes.xihu),
    ).rejects.toThrow(/at most 366 days after today/);
  });

  it('shows an enterprise only its own workers', async () => {
    const a = await queries.projectAbsences({ projectId: XIHU, asOf: ASOF }, scopes.sub);
    expect(a.workers.map((w) => w.enrolmentId)).toEqual(['en-w1', 'en-w5']);
  });

  it('answers a project known only from its punches within its region', async () => {
    const a = await queries.projectAbsences({ projectId: BINJIANG, asOf: ASOF }, scopes.hangzhou);
    expect(a).toMatchObject({ region: '330108', projectName: null, minDays: 2 });
    expect(a.workers.map((w) => [w.enrolmentId, w.absentWorkingDays])).toEqual([['en-bj1', 15]]);
    await expect(queries.projectAbsences({ projectId: BINJIANG, asOf: ASOF }, scopes.xihu)).rejects.toThrow(
      ProjectNotFound,
    );
  });

  it("lists a region's projects with each region's streak; a city never sees another city's", async () => {
    const hz = await queries.regionAbsences({ region: '330100', asOf: ASOF }, scopes.hangzhou);
    expect(hz.projects.map((p) => p.projectId)).toEqual([XIHU]);
    const nb = await queries.regionAbsences({ region: '330200', asOf: ASOF }, scopes.ningbo);
    expect(
      nb.projects.map((p) => [p.projectId, p.minDays, p.workers.map((w) => w.absentWorkingDays)]),
    ).toEqual([[NINGBO, 3, [15]]]);
    await expect(queries.regionAbsences({ region: '330200', asOf: ASOF }, scopes.hangzhou)).rejects.toThrow(
      RegionNotFound,
    );
  });
});

describe('over gRPC', () => {
  const grpc = () => new PresenceGrpcController(queries);

  it('carries the same figures, empty text for what is unknown', async () => {
    const r = await grpc().projectPresenceIn(scopes.xihu, {
      projectId: XIHU,
      fromDay: NOV.from,
      toDay: NOV.to,
    });
    expect(r.presence!.persons.map((k) => [k.post, k.presenceRate, k.corpName])).toEqual([
      ['chief-supervising-engineer', 0, ''],
      ['project-manager', 0.7895, '杭州某某建设有限公司'],
      ['safety-officer', 0.3125, '杭州某某建设有限公司'],
    ]);
    const a = await grpc().projectAbsencesIn(scopes.xihu, {
      projectId: XIHU,
      asOfDay: '2026-11-20',
      minDays: 0,
    });
    expect(a.absences!.workers.map((w) => [w.enrolmentId, w.lastPresentDay])).toEqual([
      ['en-so', '2026-11-13'],
      ['en-w1', '2026-11-16'],
      ['en-w5', ''],
    ]);
  });

  it('answers a region outside the scope NOT_FOUND and a bad day INVALID_ARGUMENT', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e: RpcException) => (e.getError() as { code: number }).code,
      );
    expect(
      await code(
        grpc().regionAbsencesIn(scopes.hangzhou, { region: '330200', asOfDay: '2026-11-20', minDays: 0 }),
      ),
    ).toBe(status.NOT_FOUND);
    expect(
      await code(
        grpc().regionPresenceIn(scopes.hangzhou, {
          region: '330100',
          fromDay: '2026-02-30',
          toDay: '2026-03-01',
        }),
      ),
    ).toBe(status.INVALID_ARGUMENT);
  });
});
