import { z } from 'zod';
import { AttendanceDay, DayCorrection } from '../events/timesheets';
import { LocalDay, ProjectIdParam } from './attendance';

/* The timesheet routes of the attendance API: a worker's attendance days, their history, corrections. */

const IdParam = (what: string) =>
  z
    .string()
    .regex(/^[^\u0000-\u001f\u007f]+$/)
    .describe(what);

export const WorkerDayPathParams = z.object({
  projectId: ProjectIdParam,
  workerId: IdParam('The worker id the registry issued'),
  day: LocalDay.describe('The attendance day, YYYY-MM-DD (from the day boundary, e.g. 04:00, to the next)'),
});

export const TimesheetQuery = z.object({
  day: LocalDay,
  teamId: IdParam('Only this team').optional(),
});

export const CorrectionPathParams = z.object({ correctionId: IdParam('The correction id') });

export const CorrectionListQuery = z.object({
  status: z
    .enum(['pending', 'approved', 'rejected', ''])
    .optional()
    .describe('Only corrections with this status'),
  projectId: ProjectIdParam.optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('At most this many, newest first; 100 when not given'),
});

export const CorrectionBody = z
  .object({
    kind: z
      .enum(['add-in', 'add-out', 'leave'])
      .describe('add-in / add-out: a punch the gate missed; leave: the whole day as leave'),
    at: z
      .string()
      .datetime({ offset: true })
      .optional()
      .describe('For add-in / add-out: the instant of the missing punch, RFC 3339 with offset'),
    reason: z.string().trim().min(1).max(500).describe('Why, in words a labour inspector will read'),
  })
  .strict();
export type CorrectionBody = z.infer<typeof CorrectionBody>;

export const DecisionBody = z
  .object({ note: z.string().trim().max(500).optional().describe('Why (required to reject)') })
  .strict();
export type DecisionBody = z.infer<typeof DecisionBody>;

export const AttendanceDayAnswer = AttendanceDay;
export type AttendanceDayAnswer = z.infer<typeof AttendanceDayAnswer>;

export const TimesheetDayList = z.object({ days: z.array(AttendanceDay) });
export type TimesheetDayList = z.infer<typeof TimesheetDayList>;

export const CorrectionAnswer = DayCorrection.extend({
  projectId: z.string(),
  enrolmentId: z.string(),
  workerId: z.string(),
  day: z.string(),
});
export type CorrectionAnswer = z.infer<typeof CorrectionAnswer>;

export const CorrectionList = z.object({ corrections: z.array(CorrectionAnswer) });
export type CorrectionList = z.infer<typeof CorrectionList>;

/** Everything behind a worker's day: the evidence a labour dispute needs. */
export const DayHistory = z.object({
  projectId: z.string(),
  workerId: z.string(),
  enrolmentId: z.string(),
  day: z.string(),
  /** The instants whose punches may belong to the day (the day plus the night-shift carry-over). */
  window: z.object({ from: z.string(), to: z.string() }),
  /** Every punch of the worker in the window, as the devices sent them; none is ever changed. */
  punches: z.array(
    z.object({
      punchEventId: z.string(),
      punchedAt: z.string(),
      receivedAt: z.string(),
      direction: z.string(),
      deviceId: z.string(),
      deviceRecordId: z.string(),
      verifyMode: z.string(),
      /** Whether the pairing counted it into this day (a night shift's out may belong to the day before). */
      countedInDay: z.boolean(),
    }),
  ),
  /** Every revision published, oldest first, with its pairing. */
  revisions: z.array(AttendanceDay.extend({ publishedAt: z.string() })),
  /** Every correction and leave asked for, with who, why, when and the decision. */
  corrections: z.array(DayCorrection),
});
export type DayHistory = z.infer<typeof DayHistory>;
