import { checkEntry, EntryCandidate, EntryReasonCode } from './entry-check';
import { profileFor, RegionalProfile } from './regional-rules';

const today = '2026-11-21';
const profile = profileFor('510104'); // the default example profile

/** Passes every gate of the default profile on `today`. */
const good: EntryCandidate = {
  birthDate: '1990-05-20',
  gender: 'male',
  workType: '130', // electrician: a special work type
  hasSignedContract: true,
  passedSafetyTraining: true,
  certificates: [{ type: '130', number: 'CERT-TEST-0001', expiresOn: '2028-01-31' }],
  blacklisted: false,
  hasHeadPhoto: true,
  teamId: 'team-1',
  lastUpdatedOn: '2026-06-01',
  entryDate: '2026-11-20',
};

const codes = (c: EntryCandidate, p: RegionalProfile = profile, day = today): EntryReasonCode[] => {
  const r = checkEntry(c, p, day);
  return r.ok ? [] : r.reasons.map((x) => x.code);
};

const without = (rule: keyof RegionalProfile['entryRules']): RegionalProfile => ({
  ...profile,
  entryRules: { ...profile.entryRules, [rule]: false },
});

describe('checkEntry', () => {
  it('admits a candidate who meets every condition', () => {
    expect(checkEntry(good, profile, today)).toEqual({ ok: true });
  });

  it('admits entry dated today, and a worker who is not a special work type without certificates', () => {
    expect(checkEntry({ ...good, entryDate: today }, profile, today)).toEqual({ ok: true });
    expect(checkEntry({ ...good, workType: '010', certificates: [] }, profile, today)).toEqual({ ok: true });
  });

  describe('each reason alone', () => {
    const cases: [
      string,
      Partial<EntryCandidate>,
      EntryReasonCode,
      keyof RegionalProfile['entryRules'] | null,
    ][] = [
      ['no contract', { hasSignedContract: false }, 'contract-missing', 'contract'],
      ['no training', { passedSafetyTraining: false }, 'training-missing', 'safetyTraining'],
      ['not updated for a year', { lastUpdatedOn: '2025-11-20' }, 'retraining-due', 'safetyTraining'],
      ['17 years old', { birthDate: '2008-11-21' }, 'under-age', 'age'],
      ['a man of 61', { birthDate: '1965-11-20' }, 'over-age', 'age'],
      ['no certificate for the work type', { certificates: [] }, 'certificate-missing', 'certificate'],
      [
        'a certificate for another work type only',
        { certificates: [{ type: '270', number: 'CERT-TEST-0002', expiresOn: '2030-01-01' }] },
        'certificate-missing',
        'certificate',
      ],
      [
        'an expired certificate',
        { certificates: [{ type: '130', number: 'CERT-TEST-0003', expiresOn: '2026-11-19' }] },
        'certificate-expired',
        'certificate',
      ],
      ['blacklisted', { blacklisted: true }, 'blacklisted', 'blacklist'],
      ['no head photo', { hasHeadPhoto: false }, 'head-photo-missing', 'headPhoto'],
      ['a head photo that is too large', { headPhotoBytes: 51201 }, 'head-photo-too-large', 'headPhoto'],
      ['no team', { teamId: undefined }, 'team-missing', 'team'],
      ['a blank team', { teamId: '  ' }, 'team-missing', 'team'],
      ['an entry dated tomorrow', { entryDate: '2026-11-22' }, 'entry-date-in-future', null],
      ['a birth date that is no date', { birthDate: '1990-02-30' }, 'invalid-date', null],
    ];

    it.each(cases)('%s gives one reason', (_name, change, code) => {
      const r = checkEntry({ ...good, ...change }, profile, today);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reasons).toHaveLength(1);
      expect(r.reasons[0].code).toBe(code);
      expect(r.reasons[0].message).toMatch(/^[A-Z].*\.$/); // one plain sentence
    });

    it.each(cases.filter((c) => c[3] !== null))(
      '%s passes when the region switches the rule off',
      (_n, change, _c, rule) => {
        expect(codes({ ...good, ...change }, without(rule!))).toEqual([]);
      },
    );
  });

  it('words the reasons plainly', () => {
    const r = checkEntry(
      {
        ...good,
        birthDate: '1960-01-01',
        certificates: [{ type: '130', number: 'CERT-TEST-0003', expiresOn: '2026-11-19' }],
        lastUpdatedOn: '2025-01-01',
      },
      profile,
      today,
    );
    expect(r).toEqual({
      ok: false,
      reasons: [
        {
          code: 'retraining-due',
          message: 'Not updated for 688 days (since 2025-01-01); re-training is due after 365 days.',
        },
        { code: 'over-age', message: 'Aged 66 on 2026-11-20; the maximum age for a man is 60.' },
        {
          code: 'certificate-expired',
          message: 'The operation certificate for work type 130 expired on 2026-11-19.',
        },
      ],
    });
  });

  it('reports several failed conditions together, one reason each, in a fixed order', () => {
    expect(
      codes({
        ...good,
        hasSignedContract: false,
        passedSafetyTraining: false,
        birthDate: '2010-01-01',
        certificates: [],
        blacklisted: true,
        hasHeadPhoto: false,
        teamId: undefined,
        entryDate: '2026-12-01',
      }),
    ).toEqual([
      'entry-date-in-future',
      'contract-missing',
      'training-missing',
      'under-age',
      'certificate-missing',
      'blacklisted',
      'head-photo-missing',
      'team-missing',
    ]);
  });

  it('reports only missing training, not re-training, when training was never passed', () => {
    expect(codes({ ...good, passedSafetyTraining: false, lastUpdatedOn: '2020-01-01' })).toEqual([
      'training-missing',
    ]);
  });

  describe('age limits', () => {
    it('admits a man of exactly 60 and refuses him the day he turns 61', () => {
      expect(codes({ ...good, birthDate: '1966-11-20' })).toEqual([]); // 60 on the entry date
      expect(codes({ ...good, birthDate: '1965-11-20' })).toEqual(['over-age']); // 61
    });

    it('admits the day of the 18th birthday, not the day before', () => {
      expect(codes({ ...good, birthDate: '2008-11-20' })).toEqual([]);
      expect(codes({ ...good, birthDate: '2008-11-21' })).toEqual(['under-age']);
    });

    it('applies women’s limits by region: 55 by default, 50 in Shanghai', () => {
      const woman = { ...good, gender: 'female' as const, birthDate: '1973-01-01' }; // 53
      expect(codes(woman)).toEqual([]);
      expect(codes(woman, profileFor('310115'))).toEqual(['over-age']);
      expect(checkEntry(woman, profileFor('310115'), today)).toMatchObject({
        reasons: [{ message: 'Aged 53 on 2026-11-20; the maximum age for a woman is 50.' }],
      });
    });

    it('applies the stricter limit of a high-risk work type', () => {
      const erector = {
        ...good,
        workType: '180',
        birthDate: '1970-01-01', // 56
        certificates: [{ type: '180', number: 'CERT-TEST-0004', expiresOn: '2030-01-01' }],
      };
      expect(checkEntry(erector, profile, today)).toEqual({
        ok: false,
        reasons: [
          {
            code: 'over-age',
            message: 'Aged 56 on 2026-11-20; the maximum age for a man for work type 180 is 55.',
          },
        ],
      });
      expect(codes({ ...erector, workType: '010', certificates: [] })).toEqual([]);
    });
  });

  describe('certificates', () => {
    it('counts a certificate as valid through its expiry day', () => {
      const on = (expiresOn: string) => ({
        ...good,
        certificates: [{ type: '130', number: 'CERT-TEST-0005', expiresOn }],
      });
      expect(codes(on('2026-11-20'))).toEqual([]);
      expect(codes(on('2026-11-19'))).toEqual(['certificate-expired']);
    });

    it('is satisfied by one valid certificate among expired ones', () => {
      expect(
        codes({
          ...good,
          certificates: [
            { type: '130', number: 'CERT-TEST-0006', expiresOn: '2020-01-01' },
            { type: '130', number: 'CERT-TEST-0007', expiresOn: '2027-01-01' },
          ],
        }),
      ).toEqual([]);
    });

    it('follows the region’s list of special work types', () => {
      const scaffolder = { ...good, workType: '030', certificates: [] };
      expect(codes(scaffolder)).toEqual([]);
      expect(codes(scaffolder, profileFor('330302'))).toEqual(['certificate-missing']); // Zhejiang example
    });
  });

  describe('re-training', () => {
    it('is due once the days without update reach retrainAfterDays', () => {
      expect(codes({ ...good, lastUpdatedOn: '2025-11-21' })).toEqual([]); // 364 days before entry
      expect(codes({ ...good, lastUpdatedOn: '2025-11-20' })).toEqual(['retraining-due']); // 365
      expect(codes({ ...good, lastUpdatedOn: undefined })).toEqual([]); // a new worker
    });

    it('follows the region: 180 days in the Hangzhou example', () => {
      expect(codes({ ...good, lastUpdatedOn: '2026-05-01' }, profileFor('330106'))).toEqual([
        'retraining-due',
      ]);
    });
  });

  it('names every date that is not a real date and skips the rules that need it', () => {
    const r = checkEntry(
      {
        ...good,
        birthDate: '1990-13-01',
        lastUpdatedOn: 'yesterday',
        certificates: [{ type: '130', number: 'CERT-TEST-0008', expiresOn: '2027/01/01' }],
      },
      profile,
      today,
    );
    expect(r).toEqual({
      ok: false,
      reasons: [
        {
          code: 'invalid-date',
          message: 'The birth date "1990-13-01" is not a real date written YYYY-MM-DD.',
        },
        {
          code: 'invalid-date',
          message: 'The last update date "yesterday" is not a real date written YYYY-MM-DD.',
        },
        {
          code: 'invalid-date',
          message:
            'The expiry date of certificate CERT-TEST-0008 "2027/01/01" is not a real date written YYYY-MM-DD.',
        },
      ],
    });
  });

  it('refuses a birth date after the entry date', () => {
    expect(codes({ ...good, birthDate: '2026-11-21', entryDate: '2026-11-20' })).toEqual(['invalid-date']);
  });

  it('refuses a today that is not a date', () => {
    expect(() => checkEntry(good, profile, '21/11/2026')).toThrow(RangeError);
  });
});
