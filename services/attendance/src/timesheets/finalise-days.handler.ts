import {
  AttendanceDay,
  AttendanceDayFinalised,
  AttendanceDayRevised,
  createEvent,
  EventDefinition,
  parseEvent,
  RevisionCause,
} from '@realname/contracts';
import { attendanceProfileFor, calendarDay, ResolvedAttendanceProfile } from '@realname/domain-rules';
import {
  Database,
  EventStore,
  fold,
  isRejection,
  retryOnConflict,
  StoredEvent,
  StreamAppend,
} from '@realname/eventstore';
import type { z } from 'zod';
import { ATTENDANCE_SOURCE } from '../punches/record-punch.handler';
import { attendanceDayOf, DayRules, punchWindow, shiftDay } from './attendance-day';
import {
  TimesheetCorrectionApproved,
  TimesheetCorrectionRejected,
  TimesheetCorrectionRequested,
} from './internal-events';
import { assignToDays, dayStatus, pairDay } from './pairing';
import {
  addedEnds,
  correctionsOf,
  DayFacts,
  onLeave,
  timesheetDay,
  TimesheetDayEvent,
  TimesheetDayState,
  timesheetStreamId,
} from './timesheet-day.decider';
import { EnrolmentOnProject, EnrolmentPunch, PendingDay, TimesheetRepository } from './timesheets.repository';

/** Every event type of a timesheet day's stream and its contract. */
export const TIMESHEET_EVENTS: Record<string, EventDefinition<string, z.ZodTypeAny>> = {
  [AttendanceDayFinalised.type]: AttendanceDayFinalised,
  [AttendanceDayRevised.type]: AttendanceDayRevised,
  [TimesheetCorrectionRequested.type]: TimesheetCorrectionRequested,
  [TimesheetCorrectionApproved.type]: TimesheetCorrectionApproved,
  [TimesheetCorrectionRejected.type]: TimesheetCorrectionRejected,
};

export function toTimesheetEvent(e: StoredEvent): TimesheetDayEvent {
  return { type: e.type, data: parseEvent(TIMESHEET_EVENTS[e.type], e).data } as TimesheetDayEvent;
}

export function foldTimesheetDay(history: StoredEvent[]): TimesheetDayState {
  return fold(timesheetDay, history.map(toTimesheetEvent));
}

/** The rules of the day for a region, from its attendance profile. */
export function dayRulesOf(profile: ResolvedAttendanceProfile): DayRules {
  return {
    timeZone: profile.timeZone,
    dayBoundary: profile.dayBoundary,
    maxShiftHours: profile.maxShiftHours,
    duplicateWithinSeconds: profile.duplicateWithinSeconds,
  };
}

/** The last attendance day whose boundary plus grace period has passed at `now`. */
export function lastDueDay(now: Date, profile: ResolvedAttendanceProfile): string {
  const open = attendanceDayOf(new Date(now.getTime() - profile.finaliseGraceMinutes * 60_000), profile);
  return shiftDay(open, -1);
}

export interface FinaliserOptions {
  /** How many days back at most the finaliser goes for days nobody punched on (absence). */
  seedDays: number;
  /** Days decided per transaction. */
  batchSize: number;
}

export interface FinaliserRun {
  seeded: number;
  decided: number;
  published: number;
}

/**
 * Finalises attendance days once they are due: puts every entered day on the pending list (so that a day
 * without punches is found absent), then takes due pending days in batches and, for each, pairs the
 * enrolment's punches with the day's approved corrections, asks the day's decider and appends
 * AttendanceDayFinalised (revision 1) or AttendanceDayRevised (when what a reader sees changed), with
 * the read model, in one transaction per batch. Late punches and corrections put their day back on the
 * list (see markPending), which is how a finalised day is reopened.
 */
