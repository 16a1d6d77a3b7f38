import { dayBounds } from '../timesheets/attendance-day';
import type { PayrollFindingKind } from '@realname/contracts';
import { divHalfUp, fenToYuan } from './amount-due';

/*
 * Payroll reconciliation of one project team and month against attendance. Rules:
 * - attended-not-paid: a worker with days present (present or incomplete) and no payment, once the
 *   team's payroll for the month has begun (some payment recorded) or its deadline has passed;
 * - paid-not-attended: a payment for a worker without a day present in the team that month;
 * - below-minimum-wage: paid less than the monthly minimum wage × days present / 21.75 (the statutory
 *   average of paid days per month), half up to the fen; the minimum in force on the month's first day;
 * - payroll-missing: the team attended in month M and has no payment by the end of M+1 in the project's
 *   zone (the deadline is the first instant of M+2 there).
 * Findings are diffed against the open ones: new or changed figures raise, vanished ones clear, so the
 * same inputs twice decide nothing.
 */

/** The statutory average of paid days per month (21.75), in hundredths. */
export const PAID_DAYS_PER_MONTH_HUNDREDTHS = 2175n;

export interface WorkerAttendance {
  enrolmentId: string;
  workerId: string;
  participantId: string;
  daysPresent: number;
  workedMinutes: number;
  /** From the wage terms; null when unknown. */
  amountDueFen: number | null;
}

export interface WorkerPayments {
  enrolmentId: string;
  workerId: string;
  participantId: string;
  amountPaidFen: number;
}

export interface TeamMonth {
  projectId: string;
  teamId: string;
  region: string;
  /** The team's unit (for team-wide findings). */
  participantId: string;
  month: string;
  attendance: WorkerAttendance[];
  payments: WorkerPayments[];
  /** The minimum wage in force; undefined when the region has none configured. */
  minimumWage?: { monthlyFen: number };
  /** First instant after the payroll of `month` is due (end of M+1 in the project's zone). */
  deadline: Date;
  now: Date;
}

export interface Finding {
  findingId: string;
  kind: PayrollFindingKind;
  projectId: string;
  region: string;
  teamId: string;
  participantId: string;
  enrolmentId?: string;
  workerId?: string;
  month: string;
  detail: string;
  daysPresent: number;
  workedMinutes: number;
  amountDueFen?: number;
  amountPaidFen?: number;
  minimumFen?: number;
}

export function findingId(
  kind: PayrollFindingKind,
  t: Pick<TeamMonth, 'projectId' | 'teamId' | 'month'>,
  enrolmentId?: string,
) {
  return `${kind}:${t.projectId}:${t.teamId}:${enrolmentId ?? '-'}:${t.month}`;
}

/** The minimum for days present: monthly minimum × days / 21.75, half up. */
export function minimumFor(monthlyFen: number, daysPresent: number): number {
  return Number(divHalfUp(BigInt(monthlyFen) * BigInt(daysPresent) * 100n, PAID_DAYS_PER_MONTH_HUNDREDTHS));
}

