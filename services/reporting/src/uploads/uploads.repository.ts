import { identifier, Sql } from '@realname/eventstore';
import { CallerScope, regionPrefix } from '@realname/platform';
import {
  payloadHash,
  type LedgerPayload,
  type LedgerProblem,
  type LedgerStatus,
} from '../ledger/ledger.repository';

/** A ledger row as the upload APIs show it (everything but the sender's claim). */
export interface UploadRow {
  readonly id: string;
  readonly target: string;
  readonly kind: string;
  readonly recordKey: string;
  readonly revision: number;
  readonly projectId: string;
  readonly region: string;
  readonly workerId: string | null;
  readonly dependsOn: string[];
  readonly payload: LedgerPayload;
  readonly payloadHash: string;
  readonly status: LedgerStatus;
  readonly serialCode: string | null;
  readonly platformKeys: Record<string, string | number>;
  readonly itemsPresent: number[];
  readonly waitingFor: string[];
  readonly problems: LedgerProblem[];
  readonly lastError: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly sentAt: Date | null;
  readonly acceptedAt: Date | null;
  readonly settledAt: Date | null;
}

/** Who made a change through the API, as the audit keeps it. */
export interface AuditActor {
  readonly subject: string;
  readonly role: string;
  readonly scope: string;
}

export interface ResubmissionEntry {
  readonly ledgerId: string;
  readonly revision: number;
  readonly at: Date;
  readonly actor: AuditActor;
  readonly previousStatus: LedgerStatus;
  readonly previousProblems: LedgerProblem[];
  readonly rebuilt: boolean;
  readonly payloadChanged: boolean;
}

interface RawUploadRow {
  id: string;
  target: string;
  kind: string;
  record_key: string;
  revision: number;
  project_id: string;
  region: string;
  worker_id: string | null;
  depends_on: string[];
  payload: LedgerPayload;
  payload_hash: string;
  status: LedgerStatus;
  serial_code: string | null;
  platform_keys: Record<string, string | number>;
  items_present: number[];
  waiting_for: string[];
  problems: LedgerProblem[];
  last_error: string | null;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  accepted_at: Date | null;
  settled_at: Date | null;
}

const COLUMNS = `l.id::text AS id, l.target, l.kind, l.record_key, l.revision, l.project_id, l.region, l.worker_id,
  l.depends_on, l.payload, l.payload_hash, l.status, l.serial_code, l.platform_keys, l.items_present,
  l.waiting_for, l.problems, l.last_error, l.attempts, l.next_attempt_at, l.created_at, l.updated_at,
  l.sent_at, l.accepted_at, l.settled_at`;

function rowOf(r: RawUploadRow): UploadRow {
  return {
    id: r.id,
    target: r.target,
    kind: r.kind,
    recordKey: r.record_key,
    revision: r.revision,
    projectId: r.project_id,
    region: r.region,
    workerId: r.worker_id,
    dependsOn: r.depends_on,
    payload: r.payload,
    payloadHash: r.payload_hash,
    status: r.status,
    serialCode: r.serial_code,
    platformKeys: r.platform_keys,
    itemsPresent: r.items_present,
    waitingFor: r.waiting_for,
    problems: r.problems,
    lastError: r.last_error,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    sentAt: r.sent_at,
    acceptedAt: r.accepted_at,
    settledAt: r.settled_at,
  };
}

/** The scope as SQL parameters: a region prefix, or a project id; an enterprise scope sees no uploads. */
function scopeParams(scope: CallerScope): [string | null, string | null] {
  return [regionPrefix(scope) ?? null, scope.kind === 'project' ? scope.code : null];
}

/**
 * Every SQL statement of the upload APIs: the ledger read by project-day, record and rejection, the
 * resubmission of a rejected row, and the audit of what callers changed. A project's region is
 * reporting's copy of the registry's (projects), or before that the region its ledger rows carry;
 * whatever the caller's scope does not cover is not found.
 */
export class UploadsRepository {
  private readonly s: string;
  private readonly ledger: string;

  constructor(schema: string) {
    this.s = identifier(schema);
    this.ledger = `${this.s}.upload_ledger`;
  }

