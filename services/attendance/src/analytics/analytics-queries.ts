import type { ClickHouseClient } from '@clickhouse/client';
import { AttendanceApi } from '@realname/contracts';
import { CallerScope, regionPrefix } from '@realname/platform';
import {
  checkDay,
  checkProjectId,
  DayCount,
  InvalidQuery,
  ProjectNotFound,
  ScopeNotServed,
} from '../punches/punch-queries';
import { chIdentifier, chString } from './clickhouse';

/*
 * The SQL text of each question is built by a pure function (validation included), so the very same text
 * can be run on ClickHouse 18.16 (the local stack) and on a current engine (clickhouse-modern.int-spec.ts).
 */

/**
 * The ClickHouse condition that keeps the punches of a scope: a region scope by the punch's region, a
 * project scope by its project. ClickHouse holds no enterprise (credit code) of a punch: an enterprise
 * scope is refused rather than guessed.
 */
export function punchScopeCh(scope: CallerScope): string {
  const prefix = regionPrefix(scope);
  if (prefix !== undefined) return `region LIKE ${chString(prefix)}`;
  if (scope.kind === 'project') return `project_id = ${chString(scope.code)}`;
  throw new ScopeNotServed(
    'analytics are kept by region and project only: an enterprise scope cannot be answered here; ' +
      'read the punches of your projects instead',
  );
}

/**
 * Whether the scope covers a project, as one row `{ n }` (1 or 0): the project has a punch within the
 * scope. A project ClickHouse holds nothing of reads like one outside the scope (not found).
 */
export function projectVisibleSql(database: string, projectId: string, scope: CallerScope): string {
  chIdentifier(database);
  return `SELECT count() AS n FROM (SELECT 1 FROM ${database}.punches
       WHERE project_id = ${chString(projectId)} AND ${punchScopeCh(scope)} LIMIT 1)`;
}

/** Punches and distinct persons per day of one project (exact: FINAL collapses re-inserted rows). */
export function projectDailySql(
  database: string,
  projectId: string,
  from: string,
  to: string,
  scope: CallerScope,
): string {
  chIdentifier(database);
  checkProjectId(projectId);
  checkDay('from', from);
  checkDay('to', to);
  // An alias named like a column would shadow it in WHERE (ClickHouse aliases are global).
  return `SELECT toString(day) AS day_text, count() AS punches, uniqExact(person_id) AS persons
       FROM ${database}.punches FINAL
       WHERE project_id = ${chString(projectId)} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
         AND ${punchScopeCh(scope)}
       GROUP BY day ORDER BY day`;
}

/**
 * Punches and distinct projects per region (administrative division) and day, for regions starting with
 * a prefix, within the caller's scope: a prefix outside the scope gives no rows.
 */
export function regionDailySql(
  database: string,
  regionPrefix: string,
  from: string,
  to: string,
  scope: CallerScope,
): string {
  chIdentifier(database);
  if (!/^\d{0,6}$/.test(regionPrefix))
    throw new InvalidQuery('region', 'region must be 0-6 digits of a division code, e.g. 33 or 3301');
  checkDay('from', from);
  checkDay('to', to);
  return `SELECT region, toString(day) AS day_text, count() AS punches, uniqExact(project_id) AS projects
       FROM ${database}.punches FINAL
       WHERE region LIKE ${chString(regionPrefix + '%')} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
         AND ${punchScopeCh(scope)}
       GROUP BY region, day ORDER BY region, day`;
}

/**
 * Row shapes of the two queries in JSONEachRow. 64-bit counts arrive as strings from ClickHouse 18.16 and
 * as numbers from 25.8 on (output_format_json_quote_64bit_integers now defaults to 0): accept both.
 */
export interface ProjectDailyRow {
  day_text: string;
  punches: string | number;
  persons: string | number;
}
export interface RegionDailyRow {
  region: string;
  day_text: string;
  punches: string | number;
  projects: string | number;
}
export type RegionDay = AttendanceApi.RegionDay;

export function toDayCounts(rows: ProjectDailyRow[]): DayCount[] {
  return rows.map((r) => ({ day: r.day_text, punches: Number(r.punches), persons: Number(r.persons) }));
}

