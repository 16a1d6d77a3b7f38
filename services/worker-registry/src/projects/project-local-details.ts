import { z } from 'zod';
import { FieldProblem, zodProblems } from '@realname/contracts';
import { Database } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { Params, reachOf, ScopeSql } from '../access/scope-sql';
import { INTEGRITY_OWNED_PROJECT_FIELDS } from './project-queries';

/**
 * The details of a project kept only in the registry. A change names fields as the REST API does
 * (`siteContactPhone`, `remark`); `null` clears a field, a field left out is kept.
 */
export const LocalProjectPatch = z
  .object({
    siteContactPhone: z
      .string()
      .regex(/^1[3-9]\d{9}$/, 'must be a mainland mobile number')
      .nullable()
      .optional()
      .describe('A mainland mobile number; null clears it'),
    // PostgreSQL text holds no NUL character.
    // At most 500 code points (as JSON Schema counts), no NUL (PostgreSQL text cannot hold it).
    remark: z
      .string()
      .regex(/^[^\u0000]{0,500}$/u, 'must be at most 500 characters, without NUL')
      .nullable()
      .optional()
      .describe('At most 500 characters; null clears it'),
  })
  .strict()
  .describe(
    'The locally kept fields to change; a field left out is kept. Fields of the integrity platform (name, region, ...) are refused with 409',
  );

/**
 * The fields of realname.registry.v1.Project an UpdateProject `update_mask` may name, and the field
 * (as REST names it) each one is. Integrity-owned or local is decided by the REST name, so both APIs
 * follow {@link INTEGRITY_OWNED_PROJECT_FIELDS}.
 */
export const PROJECT_MASK_PATHS: Readonly<Record<string, string>> = {
  project_id: 'projectId',
  name: 'name',
  region: 'region',
  category: 'category',
  status: 'status',
  address: 'address',
  general_contractor_code: 'generalContractor',
  construction_owner_code: 'constructionOwner',
  site_contact_phone: 'siteContactPhone',
  remark: 'remark',
};

/** New values of the local fields as UpdateProject carries them: proto3 strings, where empty means "clear". */
export interface MaskedLocalValues {
  siteContactPhone?: string | null;
  remark?: string | null;
}

/** What became of a change to a project's local details. */
export type LocalDetailsOutcome =
  | { outcome: 'updated'; projectId: string; siteContactPhone: string | null; remark: string | null }
  /** Fields (as the caller named them) that belong to the integrity platform; nothing was changed. */
  | { outcome: 'integrity-owned'; fields: string[]; message: string }
  /** The change is not valid; fields named as the caller named them. Nothing was changed. */
  | { outcome: 'invalid'; errors: FieldProblem[] }
  | { outcome: 'not-found'; projectId: string }
  /** The project is outside the caller's scope; nothing was changed. */
  | { outcome: 'out-of-scope'; projectId: string };

/**
 * The refusal of a change to integrity-owned fields, one wording for REST and gRPC, e.g. "name belongs
 * to the integrity platform and cannot be changed here; correct it on the integrity platform and the
 * change will arrive with the next sync".
 */
export function integrityOwnedMessage(fields: readonly string[]): string {
  const many = fields.length > 1;
  return `${fields.join(', ')} ${many ? 'belong' : 'belongs'} to the integrity platform and cannot be changed here; correct ${many ? 'them' : 'it'} on the integrity platform and the change will arrive with the next sync`;
}

/** The integrity-owned fields among `fields` (REST names), in the order given, each once. */
export function integrityOwnedFields(fields: readonly string[]): string[] {
  return [...new Set(fields.filter((f) => INTEGRITY_OWNED_PROJECT_FIELDS.includes(f)))];
}

/**
 * Reads an UpdateProject request (mask paths and values) as the change REST would send, or says why
 * it is refused: an empty mask, then integrity-owned fields (whatever else the mask names, as REST
 * refuses them before unknown keys), then paths that are no field of Project. Fields are named by
 * path. An empty value clears the field (proto3 strings have no null).
 */
