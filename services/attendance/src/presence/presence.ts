/**
 * Key-personnel presence (到岗率) and consecutive absence, as pure rules over what the repository reads.
 *
 * Presence of a key person over a period (both ends included):
 * - counted days: the working days of the project region's calendar in the period, on or after the
 *   attendance day on which the person took the post (`since`), and
 *   - when an enrolment of theirs on the project (same ID hash) has been entered: only days within an
 *     entered span (entered_on to exited_on, both included; a re-enrolment adds a span);
 *   - when they have no enrolment there, or one never entered: every such day (the post requires them
 *     on site and they never came, so they are 0% present and say `enrolled`/`entered` false);
 * - days present: counted days whose timesheet day (any of their enrolments on the project) is
 *   `present` or `incomplete` (they were on site, a missing punch does not make them absent);
 * - leave days: counted days whose timesheet day is `leave` (approved leave);
 * - rate = present / (counted − leave); no rate (null) when nothing is left to count, and then never
 *   below the minimum.
 *
 * Consecutive absence of an entered worker as of a day: the working days from the day after their last
 * day present (a timesheet day present or incomplete, or a resolved punch for a day not finalised yet;
 * their entry day when never present) up to the day itself, leave days not counted (excused, but they
 * do not end the streak either). Flagged when the streak reaches the minimum.
 */
import { addDays } from '@realname/domain-rules';

export type TimesheetStatus = 'present' | 'incomplete' | 'absent' | 'leave' | 'rest';

/** One entered span of an enrolment: exitedOn null while still entered. */
export interface EnteredSpan {
  enteredOn: string | null;
  exitedOn: string | null;
}

export interface KeyPersonFacts {
  /** The attendance day on which the person took the post. */
  sinceDay: string;
  /** Their enrolments on the project (matched by ID hash); empty when they have none. */
  enrolments: EnteredSpan[];
  /** Their timesheet days on the project in the period (any enrolment). */
  days: { day: string; status: TimesheetStatus }[];
}

export interface PresenceFigures {
  enrolled: boolean;
  entered: boolean;
  workingDays: number;
  daysPresent: number;
  leaveDays: number;
  /** present / (working − leave), rounded to 4 decimals; null when there is nothing to count. */
  presenceRate: number | null;
  belowMinimum: boolean;
}

/** Whether `day` lies in one of the entered spans (a span not entered yet covers nothing). */
function inSpan(day: string, spans: EnteredSpan[]): boolean {
  return spans.some(
    (s) => s.enteredOn !== null && s.enteredOn <= day && (s.exitedOn === null || day <= s.exitedOn),
  );
}

/**
 * The presence of one key person, given the working days of the period in the project's region (in
 * any order) and the region's minimum share.
 */
export function keyPersonPresence(
  facts: KeyPersonFacts,
  periodWorkingDays: readonly string[],
  presenceMinimum: number,
): PresenceFigures {
  const enrolled = facts.enrolments.length > 0;
  const entered = facts.enrolments.some((e) => e.enteredOn !== null);
  const counted = new Set(
    periodWorkingDays.filter((d) => d >= facts.sinceDay && (!entered || inSpan(d, facts.enrolments))),
  );
  const present = new Set<string>();
  const leave = new Set<string>();
  for (const { day, status } of facts.days) {
    if (!counted.has(day)) continue;
    if (status === 'present' || status === 'incomplete') present.add(day);
    else if (status === 'leave') leave.add(day);
  }
  // Two enrolments may disagree on a day: being on site wins over leave.
  for (const day of present) leave.delete(day);
  const base = counted.size - leave.size;
  const exact = base > 0 ? present.size / base : null;
  return {
    enrolled,
    entered,
    workingDays: counted.size,
    daysPresent: present.size,
    leaveDays: leave.size,
    presenceRate: exact === null ? null : Math.round(exact * 10_000) / 10_000,
    belowMinimum: exact !== null && exact < presenceMinimum,
  };
}

/**
 * The attendance day an instant belongs to in a zone whose days start at `dayBoundary` (HH:MM): an
 * instant before the boundary belongs to the previous calendar day.
 */
export function attendanceDayOf(instant: Date, timeZone: string, dayBoundary = '00:00'): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  return `${parts.hour}:${parts.minute}` < dayBoundary ? addDays(day, -1) : day;
}

/** How many of the sorted `workingDays` lie in [from, to]. */
export function countWorkingDays(sortedWorkingDays: readonly string[], from: string, to: string): number {
  if (from > to) return 0;
  return lowerBound(sortedWorkingDays, addDays(to, 1)) - lowerBound(sortedWorkingDays, from);
}

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface AbsenceFacts {
  enteredOn: string;
  /** The last day present on or before the day asked about; null when never present. */
  lastPresent: string | null;
  /** Approved leave days after the last day present, up to the day asked about. */
  leaveDays: readonly string[];
}

export interface AbsenceStreak {
  /** The first day the streak counts from: the day after the last day present, or the entry day. */
  from: string;
  /** Working days without presence, leave not counted. */
  absentWorkingDays: number;
  /** Working days of approved leave within the streak (not counted in it). */
  leaveDays: number;
}

/**
 * The absence streak of an entered worker as of `asOf`, given the region's working days (sorted,
 * covering at least the streak's span).
 */
export function absenceStreak(
  facts: AbsenceFacts,
  asOf: string,
  sortedWorkingDays: readonly string[],
): AbsenceStreak {
  const afterPresent = facts.lastPresent === null ? facts.enteredOn : addDays(facts.lastPresent, 1);
  const from = afterPresent > facts.enteredOn ? afterPresent : facts.enteredOn;
  const leave = new Set(facts.leaveDays.filter((d) => d >= from && d <= asOf));
  let leaveOnWorkingDays = 0;
  for (const d of leave) if (countWorkingDays(sortedWorkingDays, d, d) === 1) leaveOnWorkingDays++;
  return {
    from,
    absentWorkingDays: countWorkingDays(sortedWorkingDays, from, asOf) - leaveOnWorkingDays,
    leaveDays: leaveOnWorkingDays,
  };
}

/**
 * The earliest day a streak of `minDays` working days could start for the worker to be flagged as of
 * `asOf`: a worker whose streak starts later cannot reach it (a calendar day at most is a working day),
 * so the repository leaves them out before the calendar is consulted.
 */
export function latestStreakStart(asOf: string, minDays: number): string {
  const start = addDays(asOf, -(minDays - 1));
  // No day before 0001-01-01 exists in PostgreSQL or the calendar.
  return start < '0001-01-01' ? '0001-01-01' : start;
}