export function toRegionDays(rows: RegionDailyRow[]): RegionDay[] {
  return rows.map((r) => ({
    region: r.region,
    day: r.day_text,
    punches: Number(r.punches),
    projects: Number(r.projects),
  }));
}

/*
 * Monthly attendance from the roll-ups of finalised attendance days (migrations 0005-0011). Values are
 * sign-weighted, so sums over parts not yet merged are exact; distinct counts of workers "with a day
 * present" are taken over roll-up rows, exact once merged (ADR 0016).
 */

/** The same scope as punchScopeCh, on the county column of the attendance-day tables. */
export function dayScopeCh(scope: CallerScope): string {
  const prefix = regionPrefix(scope);
  if (prefix !== undefined) return `county LIKE ${chString(prefix)}`;
  if (scope.kind === 'project') return `project_id = ${chString(scope.code)}`;
  throw new ScopeNotServed(
    'analytics are kept by region and project only: an enterprise scope cannot be answered here; ' +
      'read the timesheets of your projects instead',
  );
}

/** `2026-11` -> the SQL of its first day; anything else is a bad query. */
function monthStart(month: string): string {
  if (!AttendanceApi.AnalyticsMonth.safeParse(month).success)
    throw new InvalidQuery('month', `month must be a month YYYY-MM, got "${month}"`);
  return `toDate(${chString(month + '-01')})`;
}

function checkRegion(region: string): string {
  if (!/^\d{0,6}$/.test(region))
    throw new InvalidQuery('region', 'region must be 0-6 digits of a division code, e.g. 33 or 3301');
  return region;
}

/**
 * A month's figures per city of the regions starting with a prefix, and their totals (WITH TOTALS
 * merges the distinct counts, it does not add them: a worker in two cities is one worker). Workers are
 * counted by a 64-bit hash of their id (exact unless two of a province's ids collide, p ~ 1e-7): 3 times
 * faster than by the string on 18.16.
 */
export function regionMonthCitiesSql(
  database: string,
  month: string,
  region: string,
  scope: CallerScope,
): string {
  chIdentifier(database);
  const start = monthStart(month);
  checkRegion(region);
  return `SELECT city AS grp_key, any(county) AS county_text, sum(days_present) AS dp,
         uniqExactIf(cityHash64(worker_id), days_present > 0) AS workers, sum(worked_minutes) AS minutes,
         uniqExactIf(cityHash64(project_id), days_present > 0) AS projects
       FROM ${database}.attendance_months
       WHERE month = ${start} AND county LIKE ${chString(region + '%')} AND ${dayScopeCh(scope)}
       GROUP BY city WITH TOTALS ORDER BY city`;
}

/** A month's figures per project of the regions starting with a prefix, most days present first. */
export function regionMonthProjectsSql(
  database: string,
  month: string,
  region: string,
  scope: CallerScope,
): string {
  chIdentifier(database);
  const start = monthStart(month);
  checkRegion(region);
  return `SELECT project_id AS grp_key, any(county) AS county_text, sum(days_present) AS dp,
         uniqExactIf(cityHash64(worker_id), days_present > 0) AS workers, sum(worked_minutes) AS minutes,
         toUInt64(1) AS projects
       FROM ${database}.attendance_months
       WHERE month = ${start} AND county LIKE ${chString(region + '%')} AND ${dayScopeCh(scope)}
       GROUP BY project_id ORDER BY dp DESC, grp_key`;
}

/** One project's month per team: workers with a day in the month, days present, leave, hours. */
export function teamSheetSql(database: string, month: string, projectId: string, scope: CallerScope): string {
  chIdentifier(database);
  const start = monthStart(month);
  checkProjectId(projectId);
  return `SELECT team_id AS team, any(part) AS participant, uniqExact(wid) AS workers,
         uniqExactIf(wid, dp > 0) AS workers_present, sum(dp) AS days_present, sum(lv) AS leave_days,
         sum(wm) AS minutes
       FROM (
         SELECT team_id, enrolment_id, any(worker_id) AS wid, any(participant_id) AS part,
                sum(person_days) AS pd, sum(days_present) AS dp, sum(days_leave) AS lv, sum(worked_minutes) AS wm
         FROM ${database}.attendance_months
         WHERE month = ${start} AND project_id = ${chString(projectId)} AND ${dayScopeCh(scope)}
         GROUP BY team_id, enrolment_id
         HAVING pd > 0
       )
       GROUP BY team_id ORDER BY team_id`;
}

