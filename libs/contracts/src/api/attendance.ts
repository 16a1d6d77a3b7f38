import { z } from 'zod';
import { ResolutionStatus, UnresolvedReason } from '../events/attendance';

/*
 * The REST answers and query parameters of the attendance service: the service's types are inferred
 * from these schemas, and its OpenAPI document is generated from them.
 */

/** A local calendar day (RFC 3339 full-date), from year 1 on. */
export const LocalDay = z
  .string()
  .date()
  .refine((d) => !d.startsWith('0000'), 'there is no year 0')
  .describe('A local day, YYYY-MM-DD');

/** Page size of a paged list: 1-1000, 100 when not given. */
export const PageSize = z.coerce
  .number()
  .int()
  .min(1)
  .max(1000)
  .describe('Punches per page, 1-1000; 100 when not given');

export const PageToken = z
  .string()
  .describe(
    'The nextPageToken of the previous page of the same question; any other value is refused (400): start again without it',
  );

/** A project's id as the registry issues it; any text without control characters is accepted. */
export const ProjectIdParam = z
  .string()
  .regex(/^[^\u0000-\u001f\u007f]+$/)
  .describe('The project id (18 digits as the registry issues them)');

export const ProjectPathParams = z.object({ projectId: ProjectIdParam });

export const PunchListQuery = z.object({
  day: LocalDay,
  personId: z
    .string()
    .regex(/^[^\u0000]*$/)
    .optional()
    .describe("Only this person's punches (the id the device knows the person by)"),
  resolution: z
    .enum(['resolved', 'unresolved', ''])
    .optional()
    .describe('Only punches resolved to an enrolled worker, or only those that are not; empty: every punch'),
  pageSize: PageSize.optional(),
  pageToken: PageToken.optional(),
});

export const UnresolvedPunchQuery = z.object({
  from: LocalDay.describe('First local day, YYYY-MM-DD'),
  to: LocalDay.describe('Last local day, YYYY-MM-DD: not before `from`, and at most 366 days on'),
  reason: z
    .enum([...UnresolvedReason.options, ''])
    .optional()
    .describe('Only punches unresolved for this reason; empty: every reason'),
  pageSize: PageSize.optional(),
  pageToken: PageToken.optional(),
});

export const DayRangeQuery = z.object({
  from: LocalDay.describe('First local day, YYYY-MM-DD'),
  to: LocalDay.describe('Last local day, YYYY-MM-DD: not before `from`'),
});

export const RegionDailyQuery = z.object({
  region: z
    .string()
    .regex(/^\d{0,6}$/)
    .optional()
    .describe('A division-code prefix, 0-6 digits (33, 3301, 330106); empty or absent: your whole scope'),
  from: LocalDay.describe('First local day, YYYY-MM-DD'),
  to: LocalDay.describe('Last local day, YYYY-MM-DD'),
});

const Sequence = z
  .string()
  .regex(/^\d+$/)
  .describe('Position of the punch in the event store (a 64-bit integer)');

export const PunchView = z.object({
  eventId: z.string(),
  projectId: z.string(),
  personId: z.string(),
  day: z.string().describe('The local day of the punch, YYYY-MM-DD'),
  punchedAt: z.string().datetime().describe('When the person punched (UTC)'),
  direction: z.enum(['in', 'out', 'unknown']),
  deviceId: z.string(),
  deviceRecordId: z.string(),
  verifyMode: z.string(),
  receivedAt: z.string().datetime(),
  sequence: Sequence,
  resolutionStatus: ResolutionStatus.describe('Whether attendance knows which enrolled worker punched'),
  unresolvedReason: UnresolvedReason.nullable().describe('Why not, when unresolved; null when resolved'),
  enrolmentId: z
    .string()
    .nullable()
    .describe(
      'The enrolment (worker, team, unit): the resolved one, or for not-entered/exited the one matched',
    ),
  workerId: z.string().nullable(),
  workerName: z.string().nullable(),
  maskedIdNumber: z.string().nullable().describe('The resident ID number with its middle masked'),
  teamId: z.string().nullable(),
  teamName: z.string().nullable(),
  participantId: z.string().nullable(),
  corpName: z.string().nullable(),
  workType: z.string().nullable(),
});
export type PunchView = z.infer<typeof PunchView>;

export const PunchPage = z.object({
  punches: z.array(PunchView),
  nextPageToken: z.string().describe('The pageToken of the next page; empty on the last page'),
  totalCount: z.number().int().min(0).describe('Punches matching the question over every page'),
});
export type PunchPage = z.infer<typeof PunchPage>;

export const UnresolvedPunchPage = PunchPage.extend({
  reasons: z
    .object(
      Object.fromEntries(UnresolvedReason.options.map((r) => [r, z.number().int().min(0)])) as Record<
        UnresolvedReason,
        z.ZodNumber
      >,
    )
    .describe('Unresolved punches of the whole range (not only this page) by reason; every reason is listed'),
});
export type UnresolvedPunchPage = z.infer<typeof UnresolvedPunchPage>;

export const DayCount = z.object({
  day: z.string().describe('YYYY-MM-DD'),
  punches: z.number().int().min(0),
  persons: z.number().int().min(0),
});
export type DayCount = z.infer<typeof DayCount>;

export const DayCounts = z.object({ days: z.array(DayCount) });
export type DayCounts = z.infer<typeof DayCounts>;

export const RegionDay = z.object({
  region: z.string().describe('Division code of the region'),
  day: z.string().describe('YYYY-MM-DD'),
  punches: z.number().int().min(0),
  projects: z.number().int().min(0),
});
export type RegionDay = z.infer<typeof RegionDay>;

export const RegionDays = z.object({ rows: z.array(RegionDay) });
export type RegionDays = z.infer<typeof RegionDays>;
