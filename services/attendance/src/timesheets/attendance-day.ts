/**
 * The attendance day: the local day in the project's time zone that runs from the day boundary (for
 * example 04:00) to the next day's boundary, so a night shift from 20:00 to 06:00 falls into one day.
 * Pure: the zone's offsets come from Intl, no dependency and no clock.
 */

/** The rules of the attendance day, taken from the region's attendance profile. */
export interface DayRules {
  /** IANA time zone of the project, e.g. Asia/Shanghai. */
  timeZone: string;
  /** Local time 'HH:MM' at which one attendance day ends and the next begins. */
  dayBoundary: string;
  /** The longest shift whose out, after the boundary, still belongs to the day of its in. */
  maxShiftHours: number;
  /** Same-direction punches within this many seconds of the previous kept one count once. */
  duplicateWithinSeconds: number;
}

type ZoneRules = Pick<DayRules, 'timeZone' | 'dayBoundary'>;

import { zoneOffsetMinutes } from '@realname/contracts';
import { addDays } from '@realname/domain-rules';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const BOUNDARY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY_MS = 24 * HOUR;

/** The local wall-clock time of an instant in the zone, written as if it were UTC (milliseconds). */
function wallClock(ms: number, timeZone: string): number {
  return ms + zoneOffsetMinutes(new Date(ms), timeZone) * MINUTE;
}

/**
 * The instant at which the zone's clocks show `wall`. In a gap (clocks put forward) the time is
 * pushed forward by the gap; when the time occurs twice (clocks put back) the earlier instant wins.
 */
function instantOfWall(wall: number, timeZone: string): number {
  const candidates = [
    ...new Set([wall - DAY_MS, wall + DAY_MS].map((t) => wall - (wallClock(t, timeZone) - t))),
  ];
  const exact = candidates.filter((c) => wallClock(c, timeZone) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0];
  // In a gap: reading the wall time with the offset from before the change lands after the gap.
  return wall - (wallClock(wall - DAY_MS, timeZone) - (wall - DAY_MS));
}

function parseDay(day: string): number {
  const m = DAY.exec(day);
  // setUTCFullYear, as Date.UTC reads years 0-99 as 1900-1999.
  const ms = m ? new Date(0).setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`day must be a real date written YYYY-MM-DD, got "${day}"`);
  }
  return ms;
}

function boundaryOffset(rules: ZoneRules): number {
  const m = BOUNDARY.exec(rules.dayBoundary);
  if (!m) throw new RangeError(`dayBoundary must be a time HH:MM, got "${rules.dayBoundary}"`);
  return Number(m[1]) * HOUR + Number(m[2]) * MINUTE;
}

function toMs(at: string | Date): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: "${String(at)}"`);
  return ms;
}

/** The day after (or before, with -1) a `YYYY-MM-DD` day. */
export const shiftDay = (day: string, days: number): string => addDays(day, days);

/**
 * The boundaries of an attendance day as instants: [boundary on `day`, boundary on the next day).
 * Across a daylight-saving change the day is 23 or 25 hours long.
 */
export function dayBounds(day: string, rules: ZoneRules): { start: Date; end: Date } {
  const boundary = boundaryOffset(rules);
  const midnight = parseDay(day);
  return {
    start: new Date(instantOfWall(midnight + boundary, rules.timeZone)),
    end: new Date(instantOfWall(midnight + DAY_MS + boundary, rules.timeZone)),
  };
}

/** The attendance day an instant belongs to: the local date, moved to the previous day before the boundary. */
export function attendanceDayOf(at: string | Date, rules: ZoneRules): string {
  const ms = toMs(at);
  const localDate = new Date(wallClock(ms, rules.timeZone)).toISOString().slice(0, 10);
  // Compared as instants, not wall times, so the repeated hour of a daylight-saving change cannot split a day.
  return ms < dayBounds(localDate, rules).start.getTime() ? shiftDay(localDate, -1) : localDate;
}

/** When a day is finalised: its end plus the grace period. */
export function dueAt(day: string, rules: ZoneRules, graceMinutes: number): Date {
  return new Date(dayBounds(day, rules).end.getTime() + graceMinutes * MINUTE);
}

/**
 * The instants whose punches a day's pairing needs, both ends included: up to maxShiftHours after its
 * end (outs that close its night shift) and from the start of the day before the previous one. Reading
 * starts at a day boundary so that alternation on devices without direction starts with a day's first
 * read (starting mid-day would turn its outs into ins), and two whole days before give the previous
 * day's pairing, which decides whether this day's first read closes that day's night shift.
 */
export function punchWindow(day: string, rules: DayRules): { from: Date; to: Date } {
  const { end } = dayBounds(day, rules);
  return {
    from: dayBounds(shiftDay(day, -2), rules).start,
    to: new Date(end.getTime() + rules.maxShiftHours * HOUR),
  };
}
