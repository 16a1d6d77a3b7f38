import { z } from 'zod';
import { isValidDay } from '../dates';
import { RegionPrefix } from '../regional-rules/schema';

const Day = z.string().refine(isValidDay, 'must be a real date written YYYY-MM-DD');
const Name = z.string().min(1);

/** A run of rest days (one or more), named as the notice names it. */
export const HolidaySpan = z.object({ name: Name, from: Day, to: Day }).strict();
export type HolidaySpan = z.infer<typeof HolidaySpan>;

/** A day worked in exchange for a holiday (调休上班), with the holiday it pays for. */
export const AdjustedWorkday = z.object({ day: Day, for: Name }).strict();
export type AdjustedWorkday = z.infer<typeof AdjustedWorkday>;

/** One year of the national calendar, as one State Council notice publishes it. */
export const CalendarYear = z
  .object({
    year: z.number().int().min(1900).max(2999),
    source: z.string().min(1),
    holidays: z.array(HolidaySpan),
    adjustedWorkdays: z.array(AdjustedWorkday),
  })
  .strict();
export type CalendarYear = z.infer<typeof CalendarYear>;

/** A region's own rest days and working days, applied over the national calendar (shortest prefix first). */
export const CalendarRegionOverride = z
  .object({
    region: RegionPrefix.refine((r) => r !== '', 'a region override needs a region code prefix'),
    version: z.string().min(1),
    note: z.string().optional(),
    holidays: z.array(HolidaySpan),
    workdays: z.array(AdjustedWorkday),
  })
  .strict();
export type CalendarRegionOverride = z.infer<typeof CalendarRegionOverride>;

/** The shape of `calendar.json`. */
export const CalendarFile = z
  .object({
    version: z.string().min(1),
    source: z.string().min(1),
    note: z.string().optional(),
    years: z.array(CalendarYear),
    regions: z.array(CalendarRegionOverride),
  })
  .strict();
export type CalendarFile = z.infer<typeof CalendarFile>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A minimum wage from a day on, in fen (1/100 yuan) so that amounts stay exact. */
export const MinimumWage = z
  .object({
    effectiveFrom: Day,
    monthlyFen: z.number().int().positive(),
    hourlyFen: z.number().int().positive(),
  })
  .strict();
export type MinimumWage = z.infer<typeof MinimumWage>;

const MinimumWages = z
  .array(MinimumWage)
  .min(1, 'must list at least one minimum wage')
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((w, i) => {
      if (seen.has(w.effectiveFrom)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [i, 'effectiveFrom'],
          message: `effectiveFrom ${w.effectiveFrom} is listed twice`,
        });
      }
      seen.add(w.effectiveFrom);
    });
  });

const attendanceFields = {
  version: z.string().min(1),
  region: RegionPrefix,
  note: z.string().optional(),
  /** The project's IANA time zone, in which attendance days are counted. */
  timeZone: z.string().refine(isTimeZone, 'must be a time zone Intl knows, such as Asia/Shanghai'),
  /** Local time at which one attendance day ends and the next begins; at most noon so a day keeps its date. */
  dayBoundary: z.string().superRefine((t, ctx) => {
    if (!HHMM.test(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a time HH:MM' });
    else if (t > '12:00')
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be between 00:00 and 12:00' });
  }),
  /** Minutes after a day's end at which it is finalised. */
  finaliseGraceMinutes: z.number().int().min(0),
  /** The longest shift carried over the boundary into the day it began. */
  maxShiftHours: z.number().positive().max(24),
  /** Same-direction punches within this many seconds of the previous kept one count once. */
  duplicateWithinSeconds: z.number().int().min(0),
  /** Whether corrections and leave wait for a supervisor's approval. */
  correctionApproval: z.boolean(),
  /** Posts whose presence (到岗率) is supervised. */
  keyPosts: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a post code such as project-manager'))
    .refine((posts) => new Set(posts).size === posts.length, 'must not list a post twice'),
  /** Share of working days a key person must be present, 0..1. */
  presenceMinimum: z.number().min(0).max(1),
  /** Days without a punch while entered that raise a consecutive-absence warning. */
  consecutiveAbsenceDays: z.number().int().min(1),
  /** The region's minimum wages over time; a list given by a region replaces the one above it. */
  minimumWage: MinimumWages,
};

/** A complete attendance profile: the default one, or any region's after merging over the default. */
export const AttendanceProfile = z.object(attendanceFields).strict();
export type AttendanceProfile = z.infer<typeof AttendanceProfile>;

/** What a region writes: only what differs from the profiles above it. */
export const AttendanceProfileOverride = z
  .object({
    version: attendanceFields.version,
    region: RegionPrefix.refine((r) => r !== '', 'a region override needs a region code prefix'),
    note: attendanceFields.note,
    timeZone: attendanceFields.timeZone.optional(),
    dayBoundary: attendanceFields.dayBoundary.optional(),
    finaliseGraceMinutes: attendanceFields.finaliseGraceMinutes.optional(),
    maxShiftHours: attendanceFields.maxShiftHours.optional(),
    duplicateWithinSeconds: attendanceFields.duplicateWithinSeconds.optional(),
    correctionApproval: attendanceFields.correctionApproval.optional(),
    keyPosts: attendanceFields.keyPosts.optional(),
    presenceMinimum: attendanceFields.presenceMinimum.optional(),
    consecutiveAbsenceDays: attendanceFields.consecutiveAbsenceDays.optional(),
    minimumWage: attendanceFields.minimumWage.optional(),
  })
  .strict();
export type AttendanceProfileOverride = z.infer<typeof AttendanceProfileOverride>;

/** The shape of `attendance-profiles.json`. */
export const AttendanceProfilesFile = z
  .object({
    version: z.string().min(1),
    note: z.string().optional(),
    default: AttendanceProfile,
    regions: z.array(AttendanceProfileOverride),
  })
  .strict();
export type AttendanceProfilesFile = z.infer<typeof AttendanceProfilesFile>;
