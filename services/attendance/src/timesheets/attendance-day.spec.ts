import { attendanceDayOf, dayBounds, DayRules, dueAt, punchWindow, shiftDay } from './attendance-day';

const shanghai: DayRules = {
  timeZone: 'Asia/Shanghai',
  dayBoundary: '04:00',
  maxShiftHours: 16,
  duplicateWithinSeconds: 120,
};
const berlin: DayRules = { ...shanghai, timeZone: 'Europe/Berlin' };

const iso = (d: Date) => d.toISOString();

describe('given a project in Asia/Shanghai with a 04:00 day boundary', () => {
  it('when the bounds of a day are asked then it runs from 04:00 local to 04:00 local the next day', () => {
    const { start, end } = dayBounds('2026-03-10', shanghai);
    expect(iso(start)).toBe('2026-03-09T20:00:00.000Z');
    expect(iso(end)).toBe('2026-03-10T20:00:00.000Z');
  });

  it('when a punch is at 03:30 local then it belongs to the previous day', () => {
    expect(attendanceDayOf('2026-03-10T19:30:00Z', shanghai)).toBe('2026-03-10'); // 2026-03-11 03:30 local
  });

  it('when a punch is exactly at 04:00 local then it opens the new day', () => {
    expect(attendanceDayOf('2026-03-10T20:00:00Z', shanghai)).toBe('2026-03-11');
    expect(attendanceDayOf(new Date('2026-03-10T19:59:59.999Z'), shanghai)).toBe('2026-03-10');
  });

  it('when the first of January at 01:00 is asked then the day is the last of December', () => {
    expect(attendanceDayOf('2025-12-31T17:00:00Z', shanghai)).toBe('2025-12-31'); // 2026-01-01 01:00 local
  });

  it('when a day is due then it is its end plus the grace period', () => {
    expect(iso(dueAt('2026-03-10', shanghai, 120))).toBe('2026-03-10T22:00:00.000Z');
  });

  it('when the punch window is asked then it starts two days before at the boundary and ends maxShiftHours after the day', () => {
    const { from, to } = punchWindow('2026-03-10', shanghai);
    expect(iso(from)).toBe('2026-03-07T20:00:00.000Z'); // 2026-03-08 04:00 local: two days before, at the boundary
    expect(iso(to)).toBe('2026-03-11T12:00:00.000Z'); // 2026-03-11 04:00 local plus 16 h
  });

  it('when the boundary is midnight then the day is the calendar day', () => {
    const midnight = { ...shanghai, dayBoundary: '00:00' };
    expect(attendanceDayOf('2026-03-10T16:00:00Z', midnight)).toBe('2026-03-11');
    expect(iso(dayBounds('2026-03-11', midnight).start)).toBe('2026-03-10T16:00:00.000Z');
  });
});

describe('given a project in Europe/Berlin, where clocks change', () => {
  it('when the clocks go forward on 2026-03-29 then the day before is 23 hours long', () => {
    const before = dayBounds('2026-03-28', berlin);
    expect(iso(before.start)).toBe('2026-03-28T03:00:00.000Z'); // 04:00 CET
    expect(iso(before.end)).toBe('2026-03-29T02:00:00.000Z'); // 04:00 CEST
    const after = dayBounds('2026-03-29', berlin);
    expect(after.end.getTime() - after.start.getTime()).toBe(24 * 3_600_000);
    expect(attendanceDayOf('2026-03-29T01:30:00Z', berlin)).toBe('2026-03-28'); // 03:30 CEST
    expect(attendanceDayOf('2026-03-29T02:00:00Z', berlin)).toBe('2026-03-29'); // 04:00 CEST
  });

  it('when the clocks go back on 2026-10-25 then the day before is 25 hours long', () => {
    const { start, end } = dayBounds('2026-10-24', berlin);
    expect(iso(start)).toBe('2026-10-24T02:00:00.000Z');
    expect(iso(end)).toBe('2026-10-25T03:00:00.000Z');
  });

  it('when the boundary falls in the skipped hour then it moves forward by the gap', () => {
    const rules = { ...berlin, dayBoundary: '02:30' };
    expect(iso(dayBounds('2026-03-29', rules).start)).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
  });

  it('when the boundary falls in the repeated hour then its first occurrence starts the day, and the second stays in it', () => {
    const rules = { ...berlin, dayBoundary: '02:30' };
    expect(iso(dayBounds('2026-10-25', rules).start)).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    expect(attendanceDayOf('2026-10-25T00:15:00Z', rules)).toBe('2026-10-24'); // 02:15 CEST
    expect(attendanceDayOf('2026-10-25T01:15:00Z', rules)).toBe('2026-10-25'); // 02:15 CET, after the boundary
  });
});

describe('given bad input', () => {
  it('when the day, boundary or instant is malformed then a RangeError names it', () => {
    expect(() => dayBounds('2026-02-30', shanghai)).toThrow(/day must be a real date/);
    expect(() => dayBounds('2026-03-10', { ...shanghai, dayBoundary: '4:00' })).toThrow(/dayBoundary/);
    expect(() => attendanceDayOf('yesterday', shanghai)).toThrow(RangeError);
  });

  it('when days are shifted then months and years roll over', () => {
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28');
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01');
  });
});
