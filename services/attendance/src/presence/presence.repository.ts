import { Database } from '@realname/eventstore';
import { CallerScope, regionPrefix } from '@realname/platform';
import { visibleProject } from '../projects/project-visibility';
import type { EnteredSpan, TimesheetStatus } from './presence';

export interface ProjectRow {
  projectId: string;
  name: string | null;
  region: string;
}

export interface KeyPersonRow {
  projectId: string;
  participantId: string;
  post: string;
  name: string;
  maskedIdNumber: string;
  since: Date;
  corpName: string | null;
  enrolments: EnteredSpan[];
}

export interface KeyPersonDayRow {
  projectId: string;
  participantId: string;
  post: string;
  day: string;
  status: TimesheetStatus;
}

export interface AbsenceCandidateRow {
  projectId: string;
  enrolmentId: string;
  workerId: string;
  name: string | null;
  maskedIdNumber: string | null;
  teamId: string | null;
  teamName: string | null;
  participantId: string | null;
  corpName: string | null;
  enteredOn: string;
  lastPresent: string | null;
  leaveDays: string[];
}

/**
 * The SQL condition (over one parameter, `$n`) that keeps the enrolments (alias `e`) an enterprise
 * scope covers; a region or project scope has been applied to the project already (always true).
 */
function enrolmentScopeSql(scope: CallerScope, n: number): { sql: string; param: string | null } {
  if (scope.kind !== 'enterprise') return { sql: `($${n}::text IS NULL)`, param: null };
  return { sql: `upper(e.credit_code) = $${n}`, param: scope.code.toUpperCase() };
}

/** Every read of key-personnel presence and absence; the scope is applied here, in SQL. */
export class PresenceRepository {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  /** The project, when the scope covers it (see visibleProject). */
  visibleProject(projectId: string, scope: CallerScope): Promise<ProjectRow | undefined> {
    return visibleProject(this.db, this.schema, projectId, scope);
  }

  /**
   * The projects the registry placed in a region (a division-code LIKE prefix), within a region or
   * project scope (enterprise scopes do not read regions), by project id.
   */
  async projectsInRegion(prefix: string, scope: CallerScope): Promise<ProjectRow[]> {
    const scopePrefix = regionPrefix(scope);
    const rows = await this.db.query<{ project_id: string; name: string; region: string }>(
      `SELECT project_id, name, region FROM ${this.schema}.projects
       WHERE region LIKE $1 AND ($2::text IS NULL OR region LIKE $2) AND ($3::text IS NULL OR project_id = $3)
       ORDER BY project_id`,
      [prefix, scopePrefix ?? null, scope.kind === 'project' ? scope.code : null],
    );
    return rows.map((r) => ({ projectId: r.project_id, name: r.name, region: r.region }));
  }

  /**
   * The key persons of the projects holding one of `posts`, with their enrolments on the project (same
   * ID hash); an enterprise scope sees only the posts of its own units (the participants its
   * enrolments are through).
   */
  async keyPersons(projectIds: string[], posts: string[], scope: CallerScope): Promise<KeyPersonRow[]> {
    const s = this.schema;
    const own = enrolmentScopeSql(scope, 3);
    const rows = await this.db.query<{
      project_id: string;
      participant_id: string;
      post: string;
      name: string;
      masked_id_number: string;
      since: Date;
      corp_name: string | null;
      enrolments: { enteredOn: string | null; exitedOn: string | null }[];
    }>(
      `SELECT k.project_id, k.participant_id, k.post, k.name, k.masked_id_number, k.since,
         (SELECT e.corp_name FROM ${s}.enrolments e
           WHERE e.project_id = k.project_id AND e.participant_id = k.participant_id AND e.corp_name IS NOT NULL
           ORDER BY e.enrolment_id LIMIT 1) AS corp_name,
         COALESCE((SELECT json_agg(json_build_object(
                     'enteredOn', to_char(e.entered_on, 'YYYY-MM-DD'),
                     'exitedOn', to_char(e.exited_on, 'YYYY-MM-DD')) ORDER BY e.enrolment_id)
                   FROM ${s}.enrolments e WHERE e.project_id = k.project_id AND e.id_hash = k.id_hash),
                  '[]'::json) AS enrolments
       FROM ${s}.key_persons k
       WHERE k.project_id = ANY($1::text[]) AND k.post = ANY($2::text[])
         AND ($3::text IS NULL OR k.participant_id IN (
           SELECT e.participant_id FROM ${s}.enrolments e
            WHERE e.project_id = k.project_id AND e.participant_id IS NOT NULL AND ${own.sql}))
       ORDER BY k.project_id, k.post, k.participant_id`,
      [projectIds, posts, own.param],
    );
    return rows.map((r) => ({
      projectId: r.project_id,
      participantId: r.participant_id,
      post: r.post,
      name: r.name,
      maskedIdNumber: r.masked_id_number,
      since: r.since,
      corpName: r.corp_name,
      enrolments: r.enrolments,
    }));
  }

