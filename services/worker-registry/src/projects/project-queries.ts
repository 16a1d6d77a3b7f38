import { Database } from '@realname/eventstore';

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

/** Reads of the registry's project read models. Personal numbers only ever leave masked. */
export class ProjectQueries {
  constructor(
    private readonly db: Database,
    private readonly schema: string,
  ) {}

  async listProjects(q: { region: string; pageSize: number; pageToken?: string }) {
    const size = Math.min(Math.max(q.pageSize, 1), 500);
    const rows = await this.db.query<Record<string, string>>(
      `SELECT project_id, name, region, category, status FROM ${this.schema}.projects
       WHERE region LIKE $1 AND ($2::text IS NULL OR project_id > $2) ORDER BY project_id LIMIT $3`,
      [`${q.region}%`, q.pageToken ? Buffer.from(q.pageToken, 'base64url').toString() : null, size + 1],
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

  async getProject(projectId: string) {
    const s = this.schema;
    const [p] = await this.db.query<Record<string, string | null>>(
      `SELECT * FROM ${s}.projects WHERE project_id = $1`,
      [projectId],
    );
    if (!p) return undefined;
    const participants = await this.db.query<Record<string, string | null>>(
      `SELECT credit_code, corp_name, unit_type, to_char(entry_date, 'YYYY-MM-DD') AS entry_date, to_char(exit_date, 'YYYY-MM-DD') AS exit_date
       FROM ${s}.participants WHERE project_id = $1 ORDER BY unit_type DESC, credit_code`,
      [projectId],
    );
    const keyPersons = await this.db.query<Record<string, string | null>>(
      `SELECT credit_code, post, source, name, masked_id, registration_category FROM ${s}.key_persons WHERE project_id = $1 ORDER BY credit_code, post, source`,
      [projectId],
    );
    const mismatches = await this.db.query<Record<string, string | Date>>(
      `SELECT credit_code, post, reason, detail, since FROM ${s}.key_person_mismatches WHERE project_id = $1 ORDER BY credit_code, post`,
      [projectId],
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

  async getEnterprise(creditCode: string) {
    const [e] = await this.db.query<Record<string, string | null>>(
      `SELECT * FROM ${this.schema}.enterprises WHERE credit_code = $1`,
      [creditCode],
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
