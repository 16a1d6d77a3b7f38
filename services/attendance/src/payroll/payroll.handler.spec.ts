import { enrolmentForPayment } from './payroll.handler';

describe('the enrolment a payment belongs to', () => {
  const enrolment = (id: string, teamId: string, enteredOn: string, months: [string, string][] = []) => ({
    enrolmentId: id,
    workerId: 'w-1',
    teamId,
    enteredOn,
    monthsAttended: months.map(([month, team]) => ({ month, teamId: team })),
  });

  it('is the one with days present that month, in the team the worker was in then', () => {
    const earlier = enrolment('en-1', 't-now', '2026-01-05', [['2026-11', 't-before']]);
    const later = enrolment('en-2', 't-9', '2026-12-01', [['2026-12', 't-9']]);
    expect(enrolmentForPayment([later, earlier], '2026-11')).toEqual({
      enrolmentId: 'en-1',
      teamId: 't-before',
    });
    expect(enrolmentForPayment([earlier, later], '2026-12')).toEqual({ enrolmentId: 'en-2', teamId: 't-9' });
  });

  it('else the latest entered, in its current team; none without an enrolment', () => {
    const a = enrolment('en-1', 't-1', '2026-01-05');
    const b = enrolment('en-2', 't-2', '2026-06-01');
    expect(enrolmentForPayment([a, b], '2026-11')).toEqual({ enrolmentId: 'en-2', teamId: 't-2' });
    expect(enrolmentForPayment([], '2026-11')).toBeUndefined();
  });
});