/** Whether the scope covers a project with attendance days in ClickHouse, as one row `{ n }` (1 or 0). */
export function projectMonthVisibleSql(database: string, projectId: string, scope: CallerScope): string {
  chIdentifier(database);
  return `SELECT count() AS n FROM (SELECT 1 FROM ${database}.attendance_months
       WHERE project_id = ${chString(projectId)} AND ${dayScopeCh(scope)} LIMIT 1)`;
}

/** Key persons of the region's projects in a month: working days with the post, present, leave. */
export function keyPersonnelSql(database: string, month: string, region: string, scope: CallerScope): string {
  chIdentifier(database);
  const start = monthStart(month);
  checkRegion(region);
  return `SELECT project_id AS pid, any(county) AS county_text, key_post AS post, enrolment_id AS eid,
         any(worker_id) AS wid, any(participant_id) AS part, sum(days_working) AS working_days,
         sum(days_present_working) AS present_days, sum(days_leave_working) AS leave_days
       FROM ${database}.attendance_key_posts
       WHERE month = ${start} AND county LIKE ${chString(region + '%')} AND ${dayScopeCh(scope)}
       GROUP BY project_id, key_post, enrolment_id
       HAVING working_days != 0 OR sum(days_present) != 0
       ORDER BY county_text, pid, post, eid`;
}

type Int = string | number;
/** A row of regionMonthCitiesSql (a city; the totals row has an empty key) or regionMonthProjectsSql. */
export interface RegionMonthRow {
  grp_key: string;
  county_text: string;
  dp: Int;
  workers: Int;
  minutes: Int;
  projects: Int;
}
export interface TeamSheetRow {
  team: string;
  participant: string;
  workers: Int;
  workers_present: Int;
  days_present: Int;
  leave_days: Int;
  minutes: Int;
}
export interface KeyPersonRow {
  pid: string;
  county_text: string;
  post: string;
  eid: string;
  wid: string;
  part: string;
  working_days: Int;
  present_days: Int;
  leave_days: Int;
}

const hours = (minutes: Int) => Math.round((Number(minutes) / 60) * 100) / 100;

/**
 * The report from the two queries' rows. `totals` is the WITH TOTALS row of the cities (absent when no
 * row matched). Figures are sign-weighted sums, exact at all times; a worker counts where a roll-up row
 * has days present, so one whose only day present was revised away counts until ClickHouse merges.
 */
export function toRegionMonthReport(
  cities: { rows: RegionMonthRow[]; totals?: RegionMonthRow },
  projects: RegionMonthRow[],
  month: string,
  region: string,
): AttendanceApi.RegionMonthReport {
  const figures = (r: RegionMonthRow) => ({
    daysPresent: Number(r.dp),
    workers: Number(r.workers),
    workedHours: hours(r.minutes),
  });
  const t = cities.totals;
  return {
    month,
    region,
    totals:
      t && cities.rows.length > 0
        ? { ...figures(t), projects: Number(t.projects) }
        : { daysPresent: 0, workers: 0, workedHours: 0, projects: 0 },
    cities: cities.rows.map((r) => ({ city: r.grp_key, ...figures(r), projects: Number(r.projects) })),
    projects: projects.map((r) => ({
      projectId: r.grp_key,
      county: r.county_text,
      city: r.county_text.slice(0, 4) + '00',
      ...figures(r),
    })),
  };
}

export function toTeamSheet(
  rows: TeamSheetRow[],
  month: string,
  projectId: string,
): AttendanceApi.ProjectTeamSheet {
  return {
    month,
    projectId,
    teams: rows.map((r) => ({
      teamId: r.team,
      participantId: r.participant,
      workers: Number(r.workers),
      workersPresent: Number(r.workers_present),
      daysPresent: Number(r.days_present),
      leaveDays: Number(r.leave_days),
      workedHours: hours(r.minutes),
    })),
  };
}

