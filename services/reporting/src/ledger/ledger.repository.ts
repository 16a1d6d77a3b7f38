import { createHash, randomUUID } from 'node:crypto';
import { identifier, Sql } from '@realname/eventstore';
import {
  canonicalJson,
  dependencyRank,
  JsonObject,
  PlatformKeys,
  RecordKind,
  UPLINK_DEPENDENCY_ORDER,
} from '@realname/uplinks';

export type LedgerStatus = 'pending' | 'sent' | 'accepted' | 'rejected' | 'rejected-locally' | 'superseded';

/** A plain sentence per problem, as the site reads it (local pre-check or platform reply). */
export interface LedgerProblem {
  readonly code: string;
  readonly path: string;
  readonly zh: string;
  readonly en: string;
}

/** What a record sends, in the target's field names, without personal numbers or platform keys. */
export interface LedgerPayload {
  readonly header: JsonObject;
  readonly items: JsonObject[];
}

/** A record as a consumer hands it to the ledger. */
export interface NewLedgerRecord {
  readonly kind: RecordKind;
  readonly recordKey: string;
  readonly revision: number;
  readonly projectId: string;
  readonly region: string;
  readonly workerId?: string;
  readonly dependsOn: readonly string[];
  readonly payload: LedgerPayload;
  /**
   * A record key prefix whose accepted records' items are upstream too: an attendance day names its
   * worker's live punches, so what they already put up is not sent again.
   */
  readonly upstreamUnder?: string;
}

export interface LedgerRow {
  readonly id: string;
  readonly target: string;
  readonly kind: RecordKind;
  readonly recordKey: string;
  readonly revision: number;
  readonly projectId: string;
  readonly region: string;
  readonly workerId: string | null;
  readonly dependsOn: string[];
  readonly payload: LedgerPayload;
  readonly status: LedgerStatus;
  readonly serialCode: string | null;
  readonly platformKeys: Record<string, string | number>;
  readonly itemsPresent: number[];
  readonly itemsSent: number[];
  readonly waitingFor: string[];
  readonly problems: LedgerProblem[];
  readonly lastError: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly acceptedAt: Date | null;
  /** The claim of the round holding the row; settling needs it to match. */
  readonly claimToken: string | null;
}

/** `<kind>:<record key>`: how a record names what it depends on. */
export function dependencyKey(kind: RecordKind, recordKey: string): string {
  return `${kind}:${recordKey}`;
}

export function payloadHash(payload: LedgerPayload): string {
  return createHash('sha256')
    .update(canonicalJson(payload as unknown as JsonObject))
    .digest('hex');
}

interface RawRow {
  id: string;
  target: string;
  kind: RecordKind;
  record_key: string;
  revision: number;
  project_id: string;
  region: string;
  worker_id: string | null;
  depends_on: string[];
  payload: LedgerPayload;
  status: LedgerStatus;
  serial_code: string | null;
  platform_keys: Record<string, string | number>;
  items_present: number[];
  items_sent: number[];
  waiting_for: string[];
  problems: LedgerProblem[];
  last_error: string | null;
  attempts: number;
  next_attempt_at: Date;
  accepted_at: Date | null;
  claim_token: string | null;
}

function rowOf(r: RawRow): LedgerRow {
  return {
    id: String(r.id),
    target: r.target,
    kind: r.kind,
    recordKey: r.record_key,
    revision: r.revision,
    projectId: r.project_id,
    region: r.region,
    workerId: r.worker_id,
    dependsOn: r.depends_on,
    payload: r.payload,
    status: r.status,
    serialCode: r.serial_code,
    platformKeys: r.platform_keys,
    itemsPresent: r.items_present,
    itemsSent: r.items_sent,
    waitingFor: r.waiting_for,
    problems: r.problems,
    lastError: r.last_error,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    acceptedAt: r.accepted_at,
    claimToken: r.claim_token,
  };
}

const LIVE = `('pending', 'sent')`;

/** Every SQL statement on the upload ledger. */
export class LedgerRepository {
  private readonly t: string;

