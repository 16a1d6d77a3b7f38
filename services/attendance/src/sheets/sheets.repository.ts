import type { DayStatus } from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import { CallerScope, regionPrefix } from '@realname/platform';
import { visibleProject } from '../projects/project-visibility';
import type { SheetDayRow, SheetWorkerRow } from './month-sheet';

/**
 * The caller's scope as SQL over one parameter `$n`: `project` tells whether the project is visible
 * (a region scope by the project's region, a project scope by its id, an enterprise by one of its
 * enrolments there), `enrolment` keeps the enrolments (alias `e`) the caller may see (an enterprise only
 * those through its own unit). Region from `projects`, else from the timesheets or the punches (as
 * visibleProject tells it).
 */
export function scopeSql(schema: string, scope: CallerScope, n: number, projectCol: string) {
  const prefix = regionPrefix(scope);
  if (prefix !== undefined)
    return {
      param: prefix,
      project: `(EXISTS (SELECT 1 FROM ${schema}.projects p WHERE p.project_id = ${projectCol} AND p.region LIKE $${n})
        OR EXISTS (SELECT 1 FROM ${schema}.timesheet_days t WHERE t.project_id = ${projectCol} AND t.region LIKE $${n})
        OR EXISTS (SELECT 1 FROM ${schema}.punches u WHERE u.project_id = ${projectCol} AND u.region LIKE $${n}))`,
      // Every enrolment; the parameter is still named, as PostgreSQL refuses one it is given unused.
      enrolment: `$${n}::text IS NOT NULL`,
    };
  if (scope.kind === 'project')
    return { param: scope.code, project: `${projectCol} = $${n}`, enrolment: `$${n}::text IS NOT NULL` };
  return {
    param: scope.code.toUpperCase(),
    project: `EXISTS (SELECT 1 FROM ${schema}.enrolments x WHERE x.project_id = ${projectCol} AND upper(x.credit_code) = $${n})`,
    enrolment: `upper(e.credit_code) = $${n}`,
  };
}

export interface ProjectRow {
  projectId: string;
  name: string;
  region: string | null;
}

/** Every read of the monthly team sheet: projects, team members, finalised days. */
export class SheetsRepository {
  constructor(
    private readonly db: Sql,
    private readonly schema: string,
  ) {}

  /** The project when the scope covers it, with its name (its id when unnamed) and region. */
  async visibleProject(
    projectId: string,
    scope: CallerScope,
    tx: Sql = this.db,
  ): Promise<ProjectRow | undefined> {
    const p = await visibleProject(tx, this.schema, projectId, scope);
    return p && { projectId, name: p.name ?? projectId, region: p.region };
  }

  /** The team's name when the caller sees one of its enrolments (or, beyond an enterprise, its days). */
  async visibleTeam(projectId: string, teamId: string, scope: CallerScope, tx: Sql = this.db) {
    const s = scopeSql(this.schema, scope, 3, 'e.project_id');
    const [row] = await tx.query<{ team_name: string | null }>(
      `SELECT e.team_name FROM ${this.schema}.enrolments e
        WHERE e.project_id = $1 AND e.team_id = $2 AND ${s.enrolment}
        ORDER BY e.team_name IS NULL, e.updated_at DESC LIMIT 1`,
      [projectId, teamId, s.param],
    );
    if (row) return { teamId, name: row.team_name ?? teamId };
    if (scope.kind === 'enterprise') return undefined;
    const [days] = await tx.query<{ n: number }>(
      `SELECT 1 AS n FROM ${this.schema}.timesheet_days WHERE project_id = $1 AND team_id = $2 LIMIT 1`,
      [projectId, teamId],
    );
    return days ? { teamId, name: teamId } : undefined;
  }

  /**
   * The workers of a team's month the caller may see: members entered during the month, and whoever
   * has a finalised day in the team that month (moved away since, or exited), by name.
   */
  async teamWorkers(
    q: { projectId: string; teamId: string; from: string; to: string },
    scope: CallerScope,
    tx: Sql = this.db,
  ): Promise<SheetWorkerRow[]> {
    const s = scopeSql(this.schema, scope, 5, 'e.project_id');
    const rows = await tx.query<{
      enrolment_id: string;
      worker_id: string;
      name: string;
      masked: string;
      work_type: string;
    }>(
      `SELECT e.enrolment_id, e.worker_id, COALESCE(e.name, '') AS name, COALESCE(e.masked_id_number, '') AS masked,
              COALESCE(e.work_type, '') AS work_type
         FROM ${this.schema}.enrolments e
        WHERE e.project_id = $1 AND ${s.enrolment}
          AND ((e.team_id = $2 AND e.entered_on IS NOT NULL AND e.entered_on <= $4::date
                AND (e.exited_on IS NULL OR e.exited_on >= $3::date))
            OR e.enrolment_id IN (SELECT enrolment_id FROM ${this.schema}.timesheet_days
                                   WHERE project_id = $1 AND team_id = $2 AND day BETWEEN $3::date AND $4::date))
        ORDER BY e.name, e.enrolment_id`,
      [q.projectId, q.teamId, q.from, q.to, s.param],
    );
    return rows.map((r) => ({
      enrolmentId: r.enrolment_id,
      workerId: r.worker_id,
      name: r.name,
      maskedIdNumber: r.masked,
      workType: r.work_type,
    }));
  }

  /** The finalised days (latest revision) of these enrolments in the team over the range. */
  async teamDays(
    q: { projectId: string; teamId: string; from: string; to: string; enrolmentIds: string[] },
    tx: Sql = this.db,
  ): Promise<SheetDayRow[]> {
    if (q.enrolmentIds.length === 0) return [];
    const rows = await tx.query<{
      enrolment_id: string;
      day: string;
      status: DayStatus;
      worked_minutes: number;
      revision: number;
    }>(
      `SELECT enrolment_id, to_char(day, 'YYYY-MM-DD') AS day, status, worked_minutes, revision
         FROM ${this.schema}.timesheet_days
        WHERE project_id = $1 AND team_id = $2 AND day BETWEEN $3::date AND $4::date AND enrolment_id = ANY($5::text[])
        ORDER BY enrolment_id, day`,
      [q.projectId, q.teamId, q.from, q.to, q.enrolmentIds],
    );
    return rows.map((r) => ({
      enrolmentId: r.enrolment_id,
      day: r.day,
      status: r.status,
      workedMinutes: r.worked_minutes,
      revision: r.revision,
    }));
  }
}
