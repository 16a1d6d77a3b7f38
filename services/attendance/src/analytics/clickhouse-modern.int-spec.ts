import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import type { CallerScope } from '@realname/platform';
import { ScopeNotServed } from '../punches/punch-queries';
import type { AttendanceDay } from '@realname/contracts';
import {
  KeyPersonRow,
  keyPersonnelSql,
  projectMonthVisibleSql,
  RegionMonthRow,
  regionMonthCitiesSql,
  regionMonthProjectsSql,
  TeamSheetRow,
  teamSheetSql,
  toKeyPersonnel,
  toRegionMonthReport,
  toTeamSheet,
  projectDailySql,
  ProjectDailyRow,
  projectVisibleSql,
  RegionDailyRow,
  regionDailySql,
  toDayCounts,
  toRegionDays,
} from './analytics-queries';
import { applyClickHouseMigrations, chDateTime, ClickHouseMigrationTarget } from './clickhouse';
import { attendanceDayRow, resolutionColumns, writtenRevisionsSql } from './clickhouse-sink';

/**
 * The local stack runs ClickHouse 18.16 (clickhouse-sink.int-spec.ts); provinces deploy current releases.
 * This runs every migration and the exact SQL text of every analytics query on a current engine embedded
 * in-process by the `chdb` package (no server, no download at run time).
 */
