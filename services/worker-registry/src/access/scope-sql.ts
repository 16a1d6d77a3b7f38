import type { Sql } from '@realname/eventstore';
import { CallerScope, regionPrefix } from '@realname/platform';

/** Collects the parameters of a statement; each value gets the next `$n`. */
export class Params {
  readonly values: unknown[];

  constructor(...initial: unknown[]) {
    this.values = [...initial];
  }

  /** The placeholder of `value` (added now). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** How a write request stands with a record: absent, outside the caller's scope, or in it. */
export type Reach = 'missing' | 'out-of-scope' | 'in-scope';

export function reachOf(row: { in_scope: boolean } | undefined): Reach {
  if (!row) return 'missing';
  return row.in_scope ? 'in-scope' : 'out-of-scope';
}

/** `city 330100`, `project 330106202401150001`: the scope as a refusal names it. */
export function scopeText(scope: CallerScope): string {
  return `${scope.kind} ${scope.code}`;
}

/**
 * The SQL conditions that put a row in the caller's scope (docs/access.md), one per kind of record,
 * so every repository filters the same way and a record outside the scope does not exist for the
 * caller. Region scopes match by division-code prefix, a project scope by project id, an enterprise
 * scope through the projects it participates in (and its own participant rows).
 */
export class ScopeSql {
  constructor(private readonly schema: string) {}

  /** `p` is a row of `projects`. */
  project(scope: CallerScope, p: string, params: Params): string {
    const prefix = regionPrefix(scope);
    if (prefix !== undefined) return `${p}.region LIKE ${params.add(prefix)}`;
    if (scope.kind === 'project') return `${p}.project_id = ${params.add(scope.code)}`;
    return `EXISTS (SELECT 1 FROM ${this.schema}.participants scope_pa
      WHERE scope_pa.project_id = ${p}.project_id AND scope_pa.credit_code = ${params.add(scope.code.toUpperCase())})`;
  }

  /** `pa` is a row of `participants`: an enterprise sees its own row only. */
  participant(scope: CallerScope, pa: string, params: Params): string {
    if (scope.kind !== 'enterprise') return 'true';
    return `${pa}.credit_code = ${params.add(scope.code.toUpperCase())}`;
  }

  /** `e` is a row of `enrolments` (or anything with project_id and participant_id, such as `teams`). */
  enrolment(scope: CallerScope, e: string, params: Params, participantColumn = 'participant_id'): string {
    const prefix = regionPrefix(scope);
    if (prefix !== undefined)
      return `EXISTS (SELECT 1 FROM ${this.schema}.projects scope_p
        WHERE scope_p.project_id = ${e}.project_id AND scope_p.region LIKE ${params.add(prefix)})`;
    if (scope.kind === 'project') return `${e}.project_id = ${params.add(scope.code)}`;
    return `${e}.${participantColumn} = ${params.add(scope.code.toUpperCase())}`;
  }

  /**
   * `w` is a row of `workers`: in scope when enrolled on an in-scope project (for an enterprise: in
   * one of its units), or registered by a caller of the scope.
   */
  worker(scope: CallerScope, w: string, params: Params): string {
    const enrolled = `EXISTS (SELECT 1 FROM ${this.schema}.enrolments scope_e
      WHERE scope_e.worker_id = ${w}.worker_id AND ${this.enrolment(scope, 'scope_e', params)})`;
    const prefix = regionPrefix(scope);
    const registered =
      prefix !== undefined
        ? `${w}.registered_region LIKE ${params.add(prefix)}`
        : `(${w}.registered_scope_kind = ${params.add(scope.kind)} AND ${w}.registered_scope_code = ${params.add(
            scope.kind === 'enterprise' ? scope.code.toUpperCase() : scope.code,
          )})`;
    return `(${enrolled} OR ${registered})`;
  }

  /**
   * `en` is a row of `enterprises`: in scope when its region is covered, when it participates in an
   * in-scope project, or when it is the caller's enterprise.
   */
  enterprise(scope: CallerScope, en: string, params: Params): string {
    const prefix = regionPrefix(scope);
    const s = this.schema;
    if (prefix !== undefined) {
      const p = params.add(prefix);
      return `(${en}.region LIKE ${p} OR EXISTS (SELECT 1 FROM ${s}.participants scope_pa
        JOIN ${s}.projects scope_p ON scope_p.project_id = scope_pa.project_id
        WHERE scope_pa.credit_code = ${en}.credit_code AND scope_p.region LIKE ${p}))`;
    }
    if (scope.kind === 'project')
      return `EXISTS (SELECT 1 FROM ${s}.participants scope_pa
        WHERE scope_pa.credit_code = ${en}.credit_code AND scope_pa.project_id = ${params.add(scope.code)})`;
    const own = params.add(scope.code.toUpperCase());
    return `(${en}.credit_code = ${own} OR EXISTS (SELECT 1 FROM ${s}.participants scope_pa
      JOIN ${s}.participants scope_mine ON scope_mine.project_id = scope_pa.project_id
      WHERE scope_pa.credit_code = ${en}.credit_code AND scope_mine.credit_code = ${own}))`;
  }

  /** Whether a project exists and is in scope (a write outside it is refused with 403). */
  async projectReach(sql: Sql, projectId: string, scope: CallerScope): Promise<Reach> {
    const params = new Params(projectId);
    const [row] = await sql.query<{ in_scope: boolean }>(
      `SELECT ${this.project(scope, 'p', params)} AS in_scope FROM ${this.schema}.projects p WHERE p.project_id = $1`,
      params.values,
    );
    return reachOf(row);
  }

  /** Whether an enrolment exists and is in scope. */
  async enrolmentReach(sql: Sql, enrolmentId: string, scope: CallerScope): Promise<Reach> {
    const params = new Params(enrolmentId);
    const [row] = await sql.query<{ in_scope: boolean }>(
      `SELECT ${this.enrolment(scope, 'e', params)} AS in_scope FROM ${this.schema}.enrolments e WHERE e.enrolment_id = $1`,
      params.values,
    );
    return reachOf(row);
  }

  /** Whether a worker exists and is in scope. */
  async workerReach(sql: Sql, workerId: string, scope: CallerScope): Promise<Reach> {
    const params = new Params(workerId);
    const [row] = await sql.query<{ in_scope: boolean }>(
      `SELECT ${this.worker(scope, 'w', params)} AS in_scope FROM ${this.schema}.workers w WHERE w.worker_id = $1`,
      params.values,
    );
    return reachOf(row);
  }
}
