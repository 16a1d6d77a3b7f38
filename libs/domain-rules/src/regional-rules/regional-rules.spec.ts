import bundled from './profiles.json';
import { loadProfiles, profileFor, RegionalProfile, RegionalProfileError, regionalProfiles } from './index';

describe('bundled example profiles', () => {
  it('are labelled as examples', () => {
    expect(regionalProfiles.note).toMatch(/EXAMPLE/);
    expect(regionalProfiles.default.note).toMatch(/Example/);
    for (const o of regionalProfiles.regions.values()) expect(o.note).toMatch(/example|Example|Illustrative/);
  });

  it('give the default: 18 to 60 (men) / 55 (women), stricter 55/45 for crane erectors and blasters', () => {
    const p = profileFor('510104');
    expect(p.appliedRegions).toEqual(['']);
    expect(p.region).toBe('');
    expect(p.minAge).toBe(18);
    expect(p.maxAge).toEqual({ male: 60, female: 55 });
    expect(p.workTypeMaxAge).toEqual({ '180': { male: 55, female: 45 }, '280': { male: 55, female: 45 } });
    expect(p.specialWorkTypes).toEqual(['130', '170', '180', '270', '280', '150', '160']);
    expect(Object.values(p.entryRules).every(Boolean)).toBe(true);
    expect(p.retrainAfterDays).toBe(365);
    expect(p.headPhotoMaxBytes).toBe(51200);
    expect(
      RegionalProfile.safeParse({ ...p, requestedRegion: undefined, appliedRegions: undefined }).success,
    ).toBe(
      false, // strict: the resolved extras are not part of a profile
    );
  });

  it('give Shanghai 60 for men and 50 for women, the rest from the default', () => {
    const p = profileFor('310115');
    expect(p.appliedRegions).toEqual(['', '31']);
    expect(p.region).toBe('31');
    expect(p.requestedRegion).toBe('310115');
    expect(p.maxAge).toEqual({ male: 60, female: 50 });
    expect(p.minAge).toBe(18);
    expect(p.workTypeMaxAge?.['180']).toEqual({ male: 55, female: 45 });
    expect(p.version).toBe('example-2026.1+31:example-2026.1');
  });

  it('give Tianjin the same limits as Shanghai', () => {
    expect(profileFor('120103').maxAge).toEqual({ male: 60, female: 50 });
  });

  it('resolve Hangzhou over Zhejiang over the default', () => {
    const p = profileFor('330106');
    expect(p.appliedRegions).toEqual(['', '33', '3301']);
    expect(p.region).toBe('3301');
    expect(p.retrainAfterDays).toBe(180); // Hangzhou
    expect(p.specialWorkTypes).toContain('030'); // Zhejiang
    expect(p.maxAge).toEqual({ male: 60, female: 55 }); // default
  });

  it('resolve another Zhejiang city to Zhejiang then the default', () => {
    const p = profileFor('330302');
    expect(p.appliedRegions).toEqual(['', '33']);
    expect(p.retrainAfterDays).toBe(365);
    expect(p.specialWorkTypes).toContain('030');
  });

  it('accept prefixes, longer street codes and the empty code', () => {
    expect(profileFor('33').appliedRegions).toEqual(['', '33']);
    expect(profileFor('3301').appliedRegions).toEqual(['', '33', '3301']);
    expect(profileFor('330106001').appliedRegions).toEqual(['', '33', '3301']);
    expect(profileFor('').appliedRegions).toEqual(['']);
    expect(() => profileFor('Hangzhou')).toThrow(RangeError);
  });
});

describe('loadProfiles', () => {
  const base = JSON.parse(JSON.stringify(bundled));

  it('loads a custom document and merges nested fields', () => {
    const set = loadProfiles({
      ...base,
      regions: [
        { version: 'v2', region: '42', maxAge: { female: 50 }, entryRules: { team: false } },
        { version: 'v3', region: '420106', workTypeMaxAge: { '030': { male: 58, female: 48 } } },
      ],
    });
    const p = profileFor('420106', set);
    expect(p.maxAge).toEqual({ male: 60, female: 50 });
    expect(p.entryRules.team).toBe(false);
    expect(p.entryRules.contract).toBe(true);
    expect(Object.keys(p.workTypeMaxAge ?? {}).sort()).toEqual(['030', '180', '280']);
    expect(p.version).toBe('example-2026.1+42:v2+420106:v3');
    expect(profileFor('310115', set).appliedRegions).toEqual(['']);
  });

  it('reports every bad field at once', () => {
    let error: unknown;
    try {
      loadProfiles({
        ...base,
        default: { ...base.default, minAge: -1, maxAge: { male: 'sixty' }, entryRules: { contract: 'yes' } },
        regions: [{ version: 'v', region: '3', retrainAfterDays: 0, colour: 'red' }],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegionalProfileError);
    const paths = (error as RegionalProfileError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'default.minAge',
        'default.maxAge.male',
        'default.maxAge.female',
        'default.entryRules.contract',
        'default.entryRules.safetyTraining',
        'regions.0.region',
        'regions.0.retrainAfterDays',
        'regions.0',
      ]),
    );
    expect((error as Error).message).toMatch(/default\.minAge: Number must be greater than or equal to 0/);
  });

  it('refuses duplicate regions, unknown work types and limits that contradict after merging', () => {
    let error: unknown;
    try {
      loadProfiles({
        ...base,
        regions: [
          { version: 'v', region: '31', maxAge: { female: 50 } },
          { version: 'v', region: '31', specialWorkTypes: ['130', '777'] },
          { version: 'v', region: '33', minAge: 16 },
          { version: 'v', region: '3301', maxAge: { female: 15 } },
        ],
      });
    } catch (e) {
      error = e;
    }
    const problems = (error as RegionalProfileError).problems;
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'region 31 is configured twice',
        'unknown work type(s) 777',
        'maxAge.female (15) is below minAge (16) (after merging region 3301 over the profiles above it)',
      ]),
    );
  });

  it('requires the default to be the empty region', () => {
    expect(() => loadProfiles({ ...base, default: { ...base.default, region: '33' } })).toThrow(
      /default\.region/,
    );
  });
});
