import type { AttendanceDay, DayCorrection } from '@realname/contracts';
import type { Database, Sql } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { punchScopeSql } from '../punches/punch-queries';

/** A day of an enrolment that the finaliser should decide (again). */
export interface PendingDay {
  projectId: string;
  enrolmentId: string;
  day: string;
  cause: string;
}

/** What a day's decision needs to know about the enrolment, its project and its key posts. */
export interface EnrolmentOnProject {
  enrolmentId: string;
  projectId: string;
  region: string;
  workerId: string;
  teamId: string;
  participantId: string;
  enteredOn?: string;
  exitedOn?: string;
  keyPosts: string[];
}

/** One resolved punch of an enrolment, as pairing needs it. */
export interface EnrolmentPunch {
  enrolmentId: string;
  punchEventId: string;
  at: string;
  direction: 'in' | 'out' | 'unknown';
}

export interface PunchEvidence {
  punchEventId: string;
  punchedAt: string;
  receivedAt: string;
  direction: string;
  deviceId: string;
  deviceRecordId: string;
  verifyMode: string;
}

type Row = Record<string, unknown>;

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : ((v as string | undefined) ?? undefined);
const day = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : v instanceof Date ? localDate(v) : String(v).slice(0, 10);

/** A `date` column read by pg as a local-midnight Date: its calendar date. */
function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** All SQL of timesheets: the pending list, the days read model, corrections and the evidence queries. */
export class TimesheetRepository {
  constructor(readonly schema: string) {}

  /**
   * The projects with entered workers, and the region whose rules apply: the registry's project region,
   * else the region the project's punches were recorded in (a project attendance has not heard of yet).
   */
  async projectsWithEntries(tx: Sql): Promise<{ projectId: string; region: string }[]> {
    const rows = await tx.query<{ project_id: string; region: string | null }>(
      `SELECT e.project_id,
              COALESCE(p.region, (SELECT region FROM ${this.schema}.punches u WHERE u.project_id = e.project_id LIMIT 1)) AS region
         FROM (SELECT DISTINCT project_id FROM ${this.schema}.enrolments WHERE entered_on IS NOT NULL) e
         LEFT JOIN ${this.schema}.projects p ON p.project_id = e.project_id`,
    );
    return rows.filter((r) => r.region).map((r) => ({ projectId: r.project_id, region: r.region! }));
  }

