/**
 * The regional working-day calendar: national statutory holidays and adjusted working weekends
 * (调休上班) per year as published, with region overrides by code prefix applied shortest first.
 * Which days are worked is data (`calendar.json`), never weekday arithmetic alone: only a year the
 * data lacks falls back to the week, and its version says so.
 */
import type { CalendarDayKind as ContractCalendarDayKind } from '@realname/contracts';
import { addDays, daysBetween, isValidDay, parseDay } from '../dates';
import bundled from './calendar.json';
import { AttendanceRulesError, RuleProblem, zodProblems } from './problems';
import { CalendarFile } from './schema';

/** The kind of day, as the timesheet contract records it. */
export type CalendarDayKind = ContractCalendarDayKind;

/** What the calendar says about one listed day. */
export interface CalendarListedDay {
  working: boolean;
  /** The holiday's name, or for a working day the holiday it pays for. */
  name: string;
}

export interface CalendarRegion {
  region: string;
  version: string;
  note?: string;
  days: ReadonlyMap<string, CalendarListedDay>;
}

/** A validated calendar, indexed by day. */
export interface Calendar {
  version: string;
  source: string;
  note?: string;
  /** Years the national data covers; other years follow the week. */
  years: ReadonlySet<number>;
  national: ReadonlyMap<string, CalendarListedDay>;
  /** Overrides by region prefix. */
  regions: ReadonlyMap<string, CalendarRegion>;
}

export interface CalendarAnswer {
  working: boolean;
  kind: CalendarDayKind;
  /** The holiday's name when `kind` is 'holiday'. */
  holiday?: string;
  /** The holiday an adjusted working day pays for, when `kind` is 'adjusted-workday'. */
  adjustedFor?: string;
  /**
   * The calendar version, the applied regions' versions (`+45:example-2026.1`) and, for a year the
   * national data lacks, `+no-data-<year>`.
   */
  version: string;
}

function isWeekend(day: string): boolean {
  const d = parseDay(day);
  if (!d) return false;
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return weekday === 0 || weekday === 6;
}

const MAX_SPAN_DAYS = 31;

/** Every day from `from` to `to` inclusive (empty when `to` is earlier). */
function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/**
 * Lists the days of holiday spans and working days into `into`, reporting days listed twice and spans
 * that run backwards; `where` is the path of the list's owner in the document.
 */
function listDays(
  where: string,
  holidays: { name: string; from: string; to: string }[],
  workdays: { day: string; for: string }[],
  into: Map<string, CalendarListedDay>,
  problems: RuleProblem[],
  year?: number,
): void {
  const origin = new Map<string, string>();
  const add = (day: string, entry: CalendarListedDay, path: string) => {
    const first = origin.get(day);
    if (first) problems.push({ path, message: `${day} is already listed at ${first}` });
    else if (year !== undefined && !day.startsWith(`${year}-`)) {
      problems.push({ path, message: `${day} is not in ${year}` });
    } else {
      origin.set(day, path);
      into.set(day, entry);
    }
  };
  holidays.forEach((h, i) => {
    const path = `${where}.holidays.${i}`;
    if (h.to < h.from) {
      problems.push({ path: `${path}.to`, message: `${h.to} is before from (${h.from})` });
      return;
    }
    // No published holiday is this long; a longer span is a typo that would list a year of rest days.
    if (daysBetween(h.from, h.to) >= MAX_SPAN_DAYS) {
      problems.push({ path: `${path}.to`, message: `the span is longer than ${MAX_SPAN_DAYS} days` });
      return;
    }
    for (const day of daysFrom(h.from, h.to)) add(day, { working: false, name: h.name }, path);
  });
  workdays.forEach((w, i) => add(w.day, { working: true, name: w.for }, `${where}.${i}`));
}

/**
 * Validates a calendar document (the shape of `calendar.json`) and reports every problem at once:
 * schema errors, a year or region listed twice, days listed twice or outside their year, holiday spans
 * that run backwards, and national adjusted working days that are not on a weekend.
 */
