import {
  addMonths,
  fingerprint,
  findingsOf,
  minimumFor,
  payrollDeadline,
  reconcile,
  type OpenFinding,
  type TeamMonth,
  zonedStartOfDay,
} from './reconciliation';

const worker = (n: number, daysPresent: number, workedMinutes = daysPresent * 480) => ({
  enrolmentId: `en-${n}`,
  workerId: `w-${n}`,
  participantId: 'pa-1',
  daysPresent,
  workedMinutes,
  amountDueFen: daysPresent * 30000,
});
const paid = (n: number, amountPaidFen: number) => ({
  enrolmentId: `en-${n}`,
  workerId: `w-${n}`,
  participantId: 'pa-1',
  amountPaidFen,
});

/** November 2026; its payroll is due by the end of December in Shanghai. */
function given(over: Partial<TeamMonth> = {}): TeamMonth {
  return {
    projectId: 'p1',
    teamId: 't1',
    region: '330106',
    participantId: 'pa-1',
    month: '2026-11',
    attendance: [],
    payments: [],
    minimumWage: { monthlyFen: 249000 },
    deadline: payrollDeadline('2026-11', 'Asia/Shanghai'),
    now: new Date('2026-12-15T00:00:00Z'),
    ...over,
  };
}
const kinds = (t: TeamMonth) => findingsOf(t).map((f) => `${f.kind}:${f.workerId ?? '-'}`);
const openOf = (t: TeamMonth): OpenFinding[] =>
  findingsOf(t).map((f) => ({ ...f, fingerprint: fingerprint(f) }));

describe('payroll reconciliation', () => {
  it('the deadline of month M is the start of M+2 in the project zone', () => {
    expect(payrollDeadline('2026-11', 'Asia/Shanghai').toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(payrollDeadline('2026-12', 'Asia/Shanghai').toISOString()).toBe('2027-01-31T16:00:00.000Z');
    expect(zonedStartOfDay('2026-07-01', 'Europe/Berlin').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(addMonths('2026-12', 2)).toBe('2027-02');
    expect(addMonths('2026-01', -2)).toBe('2025-11');
  });

  it('Given attendance and no payment before the deadline, When reconciled, Then nothing is found yet', () => {
    expect(findingsOf(given({ attendance: [worker(1, 20)] }))).toEqual([]);
  });

  it('Given a team that attended and no payroll by the end of M+1, Then payroll-missing and attended-not-paid', () => {
    const t = given({ attendance: [worker(1, 20), worker(2, 0)], now: new Date('2026-12-31T16:00:00Z') });
    expect(kinds(t)).toEqual(['attended-not-paid:w-1', 'payroll-missing:-']);
    const missing = findingsOf(t).find((f) => f.kind === 'payroll-missing')!;
    expect(missing).toMatchObject({
      findingId: 'payroll-missing:p1:t1:-:2026-11',
      daysPresent: 20,
      participantId: 'pa-1',
    });
    expect(missing.enrolmentId).toBeUndefined();
    // One millisecond before the deadline it is not missing yet.
    expect(kinds({ ...t, now: new Date('2026-12-31T15:59:59.999Z') })).toEqual([]);
  });

  it('Given payroll begun for the team, When a worker who attended has none, Then attended-not-paid for them', () => {
    const t = given({ attendance: [worker(1, 20), worker(2, 5)], payments: [paid(1, 600000)] });
    const [f] = findingsOf(t);
    expect(kinds(t)).toEqual(['attended-not-paid:w-2']);
    expect(f).toMatchObject({
      findingId: 'attended-not-paid:p1:t1:en-2:2026-11',
      daysPresent: 5,
      amountDueFen: 150000,
      amountPaidFen: 0,
    });
  });

  it('Given a payment to a worker without a day present, Then paid-not-attended', () => {
    const t = given({
      attendance: [worker(1, 20), worker(3, 0, 0)],
      payments: [paid(1, 600000), paid(3, 100000), paid(4, 5000)],
    });
    expect(kinds(t)).toEqual(['paid-not-attended:w-3', 'paid-not-attended:w-4']);
  });

  it('Given pay below the monthly minimum × days / 21.75, Then below-minimum-wage with the figures', () => {
    // 249000 × 20 / 21.75 = 228965.517… → 228966 fen
    expect(minimumFor(249000, 20)).toBe(228966);
    expect(minimumFor(249000, 0)).toBe(0);
    const t = given({ attendance: [worker(1, 20)], payments: [paid(1, 200000), paid(1, 28965)] });
    expect(findingsOf(t)).toEqual([
      expect.objectContaining({
        kind: 'below-minimum-wage',
        amountPaidFen: 228965,
        minimumFen: 228966,
        detail: expect.stringContaining('below the minimum 2289.66 yuan'),
      }),
    ]);
    expect(findingsOf({ ...t, payments: [paid(1, 228966)] })).toEqual([]);
    expect(findingsOf({ ...t, minimumWage: undefined })).toEqual([]);
  });

  it('Given the open findings, When reconciled again with the same facts, Then nothing is raised or cleared', () => {
    const t = given({ attendance: [worker(1, 20), worker(2, 5)], payments: [paid(1, 100)] });
    expect(reconcile(t, openOf(t))).toEqual({ raise: [], clear: [] });
  });

  it('When a payment arrives, Then attended-not-paid is cleared and below-minimum raised', () => {
    const before = given({ attendance: [worker(1, 20), worker(2, 5)], payments: [paid(1, 600000)] });
    const after = { ...before, payments: [paid(1, 600000), paid(2, 1000)] };
    const d = reconcile(after, openOf(before));
    expect(d.raise.map((f) => f.findingId)).toEqual(['below-minimum-wage:p1:t1:en-2:2026-11']);
    expect(d.clear).toEqual([
      expect.objectContaining({
        findingId: 'attended-not-paid:p1:t1:en-2:2026-11',
        detail:
          'attended-not-paid no longer holds for worker w-2 in 2026-11: now 5 day(s) present and 10.00 yuan paid',
      }),
    ]);
  });

  it('When attendance is revised and the figures of an open finding change, Then it is raised again', () => {
    const before = given({ attendance: [worker(1, 20)], payments: [paid(1, 1000)] });
    const after = { ...before, attendance: [worker(1, 21)] };
    const d = reconcile(after, openOf(before));
    expect(d.raise).toEqual([expect.objectContaining({ kind: 'below-minimum-wage', daysPresent: 21 })]);
    expect(d.clear).toEqual([]);
  });
});
