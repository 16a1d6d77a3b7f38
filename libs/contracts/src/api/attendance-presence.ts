import { z } from 'zod';
import { LocalDay } from './attendance';

/*
 * Key-personnel presence (到岗率) and consecutive absence: the query parameters and answers of the
 * attendance REST API (the gRPC answers carry the same fields).
 */

/** A six-digit GB/T 2260 division code: a province (330000), a city (330100) or a county (330106). */
export const RegionCodeParam = z
  .string()
  .regex(/^\d{6}$/)
  .describe('A six-digit division code: a province (330000), a city (330100) or a county (330106)');

export const RegionPathParams = z.object({ region: RegionCodeParam });

export const PresencePeriodQuery = z.object({
  from: LocalDay.describe('First day of the period, YYYY-MM-DD'),
  to: LocalDay.describe('Last day of the period, YYYY-MM-DD: not before `from`, and at most 366 days on'),
});

export const AbsenceQuery = z.object({
  asOf: LocalDay.describe('The day the streaks run up to (included), YYYY-MM-DD'),
  minDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(366)
    .optional()
    .describe("Working days without presence that flag a worker, 1-366; the region profile's when not given"),
});

const Rate = z.number().min(0).max(1);

export const KeyPersonPresence = z.object({
  post: z.string().describe('The key post (project-manager, chief-supervising-engineer, ...)'),
  participantId: z.string().describe('The participating unit the post belongs to'),
  corpName: z.string().nullable().describe("The unit's name, when a worker of it is enrolled on the project"),
  name: z.string(),
  maskedIdNumber: z.string().describe('The resident ID number with its middle masked'),
  since: LocalDay.describe('The attendance day the person took the post'),
  enrolled: z
    .boolean()
    .describe(
      'Whether the person has an enrolment on the project; false: never punched there, 0 days present',
    ),
  entered: z.boolean().describe('Whether an enrolment of theirs on the project has been entered on site'),
  workingDays: z
    .number()
    .int()
    .min(0)
    .describe(
      'Working days of the regional calendar in the period, from the post taken and, once entered, while entered',
    ),
  daysPresent: z.number().int().min(0).describe('Of those, days with a timesheet present or incomplete'),
  leaveDays: z.number().int().min(0).describe('Of those, days of approved leave'),
  presenceRate: Rate.nullable().describe(
    'daysPresent / (workingDays − leaveDays), 4 decimals; null: nothing to count',
  ),
  belowMinimum: z.boolean().describe("Whether the rate is below the region's minimum"),
});
export type KeyPersonPresence = z.infer<typeof KeyPersonPresence>;

const ProjectHeader = z.object({
  projectId: z.string(),
  projectName: z
    .string()
    .nullable()
    .describe('As the registry shares it; null when attendance has not heard it'),
  region: z.string().describe("The project's division code, whose calendar and rules apply"),
  profileVersion: z.string().describe('The version of the regional attendance profile applied'),
});

export const ProjectKeyPersonnelPresence = ProjectHeader.extend({
  from: LocalDay,
  to: LocalDay,
  presenceMinimum: Rate.describe("The region's minimum share of working days present"),
  keyPosts: z.array(z.string()).describe('The posts the region supervises; other posts are not listed'),
  persons: z.array(KeyPersonPresence).describe('Key persons by post and unit'),
});
export type ProjectKeyPersonnelPresence = z.infer<typeof ProjectKeyPersonnelPresence>;

export const RegionKeyPersonnelPresence = z.object({
  region: z.string(),
  from: LocalDay,
  to: LocalDay,
  projects: z.array(ProjectKeyPersonnelPresence).describe('The projects of the region within your scope'),
});
export type RegionKeyPersonnelPresence = z.infer<typeof RegionKeyPersonnelPresence>;

