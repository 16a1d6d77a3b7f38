import { AttendanceApi, ResolutionStatus, UnresolvedReason } from '@realname/contracts';
import { Database } from '@realname/eventstore';
import { z } from 'zod';
import { CallerScope, regionPrefix } from '@realname/platform';

/** The answers, as the REST API documents them (the gRPC answers carry the same fields). */
export type PunchView = AttendanceApi.PunchView;
export type PunchPage = AttendanceApi.PunchPage;
export type UnresolvedPunchPage = AttendanceApi.UnresolvedPunchPage;
export type DayCount = AttendanceApi.DayCount;

export class InvalidQuery extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidQuery';
  }
}

/**
 * The project is not one the caller's scope covers, or attendance knows nothing of it: one answer for
 * both (404 / NOT_FOUND), so a caller cannot tell a project outside its scope from one that does not exist.
 */
export class ProjectNotFound extends Error {
  constructor(readonly projectId: string) {
    super(`no attendance of project ${projectId} within your scope`);
    this.name = 'ProjectNotFound';
  }
}

/** The question cannot be answered for this kind of scope (the data lacks the field the scope is about). */
export class ScopeNotServed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeNotServed';
  }
}

const MAX_RANGE_DAYS = 366;

/** A calendar day that exists (not 2026-02-30, not year 0: PostgreSQL would refuse it). */
export function checkDay(field: string, value: string | undefined): string {
  if (!AttendanceApi.LocalDay.safeParse(value).success) {
    throw new InvalidQuery(field, `${field} must be a date YYYY-MM-DD, got "${value ?? ''}"`);
  }
  return value!;
}

/** A project id: present, and without control characters (PostgreSQL text cannot hold NUL). */
export function checkProjectId(value: string | undefined): string {
  if (!value) throw new InvalidQuery('projectId', 'projectId is required');
  if (!AttendanceApi.ProjectIdParam.safeParse(value).success)
    throw new InvalidQuery('projectId', 'projectId must not contain control characters');
  return value;
}

/** The page size as sent (a whole number 1-1000), or undefined for the default. */
export function checkPageSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = AttendanceApi.PageSize.safeParse(value);
  if (!/^\d+$/.test(value) || !parsed.success)
    throw new InvalidQuery('pageSize', `pageSize must be a whole number 1-1000, got "${value}"`);
  return parsed.data;
}

/** `resolved`, `unresolved`, or nothing (every punch). */
export function checkResolution(field: string, value: string | undefined): ResolutionStatus | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = ResolutionStatus.safeParse(value);
  if (!parsed.success)
    throw new InvalidQuery(field, `${field} must be resolved or unresolved, got "${value}"`);
  return parsed.data;
}

function checkRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
  checkDay('from', from);
  checkDay('to', to);
  if (from! > to!) throw new InvalidQuery('from', 'from must not be after to');
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_RANGE_DAYS)
    throw new InvalidQuery('to', `the range may span at most ${MAX_RANGE_DAYS} days`);
  return { from: from!, to: to! };
}

const PUNCH_COLUMNS = `punch_event_id, project_id, person_id, to_char(day, 'YYYY-MM-DD') AS day, punched_at, direction,
  device_id, device_record_id, verify_mode, received_at, global_position::text AS global_position, resolution_status,
  unresolved_reason, enrolment_id, worker_id, worker_name, masked_id_number, team_id, team_name, participant_id,
  corp_name, work_type`;

type Row = Record<string, string | Date | null>;

/**
 * The SQL condition (over one parameter, `$n`) that keeps the punches (`punches` columns, unqualified)
 * of a scope: a region scope by the punch's region, a project scope by its project, an enterprise scope
 * by the unit (credit code) of the enrolment the punch resolved or matched to.
 */
export function punchScopeSql(schema: string, scope: CallerScope, n: number): { sql: string; param: string } {
  const prefix = regionPrefix(scope);
  if (prefix !== undefined) return { sql: `region LIKE $${n}`, param: prefix };
  if (scope.kind === 'project') return { sql: `project_id = $${n}`, param: scope.code };
  return {
    sql: `enrolment_id IN (SELECT enrolment_id FROM ${schema}.enrolments WHERE upper(credit_code) = $${n})`,
    param: scope.code.toUpperCase(),
  };
}

