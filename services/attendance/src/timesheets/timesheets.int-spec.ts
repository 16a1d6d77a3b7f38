/**
 * Timesheets against a real PostgreSQL: punches recorded by the real punch handler, enrolments kept by
 * the real registry-events handler, days finalised by the finaliser at a chosen "now", corrections and
 * leave asked for and approved through the handler the REST API uses, and the history of a day.
 */
import { createEvent, PunchRecorded, WorkerEnrolled, WorkerEntered } from '@realname/contracts';
import { Database, EventStore, migrate } from '@realname/eventstore';
import type { Caller } from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { Enrolments } from '../enrolments/enrolments';
import { RegistryEventsHandler } from '../enrolments/registry-events.handler';
import { attendanceMigrations } from '../migrations';
import { ProjectNotFound } from '../punches/punch-queries';
import { PunchResolver } from '../punches/punch-resolver';
import { RecordPunchHandler } from '../punches/record-punch.handler';
import { CorrectionRefused, CorrectionsHandler, OutsideScope } from './corrections.handler';
import { FinaliseDaysHandler } from './finalise-days.handler';
import { TimesheetQueries } from './timesheet-queries';
import { TimesheetRepository } from './timesheets.repository';

jest.setTimeout(60_000);

const run = uniqueName('ts');
const schema = `ts_${run}`;
const projectId = `3301ts${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';

const caller = (subject: string, role: Caller['roles'][number], scope: Caller['scope']): Caller => ({
  subject,
  roles: [role],
  scope,
  permissions: [],
  expiresAt: 0,
});
const manager = caller('manager-1', 'project-manager', { kind: 'project', code: projectId });
const otherManager = caller('manager-2', 'project-manager', { kind: 'project', code: 'another-project' });
const supervisor = caller('supervisor-1', 'city-supervisor', { kind: 'city', code: '330100' });
const ningbo = caller('supervisor-9', 'city-supervisor', { kind: 'city', code: '330200' });

let db: Database;
let store: EventStore;
let repo: TimesheetRepository;
let finaliser: FinaliseDaysHandler;
let punches: RecordPunchHandler;
let corrections: CorrectionsHandler;
let queries: TimesheetQueries;
let records = 0;

const registryOpts = (subject: string) => ({ source: '/realname/worker-registry', subject, region });

function punch(personId: string, localTime: string, direction: 'in' | 'out' | 'unknown') {
  records++;
  const punchedAt = new Date(`${localTime}+08:00`).toISOString();
  return createEvent(
    PunchRecorded,
    {
      deviceId: 'gate-1',
      projectId,
      region,
      deviceRecordId: `r${records}`,
      personId,
      deviceTime: localTime,
      punchedAt,
      timeZone: 'Asia/Shanghai',
      receivedAt: punchedAt,
      skewMs: 0,
      direction,
      verifyMode: 'face',
      protocol: 'open-v1',
      rawRequestId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
    },
    { source: '/realname/device-gateway', subject: 'device-gate-1', region },
  );
}

async function record(...events: ReturnType<typeof punch>[]) {
  await db.transaction((tx) => punches.handleBatch(tx, events));
}

async function day(d: string) {
  const [row] = await db.query<{ status: string; worked_minutes: number; revision: number; cause: string }>(
    `SELECT status, worked_minutes, revision, cause FROM ${schema}.timesheet_days WHERE enrolment_id = 'en-1' AND day = $1`,
    [d],
  );
  return (
    row && {
      status: row.status,
      minutes: Number(row.worked_minutes),
      revision: Number(row.revision),
      cause: row.cause,
    }
  );
}

async function publishedEvents(type: string) {
  return db.query<{ data: { day: string; revision: number } }>(
    `SELECT data FROM ${schema}.events WHERE event_type = $1 ORDER BY global_position`,
    [type],
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, attendanceMigrations);
  store = new EventStore(db, schema);
  repo = new TimesheetRepository(schema);
  finaliser = new FinaliseDaysHandler(db, store, repo, { seedDays: 62, batchSize: 3 });
  punches = new RecordPunchHandler(store, schema);
  corrections = new CorrectionsHandler(db, store, repo);
  queries = new TimesheetQueries(db, store, repo);
  const enrolments = new Enrolments(schema);
  const registry = new RegistryEventsHandler(enrolments, new PunchResolver(store, enrolments));
  await db.execute(
    `INSERT INTO ${schema}.projects (project_id, region, name) VALUES ($1, $2, '西湖某项目')`,
    [projectId, region],
  );
  await db.transaction(async (tx) => {
    await registry.handle(
      tx,
      createEvent(
        WorkerEnrolled,
        {
          enrolmentId: 'en-1',
          projectId,
          workerId: 'w-1',
          name: '工人一',
          idHash: 'hash-1'.padEnd(32, '0'),
          maskedIdNumber: '3301**********0001',
          teamId: 'team-1',
          teamName: '钢筋班',
          participantId: 'pa-1',
          creditCode: '91330106MA2XXXXXX1',
          corpName: '杭州某某劳务有限公司',
          workType: '钢筋工',
          workRole: '20',
          isTeamLeader: false,
          credentials: { personId: 'P1' },
        },
        registryOpts('enrolment-en-1'),
      ),
    );
    await registry.handle(
      tx,
      createEvent(
        WorkerEntered,
        { enrolmentId: 'en-1', projectId, workerId: 'w-1', date: '2026-11-02' },
        registryOpts('enrolment-en-1'),
      ),
    );
  });
});

afterAll(async () => {
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('a week of one worker (Hangzhou: day boundary 04:00, corrections approved by a supervisor)', () => {
  it('finalises each day once it is due: present, a night shift as one day, absent, incomplete, rest', async () => {
    await record(
      punch('P1', '2026-11-02T08:00:00', 'in'),
      punch('P1', '2026-11-02T17:00:00', 'out'),
      // a night shift: 20:00 to 06:00 next morning counts on the 3rd
      punch('P1', '2026-11-03T20:00:00', 'in'),
      punch('P1', '2026-11-04T06:00:00', 'out'),
      // the 5th: the gate missed the out
      punch('P1', '2026-11-05T08:00:00', 'in'),
      // a device without direction on the 6th: alternation
      punch('P1', '2026-11-06T08:00:00', 'unknown'),
      punch('P1', '2026-11-06T08:00:30', 'unknown'), // a double read, counted once
      punch('P1', '2026-11-06T12:00:00', 'unknown'),
    );
    // Sunday the 8th at 05:00: the 7th ended at 04:00, plus two hours' grace, is not due yet.
    const early = await finaliser.run(new Date('2026-11-08T05:00:00+08:00'));
    expect(early.published).toBe(5);
    expect(await day('2026-11-07')).toBeUndefined();

    const r = await finaliser.run(new Date('2026-11-09T12:00:00+08:00'));
    expect(r.published).toBe(2);
    expect(await day('2026-11-02')).toEqual({
      status: 'present',
      minutes: 540,
      revision: 1,
      cause: 'finalised',
    });
    expect(await day('2026-11-03')).toEqual({
      status: 'present',
      minutes: 600,
      revision: 1,
      cause: 'finalised',
    });
    expect(await day('2026-11-04')).toEqual({
      status: 'absent',
      minutes: 0,
      revision: 1,
      cause: 'finalised',
    });
    expect(await day('2026-11-05')).toEqual({
      status: 'incomplete',
      minutes: 0,
      revision: 1,
      cause: 'finalised',
    });
    expect(await day('2026-11-06')).toEqual({
      status: 'present',
      minutes: 240,
      revision: 1,
      cause: 'finalised',
    });
    expect(await day('2026-11-07')).toEqual({ status: 'rest', minutes: 0, revision: 1, cause: 'finalised' });
    expect(await day('2026-11-08')).toEqual({ status: 'rest', minutes: 0, revision: 1, cause: 'finalised' });

    // Nothing changed: nothing is published again.
    expect((await finaliser.run(new Date('2026-11-09T13:00:00+08:00'))).published).toBe(0);
  });

  it('reopens a finalised day when a backfilled punch arrives and publishes revision 2', async () => {
    await record(punch('P1', '2026-11-04T08:00:00', 'in'), punch('P1', '2026-11-04T12:00:00', 'out'));
    const r = await finaliser.run(new Date('2026-11-09T14:00:00+08:00'));
    expect(r.published).toBe(1);
    expect(await day('2026-11-04')).toEqual({
      status: 'present',
      minutes: 240,
      revision: 2,
      cause: 'late-punch',
    });
    const revised = await publishedEvents('realname.attendance.AttendanceDayRevised');
    expect(revised.map((e) => [e.data.day, e.data.revision])).toEqual([['2026-11-04', 2]]);
    expect((revised[0].data as unknown as { previous: unknown }).previous).toEqual({
      revision: 1,
      status: 'absent',
      workedMinutes: 0,
    });
    // the night shift's day kept its out
    expect(await day('2026-11-03')).toEqual({
      status: 'present',
      minutes: 600,
      revision: 1,
      cause: 'finalised',
    });
  });

  it('adds a missing out once a supervisor approves it; the day shows who, why and when', async () => {
    const asked = await corrections.request(
      manager,
      { projectId, workerId: 'w-1', day: '2026-11-05' },
      { kind: 'add-out', at: '2026-11-05T17:30:00+08:00', reason: 'gate 2 out of order after 17:00' },
      new Date('2026-11-09T15:00:00+08:00'),
    );
    expect(asked).toMatchObject({ status: 'pending', requestedBy: 'manager-1', kind: 'add-out' });
    // pending: the day does not change
    expect((await finaliser.run(new Date('2026-11-09T15:01:00+08:00'))).published).toBe(0);

    // the one who asked never approves (the REST API does not even let a project manager try)
    await expect(corrections.decide(manager, asked.correctionId, true, undefined)).rejects.toMatchObject({
      rejection: { code: 'same-person' },
    });
    await expect(corrections.decide(ningbo, asked.correctionId, true, undefined)).rejects.toBeInstanceOf(
      OutsideScope,
    );
    const approved = await corrections.decide(supervisor, asked.correctionId, true, 'checked the gate log');
    expect(approved).toMatchObject({
      status: 'approved',
      decidedBy: 'supervisor-1',
      decisionNote: 'checked the gate log',
    });
    await expect(
      corrections.decide(supervisor, asked.correctionId, false, 'changed my mind'),
    ).rejects.toBeInstanceOf(CorrectionRefused);

    expect((await finaliser.run(new Date('2026-11-09T15:02:00+08:00'))).published).toBe(1);
    expect(await day('2026-11-05')).toEqual({
      status: 'present',
      minutes: 570,
      revision: 2,
      cause: 'correction',
    });
    const shown = await queries.workerDay(projectId, 'w-1', '2026-11-05', supervisor.scope);
    expect(shown.corrections).toEqual([
      expect.objectContaining({
        reason: 'gate 2 out of order after 17:00',
        requestedBy: 'manager-1',
        decidedBy: 'supervisor-1',
      }),
    ]);
    expect(shown.intervals[0].out).toMatchObject({ correctionId: asked.correctionId, direction: 'out' });
    expect(shown.intervals[0].out?.punchEventId).toBeUndefined();
  });

  it('marks an absent day as leave once approved', async () => {
    const leave = await corrections.request(
      manager,
      { projectId, workerId: 'w-1', day: '2026-11-09' },
      { kind: 'leave', reason: 'sick leave, certificate on file' },
      new Date('2026-11-10T09:00:00+08:00'),
    );
    await corrections.decide(supervisor, leave.correctionId, true, undefined);
    await finaliser.run(new Date('2026-11-10T09:00:00+08:00'));
    expect(await day('2026-11-09')).toEqual({ status: 'leave', minutes: 0, revision: 1, cause: 'finalised' });
  });

  it('refuses corrections outside the caller scope or the day', async () => {
    await expect(
      corrections.request(
        otherManager,
        { projectId, workerId: 'w-1', day: '2026-11-05' },
        { kind: 'leave', reason: 'x' },
      ),
    ).rejects.toBeInstanceOf(OutsideScope);
    await expect(
      corrections.request(
        manager,
        { projectId, workerId: 'w-1', day: '2026-11-05' },
        { kind: 'add-in', at: '2026-11-07T08:00:00+08:00', reason: 'x' },
      ),
    ).rejects.toThrow(/cannot belong to the attendance day 2026-11-05/);
  });

  it("answers a day's whole history: punches (the night shift's out counted on the day before), revisions, corrections", async () => {
    const h = await queries.history(projectId, 'w-1', '2026-11-04', supervisor.scope);
    expect(h.revisions.map((r) => [r.revision, r.status, r.workedMinutes])).toEqual([
      [1, 'absent', 0],
      [2, 'present', 240],
    ]);
    const counted = h.punches.filter((p) => p.countedInDay).map((p) => p.punchedAt);
    expect(counted).toEqual(['2026-11-04T00:00:00.000Z', '2026-11-04T04:00:00.000Z']);
    expect(h.punches.find((p) => p.punchedAt === '2026-11-03T22:00:00.000Z')?.countedInDay).toBe(false);

    const h5 = await queries.history(projectId, 'w-1', '2026-11-05', manager.scope);
    expect(h5.corrections).toHaveLength(1);
    await expect(queries.history(projectId, 'w-1', '2026-11-05', ningbo.scope)).rejects.toBeInstanceOf(
      ProjectNotFound,
    );
  });
});
