import {
  AttendanceApi,
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
} from '@realname/contracts';
import { attendanceProfileFor } from '@realname/domain-rules';
import type { Database, EventStore } from '@realname/eventstore';
import type { CallerScope } from '@realname/platform';
import { visibleProject } from '../projects/project-visibility';
import { ProjectNotFound } from '../punches/punch-queries';
import { punchWindow } from './attendance-day';
import { WorkerDayNotFound } from './corrections.handler';
import { dayRulesOf, foldTimesheetDay } from './finalise-days.handler';
import { correctionsOf, timesheetStreamId } from './timesheet-day.decider';
import { TimesheetRepository } from './timesheets.repository';

/** Reads of timesheets for REST (and later gRPC), always within the caller's scope. */
export class TimesheetQueries {
  constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly repo: TimesheetRepository,
  ) {}

  async projectDays(projectId: string, day: string, teamId: string | undefined, scope: CallerScope) {
    if (!(await visibleProject(this.db, this.repo.schema, projectId, scope)))
      throw new ProjectNotFound(projectId);
    const days = await this.repo.daysOfProject(this.db, projectId, day, teamId, scope);
    return { days };
  }

  async workerDay(
    projectId: string,
    workerId: string,
    day: string,
    scope: CallerScope,
  ): Promise<AttendanceDay> {
    const enrolment = await this.enrolment(projectId, workerId, day, scope);
    const found = await this.repo.dayOf(this.db, projectId, enrolment.enrolmentId, day);
    if (!found) throw new WorkerDayNotFound(`the day ${day} of worker ${workerId} is not finalised yet`);
    return found;
  }

  /** Punches, pairings of every revision and corrections of a worker's day: one answer. */
  async history(
    projectId: string,
    workerId: string,
    day: string,
    scope: CallerScope,
  ): Promise<AttendanceApi.DayHistory> {
    const enrolment = await this.enrolment(projectId, workerId, day, scope);
    const rules = dayRulesOf(attendanceProfileFor(enrolment.region));
    const window = punchWindow(day, rules);
    const punches = await this.repo.evidence(this.db, enrolment.enrolmentId, window.from, window.to);
    const events = await this.store.readStream(timesheetStreamId(projectId, enrolment.enrolmentId, day), 1n);
    const revisions = events
      .filter((e) => e.type === AttendanceDayFinalised.type || e.type === AttendanceDayRevised.type)
      .map((e) => {
        const { previous: _p, ...d } = e.data as AttendanceDay & { previous?: unknown };
        return { ...d, publishedAt: e.time };
      });
    // Counted: what the latest revision paired (a night shift's out shows on the day before).
    const latest = revisions.at(-1);
    const counted = new Set(
      (latest?.intervals ?? []).flatMap((i) => [i.in?.punchEventId, i.out?.punchEventId]).filter(Boolean),
    );
    return {
      projectId,
      workerId,
      enrolmentId: enrolment.enrolmentId,
      day,
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      punches: punches.map((p) => ({ ...p, countedInDay: counted.has(p.punchEventId) })),
      revisions,
      corrections: correctionsOf(foldTimesheetDay(events)),
    };
  }

  async corrections(q: { status?: string; projectId?: string; limit?: number }, scope: CallerScope) {
    return {
      corrections: await this.repo.corrections(
        this.db,
        { status: q.status || undefined, projectId: q.projectId, limit: q.limit ?? 100 },
        scope,
      ),
    };
  }

  private async enrolment(projectId: string, workerId: string, day: string, scope: CallerScope) {
    const enrolment = await this.repo.enrolmentOf(this.db, projectId, workerId, day, scope);
    if (!enrolment) throw new ProjectNotFound(projectId);
    return enrolment;
  }
}
