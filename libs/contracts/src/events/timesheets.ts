import { z } from 'zod';
import { utcInstant } from '../envelope';
import { Topics } from '../topics';
import { defineEvent, EventData } from './define';

/**
 * Timesheets: a worker's attendance day on a project, finalised once its day boundary and grace period
 * have passed, and revised (revision 2, 3, ...) whenever something arrives later (a backfilled punch, a
 * punch resolved later, an approved correction or leave). Downstream services (reporting, early warning)
 * always get the whole day with its revision; never a silent change.
 */

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const MONTH = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');

/**
 * - `present`: at least one complete in/out interval and none incomplete;
 * - `incomplete`: punches, but an in without an out or an out without an in remains;
 * - `absent`: a working day of the regional calendar, entered on the site, and no punch;
 * - `leave`: approved leave for the day (takes precedence over absent; punches still count as hours);
 * - `rest`: not a working day and no punch.
 */
export const DayStatus = z.enum(['present', 'incomplete', 'absent', 'leave', 'rest']);
export type DayStatus = z.infer<typeof DayStatus>;

/** What the calendar says about the day in the project's region. */
export const CalendarDayKind = z.enum(['workday', 'weekend', 'holiday', 'adjusted-workday']);
export type CalendarDayKind = z.infer<typeof CalendarDayKind>;

/** One end of an interval: a punch, or a correction standing in for a missing one. */
export const IntervalEnd = z.object({
  at: utcInstant(),
  /** The punch's event id; absent when the end was added by a correction. */
  punchEventId: z.string().uuid().optional(),
  /** The correction that added this end. */
  correctionId: z.string().min(1).optional(),
  /** How the direction was known: from the gate, or inferred by alternation on a device without one. */
  direction: z.enum(['in', 'out']),
  inferred: z.boolean(),
});
export type IntervalEnd = z.infer<typeof IntervalEnd>;

/** A paired in/out interval; one end may be missing (the day is then incomplete). */
export const WorkInterval = z.object({
  in: IntervalEnd.optional(),
  out: IntervalEnd.optional(),
  /** Minutes between in and out; 0 while an end is missing. */
  minutes: z.number().int().min(0),
});
export type WorkInterval = z.infer<typeof WorkInterval>;

/** A correction or leave as the timesheet shows it: what, why, by whom, when, and its decision. */
export const DayCorrection = z.object({
  correctionId: z.string().min(1),
  kind: z.enum(['add-in', 'add-out', 'leave']),
  /** The instant of the added punch (add-in, add-out). */
  at: utcInstant().optional(),
  reason: z.string().min(1),
  requestedBy: z.string().min(1),
  requestedAt: utcInstant(),
  status: z.enum(['pending', 'approved', 'rejected']),
  decidedBy: z.string().min(1).optional(),
  decidedAt: utcInstant().optional(),
  decisionNote: z.string().optional(),
});
export type DayCorrection = z.infer<typeof DayCorrection>;

/** Why a day got a new revision. */
export const RevisionCause = z.enum(['finalised', 'late-punch', 'correction', 'leave', 'calendar', 'exit']);
export type RevisionCause = z.infer<typeof RevisionCause>;

/** The whole attendance day of one worker (one enrolment) on one project. */
export const AttendanceDay = z.object({
  projectId: z.string().min(1),
  /** The region of the project (GB/T 2260), whose calendar and rules apply. */
  region: z.string().min(1),
  enrolmentId: z.string().min(1),
  workerId: z.string().min(1),
  teamId: z.string().min(1),
  participantId: z.string().min(1),
  /** The key posts (registry KeyPersonAppointed) the worker held on the project that day, if any. */
  keyPosts: z.array(z.string().min(1)),
  /** The attendance day: the local day in the project's zone, from the day boundary to the next. */
  day: DAY,
  revision: z.number().int().min(1),
  status: DayStatus,
  calendar: z.object({ working: z.boolean(), kind: CalendarDayKind, version: z.string().min(1) }),
  intervals: z.array(WorkInterval),
  firstIn: utcInstant().optional(),
  lastOut: utcInstant().optional(),
  workedMinutes: z.number().int().min(0),
  /** Punches counted into the day (corrections not included). */
  punches: z.number().int().min(0),
  corrections: z.array(DayCorrection),
  /** The day's rules: zone, boundary and the profile version they came from. */
  rules: z.object({
    timeZone: z.string().min(1),
    dayBoundary: z.string().regex(/^\d{2}:\d{2}$/),
    version: z.string(),
  }),
  cause: RevisionCause,
});
export type AttendanceDay = z.infer<typeof AttendanceDay>;

