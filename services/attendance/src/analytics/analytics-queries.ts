import type { ClickHouseClient } from '@clickhouse/client';
import { checkDay, DayCount, InvalidQuery } from '../punches/punch-queries';
import { chIdentifier, chString } from './clickhouse';

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
    if (!projectId) throw new InvalidQuery('projectId', 'projectId is required');
    checkDay('from', from);
    checkDay('to', to);
    const rows = await this.select<{ day_text: string; punches: string; persons: string }>(
      // An alias named like a column would shadow it in WHERE (ClickHouse aliases are global).
      `SELECT toString(day) AS day_text, count() AS punches, uniqExact(person_id) AS persons
       FROM ${this.database}.punches FINAL
       WHERE project_id = ${chString(projectId)} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
       GROUP BY day ORDER BY day`,
    );
    return rows.map((r) => ({ day: r.day_text, punches: Number(r.punches), persons: Number(r.persons) }));
  }

  /** Punches per region (administrative division) and day, for regions starting with a prefix. */
  async regionDaily(regionPrefix: string, from: string, to: string): Promise<{ region: string; day: string; punches: number; projects: number }[]> {
    if (!/^\d{0,6}$/.test(regionPrefix)) throw new InvalidQuery('region', 'region must be 0-6 digits of a division code, e.g. 33 or 3301');
    checkDay('from', from);
    checkDay('to', to);
    const rows = await this.select<{ region: string; day_text: string; punches: string; projects: string }>(
      `SELECT region, toString(day) AS day_text, count() AS punches, uniqExact(project_id) AS projects
       FROM ${this.database}.punches FINAL
       WHERE region LIKE ${chString(regionPrefix + "%")} AND day >= toDate(${chString(from)}) AND day <= toDate(${chString(to)})
       GROUP BY region, day ORDER BY region, day`,
    );
    return rows.map((r) => ({ region: r.region, day: r.day_text, punches: Number(r.punches), projects: Number(r.projects) }));
  }

  private async select<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
