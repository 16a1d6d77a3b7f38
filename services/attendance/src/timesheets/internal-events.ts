import { z } from 'zod';
import { defineEvent, utcInstant } from '@realname/contracts';

/**
 * Corrections and leave stay inside attendance (no topic): their effect reaches other services as the
 * day's next revision. Stream: the day's (`timesheet-<projectId>-<enrolmentId>-<day>`).
 */
const CorrectionRef = z.object({
  correctionId: z.string().min(1),
  projectId: z.string().min(1),
  enrolmentId: z.string().min(1),
  day: z.string(),
});

export const TimesheetCorrectionRequested = defineEvent({
  type: 'realname.attendance.TimesheetCorrectionRequested',
  version: 1,
  schema: CorrectionRef.extend({
    workerId: z.string().min(1),
    kind: z.enum(['add-in', 'add-out', 'leave']),
    at: utcInstant().optional(),
    reason: z.string().min(1),
    requestedBy: z.string().min(1),
    requestedAt: utcInstant(),
  }),
});

export const TimesheetCorrectionApproved = defineEvent({
  type: 'realname.attendance.TimesheetCorrectionApproved',
  version: 1,
  schema: CorrectionRef.extend({
    decidedBy: z.string().min(1),
    decidedAt: utcInstant(),
    note: z.string().optional(),
  }),
});

export const TimesheetCorrectionRejected = defineEvent({
  type: 'realname.attendance.TimesheetCorrectionRejected',
  version: 1,
  schema: CorrectionRef.extend({
    decidedBy: z.string().min(1),
    decidedAt: utcInstant(),
    note: z.string().min(1),
  }),
});
