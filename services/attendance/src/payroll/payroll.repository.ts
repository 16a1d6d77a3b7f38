import type { PayrollFindingKind } from '@realname/contracts';
import type { Sql } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { scopeSql } from '../sheets/sheets.repository';
import type { WageBasis, WageTermsRow } from './amount-due';
import type { Finding, OpenFinding } from './reconciliation';

export interface Actor {
  subject: string;
  role: string;
  scope: string;
}

export interface StoredTerms extends WageTermsRow {
  setBy: string;
  setAt: Date;
}

export interface MonthAttendance {
  enrolmentId: string;
  workerId: string;
  participantId: string;
  daysPresent: number;
  workedMinutes: number;
}

export interface MonthPayments {
  enrolmentId: string;
  workerId: string;
  participantId: string;
  amountPaidFen: number;
  payments: number;
}

export interface WorkerEnrolment {
  enrolmentId: string;
  workerId: string;
  teamId: string;
  enteredOn: string | null;
  /** Months (YYYY-MM) in which the enrolment has a day present or incomplete, with the team it was in then. */
  monthsAttended: { month: string; teamId: string }[];
}

export interface NewRecord {
  recordId: string;
  teamId: string;
  enrolmentId: string;
  workerId: string;
  month: string;
  amountPaidFen: number;
  paidOn: string;
  referenceMasked: string;
  referenceHash: string;
}

export interface FindingRow {
  finding_id: string;
  kind: PayrollFindingKind;
  project_id: string;
  team_id: string;
  month: string;
  enrolment_id: string | null;
  worker_id: string | null;
  open: boolean;
  detail: string;
  days_present: number;
  worked_minutes: number;
  amount_due_fen: string | null;
  amount_paid_fen: string | null;
  minimum_fen: string | null;
  raised_at: Date;
  cleared_at: Date | null;
}

const ON_SITE = `status IN ('present', 'incomplete')`;

/** Every SQL statement of payroll: terms, piecework, records, findings, and what reconciliation reads. */
export class PayrollRepository {
  constructor(
    private readonly db: Sql,
    private readonly schema: string,
  ) {}

  // ---- wage terms and piecework -----------------------------------------------------------------

  async putTerms(
    t: { projectId: string; teamId: string; workerId: string | null } & Omit<WageTermsRow, 'workerId'>,
    actor: Actor,
  ): Promise<void> {
    await this.db.execute(
      `INSERT INTO ${this.schema}.payroll_wage_terms
         (project_id, team_id, worker_id, effective_from, basis, rate_fen, set_by, set_role, set_scope, set_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (project_id, team_id, worker_id, effective_from) DO UPDATE
         SET basis = EXCLUDED.basis, rate_fen = EXCLUDED.rate_fen, set_by = EXCLUDED.set_by,
             set_role = EXCLUDED.set_role, set_scope = EXCLUDED.set_scope, set_at = now()`,
      [
        t.projectId,
        t.teamId,
        t.workerId ?? '',
        t.effectiveFrom,
        t.basis,
        t.rateFen,
        actor.subject,
        actor.role,
        actor.scope,
      ],
    );
  }

  async teamTerms(projectId: string, teamId: string, tx: Sql = this.db): Promise<StoredTerms[]> {
    const rows = await tx.query<{
      worker_id: string;
      effective_from: string;
      basis: WageBasis;
      rate_fen: string;
      set_by: string;
      set_at: Date;
    }>(
      `SELECT worker_id, effective_from, basis, rate_fen::text AS rate_fen, set_by, set_at
         FROM ${this.schema}.payroll_wage_terms WHERE project_id = $1 AND team_id = $2
        ORDER BY worker_id <> '', worker_id, effective_from`,
      [projectId, teamId],
    );
    return rows.map((r) => ({
      workerId: r.worker_id === '' ? null : r.worker_id,
      effectiveFrom: r.effective_from,
      basis: r.basis,
      rateFen: Number(r.rate_fen),
      setBy: r.set_by,
      setAt: r.set_at,
    }));
  }