export function loadCalendar(json: unknown): Calendar {
  const parsed = CalendarFile.safeParse(json);
  if (!parsed.success) throw new AttendanceRulesError('calendar is', zodProblems(parsed.error));
  const file = parsed.data;
  const problems: RuleProblem[] = [];
  const years = new Set<number>();
  const national = new Map<string, CalendarListedDay>();
  file.years.forEach((y, i) => {
    if (years.has(y.year)) {
      // Its days would only repeat the first listing's problems.
      problems.push({ path: `years.${i}.year`, message: `${y.year} is listed twice` });
      return;
    }
    years.add(y.year);
    listDays(`years.${i}`, y.holidays, [], national, problems, y.year);
    const workdays = new Map<string, CalendarListedDay>();
    listDays(`years.${i}.adjustedWorkdays`, [], y.adjustedWorkdays, workdays, problems, y.year);
    y.adjustedWorkdays.forEach((w, j) => {
      const path = `years.${i}.adjustedWorkdays.${j}.day`;
      if (national.get(w.day)?.working === false)
        problems.push({ path, message: `${w.day} is also listed as a holiday` });
      else if (!isWeekend(w.day)) {
        problems.push({ path, message: `${w.day} is a weekday; an adjusted working day replaces a weekend` });
      }
    });
    for (const [day, entry] of workdays) if (!national.has(day)) national.set(day, entry);
  });
  const regions = new Map<string, CalendarRegion>();
  file.regions.forEach((r, i) => {
    if (regions.has(r.region)) {
      problems.push({ path: `regions.${i}.region`, message: `region ${r.region} is configured twice` });
    }
    const days = new Map<string, CalendarListedDay>();
    listDays(`regions.${i}`, r.holidays, [], days, problems);
    const workdays = new Map<string, CalendarListedDay>();
    listDays(`regions.${i}.workdays`, [], r.workdays, workdays, problems);
    r.workdays.forEach((w, j) => {
      if (days.has(w.day))
        problems.push({ path: `regions.${i}.workdays.${j}.day`, message: `${w.day} is also a holiday` });
    });
    regions.set(r.region, {
      region: r.region,
      version: r.version,
      note: r.note,
      days: new Map([...days, ...workdays]),
    });
  });
  if (problems.length > 0) throw new AttendanceRulesError('calendar is', problems);
  return { version: file.version, source: file.source, note: file.note, years, national, regions };
}

/** The national calendar bundled with this library (`calendar.json`), with its example region overrides. */
export const bundledCalendar: Calendar = loadCalendar(bundled);

function checkRegion(region: string): void {
  if (!/^\d*$/.test(region))
    throw new RangeError(`region code must be digits such as 330106, got "${region}"`);
}

function checkDay(day: string, what: string): void {
  if (!isValidDay(day)) throw new RangeError(`${what} must be a real date written YYYY-MM-DD, got "${day}"`);
}

/**
 * What the calendar says about a day in a region (a GB/T 2260 code or prefix): the national entry,
 * then each configured prefix of the region shortest first, the longest having the last word.
 */
export function calendarDay(
  region: string,
  day: string,
  calendar: Calendar = bundledCalendar,
): CalendarAnswer {
  checkRegion(region);
  checkDay(day, 'day');
  let listed = calendar.national.get(day);
  const versions = [calendar.version];
  for (let len = 2; len <= region.length; len += 2) {
    const r = calendar.regions.get(region.slice(0, len));
    if (!r) continue;
    versions.push(`${r.region}:${r.version}`);
    listed = r.days.get(day) ?? listed;
  }
  const year = Number(day.slice(0, 4));
  if (!calendar.years.has(year)) versions.push(`no-data-${year}`);
  const version = versions.join('+');
  const weekend = isWeekend(day);
  if (!listed) return { working: !weekend, kind: weekend ? 'weekend' : 'workday', version };
  if (!listed.working) return { working: false, kind: 'holiday', holiday: listed.name, version };
  // A listed working day on a weekday (a region cancelling a holiday) is an ordinary working day.
  return weekend
    ? { working: true, kind: 'adjusted-workday', adjustedFor: listed.name, version }
    : { working: true, kind: 'workday', version };
}

/** The working days of a region from `from` to `to`, both included, in order. */
export function workingDays(
  region: string,
  from: string,
  to: string,
  calendar: Calendar = bundledCalendar,
): string[] {
  checkRegion(region);
  checkDay(from, 'from');
  checkDay(to, 'to');
  return daysFrom(from, to).filter((d) => calendarDay(region, d, calendar).working);
}
