import { z } from 'zod';
import { utcInstant } from '../envelope';
import { Topics } from '../topics';
import { defineEvent, EventData } from './define';

/**
 * Reporting: where a project's attendance day stands against an uplink target's daily deadline (Zhejiang:
 * the day's attendance in the provincial data warehouse before 24:00 that day). For the early-warning
 * service and the dashboards. Counts and keys only: no ID number, name or payload ever travels here.
 */

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/**
 * Why a project-day is in its state:
 * - `in-progress`: records still going up, time enough left (on track);
 * - `deadline-near`: records not yet accepted within the at-risk margin before the deadline;
 * - `uplink-failing`: a record of the day keeps failing with retriable errors (network, 5xx, rate limit);
 * - `backlog-stale`: a record of the day has waited longer than the threshold (dependencies, identity,
 *   credentials, or a slow platform);
 * - `records-rejected`: the platform or the local pre-check refused records; the site must correct them;
 * - `records-not-accepted`: the deadline passed with records pending or rejected (missed);
 * - `accepted-late`: every record is upstream, the last of them after the deadline (missed);
 * - `all-accepted`: every record upstream before the deadline (met);
 * - `nothing-expected`: no attendance record to send for the day (met).
 */
export const UploadDeadlineReason = z.enum([
  'in-progress',
  'deadline-near',
  'uplink-failing',
  'backlog-stale',
  'records-rejected',
  'records-not-accepted',
  'accepted-late',
  'all-accepted',
  'nothing-expected',
]);
export type UploadDeadlineReason = z.infer<typeof UploadDeadlineReason>;

/** The day's attendance records of the project for the target, by where they stand (latest revisions). */
export const UploadDeadlineCounts = z
  .object({
    expected: z.number().int().min(0),
    accepted: z.number().int().min(0),
    /** Pending or sent, not yet accepted. */
    pending: z.number().int().min(0),
    /** Rejected by the platform or by the local pre-check. */
    rejected: z.number().int().min(0),
  })
  .strict();
export type UploadDeadlineCounts = z.infer<typeof UploadDeadlineCounts>;

export const ProjectDayAgainstDeadline = z
  .object({
    /** The uplink target (`national`, `zhejiang`, ...). */
    target: z.string().min(1),
    projectId: z.string().min(1),
    /** The project's region (GB/T 2260), for routing the warning to its supervisors. */
    region: z.string().regex(/^\d{6}$/, 'must be a six-digit division code'),
    /** The attendance day, local to the target's deadline zone. */
    day: DAY,
    /** The instant by which the day's records must be upstream. */
    deadline: utcInstant(),
    /** Whole minutes left at the decision; negative once the deadline has passed. */
    minutesLeft: z.number().int(),
    counts: UploadDeadlineCounts,
    reason: UploadDeadlineReason,
  })
  // Strict: a field not declared here (an ID number, a name) is refused rather than carried along.
  .strict();

/** The day will likely miss its deadline. Stream: `upload-deadline-<target>-<projectId>-<day>`. */
export const UploadDeadlineAtRisk = defineEvent({
  type: 'realname.reporting.UploadDeadlineAtRisk',
  version: 1,
  topic: Topics.reportingDeadlines.name,
  schema: ProjectDayAgainstDeadline,
});
export type UploadDeadlineAtRiskData = EventData<typeof UploadDeadlineAtRisk>;

/** An at-risk day is back on track before its deadline (the uplink recovered). Stream: the day's. */
export const UploadDeadlineRecovered = defineEvent({
  type: 'realname.reporting.UploadDeadlineRecovered',
  version: 1,
  topic: Topics.reportingDeadlines.name,
  schema: ProjectDayAgainstDeadline,
});
export type UploadDeadlineRecoveredData = EventData<typeof UploadDeadlineRecovered>;

/** The deadline passed without every record of the day upstream; published once per day. Stream: the day's. */
export const UploadDeadlineMissed = defineEvent({
  type: 'realname.reporting.UploadDeadlineMissed',
  version: 1,
  topic: Topics.reportingDeadlines.name,
  schema: ProjectDayAgainstDeadline,
});
export type UploadDeadlineMissedData = EventData<typeof UploadDeadlineMissed>;

/** Every record of the day is upstream before the deadline. Stream: the day's. */
export const UploadDeadlineMet = defineEvent({
  type: 'realname.reporting.UploadDeadlineMet',
  version: 1,
  topic: Topics.reportingDeadlines.name,
  schema: ProjectDayAgainstDeadline,
});
export type UploadDeadlineMetData = EventData<typeof UploadDeadlineMet>;
