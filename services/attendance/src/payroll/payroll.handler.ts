import { v7 as uuidv7 } from 'uuid';
import type { AttendanceApi } from '@realname/contracts';
import type { Database } from '@realname/eventstore';
import { actorOf, type Caller, type CallerScope } from '@realname/platform';
import { ProjectNotFound } from '../punches/punch-queries';
import { hoursOf, monthDays } from '../sheets/month-sheet';
import { InputRefused, NotInScope } from '../sheets/rest-support';
import { SheetsRepository } from '../sheets/sheets.repository';
import { amountDue, fenToYuan, piecesToHundredths, termsFor } from './amount-due';
import { PayrollReconciler } from './payroll-reconciler';
import {
  checkRecords,
  maskReference,
  referenceHash,
  type FieldError,
  type RawRecord,
  type RecordInput,
} from './payroll-records';
import { PayrollRepository, type NewRecord, type WorkerEnrolment } from './payroll.repository';

/**
 * The enrolment and team a payment of `month` belongs to: among the worker's enrolments on the project,
 * one with days present that month (in the team it was in then, should it have moved since), else the
 * latest entered, in its current team.
 */
export function enrolmentForPayment(
  enrolments: WorkerEnrolment[],
  month: string,
): { enrolmentId: string; teamId: string } | undefined {
  const byEntry = [...enrolments].sort((a, b) => (b.enteredOn ?? '').localeCompare(a.enteredOn ?? ''));
  for (const e of byEntry) {
    const attended = e.monthsAttended
      .filter((m) => m.month === month)
      .sort((x, y) => x.teamId.localeCompare(y.teamId));
    if (attended.length) return { enrolmentId: e.enrolmentId, teamId: attended[0].teamId };
  }
  return byEntry[0] && { enrolmentId: byEntry[0].enrolmentId, teamId: byEntry[0].teamId };
}

