import bundled from './attendance-profiles.json';
import {
  attendanceProfileFor,
  attendanceProfiles,
  AttendanceRulesError,
  loadAttendanceProfiles,
  minimumWageOn,
} from './index';

const doc = () => JSON.parse(JSON.stringify(bundled));

function problemsOf(json: unknown): { path: string; message: string }[] {
  try {
    loadAttendanceProfiles(json);
  } catch (e) {
    if (e instanceof AttendanceRulesError) return e.problems;
    throw e;
  }
  throw new Error('the profiles loaded');
}

describe('bundled example attendance profiles', () => {
  it('are labelled as examples', () => {
    expect(attendanceProfiles.note).toMatch(/^EXAMPLE/);
    expect(attendanceProfiles.default.note).toMatch(/^Example/);
    for (const o of attendanceProfiles.regions.values())
      expect(o.note).toMatch(/^Illustrative.*Example figures/);
  });

  it('give the default anywhere without an override', () => {
    expect(attendanceProfileFor('510104')).toEqual({
      ...attendanceProfiles.default,
      requestedRegion: '510104',
      appliedRegions: [''],
    });
    const p = attendanceProfileFor('510104');
    expect(p.timeZone).toBe('Asia/Shanghai');
    expect(p.dayBoundary).toBe('04:00');
    expect(p.finaliseGraceMinutes).toBe(120);
    expect(p.maxShiftHours).toBe(16);
    expect(p.duplicateWithinSeconds).toBe(120);
    expect(p.correctionApproval).toBe(true);
    expect(p.keyPosts).toEqual(['project-manager', 'chief-supervising-engineer']);
    expect(p.presenceMinimum).toBe(0.8);
    expect(p.consecutiveAbsenceDays).toBe(3);
    expect(p.version).toBe('example-2026.1');
  });

  it("give a Zhejiang city Zhejiang's minimum wages and the default's other rules", () => {
    const p = attendanceProfileFor('330302');
    expect(p.appliedRegions).toEqual(['', '33']);
    expect(p.region).toBe('33');
    expect(p.version).toBe('example-2026.1+33:example-2026.1');
    expect(p.minimumWage.map((w) => w.effectiveFrom)).toEqual(['2021-08-01', '2025-01-01']);
    expect(p.keyPosts).toEqual(['project-manager', 'chief-supervising-engineer']);
    expect(p.consecutiveAbsenceDays).toBe(3);
  });

  it('give Hangzhou its own key posts, absence days and wages over Zhejiang over the default', () => {
    const p = attendanceProfileFor('330106');
    expect(p.appliedRegions).toEqual(['', '33', '3301']);
    expect(p.requestedRegion).toBe('330106');
    expect(p.keyPosts).toEqual([
      'project-manager',
      'chief-supervising-engineer',
      'safety-officer',
      'technical-lead',
    ]);
    expect(p.consecutiveAbsenceDays).toBe(2);
    expect(minimumWageOn(p, '2026-03-01')).toEqual({
      effectiveFrom: '2025-01-01',
      monthlyFen: 266000,
      hourlyFen: 2590,
    });
    expect(p.presenceMinimum).toBe(0.8); // default
    expect(p.version).toBe('example-2026.1+33:example-2026.1+3301:example-2026.1');
  });

  it('reject a region that is not a code', () => {
    expect(() => attendanceProfileFor('Hangzhou')).toThrow(RangeError);
  });
});

describe('minimumWageOn', () => {
  const zhejiang = attendanceProfileFor('330302');

  it('gives the entry in force on the day: the latest effectiveFrom on or before it', () => {
    expect(minimumWageOn(zhejiang, '2024-12-31')).toEqual({
      effectiveFrom: '2021-08-01',
      monthlyFen: 228000,
      hourlyFen: 2200,
    });
    expect(minimumWageOn(zhejiang, '2025-01-01')).toEqual({
      effectiveFrom: '2025-01-01',
      monthlyFen: 249000,
      hourlyFen: 2400,
    });
    expect(minimumWageOn(attendanceProfileFor('11'), '2026-01-15')?.monthlyFen).toBe(190000);
  });

  it('is undefined before the first entry, whatever the order of the list', () => {
    expect(minimumWageOn(zhejiang, '2021-07-31')).toBeUndefined();
    const reversed = { minimumWage: [...zhejiang.minimumWage].reverse() };
    expect(minimumWageOn(reversed, '2025-06-01')?.effectiveFrom).toBe('2025-01-01');
  });

  it('rejects a day that is not a date', () => {
    expect(() => minimumWageOn(zhejiang, '2025-13-01')).toThrow(RangeError);
  });
});

describe('loadAttendanceProfiles', () => {
  it('loads a custom document: a county changes the boundary and the zone', () => {
    const set = loadAttendanceProfiles({
      ...doc(),
      regions: [{ version: 'v9', region: '650102', timeZone: 'Asia/Urumqi', dayBoundary: '06:00' }],
    });
    const p = attendanceProfileFor('650102', set);
    expect(p).toMatchObject({
      timeZone: 'Asia/Urumqi',
      dayBoundary: '06:00',
      maxShiftHours: 16,
      region: '650102',
    });
    expect(p.version).toBe('example-2026.1+650102:v9');
  });

  it('names the path of every bad field at once', () => {
    const bad = doc();
    bad.default.timeZone = 'Asia/Atlantis';
    bad.default.dayBoundary = '13:00';
    bad.default.presenceMinimum = 1.2;
    bad.regions[0].minimumWage[1].effectiveFrom = '2021-08-01';
    bad.regions[1].dayBoundary = '4:00';
    bad.regions[1].keyPosts = ['project-manager', 'project-manager'];
    bad.regions[1].minimumWage = [];
    bad.regions.push({ version: 'x', region: '33', maxShiftHours: 30, monthlyWage: 1 });
    expect(problemsOf(bad).map((p) => p.path)).toEqual([
      'default.timeZone',
      'default.dayBoundary',
      'default.presenceMinimum',
      'regions.0.minimumWage.1.effectiveFrom',
      'regions.1.dayBoundary',
      'regions.1.keyPosts',
      'regions.1.minimumWage',
      'regions.2.maxShiftHours',
      'regions.2',
    ]);
  });

  it('explains a boundary after noon and reports a region configured twice', () => {
    const late = doc();
    late.default.dayBoundary = '12:01';
    expect(problemsOf(late)).toEqual([
      { path: 'default.dayBoundary', message: 'must be between 00:00 and 12:00' },
    ]);
    const twice = doc();
    twice.regions.push({ version: 'x', region: '3301' });
    expect(problemsOf(twice)).toEqual([
      { path: 'regions.2.region', message: 'region 3301 is configured twice' },
    ]);
    expect(() => loadAttendanceProfiles(twice)).toThrow(
      /regions\.2\.region: region 3301 is configured twice/,
    );
  });

  it('accepts the boundary limits 00:00 and 12:00 and presence minimums 0 and 1', () => {
    for (const [dayBoundary, presenceMinimum] of [
      ['00:00', 0],
      ['12:00', 1],
    ] as const) {
      const d = doc();
      d.default = { ...d.default, dayBoundary, presenceMinimum };
      expect(attendanceProfileFor('', loadAttendanceProfiles(d))).toMatchObject({
        dayBoundary,
        presenceMinimum,
      });
    }
  });
});
