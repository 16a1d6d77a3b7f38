import { checkPurpose } from './reveal-purpose';

describe('checkPurpose', () => {
  it('requires a one-line purpose of at most 200 characters, trimmed', () => {
    expect(checkPurpose(' national-platform-upload ')).toEqual({ purpose: 'national-platform-upload' });
    expect(checkPurpose('x'.repeat(200))).toEqual({ purpose: 'x'.repeat(200) });
    for (const bad of [undefined, null, '', '   ', 42, 'x'.repeat(201), 'two\nlines']) {
      expect(checkPurpose(bad)).toMatchObject({ refused: 'invalid-argument', field: 'purpose' });
    }
    expect(checkPurpose(undefined)).toMatchObject({ message: expect.stringMatching(/purpose is required/) });
  });
});
