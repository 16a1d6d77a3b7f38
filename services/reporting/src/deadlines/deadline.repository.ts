import { identifier, Sql } from '@realname/eventstore';
import type { DeadlineState, ProjectDayCounts, UplinkHealth } from './deadline.rules';
import type { UploadDeadlineReason } from '@realname/contracts';

/** A project's attendance day for a target as the ledger holds it, with the state last recorded for it. */
export interface ProjectDay {
  readonly target: string;
  readonly projectId: string;
  readonly projectName: string | null;
  readonly region: string;
  readonly day: string;
  readonly counts: ProjectDayCounts;
  readonly health: UplinkHealth;
  /** The state the tracker recorded last; undefined when it has not looked at the day yet. */
  readonly recorded?: { state: DeadlineState; reason: UploadDeadlineReason; deadline: Date };
}

/** What the tracker decided for a project-day, to be remembered. */
export interface RecordedState {
  readonly target: string;
  readonly projectId: string;
  readonly region: string;
  readonly day: string;
  readonly state: DeadlineState;
  readonly reason: UploadDeadlineReason;
  readonly deadline: Date;
  readonly counts: ProjectDayCounts;
  readonly decidedAt: Date;
}

/** Which project-days: of one target since a day (the tracker), or of one day in a region (the board). */
type Filter =
  | { kind: 'open'; target: string; sinceDay: string; createdSince: Date }
  | { kind: 'board'; day: string; regionLike: string; projectId: string | null; createdSince: Date };

interface RawProjectDay {
  target: string;
  project_id: string;
  project_name: string | null;
  region: string;
  day: string;
  expected: number;
  accepted: number;
  pending: number;
  rejected: number;
  last_accepted_at: Date | null;
  failures: number;
  oldest_pending_seconds: number;
  state: DeadlineState | null;
  reason: UploadDeadlineReason | null;
  deadline: Date | null;
}

/** Every SQL statement of the deadline tracker and its board. */
export class DeadlineRepository {
  private readonly s: string;

  constructor(schema: string) {
    this.s = identifier(schema);
  }

  /**
   * A target's project-days from `sinceDay` on that are not settled yet (never looked at, on track or
   * at risk), with their counts and the uplink's health for their records, as of `now`.
   */
  async openProjectDays(
    sql: Sql,
    target: string,
    sinceDay: string,
    createdSince: Date,
    now: Date,
  ): Promise<ProjectDay[]> {
    const rows = await this.projectDays(sql, { kind: 'open', target, sinceDay, createdSince }, now);
    // Settled days are left out in SQL already; a day settled meanwhile is skipped under the tracker's lock.
    return rows.filter(
      (r) => r.recorded === undefined || r.recorded.state === 'on-track' || r.recorded.state === 'at-risk',
    );
  }

  /**
   * Every target's project-days of `day` whose project lies in the region (`regionLike`, a LIKE prefix)
   * and, for a project scope, is that project: the board of a region.
   */
  async boardDays(
    sql: Sql,
    q: { day: string; regionLike: string; projectId: string | null; createdSince: Date },
    now: Date,
  ): Promise<ProjectDay[]> {
    return this.projectDays(sql, { kind: 'board', ...q }, now);
  }

