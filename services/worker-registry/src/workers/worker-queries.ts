import { ACTOR_NOT_RECORDED } from '@realname/contracts';
import { checkResidentId } from '@realname/domain-rules';
import { Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import type { CallerScope } from '@realname/platform';
import { Params, ScopeSql } from '../access/scope-sql';

/** A request the registry cannot answer as asked (a gRPC INVALID_ARGUMENT, a REST 400). */
export class InvalidRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidRequest';
  }
}

/** Something asked for by id that the registry does not know (NOT_FOUND, 404). */
export class NotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

export type EnrolmentStatus = 'enrolled' | 'entered' | 'exited';

/**
 * A worker as every ordinary read shows them: personal numbers masked (first 4 and last 4 of the ID
 * number), the age in whole years instead of the birth date, and neither the home address nor the
 * issuing authority (it names the county the mask hides). Those come only through the reveal path
 * (identity-reveals / RevealIdentity: a token, a purpose, an audit row).
 */
export interface WorkerView {
  workerId: string;
  maskedIdNumber: string;
  name: string;
  gender: 'male' | 'female';
  /** Whole years, today in Asia/Shanghai. */
  age: number;
  nation: string;
  maskedPhone: string | null;
  education: string | null;
  politics: string | null;
  hasHeadPhoto: boolean;
  blacklisted: boolean;
  /** While blacklisted: why, by whom (the token subject; `unauthenticated` before issue 10), since when. */
  blacklisting: { reason: string; actor: string; since: string | null } | null;
}

export interface EnrolmentView {
  enrolmentId: string;
  projectId: string;
  workerId: string;
  workerName: string;
  maskedIdNumber: string;
  teamId: string;
  teamName: string;
  participantId: string;
  workType: string;
  workRole: string;
  isTeamLeader: boolean;
  personId: string;
  cardNumber: string | null;
  status: EnrolmentStatus;
  enteredOn: string | null;
  exitedOn: string | null;
  contractSigned: boolean;
  safetyTrained: boolean;
}

export type Credential =
  | { kind: 'personId'; value: string }
  | { kind: 'cardNumber'; value: string }
  | { kind: 'idCardNumber'; value: string };

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads of workers and enrolments within the caller's scope (filtered here, in SQL: what is outside
 * it is not found). Personal numbers only ever leave masked.
 */
