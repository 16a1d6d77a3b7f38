import { z } from 'zod';
import { SheetMonth } from './attendance-payroll';
import { ProjectIdParam } from './attendance';

/*
 * Province-scale attendance analytics from ClickHouse (monthly roll-ups of finalised attendance days):
 * the parameters and answers of /api/v1/analytics/months/... in the attendance REST API.
 */

export const AnalyticsMonth = SheetMonth;

export const AnalyticsMonthPathParams = z.object({ month: AnalyticsMonth });
export const AnalyticsProjectMonthPathParams = z.object({ month: AnalyticsMonth, projectId: ProjectIdParam });

export const AnalyticsRegionQuery = z.object({
  region: z
    .string()
    .regex(/^\d{0,6}$/)
    .optional()
    .describe('A division-code prefix, 0-6 digits (33, 3301, 330106); empty or absent: your whole scope'),
});

const Count = z.number().int().min(0);
const Hours = z.number().min(0).describe('Worked hours (paired in/out intervals), 2 decimals');

const Figures = z.object({
  daysPresent: Count.describe('Person-days present or incomplete (at least one punch pair or a lone punch)'),
  workers: Count.describe('Distinct workers with at least one day present'),
  workedHours: Hours,
  projects: Count.describe('Projects with at least one day present'),
});

export const CityMonth = Figures.extend({
  city: z.string().describe('Division code of the city (4 digits + 00)'),
});
export const ProjectMonth = Figures.omit({ projects: true }).extend({
  projectId: z.string(),
  county: z.string().describe("Division code of the project's county"),
  city: z.string(),
});

export const RegionMonthReport = z.object({
  month: AnalyticsMonth,
  region: z.string().describe('The prefix asked for (empty: your whole scope)'),
  totals: Figures,
  cities: z.array(CityMonth).describe('By city, in code order'),
  projects: z.array(ProjectMonth).describe('By project, most days present first'),
});
export type RegionMonthReport = z.infer<typeof RegionMonthReport>;

export const TeamMonth = z.object({
  teamId: z.string(),
  participantId: z.string().describe('The unit the team belongs to'),
  workers: Count.describe('Distinct workers with a finalised day in the month (present or not)'),
  workersPresent: Count.describe('Of those, workers with at least one day present'),
  daysPresent: Count,
  leaveDays: Count,
  workedHours: Hours,
});

export const ProjectTeamSheet = z.object({
  month: AnalyticsMonth,
  projectId: z.string(),
  teams: z.array(TeamMonth).describe('By team id'),
});
export type ProjectTeamSheet = z.infer<typeof ProjectTeamSheet>;

export const KeyPersonMonth = z.object({
  projectId: z.string(),
  county: z.string(),
  post: z.string().describe('The key post held (project-manager, chief-supervising-engineer, ...)'),
  enrolmentId: z.string(),
  workerId: z.string(),
  participantId: z.string(),
  workingDays: Count.describe('Working days of the regional calendar on which the post was held'),
  daysPresent: Count.describe('Of those, days present or incomplete'),
  leaveDays: Count.describe('Of those, days of approved leave'),
  presenceRate: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .describe('daysPresent / (workingDays − leaveDays), 4 decimals; null: nothing to count'),
});
export type KeyPersonMonth = z.infer<typeof KeyPersonMonth>;

export const RegionKeyPersonnelMonth = z.object({
  month: AnalyticsMonth,
  region: z.string(),
  persons: z.array(KeyPersonMonth).describe('By county, project, post and enrolment'),
});
export type RegionKeyPersonnelMonth = z.infer<typeof RegionKeyPersonnelMonth>;

export const REGION_MONTH_EXAMPLE: RegionMonthReport = {
  month: '2026-11',
  region: '33',
  totals: { daysPresent: 3120, workers: 160, workedHours: 26520.5, projects: 2 },
  cities: [{ city: '330100', daysPresent: 3120, workers: 160, workedHours: 26520.5, projects: 2 }],
  projects: [
    {
      projectId: '330106202401150001',
      county: '330106',
      city: '330100',
      daysPresent: 2080,
      workers: 100,
      workedHours: 17680.25,
    },
    {
      projectId: '330108202402010007',
      county: '330108',
      city: '330100',
      daysPresent: 1040,
      workers: 60,
      workedHours: 8840.25,
    },
  ],
};

export const TEAM_SHEET_EXAMPLE: ProjectTeamSheet = {
  month: '2026-11',
  projectId: '330106202401150001',
  teams: [
    {
      teamId: 'team-91330106MA2H4K7N15',
      participantId: 'pa-91330106MA2H4K7N15',
      workers: 42,
      workersPresent: 40,
      daysPresent: 832,
      leaveDays: 6,
      workedHours: 7072,
    },
  ],
};

export const KEY_PERSONNEL_EXAMPLE: RegionKeyPersonnelMonth = {
  month: '2026-11',
  region: '3301',
  persons: [
    {
      projectId: '330106202401150001',
      county: '330106',
      post: 'project-manager',
      enrolmentId: 'en-330106-7',
      workerId: 'w-7',
      participantId: 'pa-91330106MA2H4K7N15',
      workingDays: 21,
      daysPresent: 15,
      leaveDays: 2,
      presenceRate: 0.7895,
    },
  ],
};