export class FinaliseDaysHandler {
  constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly repo: TimesheetRepository,
    private readonly opts: FinaliserOptions,
  ) {}

  async run(now: Date = new Date()): Promise<FinaliserRun> {
    const result: FinaliserRun = { seeded: 0, decided: 0, published: 0 };
    const dueThrough = new Map<string, string>();
    result.seeded = await this.db.transaction(async (tx) => {
      // Projects whose rules make the same day the last due one are seeded in one statement.
      const byThrough = new Map<string, string[]>();
      for (const p of await this.repo.projectsWithEntries(tx)) {
        const through = lastDueDay(now, attendanceProfileFor(p.region));
        dueThrough.set(p.projectId, through);
        const group = byThrough.get(through);
        if (group) group.push(p.projectId);
        else byThrough.set(through, [p.projectId]);
      }
      let seeded = 0;
      for (const [through, projectIds] of byThrough)
        seeded += await this.repo.seedPending(
          tx,
          projectIds,
          shiftDay(through, 1 - this.opts.seedDays),
          through,
        );
      return seeded;
    });
    const latest = [...dueThrough.values(), lastDueDay(now, attendanceProfileFor(''))].sort().at(-1)!;
    for (;;) {
      const batch = await this.db.transaction(async (tx) => {
        const taken = await this.repo.takePending(tx, latest, this.opts.batchSize);
        if (taken.length === 0) return { taken: 0, decided: 0, published: 0 };
        const enrolments = await this.repo.enrolments(tx, [...new Set(taken.map((t) => t.enrolmentId))]);
        const due = taken.filter((t) => {
          const e = enrolments.get(t.enrolmentId);
          return (
            !e || t.day <= (dueThrough.get(t.projectId) ?? lastDueDay(now, attendanceProfileFor(e.region)))
          );
        });
        const published = await this.decide(tx, due, enrolments, now);
        await this.repo.removePending(tx, due);
        return { taken: taken.length, decided: due.length, published };
      });
      result.decided += batch.decided;
      result.published += batch.published;
      // A batch with nothing due means the rest is not due either (oldest first).
      if (batch.taken < this.opts.batchSize || batch.decided === 0) break;
    }
    return result;
  }

  private async decide(
    tx: Parameters<Parameters<Database['transaction']>[0]>[0],
    days: PendingDay[],
    enrolments: Map<string, EnrolmentOnProject>,
    now: Date,
  ): Promise<number> {
    const known = days.filter((d) => enrolments.get(d.enrolmentId)?.region);
    if (known.length === 0) return 0;
    const windows = known.map((d) => punchWindow(d.day, rulesOf(enrolments.get(d.enrolmentId)!)));
    const from = new Date(Math.min(...windows.map((w) => w.from.getTime())));
    const to = new Date(Math.max(...windows.map((w) => w.to.getTime())));
    const punches = await this.repo.punchesOf(tx, [...new Set(known.map((d) => d.enrolmentId))], from, to);
    const byEnrolment = new Map<string, EnrolmentPunch[]>();
    for (const p of punches) {
      const list = byEnrolment.get(p.enrolmentId);
      if (list) list.push(p);
      else byEnrolment.set(p.enrolmentId, [p]);
    }

    return retryOnConflict(async () => {
      const streamIds = known.map((d) => timesheetStreamId(d.projectId, d.enrolmentId, d.day));
      const histories = await this.store.readStreams(streamIds, tx);
      const appends: (StreamAppend & { day: AttendanceDay })[] = [];
      known.forEach((pending, i) => {
        const enrolment = enrolments.get(pending.enrolmentId)!;
        const history = histories.get(streamIds[i]) ?? [];
        const state = foldTimesheetDay(history);
        const day = computeDay(
          pending,
          enrolment,
          state,
          byEnrolment.get(pending.enrolmentId) ?? [],
          windows[i],
        );
        if (!day) return;
        const decided = timesheetDay.decide(
          { kind: 'FinaliseDay', facts: day.facts, cause: day.cause },
          state,
        );
        if (isRejection(decided) || decided.length === 0) return;
        const event = decided[0];
        appends.push({
          streamId: streamIds[i],
          expected: history.length,
          events: [
            createEvent(TIMESHEET_EVENTS[event.type], event.data, {
              source: ATTENDANCE_SOURCE,
              subject: streamIds[i],
              region: enrolment.region,
              time: now,
            }),
          ],
          day: event.data as AttendanceDay,
        });
      });
      if (appends.length === 0) return 0;
      await this.store.appendToStreams(appends, tx);
      for (const a of appends) {
        const { previous: _p, ...day } = a.day as AttendanceDay & { previous?: unknown };
        await this.repo.saveDay(tx, day, now.toISOString());
      }
      return appends.length;
    });
  }
}

function rulesOf(e: EnrolmentOnProject): DayRules {
  return dayRulesOf(attendanceProfileFor(e.region));
}

/**
 * The day's facts from its punches (those the pairing assigns to it, night shifts included), its
 * approved corrections, the calendar and the entry; undefined for a day outside the worker's time on
 * site with nothing in it (nothing to publish).
 */
function computeDay(
  pending: PendingDay,
  enrolment: EnrolmentOnProject,
  state: TimesheetDayState,
  punches: EnrolmentPunch[],
  window: { from: Date; to: Date },
): { facts: DayFacts; cause: RevisionCause } | undefined {
  const profile = attendanceProfileFor(enrolment.region);
  const rules = dayRulesOf(profile);
  const inWindow = punches.filter((p) => {
    const t = Date.parse(p.at);
    return t >= window.from.getTime() && t <= window.to.getTime();
  });
  const added = addedEnds(state);
  // The day's own added ends take part in the assignment: an added 20:00 in is closed by the morning's out.
  const own =
    assignToDays(
      inWindow,
      rules,
      added.map((a) => ({ ...a, day: pending.day })),
    ).get(pending.day) ?? [];
  const paired = pairDay(own, added, rules);
  const entered =
    enrolment.enteredOn !== undefined &&
    enrolment.enteredOn <= pending.day &&
    (enrolment.exitedOn === undefined || enrolment.exitedOn >= pending.day);
  const leave = onLeave(state);
  if (!entered && paired.intervals.length === 0 && !leave && !state.last && correctionsOf(state).length === 0)
    return undefined;
  const calendar = calendarDay(enrolment.region, pending.day);
  const status = dayStatus({
    intervals: paired.intervals,
    calendarWorking: calendar.working,
    onLeave: leave,
    entered,
  });
  return {
    facts: {
      projectId: enrolment.projectId,
      region: enrolment.region,
      enrolmentId: enrolment.enrolmentId,
      workerId: enrolment.workerId,
      teamId: enrolment.teamId,
      participantId: enrolment.participantId,
      keyPosts: enrolment.keyPosts,
      day: pending.day,
      status,
      calendar: { working: calendar.working, kind: calendar.kind, version: calendar.version },
      intervals: paired.intervals,
      ...(paired.firstIn ? { firstIn: paired.firstIn } : {}),
      ...(paired.lastOut ? { lastOut: paired.lastOut } : {}),
      workedMinutes: paired.workedMinutes,
      punches: paired.punches,
      rules: { timeZone: rules.timeZone, dayBoundary: rules.dayBoundary, version: profile.version },
    },
    cause: causeOf(pending.cause),
  };
}

function causeOf(cause: string): RevisionCause {
  const known: RevisionCause[] = ['finalised', 'late-punch', 'correction', 'leave', 'calendar', 'exit'];
  return known.includes(cause as RevisionCause) ? (cause as RevisionCause) : 'late-punch';
}
