/**
 * Calendar days as `YYYY-MM-DD` strings. Domain rules work on days, not instants: a birth date, a
 * certificate's expiry or an entry date has no time of day and no zone. Such strings compare correctly
 * with `<` and `>`.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** True when year, month and day name a day of the Gregorian calendar (no 30 February). */
export function isRealDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/** Parses `YYYY-MM-DD`; undefined when the text is not of that shape or not a real date. */
export function parseDay(text: string): CalendarDay | undefined {
  const m = DAY.exec(text);
  if (!m) return undefined;
  const [year, month, day] = m.slice(1).map(Number);
  return isRealDate(year, month, day) ? { year, month, day } : undefined;
}

export function isValidDay(text: unknown): text is string {
  return typeof text === 'string' && parseDay(text) !== undefined;
}

export function formatDay({ year, month, day }: CalendarDay): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function mustParse(text: string, what: string): CalendarDay {
  const d = parseDay(text);
  if (!d) throw new RangeError(`${what} must be a real date written YYYY-MM-DD, got "${text}"`);
  return d;
}

/**
 * Exact age in whole years on `day`: the number of birthdays passed. Someone born on 29 February has
 * their birthday on 1 March in common years (on 28 February they are not a year older yet).
 */
export function ageOn(birthDate: string, day: string): number {
  const b = mustParse(birthDate, 'birthDate');
  const d = mustParse(day, 'day');
  if (day < birthDate) throw new RangeError(`day ${day} is before the birth date ${birthDate}`);
  let age = d.year - b.year;
  if (d.month < b.month || (d.month === b.month && d.day < b.day)) age -= 1;
  return age;
}

function toEpochDay(d: CalendarDay): number {
  return Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return toEpochDay(mustParse(to, 'to')) - toEpochDay(mustParse(from, 'from'));
}

export function addDays(day: string, days: number): string {
  const t = new Date(Date.UTC(0, 0, 1));
  const d = mustParse(day, 'day');
  t.setUTCFullYear(d.year, d.month - 1, d.day + days);
  return formatDay({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() });
}

/** The same day `years` later (or earlier); 29 February becomes 28 February in a common year. */
export function addYears(day: string, years: number): string {
  const d = mustParse(day, 'day');
  const year = d.year + years;
  return formatDay({ year, month: d.month, day: Math.min(d.day, daysInMonth(year, d.month)) });
}

/** Today's calendar day in a zone (China by default). The only function here that reads the clock. */
export function todayIn(timeZone = 'Asia/Shanghai', now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return formatDay({ year: get('year'), month: get('month'), day: get('day') });
}
