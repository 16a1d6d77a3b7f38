import { z } from 'zod';
import { UploadDeadlineReason } from '../events/reporting';

/*
 * The deadline board of the reporting API (issue 12): for a region and a day, per project and uplink
 * target, how many of the day's attendance records are expected upstream, accepted, pending and
 * rejected, the target's deadline (24:00 for Zhejiang), the minutes left and the state. Counts only: no
 * personal data.
 */

/** A six-digit GB/T 2260 division code: a province (330000), a city (330100) or a county (330106). */
export const DeadlineRegionParam = z
  .string()
  .regex(/^\d{6}$/)
  .describe('A six-digit division code: a province (330000), a city (330100) or a county (330106)');

export const DeadlineDayParam = z
  .string()
  .date()
  .refine((d) => !d.startsWith('0000'), 'there is no year 0')
  .describe("The attendance day, YYYY-MM-DD (local to the target's deadline zone, Asia/Shanghai)");

export const DeadlineBoardParams = z.object({ region: DeadlineRegionParam, day: DeadlineDayParam });

export const DeadlineState = z
  .enum(['on-track', 'at-risk', 'missed', 'met'])
  .describe(
    'on-track: records going up in time; at-risk: within the margin before the deadline, the uplink ' +
      'failing, a record waiting too long or rejected; missed: the deadline passed without every record ' +
      'upstream; met: every record upstream by the deadline',
  );
export type DeadlineState = z.infer<typeof DeadlineState>;

export const DeadlineBoardRow = z.object({
  projectId: z.string(),
  projectName: z.string().nullable().describe('As the registry names the project; null before it is known'),
  region: z.string(),
  target: z.string().describe('The uplink target (national, zhejiang, ...)'),
  expected: z
    .number()
    .int()
    .min(0)
    .describe("The day's attendance records for the target (one per worker with punches)"),
  accepted: z.number().int().min(0),
  pending: z.number().int().min(0).describe('Pending or sent, not yet accepted'),
  rejected: z.number().int().min(0).describe('Rejected by the platform or by the local pre-check'),
  deadline: z.string().describe('The instant of the deadline (RFC 3339, UTC)'),
  minutesLeft: z.number().int().describe('Whole minutes before the deadline; negative once it has passed'),
  state: DeadlineState,
  reason: UploadDeadlineReason.describe('Why the day is in its state'),
});
export type DeadlineBoardRow = z.infer<typeof DeadlineBoardRow>;

export const DeadlineBoard = z.object({
  region: z.string(),
  day: z.string(),
  /** When the board was computed. */
  asOf: z.string().describe('The instant the board was computed (RFC 3339, UTC)'),
  projects: z
    .array(DeadlineBoardRow)
    .describe('Projects of the region within your scope that have records of the day'),
});
export type DeadlineBoard = z.infer<typeof DeadlineBoard>;

export const DEADLINE_BOARD_PARAMS_EXAMPLE = { region: ['330100', '330106'], day: '2026-12-03' };

export const DEADLINE_BOARD_EXAMPLE: DeadlineBoard = {
  region: '330100',
  day: '2026-12-03',
  asOf: '2026-12-03T15:10:00Z',
  projects: [
    {
      projectId: '330106202401150001',
      projectName: '西湖区文三路综合体',
      region: '330106',
      target: 'national',
      expected: 120,
      accepted: 96,
      pending: 22,
      rejected: 2,
      deadline: '2026-12-03T16:00:00Z',
      minutesLeft: 50,
      state: 'at-risk',
      reason: 'records-rejected',
    },
  ],
};
