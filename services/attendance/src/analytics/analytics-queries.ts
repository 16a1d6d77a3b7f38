import type { ClickHouseClient } from '@clickhouse/client';
import { checkDay, DayCount, InvalidQuery } from '../punches/punch-queries';
import { chIdentifier, chString } from './clickhouse';

/*
 * The SQL text of each question is built by a pure function (validation included), so the very same text
 * can be run on ClickHouse 18.16 (the local stack) and on a current engine (clickhouse-modern.int-spec.ts).
 */

/** Punches and distinct persons per day of one project (exact: FINAL collapses re-inserted rows). */
export function projectDailySql(database: string, projectId: string, from: string, to: string): string {
  chIdentifier(database);
  if (!projectId) throw new InvalidQuery('projectId', 'projectId is required');
  checkDay('from', from);
  checkDay('to', to);
  // An alias named like a column would shadow it in WHERE (ClickHouse aliases are global).
  return `SELECT toString(day) AS day_text, count() AS punches, uniqExact(person_id) AS persons
       FROM ${database}.punches FINAL
       WHERE project_id = ${chString(projectId)} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
       GROUP BY day ORDER BY day`;
}

/** Punches and distinct projects per region (administrative division) and day, for regions starting with a prefix. */
export function regionDailySql(database: string, regionPrefix: string, from: string, to: string): string {
  chIdentifier(database);
  if (!/^\d{0,6}$/.test(regionPrefix))
    throw new InvalidQuery('region', 'region must be 0-6 digits of a division code, e.g. 33 or 3301');
  checkDay('from', from);
  checkDay('to', to);
  return `SELECT region, toString(day) AS day_text, count() AS punches, uniqExact(project_id) AS projects
       FROM ${database}.punches FINAL
       WHERE region LIKE ${chString(regionPrefix + '%')} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
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
export interface RegionDay {
  region: string;
  day: string;
  punches: number;
  projects: number;
}

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

  /** Punches and distinct persons per day of one project (exact: FINAL collapses re-inserted rows). */
  async projectDaily(projectId: string, from: string, to: string): Promise<DayCount[]> {
    return toDayCounts(
      await this.select<ProjectDailyRow>(projectDailySql(this.database, projectId, from, to)),
    );
  }

  /** Punches per region (administrative division) and day, for regions starting with a prefix. */
  async regionDaily(regionPrefix: string, from: string, to: string): Promise<RegionDay[]> {
    return toRegionDays(
      await this.select<RegionDailyRow>(regionDailySql(this.database, regionPrefix, from, to)),
    );
  }

  private async select<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