/** Reads of the attendance read model in PostgreSQL, shared by REST and gRPC. */
export class PunchQueries {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  /** The punches of a project in the caller's scope on one day; a project outside it is not found. */
  async listPunches(
    q: {
      projectId: string;
      day: string;
      personId?: string;
      resolution?: string;
      pageSize?: number;
      pageToken?: string;
    },
    scope: CallerScope,
  ): Promise<PunchPage> {
    checkProjectId(q.projectId);
    checkDay('day', q.day);
    if (q.personId?.includes('\u0000'))
      throw new InvalidQuery('personId', 'personId must not contain a NUL character');
    const resolution = checkResolution('resolution', q.resolution) ?? null;
    await this.requireProject(q.projectId, scope);
    const inScope = punchScopeSql(this.schema, scope, 5);
    // $1 project, $2 day, $3 person or null, $4 resolution or null, $5 scope.
    const where = `project_id = $1 AND day = $2 AND ($3::text IS NULL OR person_id = $3)
      AND ($4::text IS NULL OR resolution_status = $4) AND ${inScope.sql}`;
    return this.page(where, [q.projectId, q.day, q.personId || null, resolution, inScope.param], q);
  }

  /** Unresolved punches of a project over a range of days, with how many there are for each reason. */
  async unresolvedPunches(
    q: {
      projectId: string;
      from: string;
      to: string;
      reason?: string;
      pageSize?: number;
      pageToken?: string;
    },
    scope: CallerScope,
  ): Promise<UnresolvedPunchPage> {
    checkProjectId(q.projectId);
    const { from, to } = checkRange(q.from, q.to);
    let reason: UnresolvedReason | null = null;
    if (q.reason) {
      const parsed = UnresolvedReason.safeParse(q.reason);
      if (!parsed.success)
        throw new InvalidQuery('reason', `reason must be one of ${UnresolvedReason.options.join(', ')}`);
      reason = parsed.data;
    }
    await this.requireProject(q.projectId, scope);
    const inScope = punchScopeSql(this.schema, scope, 5);
    // $1 project, $2 from, $3 to, $4 reason or null, $5 scope.
    const where = `project_id = $1 AND day BETWEEN $2::date AND $3::date AND resolution_status = 'unresolved'
      AND ($4::text IS NULL OR unresolved_reason = $4) AND ${inScope.sql}`;
    const page = await this.page(where, [q.projectId, from, to, reason, inScope.param], q);
    const countScope = punchScopeSql(this.schema, scope, 4);
    const counts = await this.db.query<{ reason: string; n: string }>(
      `SELECT unresolved_reason AS reason, count(*)::text AS n FROM ${this.schema}.punches
       WHERE project_id = $1 AND day BETWEEN $2::date AND $3::date AND resolution_status = 'unresolved'
         AND ${countScope.sql}
       GROUP BY unresolved_reason`,
      [q.projectId, from, to, countScope.param],
    );
    const reasons = Object.fromEntries(UnresolvedReason.options.map((r) => [r, 0])) as Record<
      UnresolvedReason,
      number
    >;
    for (const c of counts) reasons[c.reason as UnresolvedReason] = Number(c.n);
    return { ...page, reasons };
  }

  async countPerDay(
    q: { projectId: string; fromDay: string; toDay: string },
    scope: CallerScope,
  ): Promise<DayCount[]> {
    checkProjectId(q.projectId);
    checkDay('from', q.fromDay);
    checkDay('to', q.toDay);
    if (q.fromDay > q.toDay) throw new InvalidQuery('from', 'from must not be after to');
    await this.requireProject(q.projectId, scope);
    const inScope = punchScopeSql(this.schema, scope, 4);
    // person_days knows neither region nor unit: a region or project scope covers the whole (visible)
    // project, an enterprise only its own workers' punches, so those are counted from the punches.
    const rows = await this.db.query<{ day: string; punches: string; persons: string }>(
      scope.kind === 'enterprise'
        ? `SELECT to_char(day, 'YYYY-MM-DD') AS day, count(*)::text AS punches,
             count(DISTINCT person_id)::text AS persons
           FROM ${this.schema}.punches
           WHERE project_id = $1 AND day BETWEEN $2 AND $3 AND ${inScope.sql}
           GROUP BY day ORDER BY day`
        : `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(punches)::text AS punches, count(*)::text AS persons
           FROM ${this.schema}.person_days
           WHERE project_id = $1 AND day BETWEEN $2 AND $3
             AND EXISTS (SELECT 1 FROM ${this.schema}.punches WHERE project_id = $1 AND ${inScope.sql})
           GROUP BY day ORDER BY day`,
      [q.projectId, q.fromDay, q.toDay, inScope.param],
    );
    return rows.map((r) => ({ day: r.day, punches: Number(r.punches), persons: Number(r.persons) }));
  }

