import { addDays, addYears, ageOn, daysBetween, isValidDay, parseDay, todayIn } from './dates';

describe('calendar days', () => {
  it('parses real dates only', () => {
    expect(parseDay('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    for (const bad of ['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-1-01', '20240101', '']) {
      expect(isValidDay(bad)).toBe(false);
    }
    expect(isValidDay('2000-02-29')).toBe(true);
  });

  it('computes exact ages in whole years', () => {
    expect(ageOn('1990-06-15', '2026-06-14')).toBe(35);
    expect(ageOn('1990-06-15', '2026-06-15')).toBe(36);
    expect(ageOn('1990-06-15', '1990-06-15')).toBe(0);
    // born on 29 February: a year older on 1 March in common years
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
    expect(ageOn('2008-02-29', '2028-02-29')).toBe(20);
    expect(() => ageOn('2000-01-02', '2000-01-01')).toThrow(RangeError);
    expect(() => ageOn('2000-02-30', '2026-01-01')).toThrow(/birthDate/);
  });

  it('counts and adds days and years', () => {
    expect(daysBetween('2025-11-21', '2026-11-21')).toBe(365);
    expect(daysBetween('2026-11-21', '2025-11-21')).toBe(-365);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
    expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
  });

  it("gives today's day in a zone", () => {
    const instant = new Date('2026-11-21T17:30:00Z');
    expect(todayIn('Asia/Shanghai', instant)).toBe('2026-11-22');
    expect(todayIn('UTC', instant)).toBe('2026-11-21');
    expect(isValidDay(todayIn())).toBe(true);
  });
});
