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
  /**
   * The calendar day (YYYY-MM-DD, Beijing time) whose daily deadline the record counts toward: a live
   * punch's day. Absent for records no daily deadline measures (registry records, finalised days).
   */
  readonly deadlineDay?: string;
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
/**
 * Rows a claim expects per project: it takes the projects of its oldest `limit / PROJECT_ROWS` due rows,
 * so each team's rows (a call carries one team's punches) are many enough to fill calls.
 */
const PROJECT_ROWS = 100;

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
    return (await this.recordMany(sql, target, [r])) > 0;
  }

  /**
   * `record` for many records of a target at once (a consumer's batch), in two or three statements
   * instead of four or five per record: the same superseding, items present (an accepted earlier
   * revision, live records under `upstreamUnder`) and idempotence. Record keys must be distinct
   * within the call (the caller cuts its batch where one repeats). Returns how many rows were new.
   */
  async recordMany(sql: Sql, target: string, records: readonly NewLedgerRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const kinds = records.map((r) => r.kind);
    const keys = records.map((r) => r.recordKey);
    const revisions = records.map((r) => r.revision);
    // Only records with an accepted earlier revision or a newer one come back (none for a fresh day).
    // A revision 1 has no earlier one, and a record without `upstreamUnder` (a live punch) nothing
    // under it: those look-ups are gated off, and a batch with no `upstreamUnder` at all (live punches)
    // leaves the live look-up out of the statement. Even gated off, its estimate (hundreds of index rows
    // per record) priced the statement above jit_above_cost: a second of JIT compilation per batch.
    const under = records.some((r) => r.upstreamUnder)
      ? `(SELECT jsonb_agg(payload->'items') AS live FROM ${this.t}
            WHERE d.under IS NOT NULL AND d.kind = 'attendance' AND target = $1 AND kind = 'attendance'
              AND record_key ~>=~ d.under AND record_key ~<~ d.beyond AND accepted_at IS NOT NULL)`
      : `(SELECT NULL::jsonb AS live)`;
    const known = await sql.query<{
      i: string;
      revision: number | null;
      payload: LedgerPayload | null;
      newer: boolean | null;
      live: LedgerPayload['items'][] | null;
    }>(
      `SELECT d.i, p.revision, p.payload, n.newer, u.live
         FROM unnest($2::text[], $3::text[], $4::integer[], $5::text[], $6::text[])
                WITH ORDINALITY AS d(kind, record_key, revision, under, beyond, i)
         LEFT JOIN LATERAL (
           SELECT revision, payload FROM ${this.t}
            WHERE d.revision > 1 AND target = $1 AND kind = d.kind AND record_key = d.record_key
              AND accepted_at IS NOT NULL
            ORDER BY revision DESC LIMIT 1) p ON true
         LEFT JOIN LATERAL (
           SELECT true AS newer FROM ${this.t}
            WHERE target = $1 AND kind = d.kind AND record_key = d.record_key AND revision > d.revision
            LIMIT 1) n ON true
         LEFT JOIN LATERAL ${under} u ON true
        WHERE p.revision IS NOT NULL OR n.newer OR u.live IS NOT NULL`,
      [
        target,
        kinds,
        keys,
        revisions,
        // A key range, not LIKE, and the kind spelt out: so the live punches' partial index serves it.
        records.map((r) => r.upstreamUnder ?? null),
        records.map((r) => (r.upstreamUnder ? keyPrefixEnd(r.upstreamUnder) : null)),
      ],
    );
    const byIndex = new Map(known.map((k) => [Number(k.i) - 1, k]));
    const present: string[] = [];
    const statuses: string[] = [];
    records.forEach((r, i) => {
      const k = byIndex.get(i);
      const upstream = new Set<string>();
      if (k?.payload && k.revision !== null && k.revision < r.revision) {
        for (const item of k.payload.items) upstream.add(canonicalJson(item));
      }
      for (const items of k?.live ?? []) for (const item of items) upstream.add(canonicalJson(item));
      present.push(
        JSON.stringify(
          r.payload.items.flatMap((item, index) => (upstream.has(canonicalJson(item)) ? [index] : [])),
        ),
      );
      statuses.push(k?.newer ? 'superseded' : 'pending');
    });
    const inserted = await sql.query<{ kind: string; record_key: string; revision: number; status: string }>(
      `INSERT INTO ${this.t}
         (target, kind, record_key, revision, project_id, region, kind_rank, worker_id, depends_on,
          payload, payload_hash, status, items_present, deadline_day)
       SELECT $1, d.kind, d.record_key, d.revision, d.project_id, d.region, d.kind_rank, d.worker_id,
              ARRAY(SELECT jsonb_array_elements_text(d.depends_on::jsonb)), d.payload::jsonb, d.payload_hash,
              d.status, ARRAY(SELECT jsonb_array_elements_text(d.present::jsonb)::integer), d.deadline_day::date
         FROM unnest($2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::smallint[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
           AS d(kind, record_key, revision, project_id, region, kind_rank, worker_id, depends_on, payload,
                payload_hash, status, present, deadline_day)
       ON CONFLICT (target, kind, record_key, revision) DO NOTHING
       RETURNING kind, record_key, revision, status`,
      [
        target,
        kinds,
        keys,
        revisions,
        records.map((r) => r.projectId),
        records.map((r) => r.region),
        records.map((r) => dependencyRank(r.kind, UPLINK_DEPENDENCY_ORDER)),
        records.map((r) => r.workerId ?? null),
        records.map((r) => JSON.stringify(r.dependsOn)),
        records.map((r) => JSON.stringify(r.payload)),
        records.map((r) => payloadHash(r.payload)),
        statuses,
        present,
        records.map((r) => r.deadlineDay ?? null),
      ],
    );
    // A revision 1 has nothing earlier to supersede.
    const superseding = inserted.filter((r) => r.status === 'pending' && r.revision > 1);
    if (superseding.length > 0) {
      await sql.execute(
        `UPDATE ${this.t} l SET status = 'superseded', updated_at = now()
           FROM unnest($2::text[], $3::text[], $4::integer[]) AS d(kind, record_key, revision)
          WHERE l.target = $1 AND l.kind = d.kind AND l.record_key = d.record_key AND l.revision < d.revision
            AND l.status <> 'superseded'`,
        [
          target,
          superseding.map((r) => r.kind),
          superseding.map((r) => r.record_key),
          superseding.map((r) => r.revision),
        ],
      );
    }
    return inserted.length;
  }

  /**
   * Claims due rows of a target (pending ones to send, sent ones to poll) in dependency order, skipping
   * rows another sender holds, and leases them: a sender that dies mid-upload leaves them due again
   * after `leaseMs`, and the platform's "already exists" then settles what did get through. A claim
   * takes the due rows of the projects of the oldest due rows (one project's records share calls of up
   * to 20 items, and a rate limit per project), so calls go out full and no project is starved.
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
             AND project_id IN (
               SELECT project_id FROM ${this.t}
                WHERE target = $1 AND status IN ${LIVE} AND next_attempt_at <= now()
                ORDER BY kind_rank, id
                LIMIT $5
                FOR UPDATE SKIP LOCKED)
           ORDER BY kind_rank, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING l.*`,
      [target, limit, leaseMs, token, Math.max(1, Math.ceil(limit / PROJECT_ROWS))],
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

  /**
   * Teams of a project the platform holds: their names and the keys the target issued for them
   * (`teamKey`: national `teamSysNo`, Province B `teamId`), for the team pre-checks.
   */
  async acceptedTeams(
    sql: Sql,
    target: string,
    projectId: string,
    teamKey = 'teamSysNo',
  ): Promise<{ recordKey: string; teamName: string; teamSysNo: string }[]> {
    const rows = await sql.query<{ record_key: string; team_name: string; team_sys_no: string }>(
      `SELECT DISTINCT ON (record_key) record_key,
              coalesce(payload->'header'->>'teamName', payload->'items'->0->>'teamName') AS team_name,
              platform_keys->>$3 AS team_sys_no
         FROM ${this.t}
        WHERE target = $1 AND project_id = $2 AND kind = 'team' AND accepted_at IS NOT NULL
        ORDER BY record_key, revision DESC`,
      [target, projectId, teamKey],
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
    if (sent.length === 0) return;
    await sql.execute(
      `UPDATE ${this.t} l
          SET status = 'sent', serial_code = $2, waiting_for = '{}', last_error = NULL,
              items_sent = ARRAY(SELECT jsonb_array_elements_text(d.items::jsonb)::integer),
              sent_at = now(), updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM unnest($1::bigint[], $4::uuid[], $5::text[]) AS d(id, claim_token, items)
        WHERE l.id = d.id AND l.claim_token = d.claim_token AND l.status IN ${LIVE}`,
      [
        sent.map((s) => s.row.id),
        serialCode,
        pollMs,
        sent.map((s) => s.row.claimToken),
        sent.map((s) => JSON.stringify(s.items)),
      ],
    );
  }

  /**
   * The platform holds these items of the row: once it holds all of them the row is accepted (with the
   * keys adopted); otherwise the rest is due again at once. A row superseded meanwhile stays superseded
   * but remembers that it is upstream.
   */
  async markPresent(sql: Sql, row: LedgerRow, items: readonly number[], keys: PlatformKeys): Promise<void> {
    await this.markPresentMany(sql, [{ row, items }], keys);
  }

  /** `markPresent` for the rows of one call, in one statement. */
  async markPresentMany(
    sql: Sql,
    present: readonly { row: LedgerRow; items: readonly number[] }[],
    keys: PlatformKeys,
  ): Promise<void> {
    if (present.length === 0) return;
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
         FROM (SELECT t.id, d.claim_token,
                      ARRAY(SELECT DISTINCT unnest(t.items_present || d.items) ORDER BY 1) AS present,
                      (SELECT count(DISTINCT i) FROM unnest(t.items_present || d.items) AS i)
                        >= jsonb_array_length(t.payload->'items') AS complete
                 FROM (SELECT d.id, d.claim_token,
                              ARRAY(SELECT jsonb_array_elements_text(d.items::jsonb)::integer) AS items
                         FROM unnest($1::bigint[], $4::uuid[], $2::text[]) AS d(id, claim_token, items)) d
                 JOIN ${this.t} t ON t.id = d.id) p
        WHERE l.id = p.id AND l.claim_token = p.claim_token AND l.status IN ('pending', 'sent', 'superseded')`,
      [
        present.map((p) => p.row.id),
        present.map((p) => JSON.stringify(p.items)),
        JSON.stringify(keys),
        present.map((p) => p.row.claimToken),
      ],
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
    if (rows.length === 0) return;
    await sql.execute(
      `UPDATE ${this.t} l
          SET last_error = $2, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM unnest($1::bigint[], $4::uuid[]) AS d(id, claim_token)
        WHERE l.id = d.id AND l.claim_token = d.claim_token AND l.status IN ${LIVE}`,
      [rows.map((r) => r.id), error, delayMs, rows.map((r) => r.claimToken)],
    );
  }

  /** A sent row whose batch must go again (the platform never took it): pending, due now. */
  async markUnsent(sql: Sql, rows: readonly LedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    await sql.execute(
      `UPDATE ${this.t} l
          SET status = 'pending', serial_code = NULL, items_sent = '{}', next_attempt_at = now(), updated_at = now()
         FROM unnest($1::bigint[], $2::uuid[]) AS d(id, claim_token)
        WHERE l.id = d.id AND l.claim_token = d.claim_token AND l.status IN ${LIVE}`,
      [rows.map((r) => r.id), rows.map((r) => r.claimToken)],
    );
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

/** The first key after every key starting with `prefix` (byte order, as text_pattern_ops compares). */
function keyPrefixEnd(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  return prefix.slice(0, -1) + String.fromCodePoint(last + 1);
}

function kindOrder(row: LedgerRow): number {
  return dependencyRank(row.kind, UPLINK_DEPENDENCY_ORDER);
}