  async putPiecework(
    p: { projectId: string; teamId: string; workerId: string; month: string; piecesHundredths: number },
    actor: Actor,
  ): Promise<void> {
    await this.db.execute(
      `INSERT INTO ${this.schema}.payroll_piecework
         (project_id, team_id, worker_id, month, pieces_hundredths, set_by, set_role, set_scope, set_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (project_id, team_id, worker_id, month) DO UPDATE
         SET pieces_hundredths = EXCLUDED.pieces_hundredths, set_by = EXCLUDED.set_by,
             set_role = EXCLUDED.set_role, set_scope = EXCLUDED.set_scope, set_at = now()`,
      [
        p.projectId,
        p.teamId,
        p.workerId,
        p.month,
        p.piecesHundredths,
        actor.subject,
        actor.role,
        actor.scope,
      ],
    );
  }

  /** Pieces (hundredths) per worker of the team's month. */
  async piecework(
    projectId: string,
    teamId: string,
    month: string,
    tx: Sql = this.db,
  ): Promise<Map<string, number>> {
    const rows = await tx.query<{ worker_id: string; h: string }>(
      `SELECT worker_id, pieces_hundredths::text AS h FROM ${this.schema}.payroll_piecework
        WHERE project_id = $1 AND team_id = $2 AND month = $3`,
      [projectId, teamId, month],
    );
    return new Map(rows.map((r) => [r.worker_id, Number(r.h)]));
  }

  /** Whether the worker has an enrolment in the team that the caller's scope shows. */
  async workerInTeam(
    projectId: string,
    teamId: string,
    workerId: string,
    scope: CallerScope,
  ): Promise<boolean> {
    const s = scopeSql(this.schema, scope, 4, 'e.project_id');
    const [row] = await this.db.query<{ n: number }>(
      `SELECT 1 AS n FROM ${this.schema}.enrolments e
        WHERE e.project_id = $1 AND e.team_id = $2 AND e.worker_id = $3 AND ${s.enrolment}
       UNION ALL
       SELECT 1 FROM ${this.schema}.timesheet_days t
        JOIN ${this.schema}.enrolments e USING (enrolment_id)
        WHERE t.project_id = $1 AND t.team_id = $2 AND t.worker_id = $3 AND ${s.enrolment}
       LIMIT 1`,
      [projectId, teamId, workerId, s.param],
    );
    return row !== undefined;
  }

  // ---- what a team's month holds ----------------------------------------------------------------

  /** Days present (present or incomplete) and worked minutes per enrolment of the team's month. */
  async teamAttendance(
    projectId: string,
    teamId: string,
    from: string,
    to: string,
    tx: Sql = this.db,
  ): Promise<MonthAttendance[]> {
    const rows = await tx.query<{
      enrolment_id: string;
      worker_id: string;
      participant_id: string;
      days: string;
      minutes: string;
    }>(
      `SELECT enrolment_id, max(worker_id) AS worker_id, max(participant_id) AS participant_id,
              count(*) FILTER (WHERE ${ON_SITE})::text AS days, COALESCE(sum(worked_minutes), 0)::text AS minutes
         FROM ${this.schema}.timesheet_days
        WHERE project_id = $1 AND team_id = $2 AND day BETWEEN $3::date AND $4::date
        GROUP BY enrolment_id ORDER BY enrolment_id`,
      [projectId, teamId, from, to],
    );
    return rows.map((r) => ({
      enrolmentId: r.enrolment_id,
      workerId: r.worker_id,
      participantId: r.participant_id,
      daysPresent: Number(r.days),
      workedMinutes: Number(r.minutes),
    }));
  }

  /** Payments per enrolment of the team's month. */
  async teamPayments(
    projectId: string,
    teamId: string,
    month: string,
    tx: Sql = this.db,
  ): Promise<MonthPayments[]> {
    const rows = await tx.query<{
      enrolment_id: string;
      worker_id: string;
      participant_id: string | null;
      paid: string;
      n: string;
    }>(
      `SELECT r.enrolment_id, max(r.worker_id) AS worker_id, max(e.participant_id) AS participant_id,
              sum(r.amount_paid_fen)::text AS paid, count(*)::text AS n
         FROM ${this.schema}.payroll_records r
         LEFT JOIN ${this.schema}.enrolments e ON e.enrolment_id = r.enrolment_id
        WHERE r.project_id = $1 AND r.team_id = $2 AND r.month = $3
        GROUP BY r.enrolment_id ORDER BY r.enrolment_id`,
      [projectId, teamId, month],
    );
    return rows.map((r) => ({
      enrolmentId: r.enrolment_id,
      workerId: r.worker_id,
      participantId: r.participant_id ?? '',
      amountPaidFen: Number(r.paid),
      payments: Number(r.n),
    }));
  }

