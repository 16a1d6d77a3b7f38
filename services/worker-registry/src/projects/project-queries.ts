import { Database, Sql } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { Params, Reach, ScopeSql } from '../access/scope-sql';

/** Fields shared by the integrity platform: read-only here, corrected there. */
export const INTEGRITY_OWNED_PROJECT_FIELDS: readonly string[] = [
  'projectId',
  'name',
  'region',
  'category',
  'status',
  'address',
  'generalContractor',
  'generalContractorCode',
  'constructionOwner',
  'constructionOwnerCode',
  'participants',
];
/** Fields kept only here. */
export const LOCAL_PROJECT_FIELDS: readonly string[] = ['siteContactPhone', 'remark'];

/**
 * Reads of the registry's project read models, within the caller's scope (filtered here, in SQL: a
 * project outside it is not found). Personal numbers only ever leave masked.
 */
export class ProjectQueries {
  private readonly scoped: ScopeSql;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {
    this.scoped = new ScopeSql(schema);
  }

  /** Projects of a region (a division-code prefix) that are also in the caller's scope. */
  async listProjects(q: { region: string; pageSize: number; pageToken?: string }, scope: CallerScope) {
    const size = Math.min(Math.max(q.pageSize, 1), 500);
    const params = new Params(
      `${q.region}%`,
      q.pageToken ? Buffer.from(q.pageToken, 'base64url').toString() : null,
      size + 1,
    );
    const rows = await this.db.query<Record<string, string>>(
      `SELECT p.project_id, p.name, p.region, p.category, p.status FROM ${this.schema}.projects p
       WHERE p.region LIKE $1 AND ($2::text IS NULL OR p.project_id > $2) AND ${this.scoped.project(scope, 'p', params)}
       ORDER BY p.project_id LIMIT $3`,
      params.values,
    );
    const page = rows.slice(0, size).map((r) => ({
      projectId: r.project_id,
      name: r.name,
      region: r.region,
      category: r.category,
      status: r.status,
    }));
    return {
      projects: page,
      nextPageToken:
        rows.length > size ? Buffer.from(page[page.length - 1].projectId).toString('base64url') : '',
    };
  }

  /**
   * Whether a project exists and is in the caller's scope, for a write (out of scope: 403) or a list
   * under it (out of scope: as if missing).
   */
  async projectReach(projectId: string, scope: CallerScope, tx?: Sql): Promise<Reach> {
    return this.scoped.projectReach(tx ?? this.db, projectId, scope);
  }

  /**
   * A project in the caller's scope, or undefined. An enterprise sees its own participant row, key
   * persons and mismatches only.
   */
  async getProject(projectId: string, scope: CallerScope) {
    const s = this.schema;
    const params = new Params(projectId);
    const [p] = await this.db.query<Record<string, string | null>>(
      `SELECT p.* FROM ${s}.projects p WHERE p.project_id = $1 AND ${this.scoped.project(scope, 'p', params)}`,
      params.values,
    );
    if (!p) return undefined;
    const own = (alias: string) => {
      const q = new Params(projectId);
      return { where: this.scoped.participant(scope, alias, q), params: q.values };
    };
    const units = own('pa');
    const participants = await this.db.query<Record<string, string | null>>(
      `SELECT credit_code, corp_name, unit_type, to_char(entry_date, 'YYYY-MM-DD') AS entry_date, to_char(exit_date, 'YYYY-MM-DD') AS exit_date
       FROM ${s}.participants pa WHERE project_id = $1 AND ${units.where} ORDER BY unit_type DESC, credit_code`,
      units.params,
    );
    const posts = own('k');
    const keyPersons = await this.db.query<Record<string, string | null>>(
      `SELECT credit_code, post, source, name, masked_id, registration_category FROM ${s}.key_persons k
       WHERE project_id = $1 AND ${posts.where} ORDER BY credit_code, post, source`,
      posts.params,
    );
    const open = own('m');
    const mismatches = await this.db.query<Record<string, string | Date>>(
      `SELECT credit_code, post, reason, detail, since FROM ${s}.key_person_mismatches m
       WHERE project_id = $1 AND ${open.where} ORDER BY credit_code, post`,
      open.params,
    );
    return {
      projectId: p.project_id,
      name: p.name,
      region: p.region,
      category: p.category,
      status: p.status,
      address: p.address,
      generalContractorCode: p.general_contractor_code,
      constructionOwnerCode: p.construction_owner_code,
      siteContactPhone: p.site_contact_phone,
      remark: p.remark,
      source: { integrityPlatform: INTEGRITY_OWNED_PROJECT_FIELDS, local: LOCAL_PROJECT_FIELDS },
      participants: participants.map((r) => ({
        creditCode: r.credit_code,
        corpName: r.corp_name,
        unitType: r.unit_type,
        entryDate: r.entry_date,
        exitDate: r.exit_date,
      })),
      keyPersons: keyPersons.map((r) => ({
        creditCode: r.credit_code,
        post: r.post,
        source: r.source,
        name: r.name,
        maskedIdNumber: r.masked_id,
        registrationCategory: r.registration_category,
      })),
      keyPersonMismatches: mismatches.map((r) => ({
        creditCode: r.credit_code,
        post: r.post,
        reason: r.reason,
        detail: r.detail,
        since: (r.since as Date).toISOString(),
      })),
    };
  }

  /** An enterprise in the caller's scope, or undefined. */
  async getEnterprise(creditCode: string, scope: CallerScope) {
    const params = new Params(creditCode);
    const [e] = await this.db.query<Record<string, string | null>>(
      `SELECT en.* FROM ${this.schema}.enterprises en WHERE en.credit_code = $1 AND ${this.scoped.enterprise(scope, 'en', params)}`,
      params.values,
    );
    return (
      e && {
        creditCode: e.credit_code,
        name: e.name,
        registrationType: e.registration_type,
        legalRepresentative: e.legal_representative,
        region: e.region,
      }
    );
  }
}