  /**
   * The timesheet days in the period that count for presence (present, incomplete, leave) of the key
   * persons of the projects, through any enrolment of theirs on the project (same ID hash).
   */
  async keyPersonDays(projectIds: string[], from: string, to: string): Promise<KeyPersonDayRow[]> {
    const s = this.schema;
    const rows = await this.db.query<{
      project_id: string;
      participant_id: string;
      post: string;
      day: string;
      status: TimesheetStatus;
    }>(
      `SELECT k.project_id, k.participant_id, k.post, to_char(t.day, 'YYYY-MM-DD') AS day, t.status
       FROM ${s}.key_persons k
       JOIN ${s}.enrolments e ON e.project_id = k.project_id AND e.id_hash = k.id_hash
       JOIN ${s}.timesheet_days t ON t.project_id = e.project_id AND t.enrolment_id = e.enrolment_id
       WHERE k.project_id = ANY($1::text[]) AND t.day BETWEEN $2::date AND $3::date
         AND t.status IN ('present', 'incomplete', 'leave')`,
      [projectIds, from, to],
    );
    return rows.map((r) => ({
      projectId: r.project_id,
      participantId: r.participant_id,
      post: r.post,
      day: r.day,
      status: r.status,
    }));
  }

  /**
   * The workers of the projects entered on `asOf` (entered_on on or before it, not exited before it)
   * whose streak without presence starts on or before `latestStart` (the later of the day after their
   * last day present and their entry), with their leave days in it; an enterprise scope sees only
   * its own workers. A day present is a timesheet day present or incomplete, or a resolved punch (so
   * that a day not finalised yet counts).
   */
  async absenceCandidates(
    projectIds: string[],
    asOf: string,
    latestStart: string,
    scope: CallerScope,
  ): Promise<AbsenceCandidateRow[]> {
    const s = this.schema;
    const own = enrolmentScopeSql(scope, 4);
    const rows = await this.db.query<{
      project_id: string;
      enrolment_id: string;
      worker_id: string;
      name: string | null;
      masked_id_number: string | null;
      team_id: string | null;
      team_name: string | null;
      participant_id: string | null;
      corp_name: string | null;
      entered_on: string;
      last_present: string | null;
      leave_days: string[];
    }>(
      `WITH entered AS (
         SELECT e.*, GREATEST(
             (SELECT max(t.day) FROM ${s}.timesheet_days t
               WHERE t.project_id = e.project_id AND t.enrolment_id = e.enrolment_id
                 AND t.status IN ('present', 'incomplete') AND t.day <= $2::date),
             (SELECT max(p.day) FROM ${s}.punches p
               WHERE p.enrolment_id = e.enrolment_id AND p.project_id = e.project_id
                 AND p.resolution_status = 'resolved' AND p.day <= $2::date)) AS last_present
         FROM ${s}.enrolments e
         WHERE e.project_id = ANY($1::text[]) AND e.entered_on <= $2::date
           AND (e.exited_on IS NULL OR e.exited_on >= $2::date) AND ${own.sql}
       )
       SELECT x.project_id, x.enrolment_id, x.worker_id, x.name, x.masked_id_number, x.team_id, x.team_name,
         x.participant_id, x.corp_name, to_char(x.entered_on, 'YYYY-MM-DD') AS entered_on,
         to_char(x.last_present, 'YYYY-MM-DD') AS last_present,
         ARRAY(SELECT to_char(t.day, 'YYYY-MM-DD') FROM ${s}.timesheet_days t
                WHERE t.project_id = x.project_id AND t.enrolment_id = x.enrolment_id AND t.status = 'leave'
                  AND t.day > COALESCE(x.last_present, x.entered_on - 1) AND t.day <= $2::date
                ORDER BY t.day) AS leave_days
       FROM entered x
       WHERE GREATEST(COALESCE(x.last_present + 1, x.entered_on), x.entered_on) <= $3::date
       ORDER BY x.project_id, x.enrolment_id`,
      [projectIds, asOf, latestStart, own.param],
    );
    return rows.map((r) => ({
      projectId: r.project_id,
      enrolmentId: r.enrolment_id,
      workerId: r.worker_id,
      name: r.name,
      maskedIdNumber: r.masked_id_number,
      teamId: r.team_id,
      teamName: r.team_name,
      participantId: r.participant_id,
      corpName: r.corp_name,
      enteredOn: r.entered_on,
      lastPresent: r.last_present,
      leaveDays: r.leave_days,
    }));
  }
}