/** Wage terms, piecework, payroll sheets, imports of payroll records and the findings they lead to. */
export class PayrollService {
  private readonly sheets: SheetsRepository;
  private readonly repository: PayrollRepository;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly reconciler: PayrollReconciler,
  ) {
    this.sheets = new SheetsRepository(db, schema);
    this.repository = new PayrollRepository(db, schema);
  }

  private async team(projectId: string, teamId: string, scope: CallerScope) {
    const project = await this.sheets.visibleProject(projectId, scope);
    if (!project) throw new ProjectNotFound(projectId);
    const team = await this.sheets.visibleTeam(projectId, teamId, scope);
    if (!team) throw new NotInScope(`no team ${teamId} on project ${projectId} within your scope`);
    return { project, team };
  }

  async putTerms(
    q: { projectId: string; teamId: string; workerId?: string },
    body: AttendanceApi.WageTermsBody,
    caller: Caller,
  ): Promise<AttendanceApi.TeamWageTerms> {
    await this.team(q.projectId, q.teamId, caller.scope);
    if (q.workerId && !(await this.repository.workerInTeam(q.projectId, q.teamId, q.workerId, caller.scope)))
      throw new NotInScope(
        `no worker ${q.workerId} in team ${q.teamId} of project ${q.projectId} within your scope`,
      );
    await this.repository.putTerms({ ...q, workerId: q.workerId ?? null, ...body }, actorOf(caller));
    return this.terms(q, caller.scope);
  }

  async terms(
    q: { projectId: string; teamId: string },
    scope: CallerScope,
  ): Promise<AttendanceApi.TeamWageTerms> {
    await this.team(q.projectId, q.teamId, scope);
    const terms = await this.repository.teamTerms(q.projectId, q.teamId);
    return {
      projectId: q.projectId,
      teamId: q.teamId,
      terms: terms.map((t) => ({
        workerId: t.workerId,
        basis: t.basis,
        rateFen: t.rateFen,
        effectiveFrom: t.effectiveFrom,
        setBy: t.setBy,
        setAt: t.setAt.toISOString(),
      })),
    };
  }

  async putPiecework(
    q: { projectId: string; teamId: string; workerId: string; month: string },
    pieces: number,
    caller: Caller,
  ): Promise<AttendanceApi.Piecework> {
    await this.team(q.projectId, q.teamId, caller.scope);
    if (!(await this.repository.workerInTeam(q.projectId, q.teamId, q.workerId, caller.scope)))
      throw new NotInScope(
        `no worker ${q.workerId} in team ${q.teamId} of project ${q.projectId} within your scope`,
      );
    await this.repository.putPiecework(
      { ...q, piecesHundredths: piecesToHundredths(pieces) },
      actorOf(caller),
    );
    return { ...q, pieces: piecesToHundredths(pieces) / 100 };
  }

  /** Per worker of the team's month: attendance, terms, amount due, amount paid and the difference. */
  async payrollSheet(
    q: { projectId: string; teamId: string; month: string },
    scope: CallerScope,
  ): Promise<AttendanceApi.PayrollSheet> {
    const { project, team } = await this.team(q.projectId, q.teamId, scope);
    const days = monthDays(q.month);
    const range = { projectId: q.projectId, teamId: q.teamId, from: days[0], to: days[days.length - 1] };
    const workers = await this.sheets.teamWorkers(range, scope);
    const paidOnly = await this.repository.paidWorkers(
      q.projectId,
      q.teamId,
      q.month,
      workers.map((w) => w.enrolmentId),
      scope,
    );
    const [attendance, payments, terms, pieces] = await Promise.all([
      this.repository.teamAttendance(q.projectId, q.teamId, range.from, range.to),
      this.repository.teamPayments(q.projectId, q.teamId, q.month),
      this.repository.teamTerms(q.projectId, q.teamId),
      this.repository.piecework(q.projectId, q.teamId, q.month),
    ]);
    const attendanceOf = new Map(attendance.map((a) => [a.enrolmentId, a]));
    const paymentsOf = new Map(payments.map((p) => [p.enrolmentId, p]));
    const rows = [
      ...workers,
      ...paidOnly.map((p) => ({
        enrolmentId: p.enrolment_id,
        workerId: p.worker_id,
        name: p.name,
        maskedIdNumber: p.masked,
        workType: p.work_type,
      })),
    ];
    const lines = rows.map((w): AttendanceApi.PayrollLine => {
      const a = attendanceOf.get(w.enrolmentId);
      const p = paymentsOf.get(w.enrolmentId);
      const t = termsFor(terms, w.workerId, q.month);
      const h = pieces.get(w.workerId);
      const daysPresent = a?.daysPresent ?? 0;
      const workedMinutes = a?.workedMinutes ?? 0;
      const due = amountDue(t, { daysPresent, workedMinutes, piecesHundredths: h });
      const paid = p?.amountPaidFen ?? 0;
      return {
        ...w,
        daysPresent,
        workedMinutes,
        hours: hoursOf(workedMinutes),
        basis: t?.basis ?? null,
        rateFen: t?.rateFen ?? null,
        pieces: t?.basis === 'piece' && h !== undefined ? h / 100 : null,
        amountDueFen: due.amountDueFen,
        amountDueNote: due.note,
        amountPaidFen: paid,
        differenceFen: due.amountDueFen === null ? null : paid - due.amountDueFen,
        payments: p?.payments ?? 0,
      };
    });
    return {
      project: { projectId: project.projectId, name: project.name },
      team,
      month: q.month,
      lines,
      totals: {
        amountDueFen: lines.reduce((n, l) => n + (l.amountDueFen ?? 0), 0),
        amountPaidFen: lines.reduce((n, l) => n + l.amountPaidFen, 0),
        unknownDue: lines.filter((l) => l.amountDueFen === null).length,
      },
    };
  }

  /**
   * Imports payroll records all or nothing: every row is checked (format, worker enrolled on the project
   * within the caller's scope, no clash with a payment stored before); any error refuses the whole import.
   * Rows stored before (same worker, month and bank reference, same amount) are counted, not stored again.
   * The team-months touched are reconciled afterwards.
   */
  async importRecords(
    projectId: string,
    rows: RawRecord[] | FieldError[],
    source: 'json' | 'csv' | 'xlsx',
    caller: Caller,
  ): Promise<AttendanceApi.PayrollImported> {
    const project = await this.sheets.visibleProject(projectId, caller.scope);
    if (!project) throw new ProjectNotFound(projectId);
    if (rows.length > 0 && 'field' in rows[0]) throw refusal(rows as FieldError[]);
    const { records, errors } = checkRecords(rows as RawRecord[]);
    if (errors.length) throw refusal(errors);
    const enrolments = await this.repository.enrolmentsOf(
      projectId,
      [...new Set(records.map((r) => r.workerId))],
      caller.scope,
    );
    const byWorker = new Map<string, WorkerEnrolment[]>();
    for (const e of enrolments) byWorker.set(e.workerId, [...(byWorker.get(e.workerId) ?? []), e]);
    const fresh: (NewRecord & { input: RecordInput })[] = [];
    for (const r of records) {
      const e = enrolmentForPayment(byWorker.get(r.workerId) ?? [], r.month);
      if (!e) {
        errors.push({
          field: `${r.where}.workerId`,
          message: `worker ${r.workerId} is not enrolled in a team of project ${projectId} within your scope: check the worker ID against the registry`,
        });
        continue;
      }
      fresh.push({
        input: r,
        recordId: uuidv7(),
        teamId: e.teamId,
        enrolmentId: e.enrolmentId,
        workerId: r.workerId,
        month: r.month,
        amountPaidFen: r.amountPaidFen,
        paidOn: r.paidOn,
        referenceMasked: maskReference(r.bankReference),
        referenceHash: referenceHash(projectId, r.bankReference),
      });
    }
    if (errors.length) throw refusal(errors);
    const importId = uuidv7();
    const actor = actorOf(caller);
    const outcome = await this.db.transaction(async (tx) => {
      await this.repository.insertImport(
        tx,
        { importId, projectId, source, received: records.length },
        actor,
      );
      const { stored, earlier } = await this.repository.insertRecords(tx, importId, projectId, fresh);
      const clashes: FieldError[] = [];
      for (const r of fresh) {
        if (stored.has(r.recordId)) continue;
        const before = earlier(r);
        if (before && (Number(before.fen) !== r.amountPaidFen || before.paid_on !== r.paidOn))
          clashes.push({
            field: `${r.input.where}.bankReference`,
            message:
              `a payment to worker ${r.workerId} for ${r.month} with this bank reference is recorded already with ` +
              `${fenToYuan(Number(before.fen))} yuan paid on ${before.paid_on}: correct the row or its reference`,
          });
      }
      // Throwing rolls the whole import back: nothing of a file with a bad row is kept.
      if (clashes.length) throw refusal(clashes);
      await this.repository.finishImport(tx, importId, stored.size, fresh.length - stored.size);
      return { stored: stored.size, already: fresh.length - stored.size };
    });
    const touched = [
      ...new Map(
        fresh.map((r) => [`${r.teamId}\u001f${r.month}`, { teamId: r.teamId, month: r.month }]),
      ).values(),
    ];
    const reconciled = [];
    for (const t of touched) {
      const r = await this.reconciler.reconcileTeamMonth(
        { projectId, ...t },
        { actor, correlationId: importId },
      );
      reconciled.push({ ...t, ...r });
    }
    return {
      importId,
      received: records.length,
      stored: outcome.stored,
      alreadyRecorded: outcome.already,
      reconciled,
    };
  }

  async findings(
    q: { projectId: string; month?: string; open?: 'true' | 'false' },
    scope: CallerScope,
  ): Promise<AttendanceApi.PayrollFindings> {
    const project = await this.sheets.visibleProject(q.projectId, scope);
    if (!project) throw new ProjectNotFound(q.projectId);
    const rows = await this.repository.listFindings(
      { projectId: q.projectId, month: q.month, open: q.open === undefined ? undefined : q.open === 'true' },
      scope,
    );
    const fen = (v: string | null) => (v === null ? null : Number(v));
    return {
      findings: rows.map((r) => ({
        findingId: r.finding_id,
        kind: r.kind,
        projectId: r.project_id,
        teamId: r.team_id,
        month: r.month,
        enrolmentId: r.enrolment_id,
        workerId: r.worker_id,
        open: r.open,
        detail: r.detail,
        daysPresent: r.days_present,
        workedMinutes: r.worked_minutes,
        amountDueFen: fen(r.amount_due_fen),
        amountPaidFen: fen(r.amount_paid_fen),
        minimumFen: fen(r.minimum_fen),
        raisedAt: r.raised_at.toISOString(),
        clearedAt: r.cleared_at?.toISOString() ?? null,
      })),
    };
  }
}

function refusal(errors: FieldError[]): InputRefused {
  return new InputRefused(
    `the payroll records were not imported (nothing was stored): ${errors.length} problem(s), each named by row and field`,
    errors,
  );
}
