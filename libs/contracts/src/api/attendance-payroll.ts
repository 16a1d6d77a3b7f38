import { z } from 'zod';
import { DayStatus, PayrollFindingKind } from '../events/timesheets';
import { LocalDay, ProjectIdParam } from './attendance';

/*
 * Monthly team sheets and payroll of the attendance REST API: path parameters, bodies (with examples)
 * and answers. Amounts are in fen (1/100 yuan, integers) except where a payroll clerk types yuan.
 */

/** A calendar month, YYYY-MM (year 2000-2099: payroll of another century is a typing error). */
export const SheetMonth = z
  .string()
  .regex(/^20\d{2}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM such as 2026-11')
  .describe('A calendar month, YYYY-MM');

const Id = (what: string) =>
  z
    .string()
    .regex(/^[^\u0000-\u001f\u007f]{1,128}$/, `must be the ${what}: 1-128 characters, no control characters`)
    .describe(`The ${what}`);

export const SheetTeamParams = z.object({ projectId: ProjectIdParam, teamId: Id('team id') });
export const SheetTeamMonthParams = SheetTeamParams.extend({ month: SheetMonth });
export const PayrollWorkerParams = SheetTeamParams.extend({ workerId: Id('worker id (the registry’s)') });
export const PieceworkParams = PayrollWorkerParams.extend({ month: SheetMonth });

/** The download format of a sheet; the Accept header may ask for it too. */
export const SheetFormat = z.enum(['json', 'csv', 'xlsx']);
export type SheetFormat = z.infer<typeof SheetFormat>;
export const SheetQuery = z.object({
  format: SheetFormat.optional().describe(
    'json (the default), csv (UTF-8 with BOM) or xlsx; without it, Accept text/csv or the XLSX media type choose',
  ),
});

export const SHEET_EXAMPLE_PARAMS = {
  projectId: '330106202401150001',
  teamId: 'team-91330106MA2H4K7N15',
  month: '2026-11',
};

// ---- the monthly team sheet ---------------------------------------------------------------------

export const SheetDay = z.object({
  day: LocalDay,
  /** From the region's calendar. */
  working: z.boolean().describe('Whether the regional calendar makes it a working day'),
  calendarKind: z.enum(['workday', 'weekend', 'holiday', 'adjusted-workday']),
  holiday: z.string().optional(),
});

export const SheetCell = z.object({
  day: LocalDay,
  status: DayStatus.nullable().describe('The finalised status; null when no day is finalised (yet)'),
  mark: z.string().describe('The mark the sheet prints: √ present, △ incomplete, 假 leave, × absent, blank'),
  workedMinutes: z.number().int().min(0),
  hours: z.number().min(0).describe('Worked hours, 2 decimals'),
  revision: z.number().int().min(1).nullable(),
});

export const SheetTotals = z.object({
  daysPresent: z.number().int().min(0).describe('Days present or incomplete (on site, a punch missing)'),
  incompleteDays: z.number().int().min(0),
  workedMinutes: z.number().int().min(0),
  hours: z.number().min(0),
  leaveDays: z.number().int().min(0),
  absentDays: z.number().int().min(0),
});
export type SheetTotals = z.infer<typeof SheetTotals>;

export const SheetWorker = z.object({
  enrolmentId: z.string(),
  workerId: z.string(),
  name: z.string(),
  maskedIdNumber: z.string(),
  workType: z.string(),
  days: z.array(SheetCell),
  totals: SheetTotals,
});

export const TeamSheet = z.object({
  project: z.object({ projectId: z.string(), name: z.string(), region: z.string().nullable() }),
  team: z.object({ teamId: z.string(), name: z.string() }),
  month: SheetMonth,
  days: z.array(SheetDay),
  workers: z.array(SheetWorker),
  legend: z.record(z.string(), z.string()).describe('Mark → meaning'),
});
export type TeamSheet = z.infer<typeof TeamSheet>;

// ---- wage terms and piecework ------------------------------------------------------------------

export const WageBasis = z.enum(['daily', 'hourly', 'piece']);
export type WageBasis = z.infer<typeof WageBasis>;

export const WageTermsBody = z
  .object({
    basis: WageBasis.describe('daily: per day present; hourly: per worked hour; piece: per piece'),
    rateFen: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .describe('The rate in fen (1/100 yuan) per day, hour or piece'),
    effectiveFrom: SheetMonth.describe('The first month the terms apply to (until later terms)'),
  })
  .strict()
  .describe('Wage terms of the team (or one worker of it, overriding the team’s)');
export type WageTermsBody = z.infer<typeof WageTermsBody>;
export const WAGE_TERMS_EXAMPLE: WageTermsBody = { basis: 'daily', rateFen: 35000, effectiveFrom: '2026-11' };

export const WageTerms = WageTermsBody.extend({
  workerId: z.string().nullable().describe('null: the team’s terms'),
  setBy: z.string(),
  setAt: z.string().datetime(),
});
export type WageTerms = z.infer<typeof WageTerms>;
export const TeamWageTerms = z.object({
  projectId: z.string(),
  teamId: z.string(),
  terms: z.array(WageTerms).describe('Every version, the team’s first, then by worker, oldest first'),
});
export type TeamWageTerms = z.infer<typeof TeamWageTerms>;

export const PieceworkBody = z
  .object({
    pieces: z
      .number()
      .min(0)
      .max(10_000_000)
      // Hundredths are stored: a quantity with a third decimal would be rounded silently.
      .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, {
        message: 'must have at most 2 decimals',
      })
      .describe('Pieces (or units such as m²) the worker did in the month, at most 2 decimals'),
  })
  .strict();