export const AbsentWorker = z.object({
  enrolmentId: z.string(),
  workerId: z.string(),
  name: z.string().nullable(),
  maskedIdNumber: z.string().nullable(),
  teamId: z.string().nullable(),
  teamName: z.string().nullable(),
  participantId: z.string().nullable(),
  corpName: z.string().nullable(),
  enteredOn: LocalDay,
  lastPresent: LocalDay.nullable().describe('The last day present on or before asOf; null: never present'),
  absentSince: LocalDay.describe('The first day of the streak (the day after lastPresent, or enteredOn)'),
  absentWorkingDays: z
    .number()
    .int()
    .min(1)
    .describe('Working days without presence up to asOf, leave not counted'),
  leaveDays: z.number().int().min(0).describe('Working days of approved leave within the streak'),
});
export type AbsentWorker = z.infer<typeof AbsentWorker>;

export const ProjectAbsences = ProjectHeader.extend({
  asOf: LocalDay,
  minDays: z.number().int().min(1).describe('The streak that flags a worker (the query, or the profile)'),
  workers: z.array(AbsentWorker).describe('Entered workers with a streak of at least minDays, longest first'),
});
export type ProjectAbsences = z.infer<typeof ProjectAbsences>;

export const RegionAbsences = z.object({
  region: z.string(),
  asOf: LocalDay,
  projects: z.array(ProjectAbsences).describe('The projects of the region within your scope'),
});
export type RegionAbsences = z.infer<typeof RegionAbsences>;

export const PROJECT_PRESENCE_EXAMPLE: ProjectKeyPersonnelPresence = {
  projectId: '330106202401150001',
  projectName: '西湖区某某安置房项目',
  region: '330106',
  profileVersion: 'example-2026.1+33:example-2026.1+3301:example-2026.1',
  from: '2026-11-01',
  to: '2026-11-30',
  presenceMinimum: 0.8,
  keyPosts: ['project-manager', 'chief-supervising-engineer', 'safety-officer', 'technical-lead'],
  persons: [
    {
      post: 'project-manager',
      participantId: 'pa-91330106MA2H4K7N15',
      corpName: '杭州某某建设有限公司',
      name: '张三',
      maskedIdNumber: '3301**********0011',
      since: '2026-03-01',
      enrolled: true,
      entered: true,
      workingDays: 21,
      daysPresent: 15,
      leaveDays: 2,
      presenceRate: 0.7895,
      belowMinimum: true,
    },
    {
      post: 'chief-supervising-engineer',
      participantId: 'pa-91330106MA2H4K7N31',
      corpName: null,
      name: '李四',
      maskedIdNumber: '3301**********0022',
      since: '2026-03-01',
      enrolled: false,
      entered: false,
      workingDays: 21,
      daysPresent: 0,
      leaveDays: 0,
      presenceRate: 0,
      belowMinimum: true,
    },
  ],
};

export const REGION_PRESENCE_EXAMPLE: RegionKeyPersonnelPresence = {
  region: '330100',
  from: '2026-11-01',
  to: '2026-11-30',
  projects: [PROJECT_PRESENCE_EXAMPLE],
};

export const PROJECT_ABSENCES_EXAMPLE: ProjectAbsences = {
  projectId: '330106202401150001',
  projectName: '西湖区某某安置房项目',
  region: '330106',
  profileVersion: 'example-2026.1+33:example-2026.1+3301:example-2026.1',
  asOf: '2026-11-20',
  minDays: 2,
  workers: [
    {
      enrolmentId: 'en-330106-1',
      workerId: 'w-1',
      name: '工人1',
      maskedIdNumber: '3301**********0001',
      teamId: 'team-91330106MA2H4K7N15',
      teamName: '钢筋班',
      participantId: 'pa-91330106MA2H4K7N15',
      corpName: '杭州某某劳务有限公司',
      enteredOn: '2026-11-01',
      lastPresent: '2026-11-13',
      absentSince: '2026-11-14',
      absentWorkingDays: 5,
      leaveDays: 0,
    },
  ],
};

export const REGION_ABSENCES_EXAMPLE: RegionAbsences = {
  region: '330100',
  asOf: '2026-11-20',
  projects: [PROJECT_ABSENCES_EXAMPLE],
};