  /** Workers paid in the team's month who are not among `known` (sheet rows), with what the registry says. */
  async paidWorkers(projectId: string, teamId: string, month: string, known: string[], scope: CallerScope) {
    const s = scopeSql(this.schema, scope, 5, 'e.project_id');
    return this.db.query<{
      enrolment_id: string;
      worker_id: string;
      name: string;
      masked: string;
      work_type: string;
    }>(
      `SELECT DISTINCT e.enrolment_id, e.worker_id, COALESCE(e.name, '') AS name,
              COALESCE(e.masked_id_number, '') AS masked, COALESCE(e.work_type, '') AS work_type
         FROM ${this.schema}.payroll_records r JOIN ${this.schema}.enrolments e ON e.enrolment_id = r.enrolment_id
        WHERE r.project_id = $1 AND r.team_id = $2 AND r.month = $3 AND NOT (r.enrolment_id = ANY($4::text[]))
          AND ${s.enrolment}
        ORDER BY name, e.enrolment_id`,
      [projectId, teamId, month, known, s.param],
    );
  }

  /** The team's region (the project's) and unit, for events about it. */
  async teamContext(projectId: string, teamId: string, tx: Sql = this.db) {
    const [row] = await tx.query<{ region: string | null; participant_id: string | null }>(
      `SELECT COALESCE((SELECT region FROM ${this.schema}.projects WHERE project_id = $1),
                       (SELECT region FROM ${this.schema}.timesheet_days WHERE project_id = $1 LIMIT 1)) AS region,
              COALESCE((SELECT participant_id FROM ${this.schema}.enrolments
                         WHERE project_id = $1 AND team_id = $2 AND participant_id IS NOT NULL LIMIT 1),
                       (SELECT participant_id FROM ${this.schema}.timesheet_days
                         WHERE project_id = $1 AND team_id = $2 LIMIT 1)) AS participant_id`,
      [projectId, teamId],
    );
    return { region: row?.region ?? null, participantId: row?.participant_id ?? null };
  }

  // ---- imports ------------------------------------------------------------------------------------

  /** The enrolments of these workers on the project that the caller's scope shows. */
  async enrolmentsOf(projectId: string, workerIds: string[], scope: CallerScope): Promise<WorkerEnrolment[]> {
    const s = scopeSql(this.schema, scope, 3, 'e.project_id');
    const rows = await this.db.query<{
      enrolment_id: string;
      worker_id: string;
      team_id: string | null;
      entered_on: string | null;
      months: string[] | null;
    }>(
      `SELECT e.enrolment_id, e.worker_id, e.team_id, to_char(e.entered_on, 'YYYY-MM-DD') AS entered_on,
              (SELECT array_agg(DISTINCT to_char(t.day, 'YYYY-MM') || chr(31) || t.team_id) FROM ${this.schema}.timesheet_days t
                WHERE t.project_id = e.project_id AND t.enrolment_id = e.enrolment_id AND t.${ON_SITE}) AS months
         FROM ${this.schema}.enrolments e
        WHERE e.project_id = $1 AND e.worker_id = ANY($2::text[]) AND ${s.enrolment}`,
      [projectId, workerIds, s.param],
    );
    return rows
      .filter((r) => r.team_id !== null)
      .map((r) => ({
        enrolmentId: r.enrolment_id,
        workerId: r.worker_id,
        teamId: r.team_id!,
        enteredOn: r.entered_on,
        monthsAttended: (r.months ?? []).map((m) => {
          const [month, teamId] = m.split('\u001f');
          return { month, teamId };
        }),
      }));
  }

