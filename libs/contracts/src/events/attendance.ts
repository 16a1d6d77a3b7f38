import { utcInstant } from '../envelope';
import { z } from 'zod';
import { currentResidentIdMask } from '../masked-resident-id';
import { Topics } from '../topics';
import { PunchDirection } from './device';
import { defineEvent, EventData } from './define';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Why attendance could not tell which enrolled worker a punch belongs to:
 * - `unknown-person`: no enrolment on the project carries the device's person id (or card number);
 * - `not-entered`: the worker is enrolled but had not entered the site (进场) on the punch's day;
 * - `exited`: the worker had exited the site (退场) before the punch's day;
 * - `recorded-before-resolution`: the punch was recorded (AttendanceRecorded v1) before attendance
 *   resolved punches at all; a registry event about the person resolves it later.
 */
export const UnresolvedReason = z.enum([
  'unknown-person',
  'not-entered',
  'exited',
  'recorded-before-resolution',
]);
export type UnresolvedReason = z.infer<typeof UnresolvedReason>;

export const ResolutionStatus = z.enum(['resolved', 'unresolved']);
export type ResolutionStatus = z.infer<typeof ResolutionStatus>;

/**
 * Who a punch belongs to, as far as attendance knows from the registry. `resolved` names the enrolled
 * worker, team and unit; `unresolved` gives the reason and, for `not-entered` and `exited`, still the
 * enrolment the credentials belong to (so an operator knows whom to register).
 */
export const PunchResolution = z
  .object({
    status: ResolutionStatus,
    reason: UnresolvedReason.optional(),
    enrolmentId: z.string().min(1).optional(),
    workerId: z.string().min(1).optional(),
    workerName: z.string().min(1).optional(),
    maskedIdNumber: z.string().min(1).transform(currentResidentIdMask).optional(),
    teamId: z.string().min(1).optional(),
    teamName: z.string().min(1).optional(),
    /** The participating unit (enterprise) the worker is enrolled through. */
    participantId: z.string().min(1).optional(),
    corpName: z.string().min(1).optional(),
    workType: z.string().min(1).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.status === 'resolved' && (r.reason !== undefined || r.enrolmentId === undefined))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['reason'],
        message: 'a resolved punch names its enrolment and has no reason',
      });
    if (r.status === 'unresolved' && r.reason === undefined)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['reason'],
        message: 'an unresolved punch has a reason',
      });
  });
export type PunchResolution = z.infer<typeof PunchResolution>;

/** What every AttendanceRecorded v1 stored before resolution existed reads as. */
export const RECORDED_BEFORE_RESOLUTION: PunchResolution = {
  status: 'unresolved',
  reason: 'recorded-before-resolution',
};

/**
 * Attendance accepted a punch into a person's day on a project, resolved (or not) to an enrolled worker.
 * Stream: the person-day (`attendance-<projectId>-<personId>-<day>`).
 *
 * v2 added `resolution`; v1 events (in event stores, on Kafka, behind ClickHouse) read as unresolved
 * with the reason `recorded-before-resolution`.
 */
export const AttendanceRecorded = defineEvent({
  type: 'realname.attendance.AttendanceRecorded',
  version: 2,
  topic: Topics.attendanceRecords.name,
  schema: z.object({
    /** The id of the PunchRecorded event this came from. */
    punchEventId: z.string().uuid(),
    projectId: z.string().min(1),
    /** Who the device says it was (its person id / PIN, or a card number). */
    personId: z.string().min(1),
    /** Local calendar day (Asia/Shanghai unless the device says otherwise), YYYY-MM-DD. */
    day: z.string().regex(DAY),
    punchedAt: utcInstant(),
    direction: PunchDirection,
    deviceId: z.string().min(1),
    deviceRecordId: z.string().min(1),
    verifyMode: z.string().min(1),
    receivedAt: utcInstant(),
    /** The enrolled worker this punch resolved to when it was recorded, or why it did not. */
    resolution: PunchResolution,
  }),
  upcasters: [
    {
      from: 1,
      up: (data) => ({ ...(data as object), resolution: RECORDED_BEFORE_RESOLUTION }),
    },
  ],
});
export type AttendanceRecordedData = EventData<typeof AttendanceRecorded>;

/**
 * What the registry learnt later (a late enrolment, an entry, an exit, new credentials) changed what an
 * unresolved punch resolves to: usually it is now `resolved`; it may also stay unresolved with a more
 * precise reason (e.g. `unknown-person` became `not-entered`). A resolved punch is never re-resolved.
 * Stream: the punch's person-day, after its AttendanceRecorded (same Kafka key, so in order).
 */
export const PunchResolved = defineEvent({
  type: 'realname.attendance.PunchResolved',
  version: 1,
  topic: Topics.attendanceRecords.name,
  schema: z.object({
    /** The id of the PunchRecorded event the punch came from (as in AttendanceRecorded). */
    punchEventId: z.string().uuid(),
    projectId: z.string().min(1),
    personId: z.string().min(1),
    day: z.string().regex(DAY),
    resolution: PunchResolution,
    /** The resolution it replaces. */
    previous: z.object({ status: ResolutionStatus, reason: UnresolvedReason.optional() }),
  }),
});
export type PunchResolvedData = EventData<typeof PunchResolved>;
