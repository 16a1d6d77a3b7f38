import { EventActor, newEventId } from '@realname/contracts';
import { attendanceProfileFor } from '@realname/domain-rules';
import { Database, EventStore, isRejection, runCommand, Sql } from '@realname/eventstore';
import { actorOf, Caller } from '@realname/platform';
import { ATTENDANCE_SOURCE } from '../punches/record-punch.handler';
import { dayBounds } from './attendance-day';
import { dayRulesOf, TIMESHEET_EVENTS } from './finalise-days.handler';
import {
  CorrectionRequest,
  correctionsOf,
  timesheetDay,
  TimesheetDayCommand,
  TimesheetRejection,
  timesheetStreamId,
} from './timesheet-day.decider';
import { TimesheetRepository } from './timesheets.repository';

/** No enrolment of the worker on the project in the caller's scope (or none at all): 404. */
export class WorkerDayNotFound extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'WorkerDayNotFound';
  }
}

/** The record exists but outside the caller's scope: a write is forbidden (403). */
export class OutsideScope extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'OutsideScope';
  }
}

/** The day's decider refused the command. */
export class CorrectionRefused extends Error {
  constructor(readonly rejection: TimesheetRejection) {
    super(rejection.reasons.join('; '));
    this.name = 'CorrectionRefused';
  }
}

/**
 * A site manager asks to add a missing in or out, or to mark a day as leave; a supervisor of the region
 * approves or rejects (or nobody does, where the region does not ask for approval). Punches are never
 * changed: a correction is an event of the day's stream, and the day is decided again (a new revision)
 * once a correction is approved.
 */
export class CorrectionsHandler {
  constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly repo: TimesheetRepository,
  ) {}

  async request(
    caller: Caller,
    q: { projectId: string; workerId: string; day: string },
    request: CorrectionRequest,
    now = new Date(),
  ) {
    return this.db.transaction(async (tx) => {
      const enrolment = await this.repo.enrolmentOf(tx, q.projectId, q.workerId, q.day, caller.scope);
      if (!enrolment) {
        if (await this.repo.workerOnProject(tx, q.projectId, q.workerId))
          throw new OutsideScope(`worker ${q.workerId} on project ${q.projectId} is outside your scope`);
        throw new WorkerDayNotFound(
          `no worker ${q.workerId} entered on project ${q.projectId} by ${q.day} within your scope`,
        );
      }
      const profile = attendanceProfileFor(enrolment.region);
      const rules = dayRulesOf(profile);
      const bounds = dayBounds(q.day, rules);
      const window = {
        from: bounds.start.toISOString(),
        to: new Date(bounds.end.getTime() + rules.maxShiftHours * 3_600_000).toISOString(),
      };
      const correctionId = newEventId();
      const actor = actorOf(caller);
      const where = { ...enrolment, workerId: q.workerId, day: q.day };
      return this.runDay(
        tx,
        where,
        actor,
        {
          kind: 'RequestCorrection',
          correctionId,
          projectId: q.projectId,
          enrolmentId: enrolment.enrolmentId,
          workerId: q.workerId,
          day: q.day,
          request: { ...request, ...(request.at ? { at: new Date(request.at).toISOString() } : {}) },
          requestedBy: actor.subject,
          now: now.toISOString(),
          approvalRequired: profile.correctionApproval,
          window,
        },
        request.kind === 'leave' ? 'leave' : 'correction',
      );
    });
  }

  async decide(
    caller: Caller,
    correctionId: string,
    approve: boolean,
    note: string | undefined,
    now = new Date(),
  ) {
    return this.db.transaction(async (tx) => {
      const found = await this.repo.correction(tx, correctionId, caller.scope);
      if (!found) {
        if (await this.repo.correctionExists(tx, correctionId))
          throw new OutsideScope(`correction ${correctionId} is outside your scope`);
        throw new WorkerDayNotFound(`no correction ${correctionId} within your scope`);
      }
      const actor = actorOf(caller);
      return this.runDay(
        tx,
        found,
        actor,
        {
          kind: 'DecideCorrection',
          correctionId,
          approve,
          decidedBy: actor.subject,
          now: now.toISOString(),
          ...(note ? { note } : {}),
        },
        found.kind === 'leave' ? 'leave' : 'correction',
      );
    });
  }

  /**
   * Runs a correction command on the day's stream, keeps the corrections read model in step, puts the
   * day back on the pending list when a correction was approved, and answers the correction as it now
   * stands. The state after the command is the one decided on plus the new events (no second read).
   */
  private async runDay(
    tx: Sql,
    where: { projectId: string; enrolmentId: string; workerId: string; day: string; region: string },
    actor: EventActor,
    command: Extract<TimesheetDayCommand, { correctionId: string }>,
    cause: 'correction' | 'leave',
  ) {
    let before = timesheetDay.initialState();
    const decided = await runCommand({
      store: this.store,
      tx,
      streamId: timesheetStreamId(where.projectId, where.enrolmentId, where.day),
      definitions: TIMESHEET_EVENTS,
      initial: timesheetDay.initialState,
      evolve: timesheetDay.evolve,
      decide: (state) => {
        before = state;
        return timesheetDay.decide(command, state);
      },
      source: ATTENDANCE_SOURCE,
      region: () => where.region,
      actor,
    });
    if (isRejection(decided)) throw new CorrectionRefused(decided);
    const state = decided.reduce(timesheetDay.evolve, before);
    const touched = new Set(decided.map((e) => (e.data as { correctionId?: string }).correctionId));
    for (const c of correctionsOf(state).filter((x) => touched.has(x.correctionId)))
      await this.repo.saveCorrection(tx, { ...c, ...where });
    if (decided.some((e) => e.type === 'realname.attendance.TimesheetCorrectionApproved'))
      await this.repo.markPending(tx, [
        { projectId: where.projectId, enrolmentId: where.enrolmentId, day: where.day, cause },
      ]);
    const c = correctionsOf(state).find((x) => x.correctionId === command.correctionId)!;
    return {
      ...c,
      projectId: where.projectId,
      enrolmentId: where.enrolmentId,
      workerId: where.workerId,
      day: where.day,
    };
  }
}