  /**
   * Puts every day an enrolment of the projects was entered on, from `earliest` (or the entry, or the day
   * after the last seeding) through `through` (or its exit), on the pending list; then remembers how far.
   * A day with no punch is decided too: that is how absence is found.
   */
  async seedPending(tx: Sql, projectIds: string[], earliest: string, through: string): Promise<number> {
    const rows = await tx.query<{ n: string }>(
      `WITH seeded AS (
         INSERT INTO ${this.schema}.timesheet_pending (project_id, enrolment_id, day, cause)
         SELECT e.project_id, e.enrolment_id, d::date, 'finalised'
           FROM ${this.schema}.enrolments e
           LEFT JOIN ${this.schema}.timesheet_watermarks w ON w.enrolment_id = e.enrolment_id
          CROSS JOIN LATERAL generate_series(
                 GREATEST(e.entered_on, COALESCE(w.seeded_through + 1, e.entered_on), $2::date),
                 LEAST(COALESCE(e.exited_on, $3::date), $3::date), interval '1 day') d
          WHERE e.project_id = ANY($1) AND e.entered_on IS NOT NULL AND e.entered_on <= $3::date
         ON CONFLICT (project_id, enrolment_id, day) DO NOTHING
         RETURNING 1),
       marked AS (
         INSERT INTO ${this.schema}.timesheet_watermarks (enrolment_id, seeded_through)
         SELECT enrolment_id, $3::date FROM ${this.schema}.enrolments
          WHERE project_id = ANY($1) AND entered_on IS NOT NULL AND entered_on <= $3::date
         ON CONFLICT (enrolment_id) DO UPDATE SET seeded_through = GREATEST(timesheet_watermarks.seeded_through, EXCLUDED.seeded_through)
         RETURNING 1)
       SELECT (SELECT count(*) FROM seeded) AS n, (SELECT count(*) FROM marked) AS m`,
      [projectIds, earliest, through],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Days to decide again (a late punch, a correction ...); the latest cause wins. */
  async markPending(tx: Sql, days: PendingDay[]): Promise<void> {
    if (days.length === 0) return;
    await tx.execute(
      `INSERT INTO ${this.schema}.timesheet_pending (project_id, enrolment_id, day, cause)
       SELECT DISTINCT ON (project_id, enrolment_id, day) project_id, enrolment_id, day, cause
         FROM jsonb_to_recordset($1::jsonb) AS p(project_id text, enrolment_id text, day date, cause text)
        ORDER BY project_id, enrolment_id, day
       ON CONFLICT (project_id, enrolment_id, day) DO UPDATE SET cause = EXCLUDED.cause`,
      [
        JSON.stringify(
          days.map((d) => ({
            project_id: d.projectId,
            enrolment_id: d.enrolmentId,
            day: d.day,
            cause: d.cause,
          })),
        ),
      ],
    );
  }

  /**
   * Pending days up to `throughDay`, oldest first, locked so that two finalisers never take the same
   * one (the other skips it).
   */
  async takePending(tx: Sql, throughDay: string, limit: number): Promise<PendingDay[]> {
    const rows = await tx.query<Row>(
      `SELECT project_id, enrolment_id, day, cause FROM ${this.schema}.timesheet_pending
        WHERE day <= $1::date ORDER BY day, project_id, enrolment_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [throughDay, limit],
    );
    return rows.map((r) => ({
      projectId: String(r.project_id),
      enrolmentId: String(r.enrolment_id),
      day: day(r.day)!,
      cause: String(r.cause),
    }));
  }

  async removePending(tx: Sql, days: PendingDay[]): Promise<void> {
    if (days.length === 0) return;
    await tx.execute(
      `DELETE FROM ${this.schema}.timesheet_pending t
        USING jsonb_to_recordset($1::jsonb) AS p(project_id text, enrolment_id text, day date)
        WHERE t.project_id = p.project_id AND t.enrolment_id = p.enrolment_id AND t.day = p.day`,
      [
        JSON.stringify(
          days.map((d) => ({ project_id: d.projectId, enrolment_id: d.enrolmentId, day: d.day })),
        ),
      ],
    );
  }

  /** The enrolments (by id) with their project's region and the key posts their holder has on the project. */
  async enrolments(tx: Sql, enrolmentIds: string[]): Promise<Map<string, EnrolmentOnProject>> {
    const rows = await tx.query<Row>(
      `SELECT e.enrolment_id, e.project_id, e.worker_id, e.team_id, e.participant_id, e.entered_on, e.exited_on,
              COALESCE(p.region, (SELECT region FROM ${this.schema}.punches u WHERE u.project_id = e.project_id LIMIT 1)) AS region,
              COALESCE((SELECT array_agg(DISTINCT k.post ORDER BY k.post) FROM ${this.schema}.key_persons k
                         WHERE k.project_id = e.project_id AND k.id_hash = e.id_hash), '{}') AS key_posts
         FROM ${this.schema}.enrolments e
         LEFT JOIN ${this.schema}.projects p ON p.project_id = e.project_id
        WHERE e.enrolment_id = ANY($1)`,
      [enrolmentIds],
    );
    return new Map(
      rows.map((r) => [
        String(r.enrolment_id),
        {
          enrolmentId: String(r.enrolment_id),
          projectId: String(r.project_id),
          region: String(r.region ?? ''),
          workerId: String(r.worker_id ?? ''),
          teamId: String(r.team_id ?? ''),
          participantId: String(r.participant_id ?? ''),
          enteredOn: day(r.entered_on),
          exitedOn: day(r.exited_on),
          keyPosts: (r.key_posts as string[]) ?? [],
        },
      ]),
    );
  }

  /** The resolved punches of these enrolments between two instants (the union of the days' windows). */
  async punchesOf(tx: Sql, enrolmentIds: string[], from: Date, to: Date): Promise<EnrolmentPunch[]> {
    const rows = await tx.query<Row>(
      `SELECT enrolment_id, punch_event_id, punched_at, direction FROM ${this.schema}.punches
        WHERE enrolment_id = ANY($1) AND resolution_status = 'resolved' AND punched_at >= $2 AND punched_at <= $3
        ORDER BY punched_at, punch_event_id`,
      [enrolmentIds, from, to],
    );
    return rows.map((r) => ({
      enrolmentId: String(r.enrolment_id),
      punchEventId: String(r.punch_event_id),
      at: iso(r.punched_at)!,
      direction: r.direction as EnrolmentPunch['direction'],
    }));
  }

  /** The read model's copy of the day's latest revision. */
  async saveDay(tx: Sql, d: AttendanceDay, at: string): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.timesheet_days (project_id, enrolment_id, day, region, worker_id, team_id,
         participant_id, revision, status, working, calendar_kind, intervals, first_in, last_out, worked_minutes,
         punches, corrections, cause, finalised_at, revised_at, key_posts, document)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21)
       ON CONFLICT (project_id, enrolment_id, day) DO UPDATE SET region = EXCLUDED.region,
         worker_id = EXCLUDED.worker_id, team_id = EXCLUDED.team_id, participant_id = EXCLUDED.participant_id,
         revision = EXCLUDED.revision, status = EXCLUDED.status, working = EXCLUDED.working,
         calendar_kind = EXCLUDED.calendar_kind, intervals = EXCLUDED.intervals, first_in = EXCLUDED.first_in,
         last_out = EXCLUDED.last_out, worked_minutes = EXCLUDED.worked_minutes, punches = EXCLUDED.punches,
         corrections = EXCLUDED.corrections, cause = EXCLUDED.cause, revised_at = EXCLUDED.revised_at,
         key_posts = EXCLUDED.key_posts, document = EXCLUDED.document`,
      [
        d.projectId,
        d.enrolmentId,
        d.day,
        d.region,
        d.workerId,
        d.teamId,
        d.participantId,
        d.revision,
        d.status,
        d.calendar.working,
        d.calendar.kind,
        JSON.stringify(d.intervals),
        d.firstIn ?? null,
        d.lastOut ?? null,
        d.workedMinutes,
        d.punches,
        JSON.stringify(d.corrections),
        d.cause,
        at,
        d.keyPosts,
        JSON.stringify(d),
      ],
    );
  }

  /** The corrections table follows the day's stream: a new request, or a decision on one. */
  async saveCorrection(
    tx: Sql,
    c: DayCorrection & {
      projectId: string;
      region: string;
      enrolmentId: string;
      workerId: string;
      day: string;
    },
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.timesheet_corrections (correction_id, project_id, region, enrolment_id, worker_id, day,
         kind, at, reason, requested_by, requested_at, status, decided_by, decided_at, decision_note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (correction_id) DO UPDATE SET status = EXCLUDED.status, decided_by = EXCLUDED.decided_by,
         decided_at = EXCLUDED.decided_at, decision_note = EXCLUDED.decision_note`,
      [
        c.correctionId,
        c.projectId,
        c.region,
        c.enrolmentId,
        c.workerId,
        c.day,
        c.kind,
        c.at ?? null,
        c.reason,
        c.requestedBy,
        c.requestedAt,
        c.status,
        c.decidedBy ?? null,
        c.decidedAt ?? null,
        c.decisionNote ?? null,
      ],
    );
  }

  /** A decision on a correction already in the table (the rebuild applies requests and decisions in order). */
  async decideCorrection(
    tx: Sql,
    d: {
      correctionId: string;
      status: 'approved' | 'rejected';
      decidedBy: string;
      decidedAt: string;
      note?: string;
    },
  ): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.timesheet_corrections SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5
        WHERE correction_id = $1`,
      [d.correctionId, d.status, d.decidedBy, d.decidedAt, d.note ?? null],
    );
  }

  // ---- reads for the APIs, always within the caller's scope ----

  /**
   * The enrolment through which a worker was on the project on a day (entered by then, not exited
   * before), in the caller's scope; the latest entry when several match.
   */
  async enrolmentOf(
    db: Database | Sql,
    projectId: string,
    workerId: string,
    onDay: string,
    scope: CallerScope,
  ): Promise<(EnrolmentOnProject & { name: string }) | undefined> {
    const s = punchScopeSql(this.schema, scope, 4);
    const rows = await db.query<Row>(
      `SELECT x.enrolment_id, x.name FROM (
         SELECT e.enrolment_id, e.name, e.entered_on, e.credit_code,
                COALESCE(p.region, (SELECT region FROM ${this.schema}.punches u WHERE u.project_id = e.project_id LIMIT 1)) AS region,
                e.project_id
           FROM ${this.schema}.enrolments e LEFT JOIN ${this.schema}.projects p ON p.project_id = e.project_id
          WHERE e.project_id = $1 AND e.worker_id = $2) x
        WHERE (x.entered_on IS NULL OR x.entered_on <= $3::date) AND ${s.sql}
        ORDER BY x.entered_on DESC NULLS LAST LIMIT 1`,
      [projectId, workerId, onDay, s.param],
    );
    const row = rows[0];
    if (!row) return undefined;
    const facts = (await this.enrolments(db as Sql, [String(row.enrolment_id)])).get(
      String(row.enrolment_id),
    );
    return facts && { ...facts, name: String(row.name ?? '') };
  }

  /** Whether the worker is enrolled on the project at all (to tell a write out of scope from a missing one). */
  async workerOnProject(tx: Sql, projectId: string, workerId: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM ${this.schema}.enrolments WHERE project_id = $1 AND worker_id = $2 LIMIT 1`,
      [projectId, workerId],
    );
    return rows.length > 0;
  }

  async correctionExists(tx: Sql, correctionId: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM ${this.schema}.timesheet_corrections WHERE correction_id = $1`,
      [correctionId],
    );
    return rows.length > 0;
  }

  /** The latest revision of each worker's day on a project (optionally one team), in the caller's scope. */
  async daysOfProject(
    db: Database,
    projectId: string,
    onDay: string,
    teamId: string | undefined,
    scope: CallerScope,
  ): Promise<AttendanceDay[]> {
    const s = punchScopeSql(this.schema, scope, 4);
    const rows = await db.query<Row>(
      `SELECT ${DAY_COLUMNS} FROM ${this.schema}.timesheet_days
        WHERE project_id = $1 AND day = $2::date AND ($3::text IS NULL OR team_id = $3) AND ${s.sql}
        ORDER BY team_id, worker_id, enrolment_id`,
      [projectId, onDay, teamId ?? null, s.param],
    );
    return rows.map(dayFromRow);
  }

  async dayOf(
    db: Database,
    projectId: string,
    enrolmentId: string,
    onDay: string,
  ): Promise<AttendanceDay | undefined> {
    const rows = await db.query<Row>(
      `SELECT ${DAY_COLUMNS} FROM ${this.schema}.timesheet_days WHERE project_id = $1 AND enrolment_id = $2 AND day = $3::date`,
      [projectId, enrolmentId, onDay],
    );
    return rows[0] && dayFromRow(rows[0]);
  }

  /** Every punch of the enrolment between two instants, resolved or not: the evidence behind a day. */
  async evidence(db: Database, enrolmentId: string, from: Date, to: Date): Promise<PunchEvidence[]> {
    const rows = await db.query<Row>(
      `SELECT punch_event_id, punched_at, received_at, direction, device_id, device_record_id, verify_mode
         FROM ${this.schema}.punches
        WHERE enrolment_id = $1 AND punched_at >= $2 AND punched_at <= $3 ORDER BY punched_at, punch_event_id`,
      [enrolmentId, from, to],
    );
    return rows.map((r) => ({
      punchEventId: String(r.punch_event_id),
      punchedAt: iso(r.punched_at)!,
      receivedAt: iso(r.received_at)!,
      direction: String(r.direction),
      deviceId: String(r.device_id),
      deviceRecordId: String(r.device_record_id),
      verifyMode: String(r.verify_mode),
    }));
  }

  /** Corrections in the caller's scope, newest first. */
  async corrections(
    db: Database,
    q: { status?: string; projectId?: string; limit: number },
    scope: CallerScope,
  ): Promise<(DayCorrection & { projectId: string; enrolmentId: string; workerId: string; day: string })[]> {
    const s = punchScopeSql(this.schema, scope, 3);
    const rows = await db.query<Row>(
      `SELECT * FROM ${this.schema}.timesheet_corrections
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR project_id = $2) AND ${s.sql}
        ORDER BY requested_at DESC, correction_id LIMIT $4`,
      [q.status ?? null, q.projectId ?? null, s.param, q.limit],
    );
    return rows.map(correctionFromRow);
  }

  async correction(
    db: Database | Sql,
    correctionId: string,
    scope: CallerScope,
  ): Promise<
    | (DayCorrection & {
        projectId: string;
        enrolmentId: string;
        workerId: string;
        day: string;
        region: string;
      })
    | undefined
  > {
    const s = punchScopeSql(this.schema, scope, 2);
    const rows = await db.query<Row>(
      `SELECT * FROM ${this.schema}.timesheet_corrections WHERE correction_id = $1 AND ${s.sql}`,
      [correctionId, s.param],
    );
    return rows[0] && { ...correctionFromRow(rows[0]), region: String(rows[0].region) };
  }
}

/** The read model keeps the whole day as published (`document`); the other columns are for filters and sums. */
const DAY_COLUMNS = 'document';

function dayFromRow(r: Row): AttendanceDay {
  return r.document as AttendanceDay;
}

function correctionFromRow(r: Row) {
  return {
    correctionId: String(r.correction_id),
    projectId: String(r.project_id),
    enrolmentId: String(r.enrolment_id),
    workerId: String(r.worker_id),
    day: day(r.day)!,
    kind: r.kind as DayCorrection['kind'],
    ...(r.at ? { at: iso(r.at) } : {}),
    reason: String(r.reason),
    requestedBy: String(r.requested_by),
    requestedAt: iso(r.requested_at)!,
    status: r.status as DayCorrection['status'],
    ...(r.decided_by ? { decidedBy: String(r.decided_by) } : {}),
    ...(r.decided_at ? { decidedAt: iso(r.decided_at) } : {}),
    ...(r.decision_note ? { decisionNote: String(r.decision_note) } : {}),
  };
}
