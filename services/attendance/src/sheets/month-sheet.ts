import type { AttendanceApi, DayStatus } from '@realname/contracts';
import { calendarDay, daysInMonth } from '@realname/domain-rules';

/*
 * The monthly team sheet as a site office keeps it: one row per worker, one column per day of the
 * month with a mark and the hours worked, and the month's totals. Pure: the repository brings the rows.
 */

export type TeamSheet = AttendanceApi.TeamSheet;
export type SheetTotals = AttendanceApi.SheetTotals;

/** What each status prints as; a rest day (or a day not finalised) stays blank. */
export const MARKS: Record<DayStatus, string> = {
  present: '√',
  incomplete: '△',
  leave: '假',
  absent: '×',
  rest: '',
};

/** The legend printed under the sheet (and given in the JSON answer). */
export const LEGEND: Record<string, string> = {
  '√': '出勤（后附当日工时，如 √8.5 为出勤 8.5 小时）',
  '△': '缺卡：有进无出或有出无进，按出勤计天数',
  假: '请假（经批准）',
  '×': '缺勤（工作日未打卡）',
  空白: '休息日、未入场或当日尚未定稿',
};

/** Statuses that count as a day on site: a missing punch is a record to correct, not an absence. */
export const ON_SITE: ReadonlySet<DayStatus> = new Set<DayStatus>(['present', 'incomplete']);

/** The days of a month YYYY-MM, in order. */
export function monthDays(month: string): string[] {
  const [year, m] = month.split('-').map(Number);
  return Array.from({ length: daysInMonth(year, m) }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** Hours of a number of minutes, 2 decimals (half up). */
export function hoursOf(minutes: number): number {
  return Math.round((minutes * 100) / 60) / 100;
}

/** The cell text: the mark, followed by the hours when some were worked (√8.5, △3.25, 假2). */
export function cellText(status: DayStatus | null, workedMinutes: number): string {
  const mark = status ? MARKS[status] : '';
  if (workedMinutes <= 0) return mark;
  return `${mark || '√'}${hoursOf(workedMinutes)}`;
}

export interface SheetWorkerRow {
  enrolmentId: string;
  workerId: string;
  name: string;
  maskedIdNumber: string;
  workType: string;
}

export interface SheetDayRow {
  enrolmentId: string;
  day: string;
  status: DayStatus;
  workedMinutes: number;
  revision: number;
}

export interface TeamSheetInput {
  project: { projectId: string; name: string; region: string | null };
  team: { teamId: string; name: string };
  month: string;
  workers: SheetWorkerRow[];
  days: SheetDayRow[];
}

/** The totals of one worker's days in the month. */
export function totalsOf(days: { status: DayStatus | null; workedMinutes: number }[]): SheetTotals {
  let daysPresent = 0;
  let incompleteDays = 0;
  let workedMinutes = 0;
  let leaveDays = 0;
  let absentDays = 0;
  for (const d of days) {
    if (d.status && ON_SITE.has(d.status)) daysPresent++;
    if (d.status === 'incomplete') incompleteDays++;
    if (d.status === 'leave') leaveDays++;
    if (d.status === 'absent') absentDays++;
    workedMinutes += d.workedMinutes;
  }
  return { daysPresent, incompleteDays, workedMinutes, hours: hoursOf(workedMinutes), leaveDays, absentDays };
}

/** Builds the sheet: calendar flags from the region's calendar, a cell for every worker and day. */
export function buildTeamSheet(input: TeamSheetInput): TeamSheet {
  const dates = monthDays(input.month);
  const byWorker = new Map<string, Map<string, SheetDayRow>>();
  for (const d of input.days) {
    let days = byWorker.get(d.enrolmentId);
    if (!days) byWorker.set(d.enrolmentId, (days = new Map()));
    days.set(d.day, d);
  }
  // Without a known region the national calendar applies (the empty prefix).
  const region = input.project.region ?? '';
  return {
    project: input.project,
    team: input.team,
    month: input.month,
    days: dates.map((day) => {
      const c = calendarDay(region, day);
      return { day, working: c.working, calendarKind: c.kind, ...(c.holiday ? { holiday: c.holiday } : {}) };
    }),
    workers: input.workers.map((w) => {
      const own = byWorker.get(w.enrolmentId);
      const cells = dates.map((day) => {
        const d = own?.get(day);
        const status = d?.status ?? null;
        const workedMinutes = d?.workedMinutes ?? 0;
        return {
          day,
          status,
          mark: cellText(status, workedMinutes),
          workedMinutes,
          hours: hoursOf(workedMinutes),
          revision: d?.revision ?? null,
        };
      });
      return { ...w, days: cells, totals: totalsOf(cells) };
    }),
    legend: LEGEND,
  };
}

/** "2026-11" → "2026年11月". */
export function monthTitle(month: string): string {
  const [y, m] = month.split('-');
  return `${y}年${Number(m)}月`;
}