/** Every finding that holds for the team's month now. */
export function findingsOf(t: TeamMonth): Finding[] {
  const base = { projectId: t.projectId, region: t.region, teamId: t.teamId, month: t.month };
  const paid = new Map<string, WorkerPayments>();
  for (const p of t.payments) {
    const seen = paid.get(p.enrolmentId);
    paid.set(p.enrolmentId, seen ? { ...seen, amountPaidFen: seen.amountPaidFen + p.amountPaidFen } : p);
  }
  const attended = new Map(t.attendance.filter((a) => a.daysPresent > 0).map((a) => [a.enrolmentId, a]));
  const pastDeadline = t.now.getTime() >= t.deadline.getTime();
  const payrollBegun = paid.size > 0;
  const findings: Finding[] = [];
  const worker = (a: { enrolmentId: string; workerId: string; participantId: string }) => ({
    ...base,
    participantId: a.participantId,
    enrolmentId: a.enrolmentId,
    workerId: a.workerId,
  });
  const due = (a: WorkerAttendance | undefined) =>
    a?.amountDueFen === null || a?.amountDueFen === undefined ? {} : { amountDueFen: a.amountDueFen };

  for (const a of attended.values()) {
    const p = paid.get(a.enrolmentId);
    if (!p) {
      if (!payrollBegun && !pastDeadline) continue;
      findings.push({
        ...worker(a),
        findingId: findingId('attended-not-paid', t, a.enrolmentId),
        kind: 'attended-not-paid',
        detail: `worker ${a.workerId} was present ${a.daysPresent} day(s) in ${t.month} and no payment is recorded`,
        daysPresent: a.daysPresent,
        workedMinutes: a.workedMinutes,
        ...due(a),
        amountPaidFen: 0,
      });
      continue;
    }
    if (!t.minimumWage) continue;
    const minimumFen = minimumFor(t.minimumWage.monthlyFen, a.daysPresent);
    if (p.amountPaidFen < minimumFen)
      findings.push({
        ...worker(a),
        findingId: findingId('below-minimum-wage', t, a.enrolmentId),
        kind: 'below-minimum-wage',
        detail:
          `worker ${a.workerId} was paid ${fenToYuan(p.amountPaidFen)} yuan for ${a.daysPresent} day(s) in ${t.month}, ` +
          `below the minimum ${fenToYuan(minimumFen)} yuan (monthly minimum ${fenToYuan(t.minimumWage.monthlyFen)} × ${a.daysPresent} / 21.75)`,
        daysPresent: a.daysPresent,
        workedMinutes: a.workedMinutes,
        ...due(a),
        amountPaidFen: p.amountPaidFen,
        minimumFen,
      });
  }
  for (const p of paid.values()) {
    if (attended.has(p.enrolmentId)) continue;
    const a = t.attendance.find((x) => x.enrolmentId === p.enrolmentId);
    findings.push({
      ...worker(p),
      findingId: findingId('paid-not-attended', t, p.enrolmentId),
      kind: 'paid-not-attended',
      detail: `worker ${p.workerId} was paid ${fenToYuan(p.amountPaidFen)} yuan for ${t.month} without a day present in the team`,
      daysPresent: 0,
      workedMinutes: a?.workedMinutes ?? 0,
      amountPaidFen: p.amountPaidFen,
    });
  }
  if (attended.size > 0 && !payrollBegun && pastDeadline) {
    const days = [...attended.values()].reduce((n, a) => n + a.daysPresent, 0);
    findings.push({
      ...base,
      participantId: t.participantId,
      findingId: findingId('payroll-missing', t),
      kind: 'payroll-missing',
      detail: `the team attended ${days} worker-day(s) in ${t.month} and no payroll was recorded by ${t.deadline.toISOString()}`,
      daysPresent: days,
      workedMinutes: [...attended.values()].reduce((n, a) => n + a.workedMinutes, 0),
    });
  }
  return findings.sort((a, b) => a.findingId.localeCompare(b.findingId));
}

/** What changes a finding's figures; an open finding with the same fingerprint is not raised again. */
export function fingerprint(
  f: Pick<
    Finding,
    'detail' | 'daysPresent' | 'workedMinutes' | 'amountDueFen' | 'amountPaidFen' | 'minimumFen'
  >,
) {
  return JSON.stringify([
    f.detail,
    f.daysPresent,
    f.workedMinutes,
    f.amountDueFen ?? null,
    f.amountPaidFen ?? null,
    f.minimumFen ?? null,
  ]);
}

export interface OpenFinding {
  findingId: string;
  kind: PayrollFindingKind;
  enrolmentId?: string;
  workerId?: string;
  participantId: string;
  fingerprint: string;
}

export interface Decision {
  raise: Finding[];
  clear: (OpenFinding & { detail: string })[];
}

/** New findings and changed figures are raised; open findings that no longer hold are cleared. */
export function reconcile(t: TeamMonth, open: OpenFinding[]): Decision {
  const now = findingsOf(t);
  const current = new Map(now.map((f) => [f.findingId, f]));
  const openById = new Map(open.map((o) => [o.findingId, o]));
  return {
    raise: now.filter((f) => openById.get(f.findingId)?.fingerprint !== fingerprint(f)),
    clear: open.filter((o) => !current.has(o.findingId)).map((o) => ({ ...o, detail: clearedDetail(o, t) })),
  };
}

function clearedDetail(o: OpenFinding, t: TeamMonth): string {
  const a = t.attendance.find((x) => x.enrolmentId === o.enrolmentId);
  const paidFen = t.payments
    .filter((p) => p.enrolmentId === o.enrolmentId)
    .reduce((n, p) => n + p.amountPaidFen, 0);
  const figures = o.enrolmentId
    ? `now ${a?.daysPresent ?? 0} day(s) present and ${fenToYuan(paidFen)} yuan paid`
    : `now ${t.payments.length} payment(s) recorded`;
  return `${o.kind} no longer holds for ${o.workerId ? `worker ${o.workerId}` : 'the team'} in ${t.month}: ${figures}`;
}

/** The first instant of local day `YYYY-MM-DD` in an IANA zone (the day from midnight). */
export function zonedStartOfDay(day: string, timeZone: string): Date {
  return dayBounds(day, { timeZone, dayBoundary: '00:00' }).start;
}

/** `month` plus `n` months, YYYY-MM. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** The payroll deadline of month M: the start of M+2 in the zone, i.e. the end of M+1. */
export function payrollDeadline(month: string, timeZone: string): Date {
  return zonedStartOfDay(`${addMonths(month, 2)}-01`, timeZone);
}