export function toKeyPersonnel(
  rows: KeyPersonRow[],
  month: string,
  region: string,
): AttendanceApi.RegionKeyPersonnelMonth {
  return {
    month,
    region,
    persons: rows.map((r) => {
      const [working, present, leave] = [
        Number(r.working_days),
        Number(r.present_days),
        Number(r.leave_days),
      ];
      const countable = working - leave;
      return {
        projectId: r.pid,
        county: r.county_text,
        post: r.post,
        enrolmentId: r.eid,
        workerId: r.wid,
        participantId: r.part,
        workingDays: working,
        daysPresent: present,
        leaveDays: leave,
        presenceRate: countable > 0 ? Math.round((present / countable) * 10_000) / 10_000 : null,
      };
    }),
  };
}

/** Province-wide questions answered from ClickHouse. */
export class AnalyticsQueries {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {
    chIdentifier(database);
  }

  /**
   * Punches and distinct persons per day of one project (exact: FINAL collapses re-inserted rows); a
   * project outside the scope, or one ClickHouse holds nothing of, is not found.
   */
  async projectDaily(projectId: string, from: string, to: string, scope: CallerScope): Promise<DayCount[]> {
    const query = projectDailySql(this.database, projectId, from, to, scope);
    // A project manager's own project is known from the token; any other scope needs a punch in scope.
    const visible =
      scope.kind === 'project'
        ? projectId === scope.code
        : Number(
            (await this.select<{ n: string | number }>(projectVisibleSql(this.database, projectId, scope)))[0]
              ?.n ?? 0,
          ) > 0;
    if (!visible) throw new ProjectNotFound(projectId);
    return toDayCounts(await this.select<ProjectDailyRow>(query));
  }

  /** Punches per region (administrative division) and day, for regions starting with a prefix, in scope. */
  async regionDaily(
    regionPrefix: string,
    from: string,
    to: string,
    scope: CallerScope,
  ): Promise<RegionDay[]> {
    return toRegionDays(
      await this.select<RegionDailyRow>(regionDailySql(this.database, regionPrefix, from, to, scope)),
    );
  }

  /** A month's report by city and by project for regions starting with a prefix, within the scope. */
  async regionMonth(
    month: string,
    region: string,
    scope: CallerScope,
  ): Promise<AttendanceApi.RegionMonthReport> {
    // Two scans of the month's roll-up, side by side: grouping both ways in one query costs more on 18.16.
    const [cities, projects] = await Promise.all([
      this.selectWithTotals<RegionMonthRow>(regionMonthCitiesSql(this.database, month, region, scope)),
      this.select<RegionMonthRow>(regionMonthProjectsSql(this.database, month, region, scope)),
    ]);
    return toRegionMonthReport(cities, projects, month, region);
  }

  /**
   * One project's month per team; a project outside the scope, or one ClickHouse holds no attendance
   * day of, is not found.
   */
  async teamSheet(
    month: string,
    projectId: string,
    scope: CallerScope,
  ): Promise<AttendanceApi.ProjectTeamSheet> {
    const rows = await this.select<TeamSheetRow>(teamSheetSql(this.database, month, projectId, scope));
    if (rows.length === 0) {
      const [v] = await this.select<{ n: Int }>(projectMonthVisibleSql(this.database, projectId, scope));
      if (Number(v?.n ?? 0) === 0) throw new ProjectNotFound(projectId);
    }
    return toTeamSheet(rows, month, projectId);
  }

  /** Key persons' presence in a month for the projects of regions starting with a prefix, in scope. */
  async keyPersonnel(
    month: string,
    region: string,
    scope: CallerScope,
  ): Promise<AttendanceApi.RegionKeyPersonnelMonth> {
    return toKeyPersonnel(
      await this.select<KeyPersonRow>(keyPersonnelSql(this.database, month, region, scope)),
      month,
      region,
    );
  }

  private async selectWithTotals<T>(query: string): Promise<{ rows: T[]; totals?: T }> {
    const answer = await (await this.client.query({ query, format: 'JSON' })).json<T>();
    return { rows: answer.data, totals: answer.totals };
  }

  private async select<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