export type PieceworkBody = z.infer<typeof PieceworkBody>;

export const Piecework = z.object({
  projectId: z.string(),
  teamId: z.string(),
  workerId: z.string(),
  month: SheetMonth,
  pieces: z.number().min(0),
});
export type Piecework = z.infer<typeof Piecework>;

// ---- payroll sheet -----------------------------------------------------------------------------

export const PayrollLine = z.object({
  enrolmentId: z.string(),
  workerId: z.string(),
  name: z.string(),
  maskedIdNumber: z.string(),
  workType: z.string(),
  daysPresent: z.number().int().min(0),
  workedMinutes: z.number().int().min(0),
  hours: z.number().min(0),
  basis: WageBasis.nullable().describe('null: no wage terms for the month'),
  rateFen: z.number().int().nullable(),
  pieces: z.number().nullable().describe('Piece rate only: the pieces entered; null when none'),
  amountDueFen: z.number().int().nullable().describe('null when unknown (no terms, or no pieces entered)'),
  amountDueNote: z.string().nullable().describe('Why the amount due is unknown'),
  amountPaidFen: z.number().int().min(0),
  differenceFen: z.number().int().nullable().describe('Paid minus due; null when due is unknown'),
  payments: z.number().int().min(0),
});
export type PayrollLine = z.infer<typeof PayrollLine>;

export const PayrollSheet = z.object({
  project: z.object({ projectId: z.string(), name: z.string() }),
  team: z.object({ teamId: z.string(), name: z.string() }),
  month: SheetMonth,
  lines: z.array(PayrollLine),
  totals: z.object({
    amountDueFen: z.number().int().describe('Sum of the known amounts due'),
    amountPaidFen: z.number().int(),
    unknownDue: z.number().int().min(0).describe('Lines whose amount due is unknown'),
  }),
});
export type PayrollSheet = z.infer<typeof PayrollSheet>;

// ---- payroll records ---------------------------------------------------------------------------

export const PayrollRecordsBody = z
  .object({
    records: z
      .array(
        z.object({
          workerId: z.string().max(64),
          month: SheetMonth,
          amountPaid: z.union([z.string().max(20), z.number()]),
          paidOn: LocalDay,
          bankReference: z.string().max(64),
        }),
      )
      .min(1)
      // A month's payroll of a large project; bigger imports go in several requests (the body limit is 1 MB).
      .max(2000),
  })
  .describe(
    'Payroll records; each row is checked, and when any is wrong nothing is stored (400 naming each row and field)',
  );
export const PAYROLL_RECORDS_EXAMPLE = {
  records: [
    {
      workerId: 'w-1',
      month: '2026-11',
      amountPaid: '6800.50',
      paidOn: '2026-12-10',
      bankReference: 'ICBC20261210000123',
    },
  ],
};

export const PayrollImported = z.object({
  importId: z.string(),
  received: z.number().int().min(0),
  stored: z.number().int().min(0).describe('New records stored'),
  alreadyRecorded: z
    .number()
    .int()
    .min(0)
    .describe('Records imported before (same worker, month and bank reference)'),
  reconciled: z.array(
    z.object({ teamId: z.string(), month: SheetMonth, raised: z.number(), cleared: z.number() }),
  ),
});
export type PayrollImported = z.infer<typeof PayrollImported>;

// ---- findings ----------------------------------------------------------------------------------

export const FindingsQuery = z.object({
  month: SheetMonth.optional(),
  open: z.enum(['true', 'false']).optional().describe('true: open findings only; false: cleared only'),
});

export const PayrollFinding = z.object({
  findingId: z.string(),
  kind: PayrollFindingKind,
  projectId: z.string(),
  teamId: z.string(),
  month: SheetMonth,
  enrolmentId: z.string().nullable(),
  workerId: z.string().nullable(),
  open: z.boolean(),
  detail: z.string(),
  daysPresent: z.number().int(),
  workedMinutes: z.number().int(),
  amountDueFen: z.number().int().nullable(),
  amountPaidFen: z.number().int().nullable(),
  minimumFen: z.number().int().nullable(),
  raisedAt: z.string().datetime(),
  clearedAt: z.string().datetime().nullable(),
});
export type PayrollFinding = z.infer<typeof PayrollFinding>;
export const PayrollFindings = z.object({ findings: z.array(PayrollFinding) });
export type PayrollFindings = z.infer<typeof PayrollFindings>;