  constructor(schema: string) {
    this.t = `${identifier(schema)}.upload_ledger`;
  }

  /**
   * Records a revision for a target: an earlier revision still to go (or already up) is superseded;
   * items the latest accepted revision already put upstream are marked present, so a reopened day only
   * sends what changed. A revision older than one already recorded arrives superseded (a replay).
   * Idempotent: the same revision twice is one row.
   */
  async record(sql: Sql, target: string, r: NewLedgerRecord): Promise<boolean> {
    const previous = await sql.query<{ revision: number; payload: LedgerPayload; items_present: number[] }>(
      `SELECT revision, payload, items_present FROM ${this.t}
        WHERE target = $1 AND kind = $2 AND record_key = $3 AND accepted_at IS NOT NULL
        ORDER BY revision DESC LIMIT 1`,
      [target, r.kind, r.recordKey],
    );
    const upstream = new Set<string>();
    if (previous[0] && previous[0].revision < r.revision) {
      for (const item of previous[0].payload.items) upstream.add(canonicalJson(item));
    }
    if (r.upstreamUnder) {
      const live = await sql.query<{ payload: LedgerPayload }>(
        `SELECT payload FROM ${this.t}
          WHERE target = $1 AND kind = $2 AND record_key LIKE $3 AND accepted_at IS NOT NULL`,
        [target, r.kind, `${r.upstreamUnder.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
      );
      for (const row of live) for (const item of row.payload.items) upstream.add(canonicalJson(item));
    }
    const present = r.payload.items.flatMap((item, index) =>
      upstream.has(canonicalJson(item)) ? [index] : [],
    );
    const newer = await sql.query<{ revision: number }>(
      `SELECT revision FROM ${this.t} WHERE target = $1 AND kind = $2 AND record_key = $3 AND revision > $4 LIMIT 1`,
      [target, r.kind, r.recordKey, r.revision],
    );
    const inserted = await sql.query<{ id: string }>(
      `INSERT INTO ${this.t}
         (target, kind, record_key, revision, project_id, region, kind_rank, worker_id, depends_on,
          payload, payload_hash, status, items_present)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (target, kind, record_key, revision) DO NOTHING
       RETURNING id`,
      [
        target,
        r.kind,
        r.recordKey,
        r.revision,
        r.projectId,
        r.region,
        dependencyRank(r.kind, UPLINK_DEPENDENCY_ORDER),
        r.workerId ?? null,
        r.dependsOn,
        JSON.stringify(r.payload),
        payloadHash(r.payload),
        newer.length > 0 ? 'superseded' : 'pending',
        present,
      ],
    );
    if (inserted.length === 0) return false;
    if (newer.length === 0) {
      await sql.execute(
        `UPDATE ${this.t} SET status = 'superseded', updated_at = now()
          WHERE target = $1 AND kind = $2 AND record_key = $3 AND revision < $4 AND status <> 'superseded'`,
        [target, r.kind, r.recordKey, r.revision],
      );
    }
    return true;
  }

  /**
   * Claims due rows of a target (pending ones to send, sent ones to poll) in dependency order, skipping
   * rows another sender holds, and leases them: a sender that dies mid-upload leaves them due again
   * after `leaseMs`, and the platform's "already exists" then settles what did get through.
   */
  async claimDue(sql: Sql, target: string, limit: number, leaseMs: number): Promise<LedgerRow[]> {
    const token = randomUUID();
    const rows = await sql.query<RawRow>(
      `UPDATE ${this.t} l
          SET next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
              attempts = l.attempts + CASE WHEN l.status = 'pending' THEN 1 ELSE 0 END,
              claim_token = $4, updated_at = now()
        WHERE l.id IN (
          SELECT id FROM ${this.t}
           WHERE target = $1 AND status IN ${LIVE} AND next_attempt_at <= now()
           ORDER BY kind_rank, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING l.*`,
      [target, limit, leaseMs, token],
    );
    return rows.map(rowOf).sort((a, b) => kindOrder(a) - kindOrder(b) || Number(a.id) - Number(b.id));
  }

  /** Platform keys of accepted records, by dependency key; absent keys are not (yet) accepted. */
  async acceptedKeys(sql: Sql, target: string, keys: readonly string[]): Promise<Map<string, PlatformKeys>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Map();
    const kinds = unique.map((key) => key.slice(0, key.indexOf(':')));
    const recordKeys = unique.map((key) => key.slice(key.indexOf(':') + 1));
    // Pairs of (kind, record key), so the look-up walks the (target, kind, record_key) index.
    const rows = await sql.query<{ key: string; platform_keys: PlatformKeys }>(
      `SELECT DISTINCT ON (l.kind, l.record_key) l.kind || ':' || l.record_key AS key, l.platform_keys
         FROM unnest($2::text[], $3::text[]) AS d(kind, record_key)
         JOIN ${this.t} l ON l.target = $1 AND l.kind = d.kind AND l.record_key = d.record_key
        WHERE l.accepted_at IS NOT NULL
        ORDER BY l.kind, l.record_key, l.revision DESC`,
      [target, kinds, recordKeys],
    );
    return new Map(rows.map((r) => [r.key, r.platform_keys]));
  }

  /** Teams of a project the platform holds: their names and `teamSysNo`s (for the team pre-checks). */
  async acceptedTeams(
    sql: Sql,
    target: string,
    projectId: string,
  ): Promise<{ recordKey: string; teamName: string; teamSysNo: string }[]> {
    const rows = await sql.query<{ record_key: string; team_name: string; team_sys_no: string }>(
      `SELECT DISTINCT ON (record_key) record_key,
              coalesce(payload->'header'->>'teamName', payload->'items'->0->>'teamName') AS team_name,
              platform_keys->>'teamSysNo' AS team_sys_no
         FROM ${this.t}
        WHERE target = $1 AND project_id = $2 AND kind = 'team' AND accepted_at IS NOT NULL
        ORDER BY record_key, revision DESC`,
      [target, projectId],
    );
    return rows
      .filter((r) => r.team_sys_no !== null)
      .map((r) => ({ recordKey: r.record_key, teamName: r.team_name, teamSysNo: r.team_sys_no }));
  }

  /** The date of each worker's last entry or exit the platform holds on the project. */
  async lastEntryExit(
    sql: Sql,
    target: string,
    projectId: string,
    workerIds: readonly string[],
  ): Promise<Map<string, string>> {
    if (workerIds.length === 0) return new Map();
    const rows = await sql.query<{ worker_id: string; last: string }>(
      `SELECT worker_id, max(item->>'date') AS last
         FROM ${this.t}, jsonb_array_elements(payload->'items') AS item
        WHERE target = $1 AND project_id = $2 AND kind IN ('entry', 'exit') AND accepted_at IS NOT NULL
          AND worker_id = ANY($3)
        GROUP BY worker_id`,
      [target, projectId, workerIds],
    );
    return new Map(rows.map((r) => [r.worker_id, r.last]));
  }

  /** A batch went out: its rows wait for the serial code's answer. */
  async markSent(
    sql: Sql,
    sent: readonly { row: LedgerRow; items: readonly number[] }[],
    serialCode: string,
    pollMs: number,
  ): Promise<void> {
    for (const s of sent) {
      await sql.execute(
        `UPDATE ${this.t}
            SET status = 'sent', serial_code = $2, items_sent = $3, waiting_for = '{}', last_error = NULL,
                sent_at = now(), updated_at = now(),
                next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
          WHERE id = $1 AND claim_token = $5 AND status IN ${LIVE}`,
        [s.row.id, serialCode, s.items, pollMs, s.row.claimToken],
      );
    }
  }

  /**
   * The platform holds these items of the row: once it holds all of them the row is accepted (with the
   * keys adopted); otherwise the rest is due again at once. A row superseded meanwhile stays superseded
   * but remembers that it is upstream.
   */
  async markPresent(sql: Sql, row: LedgerRow, items: readonly number[], keys: PlatformKeys): Promise<void> {
    await sql.execute(
      `UPDATE ${this.t} l
          SET items_present = p.present,
              platform_keys = l.platform_keys || $3::jsonb,
              accepted_at = CASE WHEN p.complete THEN coalesce(l.accepted_at, now()) ELSE l.accepted_at END,
              status = CASE WHEN l.status = 'superseded' THEN 'superseded'
                            WHEN p.complete THEN 'accepted' ELSE 'pending' END,
              settled_at = CASE WHEN p.complete THEN now() ELSE l.settled_at END,
              serial_code = CASE WHEN p.complete THEN l.serial_code ELSE NULL END,
              items_sent = '{}', waiting_for = '{}', problems = '[]', last_error = NULL,
              next_attempt_at = now(), updated_at = now()
         FROM (SELECT id,
                      ARRAY(SELECT DISTINCT unnest(items_present || $2::integer[]) ORDER BY 1) AS present,
                      (SELECT count(DISTINCT i) FROM unnest(items_present || $2::integer[]) AS i)
                        >= jsonb_array_length(payload->'items') AS complete
                 FROM ${this.t} WHERE id = $1) p
        WHERE l.id = p.id AND l.claim_token = $4 AND l.status IN ('pending', 'sent', 'superseded')`,
      [row.id, items, JSON.stringify(keys), row.claimToken],
    );
  }

  /** Refused, by the local pre-check or by the platform: the site must correct the data. */
  async markRejected(
    sql: Sql,
    row: LedgerRow,
    status: 'rejected' | 'rejected-locally',
    problems: readonly LedgerProblem[],
  ): Promise<void> {
    await sql.execute(
      `UPDATE ${this.t}
          SET status = $2, problems = $3, items_sent = '{}', waiting_for = '{}', settled_at = now(),
              updated_at = now()
        WHERE id = $1 AND claim_token = $4 AND status IN ${LIVE}`,
      [row.id, status, JSON.stringify(problems), row.claimToken],
    );
  }

  /** Not sent now, for a reason that passes (network, rate limit, busy): due again after `delayMs`. */
  async markRetry(sql: Sql, rows: readonly LedgerRow[], delayMs: number, error: string): Promise<void> {
    for (const row of rows) {
      await sql.execute(
        `UPDATE ${this.t}
            SET last_error = $2, updated_at = now(),
                next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
          WHERE id = $1 AND claim_token = $4 AND status IN ${LIVE}`,
        [row.id, error, delayMs, row.claimToken],
      );
    }
  }

  /** A sent row whose batch must go again (the platform never took it): pending, due now. */
  async markUnsent(sql: Sql, rows: readonly LedgerRow[]): Promise<void> {
    for (const row of rows) {
      await sql.execute(
        `UPDATE ${this.t}
            SET status = 'pending', serial_code = NULL, items_sent = '{}', next_attempt_at = now(), updated_at = now()
          WHERE id = $1 AND claim_token = $2 AND status IN ${LIVE}`,
        [row.id, row.claimToken],
      );
    }
  }

  /** The row waits, visibly, for what it depends on (or for credentials), optionally with why. */
  async markWaiting(
    sql: Sql,
    row: LedgerRow,
    waitingFor: readonly string[],
    delayMs: number,
    problems: readonly LedgerProblem[] = [],
  ): Promise<void> {
    await sql.execute(
      `UPDATE ${this.t}
          SET status = 'pending', waiting_for = $2, problems = $4, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND claim_token = $5 AND status IN ${LIVE}`,
      [row.id, waitingFor, delayMs, JSON.stringify(problems), row.claimToken],
    );
  }

  async find(sql: Sql, target: string, kind: RecordKind, recordKey: string): Promise<LedgerRow[]> {
    const rows = await sql.query<RawRow>(
      `SELECT * FROM ${this.t} WHERE target = $1 AND kind = $2 AND record_key = $3 ORDER BY revision`,
      [target, kind, recordKey],
    );
    return rows.map(rowOf);
  }
}

function kindOrder(row: LedgerRow): number {
  return dependencyRank(row.kind, UPLINK_DEPENDENCY_ORDER);
}
