import bundled from './calendar.json';
import { AttendanceRulesError, bundledCalendar, calendarDay, loadCalendar, workingDays } from './index';

const doc = () => JSON.parse(JSON.stringify(bundled));

function problemsOf(json: unknown): { path: string; message: string }[] {
  try {
    loadCalendar(json);
  } catch (e) {
    if (e instanceof AttendanceRulesError) return e.problems;
    throw e;
  }
  throw new Error('the calendar loaded');
}

describe('the bundled calendar', () => {
  it('names its source and labels its region overrides as examples', () => {
    expect(bundledCalendar.source).toMatch(/国务院办公厅/);
    expect([...bundledCalendar.years].sort()).toEqual([2025, 2026]);
    expect(bundledCalendar.regions.size).toBeGreaterThan(0);
    for (const r of bundledCalendar.regions.values()) expect(r.note).toMatch(/^EXAMPLE/);
  });

  it('gives a statutory holiday on a weekday with its name', () => {
    expect(calendarDay('330106', '2026-02-16')).toEqual({
      working: false,
      kind: 'holiday',
      holiday: '春节',
      version: 'cn-2026.1',
    });
    expect(calendarDay('', '2025-10-08')).toMatchObject({
      working: false,
      kind: 'holiday',
      holiday: '国庆节、中秋节',
    });
  });

  it('gives a holiday that falls on a weekend as a holiday, not a weekend', () => {
    expect(calendarDay('330106', '2026-10-03')).toMatchObject({ kind: 'holiday', holiday: '国庆节' }); // Saturday
  });

  it('gives an adjusted working Saturday and Sunday as working days', () => {
    expect(calendarDay('330106', '2026-02-14')).toEqual({
      working: true,
      kind: 'adjusted-workday',
      adjustedFor: '春节',
      version: 'cn-2026.1',
    });
    expect(calendarDay('110105', '2025-01-26')).toMatchObject({ working: true, kind: 'adjusted-workday' }); // Sunday
  });

  it('gives an ordinary weekend and an ordinary weekday from the week', () => {
    expect(calendarDay('330106', '2026-03-07')).toEqual({
      working: false,
      kind: 'weekend',
      version: 'cn-2026.1',
    });
    expect(calendarDay('330106', '2026-03-09')).toEqual({
      working: true,
      kind: 'workday',
      version: 'cn-2026.1',
    });
  });

  it("applies a region's override only inside that region, and names it in the version", () => {
    expect(calendarDay('450103', '2026-04-20')).toEqual({
      working: false,
      kind: 'holiday',
      holiday: '壮族三月三',
      version: 'cn-2026.1+45:example-2026.1',
    });
    expect(calendarDay('330106', '2026-04-20')).toEqual({
      working: true,
      kind: 'workday',
      version: 'cn-2026.1',
    });
  });

  it('answers a year without data from the week and says so in the version', () => {
    expect(calendarDay('330106', '2027-01-01')).toEqual({
      working: true, // a Friday; the 2027 New Year holiday is not in the data
      kind: 'workday',
      version: 'cn-2026.1+no-data-2027',
    });
    expect(calendarDay('450103', '2024-06-01')).toEqual({
      working: false,
      kind: 'weekend',
      version: 'cn-2026.1+45:example-2026.1+no-data-2024',
    });
  });

  it('rejects a region that is not a code and a day that is not a date', () => {
    expect(() => calendarDay('Hangzhou', '2026-01-05')).toThrow(RangeError);
    expect(() => calendarDay('33', '2026-02-30')).toThrow(RangeError);
  });
});

describe('workingDays', () => {
  it('lists the working days of the 2026 Spring Festival fortnight, both ends included', () => {
    expect(workingDays('330106', '2026-02-09', '2026-02-28')).toEqual([
      '2026-02-09',
      '2026-02-10',
      '2026-02-11',
      '2026-02-12',
      '2026-02-13',
      '2026-02-14', // adjusted Saturday
      '2026-02-24',
      '2026-02-25',
      '2026-02-26',
      '2026-02-27',
      '2026-02-28', // adjusted Saturday
    ]);
  });

  it('counts 21 working days in April 2026 nationally and 19 in Guangxi (example override)', () => {
    expect(workingDays('330106', '2026-04-01', '2026-04-30')).toHaveLength(21);
    expect(workingDays('450103', '2026-04-01', '2026-04-30')).toHaveLength(19);
  });

  it('is empty when to is before from', () => {
    expect(workingDays('33', '2026-03-10', '2026-03-09')).toEqual([]);
  });
});

describe('loadCalendar', () => {
  it('uses a loaded calendar instead of the bundled one, longer prefixes having the last word', () => {
    const calendar = loadCalendar({
      ...doc(),
      version: 'test-1',
      regions: [
        {
          region: '33',
          version: 'p1',
          holidays: [{ name: 'Province day', from: '2026-03-10', to: '2026-03-11' }],
          workdays: [],
        },
        { region: '3301', version: 'c1', holidays: [], workdays: [{ day: '2026-03-11', for: 'City works' }] },
      ],
    });
    expect(calendarDay('330302', '2026-03-11', calendar)).toEqual({
      working: false,
      kind: 'holiday',
      holiday: 'Province day',
      version: 'test-1+33:p1',
    });
    expect(calendarDay('330106', '2026-03-11', calendar)).toEqual({
      working: true,
      kind: 'workday',
      version: 'test-1+33:p1+3301:c1',
    });
    expect(calendarDay('330106', '2026-03-10', calendar).kind).toBe('holiday');
    expect(workingDays('330302', '2026-03-09', '2026-03-13', calendar)).toEqual([
      '2026-03-09',
      '2026-03-12',
      '2026-03-13',
    ]);
  });

  it('names the path of every problem at once', () => {
    const bad = doc();
    bad.years[0].holidays[1].to = '2025-01-20'; // before its from
    bad.years[0].adjustedWorkdays[0].day = '2025-01-27'; // a Monday
    bad.years[1].holidays.push({ name: 'Again', from: '2026-01-02', to: '2026-01-02' });
    bad.years[1].adjustedWorkdays.push({ day: '2025-12-27', for: 'Wrong year' });
    bad.years.push({ ...bad.years[1] });
    bad.regions[0].holidays.push({ name: 'Typo', from: '2026-07-01', to: '2027-07-01' });
    bad.regions[0].workdays.push({ day: '2026-04-20', for: 'Clash' });
    bad.regions[0].region = '4';
    const problems = problemsOf(bad).map((p) => p.path);
    expect(problems).toEqual(['regions.0.region']); // schema errors come first, alone
    bad.regions[0].region = '45';
    expect(problemsOf(bad).map((p) => p.path)).toEqual([
      'years.0.holidays.1.to',
      'years.0.adjustedWorkdays.0.day',
      'years.1.holidays.7',
      'years.1.adjustedWorkdays.6',
      'years.2.year',
      'regions.0.holidays.1.to',
      'regions.0.workdays.0.day',
    ]);
  });

  it('reports an adjusted working day that is also a holiday, and schema errors by path', () => {
    const bad = doc();
    bad.years[1].adjustedWorkdays.push({ day: '2026-02-15', for: '春节' });
    expect(problemsOf(bad)).toEqual([
      { path: 'years.1.adjustedWorkdays.6.day', message: '2026-02-15 is also listed as a holiday' },
    ]);
    const worse = doc();
    worse.years[0].holidays[0].from = '2025-02-30';
    delete worse.source;
    const error = (() => {
      try {
        loadCalendar(worse);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/years\.0\.holidays\.0\.from: must be a real date/);
    expect(error?.message).toMatch(/source: Required/);
  });
});