  async insertImport(
    tx: Sql,
    i: { importId: string; projectId: string; source: string; received: number },
    actor: Actor,
  ): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.payroll_imports
         (import_id, project_id, source, received, stored, already_recorded, imported_by, imported_role, imported_scope)
       VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7)`,
      [i.importId, i.projectId, i.source, i.received, actor.subject, actor.role, actor.scope],
    );
  }

  async finishImport(tx: Sql, importId: string, stored: number, already: number): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.payroll_imports SET stored = $2, already_recorded = $3 WHERE import_id = $1`,
      [importId, stored, already],
    );
  }

  /**
   * Stores the records not stored before (same project, worker, month and reference hash); answers the
   * ids stored and, for those already there, the stored amount and day (to tell a repeat from a clash).
   */
  async insertRecords(tx: Sql, importId: string, projectId: string, records: NewRecord[]) {
    const inserted = await tx.query<{ record_id: string }>(
      `INSERT INTO ${this.schema}.payroll_records
         (record_id, import_id, project_id, team_id, enrolment_id, worker_id, month, amount_paid_fen, paid_on,
          bank_reference_masked, bank_reference_hash)
       SELECT r.id, $1, $2, r.team, r.enrolment, r.worker, r.month, r.fen, r.paid_on, r.masked, r.hash
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::date[], $10::text[], $11::text[])
              AS r(id, team, enrolment, worker, month, fen, paid_on, masked, hash)
       ON CONFLICT (project_id, worker_id, month, bank_reference_hash) DO NOTHING
       RETURNING record_id`,
      [
        importId,
        projectId,
        records.map((r) => r.recordId),
        records.map((r) => r.teamId),
        records.map((r) => r.enrolmentId),
        records.map((r) => r.workerId),
        records.map((r) => r.month),
        records.map((r) => r.amountPaidFen),
        records.map((r) => r.paidOn),
        records.map((r) => r.referenceMasked),
        records.map((r) => r.referenceHash),
      ],
    );
    const stored = new Set(inserted.map((r) => r.record_id));
    const rest = records.filter((r) => !stored.has(r.recordId));
    const existing = rest.length
      ? await tx.query<{ worker_id: string; month: string; hash: string; fen: string; paid_on: string }>(
          `SELECT worker_id, month, bank_reference_hash AS hash, amount_paid_fen::text AS fen,
                  to_char(paid_on, 'YYYY-MM-DD') AS paid_on
             FROM ${this.schema}.payroll_records
            WHERE project_id = $1 AND (worker_id, month, bank_reference_hash) IN
                  (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))`,
          [
            projectId,
            rest.map((r) => r.workerId),
            rest.map((r) => r.month),
            rest.map((r) => r.referenceHash),
          ],
        )
      : [];
    const before = new Map(existing.map((e) => [`${e.worker_id}\u001f${e.month}\u001f${e.hash}`, e]));
    return {
      stored,
      earlier: (r: NewRecord) => before.get(`${r.workerId}\u001f${r.month}\u001f${r.referenceHash}`),
    };
  }

  // ---- findings -----------------------------------------------------------------------------------

  async openFindings(tx: Sql, projectId: string, teamId: string, month: string): Promise<OpenFinding[]> {
    const rows = await tx.query<{
      finding_id: string;
      kind: PayrollFindingKind;
      enrolment_id: string | null;
      worker_id: string | null;
      participant_id: string;
      fingerprint: string;
    }>(
      `SELECT finding_id, kind, enrolment_id, worker_id, participant_id, fingerprint FROM ${this.schema}.payroll_findings
        WHERE project_id = $1 AND team_id = $2 AND month = $3 AND open`,
      [projectId, teamId, month],
    );
    return rows.map((r) => ({
      findingId: r.finding_id,
      kind: r.kind,
      participantId: r.participant_id,
      fingerprint: r.fingerprint,
      ...(r.enrolment_id ? { enrolmentId: r.enrolment_id } : {}),
      ...(r.worker_id ? { workerId: r.worker_id } : {}),
    }));
  }

  async saveRaised(tx: Sql, f: Finding, fingerprint: string, at: Date): Promise<void> {
    await tx.execute(
      `INSERT INTO ${this.schema}.payroll_findings
         (finding_id, kind, project_id, region, team_id, participant_id, month, enrolment_id, worker_id, open, detail,
          fingerprint, days_present, worked_minutes, amount_due_fen, amount_paid_fen, minimum_fen, raised_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $11, $12, $13, $14, $15, $16, $17, $17)
       ON CONFLICT (finding_id) DO UPDATE SET open = true, detail = EXCLUDED.detail, fingerprint = EXCLUDED.fingerprint,
         days_present = EXCLUDED.days_present, worked_minutes = EXCLUDED.worked_minutes,
         amount_due_fen = EXCLUDED.amount_due_fen, amount_paid_fen = EXCLUDED.amount_paid_fen,
         minimum_fen = EXCLUDED.minimum_fen, cleared_at = NULL, updated_at = EXCLUDED.updated_at,
         raised_at = CASE WHEN ${this.schema}.payroll_findings.open THEN ${this.schema}.payroll_findings.raised_at
                          ELSE EXCLUDED.raised_at END`,
      [
        f.findingId,
        f.kind,
        f.projectId,
        f.region,
        f.teamId,
        f.participantId,
        f.month,
        f.enrolmentId ?? null,
        f.workerId ?? null,
        f.detail,
        fingerprint,
        f.daysPresent,
        f.workedMinutes,
        f.amountDueFen ?? null,
        f.amountPaidFen ?? null,
        f.minimumFen ?? null,
        at,
      ],
    );
  }

  async saveCleared(tx: Sql, findingId: string, detail: string, at: Date): Promise<void> {
    await tx.execute(
      `UPDATE ${this.schema}.payroll_findings SET open = false, detail = $2, cleared_at = $3, updated_at = $3
        WHERE finding_id = $1`,
      [findingId, detail, at],
    );
  }

  /** Findings of a project the caller's scope shows (an enterprise: its workers' and its teams'). */
  async listFindings(
    q: { projectId: string; month?: string; open?: boolean },
    scope: CallerScope,
  ): Promise<FindingRow[]> {
    const s = scopeSql(this.schema, scope, 4, 'f.project_id');
    const visible =
      scope.kind === 'enterprise'
        ? `EXISTS (SELECT 1 FROM ${this.schema}.enrolments e WHERE e.project_id = f.project_id AND e.team_id = f.team_id
             AND (f.enrolment_id IS NULL OR e.enrolment_id = f.enrolment_id) AND ${s.enrolment})`
        : s.project;
    return this.db.query<FindingRow>(
      `SELECT finding_id, kind, project_id, team_id, month, enrolment_id, worker_id, open, detail, days_present,
              worked_minutes, amount_due_fen::text AS amount_due_fen, amount_paid_fen::text AS amount_paid_fen,
              minimum_fen::text AS minimum_fen, raised_at, cleared_at
         FROM ${this.schema}.payroll_findings f
        WHERE f.project_id = $1 AND ($2::text IS NULL OR f.month = $2) AND ($3::boolean IS NULL OR f.open = $3)
          AND ${visible}
        ORDER BY f.month, f.team_id, f.kind, f.finding_id`,
      [q.projectId, q.month ?? null, q.open ?? null, s.param],
    );
  }

  // ---- what the timer reconciles --------------------------------------------------------------------

  async mark(name: string): Promise<Date | undefined> {
    const [row] = await this.db.query<{ checked_until: Date }>(
      `SELECT checked_until FROM ${this.schema}.payroll_reconciliation_marks WHERE name = $1`,
      [name],
    );
    return row?.checked_until;
  }

  async setMark(name: string, until: Date): Promise<void> {
    await this.db.execute(
      `INSERT INTO ${this.schema}.payroll_reconciliation_marks (name, checked_until) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET checked_until = EXCLUDED.checked_until`,
      [name, until],
    );
  }

  /** Team-months whose attendance was finalised or revised since `since`. */
  async revisedTeamMonths(since: Date): Promise<{ projectId: string; teamId: string; month: string }[]> {
    const rows = await this.db.query<{ project_id: string; team_id: string; month: string }>(
      `SELECT DISTINCT project_id, team_id, to_char(day, 'YYYY-MM') AS month
         FROM ${this.schema}.timesheet_days WHERE revised_at >= $1`,
      [since],
    );
    return rows.map((r) => ({ projectId: r.project_id, teamId: r.team_id, month: r.month }));
  }

  /** Team-months of these months with a day present, a payment, or an open finding. */
  async teamMonthsOf(months: string[]): Promise<{ projectId: string; teamId: string; month: string }[]> {
    if (months.length === 0) return [];
    const rows = await this.db.query<{ project_id: string; team_id: string; month: string }>(
      `SELECT DISTINCT t.project_id, t.team_id, to_char(t.day, 'YYYY-MM') AS month FROM ${this.schema}.timesheet_days t
        WHERE t.${ON_SITE} AND to_char(t.day, 'YYYY-MM') = ANY($1::text[])
          AND t.day BETWEEN to_date($2, 'YYYY-MM') AND (to_date($3, 'YYYY-MM') + interval '1 month' - interval '1 day')::date
       UNION
       SELECT DISTINCT project_id, team_id, month FROM ${this.schema}.payroll_records WHERE month = ANY($1::text[])
       UNION
       SELECT DISTINCT project_id, team_id, month FROM ${this.schema}.payroll_findings WHERE open AND month = ANY($1::text[])`,
      [months, [...months].sort()[0], [...months].sort().reverse()[0]],
    );
    return rows.map((r) => ({ projectId: r.project_id, teamId: r.team_id, month: r.month }));
  }
}