export class WorkerQueries {
  private readonly scoped: ScopeSql;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly vault: PersonalDataVault,
  ) {
    this.scoped = new ScopeSql(schema);
  }

  async getWorker(workerId: string, scope: CallerScope): Promise<WorkerView | undefined> {
    const params = new Params(workerId);
    const [w] = await this.db.query<Record<string, string | number | boolean | Date | null>>(
      `SELECT worker_id, masked_id, name, gender,
              date_part('year', age((now() AT TIME ZONE 'Asia/Shanghai')::date, birth_date))::int AS age, nation,
              masked_phone, education, politics, head_photo IS NOT NULL AS has_head_photo, blacklisted,
              blacklist_reason, blacklisted_by, blacklisted_at
       FROM ${this.schema}.workers w WHERE w.worker_id = $1 AND ${this.scoped.worker(scope, 'w', params)}`,
      params.values,
    );
    if (!w) return undefined;
    return {
      workerId: w.worker_id as string,
      maskedIdNumber: w.masked_id as string,
      name: w.name as string,
      gender: w.gender as 'male' | 'female',
      age: Number(w.age),
      nation: w.nation as string,
      maskedPhone: w.masked_phone as string | null,
      education: w.education as string | null,
      politics: w.politics as string | null,
      hasHeadPhoto: Boolean(w.has_head_photo),
      blacklisted: Boolean(w.blacklisted),
      blacklisting: w.blacklisted
        ? {
            reason: (w.blacklist_reason as string | null) ?? '',
            actor: (w.blacklisted_by as string | null) ?? ACTOR_NOT_RECORDED,
            since: w.blacklisted_at ? new Date(w.blacklisted_at as Date).toISOString() : null,
          }
        : null,
    };
  }

  /** Whether a project exists in the caller's scope. */
  async projectExists(projectId: string, scope: CallerScope): Promise<boolean> {
    const params = new Params(projectId);
    const rows = await this.db.query(
      `SELECT 1 FROM ${this.schema}.projects p WHERE p.project_id = $1 AND ${this.scoped.project(scope, 'p', params)}`,
      params.values,
    );
    return rows.length > 0;
  }

  /**
   * Enrolments of a project in the caller's scope in the order they were made (ids are UUIDv7), page
   * by page; an enterprise sees those in its own units only.
   */
  async listEnrolments(
    q: {
      projectId: string;
      teamId?: string;
      status?: EnrolmentStatus;
      pageSize: number;
      pageToken?: string;
    },
    scope: CallerScope,
  ): Promise<{ enrolments: EnrolmentView[]; nextPageToken: string }> {
    if (!q.projectId) throw new InvalidRequest('project_id', 'is required');
    if (!Number.isInteger(q.pageSize) || q.pageSize < 0)
      throw new InvalidRequest('page_size', 'must be 0 (the default) or a positive number');
    const size = Math.min(q.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    let after: string | null = null;
    if (q.pageToken) {
      after = Buffer.from(q.pageToken, 'base64url').toString();
      if (!UUID.test(after))
        throw new InvalidRequest('page_token', 'is not a token from a previous page of this list');
    }
    if (!(await this.projectExists(q.projectId, scope)))
      throw new NotFound(`no project "${q.projectId}" is known; it arrives from the integrity platform`);
    const params = new Params(q.projectId, q.teamId || null, q.status ?? null, after, size + 1);
    const rows = await this.db.query<Record<string, string | boolean | null>>(
      `${this.enrolmentSelect()}
       WHERE e.project_id = $1 AND ($2::text IS NULL OR e.team_id = $2) AND ($3::text IS NULL OR e.status = $3)
         AND ($4::text IS NULL OR e.enrolment_id COLLATE "C" > $4) AND ${this.scoped.enrolment(scope, 'e', params)}
       ORDER BY e.enrolment_id COLLATE "C" LIMIT $5`,
      params.values,
    );
    const page = rows.slice(0, size).map(enrolmentFromRow);
    return {
      enrolments: page,
      nextPageToken:
        rows.length > size ? Buffer.from(page[page.length - 1].enrolmentId).toString('base64url') : '',
    };
  }

  /**
   * The enrolment on a project a credential belongs to. An ID number is found through its keyed hash.
   * When an access card was handed on (several enrolments with one card number), the one on site wins,
   * then the newest.
   */
  async resolveCredential(
    projectId: string,
    credential: Credential | undefined,
    scope: CallerScope,
  ): Promise<EnrolmentView | undefined> {
    if (!projectId) throw new InvalidRequest('project_id', 'is required');
    if (!credential)
      throw new InvalidRequest('credential', 'one of person_id, card_number or id_card_number is required');
    const field = { personId: 'person_id', cardNumber: 'card_number', idCardNumber: 'id_card_number' }[
      credential.kind
    ];
    if (!credential.value.trim()) throw new InvalidRequest(field, 'must not be empty');
    let where: string;
    let value: string;
    if (credential.kind === 'idCardNumber') {
      const id = checkResidentId(credential.value);
      // The reasons go back to the caller only (never to the logs).
      if (!id.ok)
        throw new InvalidRequest(field, `is not a valid resident ID number: ${id.reasons.join('; ')}`);
      where = 'w.id_hash = $2';
      value = this.vault.lookupHash('id-card', id.value);
    } else {
      where = credential.kind === 'personId' ? 'e.person_id = $2' : 'e.card_number = $2';
      value = credential.value.trim();
    }
    if (!(await this.projectExists(projectId, scope)))
      throw new NotFound(`no project "${projectId}" is known; it arrives from the integrity platform`);
    const params = new Params(projectId, value);
    const [row] = await this.db.query<Record<string, string | boolean | null>>(
      `${this.enrolmentSelect()}
       WHERE e.project_id = $1 AND ${where} AND ${this.scoped.enrolment(scope, 'e', params)}
       ORDER BY CASE e.status WHEN 'entered' THEN 0 WHEN 'enrolled' THEN 1 ELSE 2 END, e.enrolment_id COLLATE "C" DESC
       LIMIT 1`,
      params.values,
    );
    return row && enrolmentFromRow(row);
  }

  private enrolmentSelect(): string {
    const s = this.schema;
    return `SELECT e.enrolment_id, e.project_id, e.worker_id, w.name, w.masked_id, e.team_id, t.name AS team_name, e.participant_id,
              e.work_type, e.work_role, e.is_team_leader, e.person_id, e.card_number, e.status,
              to_char(e.entered_on, 'YYYY-MM-DD') AS entered_on, to_char(e.exited_on, 'YYYY-MM-DD') AS exited_on,
              e.contract_signed, e.safety_trained
       FROM ${s}.enrolments e JOIN ${s}.workers w ON w.worker_id = e.worker_id JOIN ${s}.teams t ON t.team_id = e.team_id`;
  }
}

function enrolmentFromRow(r: Record<string, string | boolean | null>): EnrolmentView {
  return {
    enrolmentId: r.enrolment_id as string,
    projectId: r.project_id as string,
    workerId: r.worker_id as string,
    workerName: r.name as string,
    maskedIdNumber: r.masked_id as string,
    teamId: r.team_id as string,
    teamName: r.team_name as string,
    participantId: r.participant_id as string,
    workType: r.work_type as string,
    workRole: r.work_role as string,
    isTeamLeader: Boolean(r.is_team_leader),
    personId: r.person_id as string,
    cardNumber: r.card_number as string | null,
    status: r.status as EnrolmentStatus,
    enteredOn: r.entered_on as string | null,
    exitedOn: r.exited_on as string | null,
    contractSigned: Boolean(r.contract_signed),
    safetyTrained: Boolean(r.safety_trained),
  };
}
