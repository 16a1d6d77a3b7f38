import { buildTeamSheet, cellText, hoursOf, monthDays, monthTitle, totalsOf } from './month-sheet';

const worker = (n: number) => ({
  enrolmentId: `en-${n}`,
  workerId: `w-${n}`,
  name: `工人${n}`,
  maskedIdNumber: `3301**********000${n}`,
  workType: '钢筋工',
});

describe('the monthly team sheet', () => {
  it('has a column for every day of the month, leap years included', () => {
    expect(monthDays('2026-11')).toHaveLength(30);
    expect(monthDays('2028-02')).toHaveLength(29);
    expect(monthDays('2026-02')[27]).toBe('2026-02-28');
    expect(monthTitle('2026-01')).toBe('2026年1月');
  });

  it('marks each status, with the hours worked after the mark', () => {
    expect(cellText('present', 510)).toBe('√8.5');
    expect(cellText('present', 0)).toBe('√');
    expect(cellText('incomplete', 195)).toBe('△3.25');
    expect(cellText('leave', 0)).toBe('假');
    expect(cellText('absent', 0)).toBe('×');
    expect(cellText('rest', 0)).toBe('');
    expect(cellText(null, 0)).toBe('');
    expect(hoursOf(100)).toBe(1.67);
  });

  it('counts present and incomplete days as days on site, leave and absence apart', () => {
    expect(
      totalsOf([
        { status: 'present', workedMinutes: 480 },
        { status: 'incomplete', workedMinutes: 0 },
        { status: 'leave', workedMinutes: 0 },
        { status: 'absent', workedMinutes: 0 },
        { status: 'rest', workedMinutes: 0 },
        { status: null, workedMinutes: 0 },
      ]),
    ).toEqual({
      daysPresent: 2,
      incompleteDays: 1,
      workedMinutes: 480,
      hours: 8,
      leaveDays: 1,
      absentDays: 1,
    });
  });

  it('puts every worker day in its cell and takes working days from the calendar', () => {
    const sheet = buildTeamSheet({
      project: { projectId: 'p1', name: '西湖项目', region: '330106' },
      team: { teamId: 't1', name: '钢筋班' },
      month: '2026-11',
      workers: [worker(1), worker(2)],
      days: [
        { enrolmentId: 'en-1', day: '2026-11-02', status: 'present', workedMinutes: 540, revision: 1 },
        { enrolmentId: 'en-1', day: '2026-11-03', status: 'absent', workedMinutes: 0, revision: 2 },
        { enrolmentId: 'en-2', day: '2026-11-02', status: 'leave', workedMinutes: 0, revision: 1 },
      ],
    });
    expect(sheet.days).toHaveLength(30);
    // 2026-11-01 is a Sunday, 2026-11-02 a Monday.
    expect(sheet.days[0]).toMatchObject({ day: '2026-11-01', working: false, calendarKind: 'weekend' });
    expect(sheet.days[1]).toMatchObject({ day: '2026-11-02', working: true });
    const [w1, w2] = sheet.workers;
    expect(w1.days[1]).toEqual({
      day: '2026-11-02',
      status: 'present',
      mark: '√9',
      workedMinutes: 540,
      hours: 9,
      revision: 1,
    });
    expect(w1.days[2].mark).toBe('×');
    expect(w1.days[3]).toMatchObject({ status: null, mark: '', revision: null });
    expect(w1.totals).toMatchObject({ daysPresent: 1, hours: 9, absentDays: 1, leaveDays: 0 });
    expect(w2.totals).toMatchObject({ daysPresent: 0, leaveDays: 1 });
  });
});