export function changeFromMask(
  paths: readonly string[],
  values: MaskedLocalValues,
):
  | { outcome: 'change'; changes: Record<string, string | null> }
  | Extract<LocalDetailsOutcome, { outcome: 'integrity-owned' | 'invalid' }> {
  if (paths.length === 0)
    return {
      outcome: 'invalid',
      errors: [{ field: 'update_mask', message: 'name the fields to change, e.g. "site_contact_phone"' }],
    };
  const known = paths.filter((p) => Object.hasOwn(PROJECT_MASK_PATHS, p));
  const owned = [...new Set(known.filter((p) => integrityOwnedFields([PROJECT_MASK_PATHS[p]]).length))];
  if (owned.length)
    return { outcome: 'integrity-owned', fields: owned, message: integrityOwnedMessage(owned) };
  const unknown = paths.filter((p) => !known.includes(p));
  if (unknown.length)
    return {
      outcome: 'invalid',
      errors: unknown.map((p) => ({
        field: 'update_mask',
        message: `"${p}" is not a field of Project; the fields that can be changed are site_contact_phone and remark`,
      })),
    };
  const changes: Record<string, string | null> = {};
  for (const p of known) {
    const field = PROJECT_MASK_PATHS[p] as keyof MaskedLocalValues;
    changes[field] = values[field] || null;
  }
  return { outcome: 'change', changes };
}

/** The mask path naming a field (REST name); the field itself when no path names it. */
function maskPathOf(field: string): string {
  return Object.keys(PROJECT_MASK_PATHS).find((p) => PROJECT_MASK_PATHS[p] === field) ?? field;
}

/**
 * Changes the details of a project that are kept only in the registry (site contact phone, remark).
 * Every other field is shared by the integrity platform, read-only here and corrected there; a
 * change naming one of them is refused as a whole. Used by REST (PATCH /api/v1/projects/{id}) and
 * gRPC (RegistryService.UpdateProject), so both follow one rule.
 */
export class ProjectLocalDetails {
  private readonly scoped: ScopeSql;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {
    this.scoped = new ScopeSql(schema);
  }

  /**
   * Applies a change named as REST names fields (`{ siteContactPhone?, remark? }`, `null` clears).
   * Checked in this order: integrity-owned fields, then the values, then whether the project is known.
   */
  async update(projectId: string, changes: unknown, scope: CallerScope): Promise<LocalDetailsOutcome> {
    const named = changes !== null && typeof changes === 'object' ? Object.keys(changes) : [];
    const owned = integrityOwnedFields(named);
    if (owned.length)
      return { outcome: 'integrity-owned', fields: owned, message: integrityOwnedMessage(owned) };
    const parsed = LocalProjectPatch.safeParse(changes);
    if (!parsed.success) return { outcome: 'invalid', errors: zodProblems(parsed.error) };
    const params = new Params(
      projectId,
      'siteContactPhone' in parsed.data,
      parsed.data.siteContactPhone ?? null,
      'remark' in parsed.data,
      parsed.data.remark ?? null,
    );
    const [row] = await this.db.query<{ site_contact_phone: string | null; remark: string | null }>(
      `UPDATE ${this.schema}.projects p SET
         site_contact_phone = CASE WHEN $2 THEN $3 ELSE site_contact_phone END,
         remark = CASE WHEN $4 THEN $5 ELSE remark END
       WHERE p.project_id = $1 AND ${this.scoped.project(scope, 'p', params)}
       RETURNING site_contact_phone, remark`,
      params.values,
    );
    if (!row) {
      const reach = new Params(projectId);
      const [known] = await this.db.query<{ in_scope: boolean }>(
        `SELECT false AS in_scope FROM ${this.schema}.projects p WHERE p.project_id = $1`,
        reach.values,
      );
      return reachOf(known) === 'missing'
        ? { outcome: 'not-found', projectId }
        : { outcome: 'out-of-scope', projectId };
    }
    return { outcome: 'updated', projectId, siteContactPhone: row.site_contact_phone, remark: row.remark };
  }

  /**
   * Applies a change named by the paths of an UpdateProject `update_mask` (e.g. `site_contact_phone`),
   * with the new values of the local fields (empty clears). Fields in the outcome are named by path.
   * Checked in this order: an empty mask, integrity-owned fields, paths that are no field of Project,
   * the values, whether the project is known.
   */
  async updateMasked(
    projectId: string,
    paths: readonly string[],
    values: MaskedLocalValues,
    scope: CallerScope,
  ): Promise<LocalDetailsOutcome> {
    const c = changeFromMask(paths, values);
    if (c.outcome !== 'change') return c;
    const r = await this.update(projectId, c.changes, scope);
    return r.outcome === 'invalid'
      ? { outcome: 'invalid', errors: r.errors.map((e) => ({ ...e, field: maskPathOf(e.field) })) }
      : r;
  }
}