describe('ClickHouse SQL on a current engine (chdb)', () => {
  const database = 'attendance_modern';
  let dir: string;
  let session: Session;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'attendance-chdb-'));
    session = new Session(dir);
  });
  afterAll(() => {
    session?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = <T>(sql: string): T[] =>
    session
      .query(sql, 'JSONEachRow')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as T);

  /** The embedded engine as a migration target: migrateClickHouse's own logic, ledger included. */
  const target = (ledger = true): ClickHouseMigrationTarget => ({
    command: async (sql) => {
      session.query(sql);
    },
    appliedIds: async (db) =>
      ledger ? rows<{ id: string }>(`SELECT id FROM ${db}.schema_migrations`).map((r) => r.id) : [],
    recordApplied: async (db, id) => {
      if (ledger) session.query(`INSERT INTO ${db}.schema_migrations (id) VALUES ('${id}')`);
    },
  });

  /** One row with the column shape ClickHouseSink inserts (JSONEachRow, inserted_at left to its DEFAULT). */
  function punch(
    eventId: string,
    projectId: string,
    personId: string,
    region: string,
    day: string,
    time = '01:00:00',
  ) {
    const resolution =
      personId === 'A'
        ? resolutionColumns({
            status: 'resolved',
            enrolmentId: 'en-A',
            workerId: 'w-A',
            workerName: '王小明',
            teamName: '钢筋班',
            corpName: '某某劳务有限公司',
          })
        : resolutionColumns({ status: 'unresolved', reason: 'unknown-person' });
    return {
      event_id: eventId,
      punch_event_id: `punch-${eventId}`,
      region,
      project_id: projectId,
      person_id: personId,
      day,
      punched_at: chDateTime(`${day}T${time}.000Z`),
      direction: 'in',
      device_id: 'gate-1',
      device_record_id: eventId,
      verify_mode: 'face',
      received_at: chDateTime(`${day}T${time}.500Z`),
      ...resolution,
    };
  }

  async function insert(values: ReturnType<typeof punch>[]): Promise<void> {
    await session.insert({
      table: `${database}.punches`,
      values: values.map((v) => JSON.stringify(v)).join('\n'),
      format: 'JSONEachRow',
    });
  }

  it('runs a current ClickHouse release', () => {
    const [{ v }] = rows<{ v: string }>('SELECT version() AS v');
    expect(Number(v.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('applies every migration, and applying them again does no harm', async () => {
    const all = [
      '0001_punches',
      '0002_daily_by_region',
      '0003_daily_by_region_mv',
      '0004_punch_resolution',
      '0005_attendance_days',
      '0006_attendance_months',
      '0007_attendance_months_mv',
      '0008_attendance_key_posts',
      '0009_attendance_key_posts_mv',
      '0010_attendance_days_written',
      '0011_attendance_days_written_mv',
    ];
    expect(await applyClickHouseMigrations(target(), database)).toEqual(all);
    expect(await applyClickHouseMigrations(target(), database)).toEqual([]);
    // A replica that started at the same time and missed the ledger row: the ALTER finds its columns.
    expect(await applyClickHouseMigrations(target(false), database)).toEqual(all);
    expect(
      rows<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = 'punches' AND name LIKE '%resol%' ORDER BY name`,
      ),
    ).toEqual([
      { name: 'resolution_status', type: 'String' },
      { name: 'unresolved_reason', type: 'String' },
    ]);
    expect(
      rows(`SELECT name, engine FROM system.tables WHERE database = '${database}' ORDER BY name`),
    ).toEqual([
      { name: 'attendance_days', engine: 'VersionedCollapsingMergeTree' },
      { name: 'attendance_days_written', engine: 'ReplacingMergeTree' },
      { name: 'attendance_days_written_mv', engine: 'MaterializedView' },
      { name: 'attendance_key_posts', engine: 'SummingMergeTree' },
      { name: 'attendance_key_posts_mv', engine: 'MaterializedView' },
      { name: 'attendance_months', engine: 'SummingMergeTree' },
      { name: 'attendance_months_mv', engine: 'MaterializedView' },
      { name: 'punches', engine: 'ReplacingMergeTree' },
      { name: 'punches_daily_by_region', engine: 'SummingMergeTree' },
      { name: 'punches_daily_by_region_mv', engine: 'MaterializedView' },
      { name: 'schema_migrations', engine: 'TinyLog' },
    ]);
  });

  it('answers the analytics queries; a row inserted twice counts once', async () => {
    // Keep the duplicate in its own part so that only FINAL can collapse it.
    session.query(`SYSTEM STOP MERGES ${database}.punches`);
    const once = [
      punch('e1', 'P1', 'A', '330106', '2026-11-20', '01:00:00'),
      punch('e2', 'P1', 'B', '330106', '2026-11-20', '01:05:00'),
      punch('e3', 'P1', 'A', '330106', '2026-11-20', '10:00:00'),
      punch('e4', 'P1', 'C', '330108', '2026-11-20'),
      punch('e5', 'P1', 'A', '330106', '2026-11-21', '01:00:00'),
      punch('e6', 'P1', 'A', '330106', '2026-11-21', '10:00:00'),
      punch('e7', 'P2', 'D', '330106', '2026-11-20'),
      punch('e8', 'P3', 'E', '440305', '2026-11-20'),
      punch('e9', 'P1', 'A', '330106', '2026-12-01'),
      punch('e10', "O'Brien\\site", 'F', '330106', '2026-11-20'),
    ];
    await insert(once);
    await insert([once[0]]); // at-least-once delivery: e1 again, same event_id
    const count = (sql: string) => Number(rows<{ n: string | number }>(sql)[0].n);
    expect(count(`SELECT count() AS n FROM ${database}.punches`)).toBe(once.length + 1);
    expect(count(`SELECT count() AS n FROM ${database}.punches FINAL`)).toBe(once.length);
    // The resolution columns of migration 0004, as the sink fills them.
    expect(
      rows(
        `SELECT resolution_status, unresolved_reason, worker_name, toUInt32(count()) AS n FROM ${database}.punches FINAL
         WHERE project_id = 'P1' GROUP BY resolution_status, unresolved_reason, worker_name ORDER BY resolution_status`,
      ),
    ).toEqual([
      { resolution_status: 'resolved', unresolved_reason: '', worker_name: '王小明', n: 5 },
      { resolution_status: 'unresolved', unresolved_reason: 'unknown-person', worker_name: '', n: 2 },
    ]);

    // The exact SQL text AnalyticsQueries sends, read back through the same row mapping. UInt64 counts come
    // back as JSON numbers here (25.8+ default) where 18.16 quotes them: the mapping takes both.
    const zhejiang: CallerScope = { kind: 'province', code: '330000' };
    const guangdong: CallerScope = { kind: 'province', code: '440000' };
    const projectDaily = (projectId: string, from: string, to: string, scope = zhejiang) =>
      toDayCounts(rows<ProjectDailyRow>(projectDailySql(database, projectId, from, to, scope)));
    const regionDaily = (prefix: string, from: string, to: string, scope = zhejiang) =>
      toRegionDays(rows<RegionDailyRow>(regionDailySql(database, prefix, from, to, scope)));
    const visible = (projectId: string, scope: CallerScope) =>
      Number(rows<{ n: string | number }>(projectVisibleSql(database, projectId, scope))[0].n);

    expect(projectDaily('P1', '2026-11-01', '2026-11-30')).toEqual([
      { day: '2026-11-20', punches: 4, persons: 3 },
      { day: '2026-11-21', punches: 2, persons: 1 },
    ]);
    expect(projectDaily('P1', '2026-11-21', '2026-12-31')).toEqual([
      { day: '2026-11-21', punches: 2, persons: 1 },
      { day: '2026-12-01', punches: 1, persons: 1 },
    ]);
    // A project id with a quote and a backslash goes through chString quoting.
    expect(projectDaily("O'Brien\\site", '2026-11-01', '2026-11-30')).toEqual([
      { day: '2026-11-20', punches: 1, persons: 1 },
    ]);
    expect(projectDaily('P9', '2026-11-01', '2026-11-30')).toEqual([]);

    expect(regionDaily('3301', '2026-11-20', '2026-11-21')).toEqual([
      { region: '330106', day: '2026-11-20', punches: 5, projects: 3 },
      { region: '330106', day: '2026-11-21', punches: 2, projects: 1 },
      { region: '330108', day: '2026-11-20', punches: 1, projects: 1 },
    ]);
    expect(regionDaily('44', '2026-11-01', '2026-11-30', guangdong)).toEqual([
      { region: '440305', day: '2026-11-20', punches: 1, projects: 1 },
    ]);
    expect(regionDaily('', '2026-11-20', '2026-11-20').map((r) => r.region)).toEqual(['330106', '330108']);
    expect(regionDaily('5', '2026-11-01', '2026-11-30')).toEqual([]);

    // The caller's scope, in the same SQL: a prefix outside it gives no rows; a county sees itself only;
    // a project scope its project's rows; an enterprise scope is refused (no credit code in ClickHouse).
    expect(regionDaily('44', '2026-11-01', '2026-11-30')).toEqual([]);
    expect(regionDaily('', '2026-11-20', '2026-11-20', guangdong).map((r) => r.region)).toEqual(['440305']);
    expect(
      regionDaily('3301', '2026-11-20', '2026-11-21', { kind: 'county', code: '330108' }).map(
        (r) => r.region,
      ),
    ).toEqual(['330108']);
    expect(regionDaily('', '2026-11-20', '2026-11-20', { kind: 'project', code: 'P2' })).toEqual([
      { region: '330106', day: '2026-11-20', punches: 1, projects: 1 },
    ]);
    expect(projectDaily('P3', '2026-11-01', '2026-11-30')).toEqual([]);
    expect(projectDaily('P1', '2026-11-20', '2026-11-20', { kind: 'county', code: '330108' })).toEqual([
      { day: '2026-11-20', punches: 1, persons: 1 },
    ]);
    expect(visible('P1', zhejiang)).toBe(1);
    expect(visible('P3', zhejiang)).toBe(0);
    expect(visible('P3', guangdong)).toBe(1);
    expect(visible('P9', zhejiang)).toBe(0);
    expect(() =>
      regionDailySql(database, '', '2026-11-20', '2026-11-20', {
        kind: 'enterprise',
        code: '91330106MA2H4K7N15',
      }),
    ).toThrow(ScopeNotServed);

    // The materialized view fed the summing table on every insert, the duplicate included (as 0002 documents).
    expect(
      rows(
        `SELECT region, toString(day) AS day_text, toUInt32(sum(punches)) AS punches FROM ${database}.punches_daily_by_region
         WHERE project_id = 'P1' GROUP BY region, day ORDER BY region, day`,
      ),
    ).toEqual([
      { region: '330106', day_text: '2026-11-20', punches: 4 },
      { region: '330106', day_text: '2026-11-21', punches: 2 },
      { region: '330106', day_text: '2026-12-01', punches: 1 },
      { region: '330108', day_text: '2026-11-20', punches: 1 },
    ]);
  });

  it('keeps attendance days by revision and answers the monthly analytics', async () => {
    const day = (
      enrolmentId: string,
      d: string,
      status: AttendanceDay['status'],
      minutes: number,
      revision = 1,
    ) =>
      ({
        projectId: 'P1',
        region: '330106',
        enrolmentId,
        workerId: `w-${enrolmentId}`,
        teamId: 't1',
        participantId: 'pa-1',
        keyPosts: enrolmentId === 'A' ? ['project-manager'] : [],
        day: d,
        revision,
        status,
        calendar: { working: true, kind: 'workday', version: 'v' },
        intervals: [],
        workedMinutes: minutes,
        punches: minutes > 0 ? 2 : 0,
        corrections: [],
        rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: 'v' },
        cause: 'finalised',
      }) satisfies AttendanceDay;
    const insertDays = async (rows: ReturnType<typeof attendanceDayRow>[]) =>
      session.insert({
        table: `${database}.attendance_days`,
        values: rows.map((v) => JSON.stringify(v)).join('\n'),
        format: 'JSONEachRow',
      });
    const a1 = day('A', '2026-11-02', 'absent', 0);
    const a2 = day('A', '2026-11-02', 'present', 480, 2);
    // Revision 2 arrives in the same insert as the cancelling row of revision 1; B's day is in its own.
    await insertDays([attendanceDayRow(a1, 1)]);
    await insertDays([attendanceDayRow(a1, -1), attendanceDayRow(a2, 1)]);
    await insertDays([attendanceDayRow(day('B', '2026-11-02', 'leave', 0), 1)]);

    const zhejiang: CallerScope = { kind: 'province', code: '330000' };
    expect(
      toTeamSheet(rows<TeamSheetRow>(teamSheetSql(database, '2026-11', 'P1', zhejiang)), '2026-11', 'P1')
        .teams,
    ).toEqual([
      {
        teamId: 't1',
        participantId: 'pa-1',
        workers: 2,
        workersPresent: 1,
        daysPresent: 1,
        leaveDays: 1,
        workedHours: 8,
      },
    ]);
    const withTotals = JSON.parse(
      session.query(regionMonthCitiesSql(database, '2026-11', '33', zhejiang), 'JSON'),
    ) as {
      data: RegionMonthRow[];
      totals?: RegionMonthRow;
    };
    const report = toRegionMonthReport(
      { rows: withTotals.data, totals: withTotals.totals },
      rows<RegionMonthRow>(regionMonthProjectsSql(database, '2026-11', '33', zhejiang)),
      '2026-11',
      '33',
    );
    expect(report.projects).toEqual([
      { projectId: 'P1', county: '330106', city: '330100', daysPresent: 1, workers: 1, workedHours: 8 },
    ]);
    expect(report.totals).toEqual({ daysPresent: 1, workers: 1, workedHours: 8, projects: 1 });
    expect(report.cities).toEqual([
      { city: '330100', daysPresent: 1, workers: 1, workedHours: 8, projects: 1 },
    ]);
    expect(
      toKeyPersonnel(
        rows<KeyPersonRow>(keyPersonnelSql(database, '2026-11', '3301', zhejiang)),
        '2026-11',
        '3301',
      ).persons,
    ).toMatchObject([
      { enrolmentId: 'A', post: 'project-manager', workingDays: 1, daysPresent: 1, presenceRate: 1 },
    ]);
    expect(Number(rows<{ n: number }>(projectMonthVisibleSql(database, 'P1', zhejiang))[0].n)).toBe(1);
    expect(
      rows<{ revision: number }>(writtenRevisionsSql(database, [a1, a2, day('B', '2026-11-03', 'rest', 0)]))
        .map((r) => r.revision)
        .sort(),
    ).toEqual([1, 2]);
  });
});