  /** The project's region when the scope covers the project; undefined for unknown and out-of-scope alike. */
  async visibleProject(
    sql: Sql,
    projectId: string,
    scope: CallerScope,
  ): Promise<{ region: string } | undefined> {
    const [prefix, project] = scopeParams(scope);
    const [row] = await sql.query<{ region: string | null; visible: boolean }>(
      `WITH p AS (
         SELECT COALESCE((SELECT region FROM ${this.s}.projects WHERE project_id = $1),
                         (SELECT region FROM ${this.ledger} WHERE project_id = $1 LIMIT 1)) AS region)
       SELECT region, COALESCE(region LIKE $2, false) OR COALESCE($1 = $3, false) AS visible FROM p`,
      [projectId, prefix, project],
    );
    return row?.region && row.visible ? { region: row.region } : undefined;
  }

  /**
   * The records of a project-day, latest revision of each per target: attendance days, entries and
   * exits keyed by the day, and live punches whose time falls on it.
   */
  async projectDay(sql: Sql, projectId: string, day: string, target?: string): Promise<UploadRow[]> {
    const rows = await sql.query<RawUploadRow>(
      `SELECT DISTINCT ON (l.target, l.kind, l.record_key) ${COLUMNS}
         FROM ${this.ledger} l
        WHERE l.project_id = $1 AND ($3::text IS NULL OR l.target = $3)
          AND (l.record_key LIKE '%/' || $2
               OR (l.kind = 'attendance' AND l.record_key LIKE '%/punch/%'
                   AND EXISTS (SELECT 1 FROM jsonb_array_elements(l.payload->'items') AS i
                                WHERE i->>'date' LIKE $2 || '%')))
        ORDER BY l.target, l.kind, l.record_key, l.revision DESC`,
      [projectId, day, target ?? null],
    );
    return rows.map(rowOf);
  }

  /**
   * Every revision of the record the row `id` belongs to, oldest first, when the scope covers its
   * project; empty otherwise.
   */
  async recordRevisions(sql: Sql, id: string, scope: CallerScope): Promise<UploadRow[]> {
    const [prefix, project] = scopeParams(scope);
    const rows = await sql.query<RawUploadRow>(
      `WITH r AS (
         SELECT l.target, l.kind, l.record_key, l.project_id,
                COALESCE(p.region, l.region) AS region
           FROM ${this.ledger} l LEFT JOIN ${this.s}.projects p ON p.project_id = l.project_id
          WHERE l.id = $1::bigint)
       SELECT ${COLUMNS}
         FROM r JOIN ${this.ledger} l
           ON l.target = r.target AND l.kind = r.kind AND l.record_key = r.record_key
        WHERE COALESCE(r.region LIKE $2, false) OR COALESCE(r.project_id = $3, false)
        ORDER BY l.revision`,
      [id, prefix, project],
    );
    return rows.map(rowOf);
  }

  /** The resubmissions of these ledger rows, oldest first. */
  async resubmissions(sql: Sql, ledgerIds: readonly string[]): Promise<ResubmissionEntry[]> {
    if (ledgerIds.length === 0) return [];
    const rows = await sql.query<{
      ledger_id: string;
      revision: number;
      at: Date;
      actor_subject: string;
      actor_role: string;
      actor_scope: string;
      detail: {
        previousStatus: LedgerStatus;
        previousProblems: LedgerProblem[];
        rebuilt: boolean;
        payloadChanged: boolean;
      };
    }>(
      `SELECT ledger_id::text AS ledger_id, revision, at, actor_subject, actor_role, actor_scope, detail
         FROM ${this.s}.uploads_audit
        WHERE action = 'resubmit' AND ledger_id = ANY($1::bigint[])
        ORDER BY at, id`,
      [ledgerIds],
    );
    return rows.map((r) => ({
      ledgerId: r.ledger_id,
      revision: r.revision,
      at: r.at,
      actor: { subject: r.actor_subject, role: r.actor_role, scope: r.actor_scope },
      previousStatus: r.detail.previousStatus,
      previousProblems: r.detail.previousProblems,
      rebuilt: r.detail.rebuilt,
      payloadChanged: r.detail.payloadChanged,
    }));
  }

