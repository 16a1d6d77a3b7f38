import type { ClickHouseClient } from '@clickhouse/client';
import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  createEvent,
} from '@realname/contracts';
import { Database, EventStore, migrate, StoredEvent } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { attendanceMigrations } from '../migrations';
import { ProjectNotFound, ScopeNotServed } from '../punches/punch-queries';
import { AnalyticsQueries } from './analytics-queries';
import { connectClickHouse, migrateClickHouse } from './clickhouse';
import { ClickHouseSink } from './clickhouse-sink';

const ZHEJIANG: CallerScope = { kind: 'province', code: '330000' };

/** A month of a few workers, revisions included, through the sink into the real ClickHouse (18.16). */
describe('attendance days into ClickHouse, and the monthly analytics', () => {
  const schema = uniqueName('att_days');
  const database = uniqueName('days').toLowerCase();
  let db: Database;
  let store: EventStore;
  let client: ClickHouseClient;
  let sink: ClickHouseSink;
  let analytics: AnalyticsQueries;

  beforeAll(async () => {
    const infra = await testInfrastructure();
    db = await Database.connect({ url: infra.postgresUrl });
    await migrate(db, schema, attendanceMigrations);
    store = new EventStore(db, schema);
    client = connectClickHouse({ url: infra.clickhouseUrl, username: 'default', password: '' });
    await migrateClickHouse(client, database);
    sink = new ClickHouseSink(db, client, { schema, database, batchSize: 4, flushMs: 50 });
    analytics = new AnalyticsQueries(client, database);
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  type Who = {
    project: string;
    region: string;
    enrolment: string;
    team: string;
    unit: string;
    posts?: string[];
  };
  const A: Who = {
    project: 'P1',
    region: '330106',
    enrolment: 'en-A',
    team: 't1',
    unit: 'pa-1',
    posts: ['project-manager'],
  };
  const B: Who = {
    project: 'P1',
    region: '330106',
    enrolment: 'en-B',
    team: 't1',
    unit: 'pa-1',
    posts: ['safety-officer'],
  };
  const C: Who = { project: 'P1', region: '330106', enrolment: 'en-C', team: 't2', unit: 'pa-2' };
  const D: Who = { project: 'P2', region: '330206', enrolment: 'en-D', team: 't9', unit: 'pa-9' };
  const E: Who = { project: 'P3', region: '440305', enrolment: 'en-E', team: 't7', unit: 'pa-7' };

  function dayData(
    who: Who,
    day: string,
    status: AttendanceDay['status'],
    minutes: number,
    punches: number,
    revision = 1,
  ): AttendanceDay {
    const working = status !== 'rest';
    return {
      projectId: who.project,
      region: who.region,
      enrolmentId: who.enrolment,
      workerId: `w-${who.enrolment.slice(3)}`,
      teamId: who.team,
      participantId: who.unit,
      keyPosts: who.posts ?? [],
      day,
      revision,
      status,
      calendar: { working, kind: working ? 'workday' : 'weekend', version: 'cn-2026.1' },
      intervals: [],
      workedMinutes: minutes,
      punches,
      corrections: [],
      rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: 'example-2026.1' },
      cause: revision === 1 ? 'finalised' : 'late-punch',
    };
  }

  const stream = (d: AttendanceDay) => `timesheet-${d.projectId}-${d.enrolmentId}-${d.day}`;

  async function finalise(d: AttendanceDay): Promise<void> {
    const e = createEvent(AttendanceDayFinalised, d, {
      source: '/test',
      subject: stream(d),
      region: d.region,
    });
    await store.append(stream(d), [e], 0);
  }

  async function revise(before: AttendanceDay, after: AttendanceDay): Promise<AttendanceDay> {
    const next = { ...after, revision: before.revision + 1 };
    const e = createEvent(
      AttendanceDayRevised,
      {
        ...next,
        previous: { revision: before.revision, status: before.status, workedMinutes: before.workedMinutes },
      },
      { source: '/test', subject: stream(next), region: next.region },
    );
    await store.append(stream(next), [e], before.revision);
    return next;
  }

  async function drain(): Promise<void> {
    await eventually(
      async () => (await sink.days.poller.pollOnce()) === 0 && (await sink.days.poller.backlog()) === 0,
      { what: 'every attendance day in ClickHouse' },
    );
  }

  const P1_SHEET = {
    month: '2026-11',
    projectId: 'P1',
    teams: [
      // A: 5 days present (11-03 as revised last: 420 min); B: 2 present (600 + 300), 1 leave, 1 absent.
      {
        teamId: 't1',
        participantId: 'pa-1',
        workers: 2,
        workersPresent: 2,
        daysPresent: 7,
        leaveDays: 1,
        workedHours: 54,
      },
      {
        teamId: 't2',
        participantId: 'pa-2',
        workers: 1,
        workersPresent: 1,
        daysPresent: 1,
        leaveDays: 0,
        workedHours: 0,
      },
    ],
  };

  const PROVINCE_33 = {
    month: '2026-11',
    region: '33',
    totals: { daysPresent: 9, workers: 4, workedHours: 59, projects: 2 },
    cities: [
      { city: '330100', daysPresent: 8, workers: 3, workedHours: 54, projects: 1 },
      { city: '330200', daysPresent: 1, workers: 1, workedHours: 5, projects: 1 },
    ],
    projects: [
      { projectId: 'P1', county: '330106', city: '330100', daysPresent: 8, workers: 3, workedHours: 54 },
      { projectId: 'P2', county: '330206', city: '330200', daysPresent: 1, workers: 1, workedHours: 5 },
    ],
  };

  const KEY_PERSONS_3301 = {
    month: '2026-11',
    region: '3301',
    persons: [
      {
        projectId: 'P1',
        county: '330106',
        post: 'project-manager',
        enrolmentId: 'en-A',
        workerId: 'w-A',
        participantId: 'pa-1',
        workingDays: 5,
        daysPresent: 5,
        leaveDays: 0,
        presenceRate: 1,
      },
      {
        projectId: 'P1',
        county: '330106',
        post: 'safety-officer',
        enrolmentId: 'en-B',
        workerId: 'w-B',
        participantId: 'pa-1',
        workingDays: 4,
        daysPresent: 2,
        leaveDays: 1,
        presenceRate: 0.6667,
      },
    ],
  };

  async function expectLatestRevisionsOnly(): Promise<void> {
    expect(await analytics.teamSheet('2026-11', 'P1', ZHEJIANG)).toEqual(P1_SHEET);
    expect(await analytics.regionMonth('2026-11', '33', ZHEJIANG)).toEqual(PROVINCE_33);
    expect(await analytics.keyPersonnel('2026-11', '3301', ZHEJIANG)).toEqual(KEY_PERSONS_3301);
  }

  it('finalises, revises twice, is delivered again, and counts the latest revision of each day once', async () => {
    for (const day of ['2026-11-02', '2026-11-04', '2026-11-05', '2026-11-06'])
      await finalise(dayData(A, day, 'present', 480, 2));
    const a3 = dayData(A, '2026-11-03', 'present', 480, 2);
    await finalise(a3);
    await finalise(dayData(A, '2026-11-07', 'rest', 0, 0));
    await finalise(dayData(B, '2026-11-02', 'present', 600, 2));
    const b3 = dayData(B, '2026-11-03', 'absent', 0, 0);
    await finalise(b3);
    await finalise(dayData(B, '2026-11-04', 'leave', 0, 0));
    await finalise(dayData(B, '2026-11-05', 'absent', 0, 0));
    await finalise(dayData(C, '2026-11-02', 'incomplete', 0, 1));
    await finalise(dayData(D, '2026-11-02', 'present', 300, 2));
    await finalise(dayData(E, '2026-11-02', 'present', 500, 2));
    // Another month: not in November's figures.
    await finalise(dayData(A, '2026-12-01', 'present', 480, 2));
    await drain();

    // A's 11-03 becomes leave, then present again with less time; B's absence turns out to be presence.
    const a3v2 = await revise(a3, dayData(A, '2026-11-03', 'leave', 0, 0));
    await drain();
    const a3v3 = await revise(a3v2, dayData(A, '2026-11-03', 'present', 420, 4));
    await revise(b3, dayData(B, '2026-11-03', 'present', 300, 2));
    await drain();
    await expectLatestRevisionsOnly();

    // Crash between insert and checkpoint: every batch comes again, and is left out.
    await db.execute(`DELETE FROM ${schema}.checkpoints WHERE name = 'sink:clickhouse:days'`);
    await drain();
    const last: StoredEvent[] = (await store.readStream(stream(a3v3))).slice(1);
    expect(last.map((e) => e.type)).toEqual([AttendanceDayRevised.type, AttendanceDayRevised.type]);
    expect(await sink.days.insert(last)).toBe(0);
    await expectLatestRevisionsOnly();

    // The day table itself: one net row per person-day, revision 3 for A's 11-03, before and after merges.
    const net = async () =>
      (
        await client.query({
          query: `SELECT toString(day) AS d, revision, toInt32(sum(sign)) AS n, toInt64(sum(sign * worked_minutes)) AS m
                  FROM ${database}.attendance_days WHERE enrolment_id = 'en-A' AND day = toDate('2026-11-03')
                  GROUP BY day, revision HAVING n != 0`,
          format: 'JSONEachRow',
        })
      ).json();
    expect(await net()).toEqual([{ d: '2026-11-03', revision: 3, n: 1, m: '420' }]);
    for (const table of ['attendance_days', 'attendance_months', 'attendance_key_posts'])
      await client.command({ query: `OPTIMIZE TABLE ${database}.${table} FINAL` });
    expect(await net()).toEqual([{ d: '2026-11-03', revision: 3, n: 1, m: '420' }]);
    await expectLatestRevisionsOnly();
  });

  it('answers within the caller scope only', async () => {
    // A city sees its own projects; a project manager their project; nothing of another province.
    const ningbo: CallerScope = { kind: 'city', code: '330200' };
    expect((await analytics.regionMonth('2026-11', '33', ningbo)).projects.map((p) => p.projectId)).toEqual([
      'P2',
    ]);
    expect((await analytics.regionMonth('2026-11', '', { kind: 'project', code: 'P1' })).totals).toEqual({
      daysPresent: 8,
      workers: 3,
      workedHours: 54,
      projects: 1,
    });
    expect((await analytics.regionMonth('2026-11', '44', ZHEJIANG)).totals.daysPresent).toBe(0);
    expect(
      (await analytics.regionMonth('2026-11', '', { kind: 'province', code: '440000' })).totals.daysPresent,
    ).toBe(1);
    await expect(analytics.teamSheet('2026-11', 'P1', ningbo)).rejects.toBeInstanceOf(ProjectNotFound);
    await expect(analytics.teamSheet('2026-11', 'P9', ZHEJIANG)).rejects.toBeInstanceOf(ProjectNotFound);
    // A project in scope with no day that month: no teams, not a 404.
    expect(await analytics.teamSheet('2026-10', 'P1', ZHEJIANG)).toEqual({
      month: '2026-10',
      projectId: 'P1',
      teams: [],
    });
    expect(await analytics.teamSheet('2026-11', 'P1', { kind: 'project', code: 'P1' })).toEqual(P1_SHEET);
    expect((await analytics.keyPersonnel('2026-11', '3301', ningbo)).persons).toEqual([]);
    await expect(
      analytics.keyPersonnel('2026-11', '', { kind: 'enterprise', code: '91330106MA2H4K7N15' }),
    ).rejects.toBeInstanceOf(ScopeNotServed);
  });

  it('recognises a large batch delivered again (looked up 1000 days a query)', async () => {
    const events = Array.from({ length: 2500 }, (_, i) => {
      const d = dayData({ ...C, project: 'P7', enrolment: `en-${i}` }, '2026-10-01', 'present', 60, 2);
      return {
        ...createEvent(AttendanceDayFinalised, d, { source: '/test', subject: stream(d), region: d.region }),
        streamPosition: 1n,
        globalPosition: BigInt(i + 1),
        transactionId: 1n,
      } satisfies StoredEvent;
    });
    expect(await sink.days.insert(events)).toBe(2500);
    expect(await sink.days.insert(events)).toBe(0);
    const sheet = await analytics.teamSheet('2026-10', 'P7', ZHEJIANG);
    expect(sheet.teams).toEqual([
      {
        teamId: 't2',
        participantId: 'pa-2',
        workers: 2500,
        workersPresent: 2500,
        daysPresent: 2500,
        leaveDays: 0,
        workedHours: 2500,
      },
    ]);
  });
});
