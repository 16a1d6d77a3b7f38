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

  private async select<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