  /**
   * A page of the project's rejected records (by the platform or the pre-check), newest first, after
   * the row `(after.t, after.id)`, with how many match over every page.
   */
  async rejections(
    sql: Sql,
    q: {
      projectId: string;
      target?: string;
      kind?: string;
      limit: number;
      after?: { t: string; id: string };
    },
  ): Promise<{ rows: (UploadRow & { cursor: string })[]; total: number }> {
    const where = `l.project_id = $1 AND l.status IN ('rejected', 'rejected-locally')
      AND ($2::text IS NULL OR l.target = $2) AND ($3::text IS NULL OR l.kind = $3)`;
    const params = [q.projectId, q.target ?? null, q.kind ?? null];
    // The cursor keeps the microseconds a JavaScript Date would drop, so no row falls between pages.
    const rows = await sql.query<RawUploadRow & { cursor: string }>(
      `SELECT ${COLUMNS},
              to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor
         FROM ${this.ledger} l
        WHERE ${where}
          AND ($4::timestamptz IS NULL OR (l.updated_at, l.id) < ($4::timestamptz, $5::bigint))
        ORDER BY l.updated_at DESC, l.id DESC
        LIMIT $6`,
      [...params, q.after?.t ?? null, q.after?.id ?? null, q.limit],
    );
    const [{ n }] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.ledger} l WHERE ${where}`,
      params,
    );
    return { rows: rows.map((r) => ({ ...rowOf(r), cursor: r.cursor })), total: n };
  }

  /** The row, locked for a resubmission, when the scope covers its project; undefined otherwise. */
  async lockForResubmission(sql: Sql, id: string, scope: CallerScope): Promise<UploadRow | undefined> {
    const [prefix, project] = scopeParams(scope);
    const [row] = await sql.query<RawUploadRow>(
      `SELECT ${COLUMNS}
         FROM ${this.ledger} l LEFT JOIN ${this.s}.projects p ON p.project_id = l.project_id
        WHERE l.id = $1::bigint
          AND (COALESCE(COALESCE(p.region, l.region) LIKE $2, false) OR COALESCE(l.project_id = $3, false))
        FOR UPDATE OF l`,
      [id, prefix, project],
    );
    return row && rowOf(row);
  }

  /**
   * A rejected row goes back to pending with `payload` (rebuilt, or as it was), due at once: no
   * problems, no waiting, no attempts counted; items the platform holds stay present unless the items
   * changed. False when the row is no longer rejected (another request resubmitted it).
   */
  async resubmit(
    sql: Sql,
    row: UploadRow,
    next: { payload: LedgerPayload; region: string; dependsOn: readonly string[] },
  ): Promise<boolean> {
    const hash = payloadHash(next.payload);
    const itemsChanged = JSON.stringify(next.payload.items) !== JSON.stringify(row.payload.items);
    const n = await sql.execute(
      `UPDATE ${this.ledger}
          SET status = 'pending', payload = $2, payload_hash = $3, region = $4, depends_on = $5,
              items_present = CASE WHEN $6 THEN '{}' ELSE items_present END,
              problems = '[]', waiting_for = '{}', last_error = NULL, serial_code = NULL, items_sent = '{}',
              attempts = 0, claim_token = NULL, next_attempt_at = now(), settled_at = NULL, updated_at = now()
        WHERE id = $1::bigint AND status IN ('rejected', 'rejected-locally')`,
      [row.id, JSON.stringify(next.payload), hash, next.region, next.dependsOn, itemsChanged],
    );
    return n === 1;
  }

  /**
   * Rows of the project held for the target's credentials are due at once (new credentials were put):
   * they do not sit out the backoff a refused secret gave them. Returns how many.
   */
  async wakeCredentialWaiters(sql: Sql, target: string, projectId: string): Promise<number> {
    const rows = await sql.query<{ id: string }>(
      `UPDATE ${this.s}.upload_ledger SET next_attempt_at = now(), updated_at = now()
        WHERE target = $1 AND project_id = $2 AND status = 'pending' AND $3 = ANY (waiting_for)
        RETURNING id`,
      [target, projectId, `credentials:${target}/${projectId}`],
    );
    return rows.length;
  }

  async audit(
    sql: Sql,
    entry: {
      action: 'resubmit' | 'credentials-put';
      target: string;
      projectId: string;
      ledgerId?: string;
      revision?: number;
      actor: AuditActor;
      detail: Record<string, unknown>;
    },
  ): Promise<Date> {
    const [row] = await sql.query<{ at: Date }>(
      `INSERT INTO ${this.s}.uploads_audit
         (action, target, project_id, ledger_id, revision, actor_subject, actor_role, actor_scope, detail)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7, $8, $9)
       RETURNING at`,
      [
        entry.action,
        entry.target,
        entry.projectId,
        entry.ledgerId ?? null,
        entry.revision ?? null,
        entry.actor.subject,
        entry.actor.role,
        entry.actor.scope,
        JSON.stringify(entry.detail),
      ],
    );
    return row.at;
  }
}