  private async projectDays(sql: Sql, f: Filter, now: Date): Promise<ProjectDay[]> {
    // The records a day's deadline measures are its live punches (deadline_day, the punch's calendar day
    // in Beijing time); the project's region is the registry's (projects), else the one the record carried.
    const where =
      f.kind === 'open'
        ? `l.target = $2 AND l.deadline_day >= $3::date AND l.created_at >= $4
           AND NOT EXISTS (SELECT 1 FROM ${this.s}.deadline_states s
                            WHERE s.target = l.target AND s.project_id = l.project_id
                              AND s.day = l.deadline_day AND s.state IN ('missed', 'met'))`
        : `l.deadline_day = $2::date AND l.created_at >= $4`;
    const params =
      f.kind === 'open'
        ? [now, f.target, f.sinceDay, f.createdSince]
        : [now, f.day, f.regionLike, f.createdSince, f.projectId];
    const outer =
      f.kind === 'board' ? `WHERE d.region LIKE $3 AND ($5::text IS NULL OR d.project_id = $5)` : '';
    const rows = await sql.query<RawProjectDay>(
      `WITH latest AS (
         SELECT l.target, l.project_id, l.region, l.status, l.accepted_at, l.created_at, l.attempts,
                l.last_error, to_char(l.deadline_day, 'YYYY-MM-DD') AS day
           FROM ${this.s}.upload_ledger l
          WHERE l.kind = 'attendance' AND l.deadline_day IS NOT NULL AND l.status <> 'superseded'
            AND ${where}),
       d AS (
         SELECT x.target, x.project_id, coalesce(p.region, min(x.region)) AS region, p.name AS project_name,
                x.day,
                count(*)::int AS expected,
                count(*) FILTER (WHERE x.status = 'accepted')::int AS accepted,
                count(*) FILTER (WHERE x.status IN ('pending', 'sent'))::int AS pending,
                count(*) FILTER (WHERE x.status IN ('rejected', 'rejected-locally'))::int AS rejected,
                max(x.accepted_at) FILTER (WHERE x.status = 'accepted') AS last_accepted_at,
                -- attempts of a record whose last try failed retriably: the failures in a row of the worst one
                coalesce(max(x.attempts) FILTER (WHERE x.status IN ('pending', 'sent') AND x.last_error IS NOT NULL), 0)::int AS failures,
                coalesce(extract(epoch FROM $1::timestamptz - min(x.created_at)
                  FILTER (WHERE x.status IN ('pending', 'sent'))), 0)::float8 AS oldest_pending_seconds
           FROM latest x
           LEFT JOIN ${this.s}.projects p ON p.project_id = x.project_id
          GROUP BY x.target, x.project_id, x.day, p.region, p.name)
       SELECT d.*, s.state, s.reason, s.deadline
         FROM d
         LEFT JOIN ${this.s}.deadline_states s
           ON s.target = d.target AND s.project_id = d.project_id AND s.day = d.day::date
        ${outer}
        ORDER BY d.day, d.project_id, d.target`,
      params,
    );
    return rows.map((r) => ({
      target: r.target,
      projectId: r.project_id,
      projectName: r.project_name,
      region: r.region,
      day: r.day,
      counts: {
        expected: r.expected,
        accepted: r.accepted,
        pending: r.pending,
        rejected: r.rejected,
        lastAcceptedAt: r.last_accepted_at,
      },
      health: {
        consecutiveFailures: r.failures,
        oldestPendingSeconds: Math.max(0, Math.floor(r.oldest_pending_seconds)),
      },
      ...(r.state && r.reason && r.deadline
        ? { recorded: { state: r.state, reason: r.reason, deadline: r.deadline } }
        : {}),
    }));
  }

  /**
   * The state last recorded for the project-day, read under a transaction-scoped lock on it, so two
   * trackers (two replicas) never both publish the same transition.
   */
  async lockState(
    sql: Sql,
    target: string,
    projectId: string,
    day: string,
  ): Promise<DeadlineState | undefined> {
    await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `deadline:${target}/${projectId}/${day}`,
    ]);
    const rows = await sql.query<{ state: DeadlineState }>(
      `SELECT state FROM ${this.s}.deadline_states WHERE target = $1 AND project_id = $2 AND day = $3::date`,
      [target, projectId, day],
    );
    return rows[0]?.state;
  }

  /** Remembers the decision; a settled day is never overwritten. */
  async saveState(sql: Sql, r: RecordedState): Promise<void> {
    await sql.execute(
      `INSERT INTO ${this.s}.deadline_states
         (target, project_id, day, region, state, reason, deadline, expected, accepted, pending, rejected, decided_at)
       VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (target, project_id, day) DO UPDATE
         SET region = EXCLUDED.region, state = EXCLUDED.state, reason = EXCLUDED.reason,
             deadline = EXCLUDED.deadline, expected = EXCLUDED.expected, accepted = EXCLUDED.accepted,
             pending = EXCLUDED.pending, rejected = EXCLUDED.rejected, decided_at = EXCLUDED.decided_at
         WHERE ${this.s}.deadline_states.state IN ('on-track', 'at-risk')`,
      [
        r.target,
        r.projectId,
        r.day,
        r.region,
        r.state,
        r.reason,
        r.deadline,
        r.counts.expected,
        r.counts.accepted,
        r.counts.pending,
        r.counts.rejected,
        r.decidedAt,
      ],
    );
  }

  /** A project's region: the registry's (projects), else the one its records carried; undefined when unknown. */
  async regionOfProject(sql: Sql, projectId: string): Promise<string | undefined> {
    const rows = await sql.query<{ region: string | null }>(
      `SELECT coalesce((SELECT region FROM ${this.s}.projects WHERE project_id = $1),
                       (SELECT region FROM ${this.s}.upload_ledger WHERE project_id = $1 LIMIT 1)) AS region`,
      [projectId],
    );
    return rows[0]?.region ?? undefined;
  }

  /** Project-days of a target by recorded state from `sinceDay` on (the `uplink_project_days` gauge). */
  async stateCounts(sql: Sql, target: string, sinceDay: string): Promise<Map<DeadlineState, number>> {
    const rows = await sql.query<{ state: DeadlineState; n: number }>(
      `SELECT state, count(*)::int AS n FROM ${this.s}.deadline_states
        WHERE target = $1 AND day >= $2::date GROUP BY state`,
      [target, sinceDay],
    );
    return new Map(rows.map((r) => [r.state, r.n]));
  }
}