  /**
   * Throws {@link ProjectNotFound} unless the scope covers the project: a region scope when the project
   * has a punch in that region, a project scope when it is that project, an enterprise scope when one of
   * the project's enrolments is through that enterprise. A project attendance holds nothing of is not
   * found either (the same answer), except for its own project manager.
   */
  private async requireProject(projectId: string, scope: CallerScope): Promise<void> {
    let visible: boolean;
    if (scope.kind === 'project') {
      visible = projectId === scope.code;
    } else if (scope.kind === 'enterprise') {
      const [row] = await this.db.query<{ visible: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.schema}.enrolments
           WHERE project_id = $1 AND upper(credit_code) = $2) AS visible`,
        [projectId, scope.code.toUpperCase()],
      );
      visible = row.visible;
    } else {
      const inScope = punchScopeSql(this.schema, scope, 2);
      const [row] = await this.db.query<{ visible: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${this.schema}.punches WHERE project_id = $1 AND ${inScope.sql}) AS visible`,
        [projectId, inScope.param],
      );
      visible = row.visible;
    }
    if (!visible) throw new ProjectNotFound(projectId);
  }

  /** One page of punches matching `where` (over five parameters), oldest first, with the total. */
  private async page(
    where: string,
    params: unknown[],
    q: { pageSize?: number; pageToken?: string },
  ): Promise<PunchPage> {
    const pageSize = Math.min(Math.max(q.pageSize || 100, 1), 1000);
    let after: { t: string; id: string } | undefined;
    if (q.pageToken) {
      try {
        after = JSON.parse(Buffer.from(q.pageToken, 'base64url').toString('utf8'));
        // Both go into SQL as timestamptz and uuid: anything else is not a token this service issued.
        if (
          !z.string().datetime().safeParse(after?.t).success ||
          !z.string().uuid().safeParse(after?.id).success
        )
          throw new Error();
      } catch {
        throw new InvalidQuery(
          'pageToken',
          'pageToken is not one this service issued: start again without it',
        );
      }
    }
    const rows = await this.db.query<Row>(
      `SELECT ${PUNCH_COLUMNS}
       FROM ${this.schema}.punches
       WHERE ${where}
         AND ($6::timestamptz IS NULL OR (punched_at, punch_event_id) > ($6::timestamptz, $7::uuid))
       ORDER BY punched_at, punch_event_id
       LIMIT $8`,
      [...params, after?.t ?? null, after?.id ?? null, pageSize + 1],
    );
    const [{ n }] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${this.schema}.punches WHERE ${where}`,
      params,
    );
    const page = rows.slice(0, pageSize).map(toView);
    const last = rows.length > pageSize ? rows[pageSize - 1] : undefined;
    return {
      punches: page,
      nextPageToken: last
        ? Buffer.from(
            JSON.stringify({ t: (last.punched_at as Date).toISOString(), id: last.punch_event_id }),
          ).toString('base64url')
        : '',
      totalCount: Number(n),
    };
  }
}

function toView(r: Row): PunchView {
  const text = (v: string | Date | null) => (v === null ? null : (v as string));
  return {
    eventId: r.punch_event_id as string,
    projectId: r.project_id as string,
    personId: r.person_id as string,
    day: r.day as string,
    punchedAt: (r.punched_at as Date).toISOString(),
    direction: r.direction as PunchView['direction'],
    deviceId: r.device_id as string,
    deviceRecordId: r.device_record_id as string,
    verifyMode: r.verify_mode as string,
    receivedAt: (r.received_at as Date).toISOString(),
    sequence: r.global_position as string,
    resolutionStatus: r.resolution_status as ResolutionStatus,
    unresolvedReason: text(r.unresolved_reason) as UnresolvedReason | null,
    enrolmentId: text(r.enrolment_id),
    workerId: text(r.worker_id),
    workerName: text(r.worker_name),
    maskedIdNumber: text(r.masked_id_number),
    teamId: text(r.team_id),
    teamName: text(r.team_name),
    participantId: text(r.participant_id),
    corpName: text(r.corp_name),
    workType: text(r.work_type),
  };
}
