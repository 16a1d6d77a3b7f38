import { newEventId } from '@realname/contracts';
import { attendanceProfileFor } from '@realname/domain-rules';
import { Database, EventStore, isRejection, runCommand } from '@realname/eventstore';
import { actorOf, Caller } from '@realname/platform';
import { ATTENDANCE_SOURCE } from '../punches/record-punch.handler';
import { dayBounds } from './attendance-day';
import { dayRulesOf, foldTimesheetDay, TIMESHEET_EVENTS } from './finalise-days.handler';
import {
  CorrectionRequest,
  correctionsOf,
  timesheetDay,
  TimesheetDayEvent,
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
      const streamId = timesheetStreamId(q.projectId, enrolment.enrolmentId, q.day);
      const decided = await runCommand({
        store: this.store,
        tx,
        streamId,
        definitions: TIMESHEET_EVENTS,
        initial: timesheetDay.initialState,
        evolve: timesheetDay.evolve,
        decide: (state) =>
          timesheetDay.decide(
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
            state,
          ),
        source: ATTENDANCE_SOURCE,
        region: () => enrolment.region,
        actor,
      });
      if (isRejection(decided)) throw new CorrectionRefused(decided);
      const state = foldTimesheetDay(await this.store.readStream(streamId, 1n, tx));
      await this.saveAndReopen(
        tx,
        state,
        { ...enrolment, day: q.day },
        decided,
        request.kind === 'leave' ? 'leave' : 'correction',
      );
      const c = correctionsOf(state).find((x) => x.correctionId === correctionId)!;
      return {
        ...c,
        projectId: q.projectId,
        enrolmentId: enrolment.enrolmentId,
        workerId: q.workerId,
        day: q.day,
      };
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
      const streamId = timesheetStreamId(found.projectId, found.enrolmentId, found.day);
      const actor = actorOf(caller);
      const decided = await runCommand({
        store: this.store,
        tx,
        streamId,
        definitions: TIMESHEET_EVENTS,
        initial: timesheetDay.initialState,
        evolve: timesheetDay.evolve,
        decide: (state) =>
          timesheetDay.decide(
            {
              kind: 'DecideCorrection',
              correctionId,
              approve,
              decidedBy: actor.subject,
              now: now.toISOString(),
              ...(note ? { note } : {}),
            },
            state,
          ),
        source: ATTENDANCE_SOURCE,
        region: () => found.region,
        actor,
      });
      if (isRejection(decided)) throw new CorrectionRefused(decided);
      const state = foldTimesheetDay(await this.store.readStream(streamId, 1n, tx));
      await this.saveAndReopen(tx, state, found, decided, found.kind === 'leave' ? 'leave' : 'correction');
      const c = correctionsOf(state).find((x) => x.correctionId === correctionId)!;
      return {
        ...c,
        projectId: found.projectId,
        enrolmentId: found.enrolmentId,
        workerId: found.workerId,
        day: found.day,
      };
    });
  }

  /** The corrections read model follows the stream; an approval puts the day back on the pending list. */
  private async saveAndReopen(
    tx: Parameters<Parameters<Database['transaction']>[0]>[0],
    state: ReturnType<typeof foldTimesheetDay>,
    where: { projectId: string; enrolmentId: string; workerId: string; day: string; region: string },
    decided: TimesheetDayEvent[],
    cause: 'correction' | 'leave',
  ): Promise<void> {
    const touched = new Set(decided.map((e) => (e.data as { correctionId?: string }).correctionId));
    for (const c of correctionsOf(state).filter((x) => touched.has(x.correctionId)))
      await this.repo.saveCorrection(tx, { ...c, ...where });
    if (decided.some((e) => e.type === 'realname.attendance.TimesheetCorrectionApproved'))
      await this.repo.markPending(tx, [
        { projectId: where.projectId, enrolmentId: where.enrolmentId, day: where.day, cause },
      ]);
  }
}