/** A day was finalised for the first time (revision 1). Stream: `timesheet-<projectId>-<enrolmentId>-<day>`. */
export const AttendanceDayFinalised = defineEvent({
  type: 'realname.attendance.AttendanceDayFinalised',
  version: 1,
  topic: Topics.attendanceDays.name,
  schema: AttendanceDay,
});
export type AttendanceDayFinalisedData = EventData<typeof AttendanceDayFinalised>;

/** A finalised day changed: the whole day again with the next revision and what it was before. Stream: the day's. */
export const AttendanceDayRevised = defineEvent({
  type: 'realname.attendance.AttendanceDayRevised',
  version: 1,
  topic: Topics.attendanceDays.name,
  schema: AttendanceDay.extend({
    previous: z.object({
      revision: z.number().int().min(1),
      status: DayStatus,
      workedMinutes: z.number().int().min(0),
    }),
  }),
});
export type AttendanceDayRevisedData = EventData<typeof AttendanceDayRevised>;

/**
 * What payroll reconciliation found for a worker (or a team) and a month:
 * - `attended-not-paid`: days present in the month and no payment record;
 * - `paid-not-attended`: a payment for a month without a day present;
 * - `below-minimum-wage`: paid less than the region's minimum wage for the time attended;
 * - `payroll-missing`: no payroll for the team's month M by the end of M+1 although it attended.
 */
export const PayrollFindingKind = z.enum([
  'attended-not-paid',
  'paid-not-attended',
  'below-minimum-wage',
  'payroll-missing',
]);
export type PayrollFindingKind = z.infer<typeof PayrollFindingKind>;

const PayrollFindingSubject = z.object({
  /** `<kind>:<projectId>:<teamId>:<enrolmentId or '-'>:<month>`: raised and cleared under the same id. */
  findingId: z.string().min(1),
  kind: PayrollFindingKind,
  projectId: z.string().min(1),
  region: z.string().min(1),
  teamId: z.string().min(1),
  participantId: z.string().min(1),
  /** The worker concerned; absent for a finding about the whole team (payroll-missing). */
  enrolmentId: z.string().min(1).optional(),
  workerId: z.string().min(1).optional(),
  month: MONTH,
});

/** Reconciliation found a discrepancy. Stream: `payroll-<projectId>-<teamId>-<month>`. */
export const PayrollFindingRaised = defineEvent({
  type: 'realname.attendance.PayrollFindingRaised',
  version: 1,
  topic: Topics.attendancePayroll.name,
  schema: PayrollFindingSubject.extend({
    /** Figures behind the finding, in the words of a payroll clerk. */
    detail: z.string().min(1),
    daysPresent: z.number().int().min(0),
    workedMinutes: z.number().int().min(0),
    /** Amounts in fen (1/100 yuan) to stay exact. */
    amountDueFen: z.number().int().min(0).optional(),
    amountPaidFen: z.number().int().min(0).optional(),
    minimumFen: z.number().int().min(0).optional(),
  }),
});
export type PayrollFindingRaisedData = EventData<typeof PayrollFindingRaised>;

/** A finding no longer holds (the payment arrived, attendance was revised, ...). Stream: as raised. */
export const PayrollFindingCleared = defineEvent({
  type: 'realname.attendance.PayrollFindingCleared',
  version: 1,
  topic: Topics.attendancePayroll.name,
  schema: PayrollFindingSubject.extend({ detail: z.string().min(1) }),
});
export type PayrollFindingClearedData = EventData<typeof PayrollFindingCleared>;
