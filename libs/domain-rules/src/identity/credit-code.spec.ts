import {
  checkCreditCode,
  CREDIT_CODE_ALPHABET,
  CREDIT_CODE_WEIGHTS,
  creditCodeCheckChar,
  creditCodeOverrides,
  isCreditCode,
  isOrganizationCode,
  organizationCodeCheckChar,
} from './credit-code';

// A generated code (never a real enterprise's):
// registration authority 9 (market regulation), category 1 (enterprise), area 330106,
// organisation code 12345678 + its GB 11714 check character 8, then the GB 32100 check character 7.
const VALID = '913301061234567887';

describe('GB 32100 constants', () => {
  it('has 31 characters without I O S V Z and the weights 3^i mod 31', () => {
    expect(CREDIT_CODE_ALPHABET).toHaveLength(31);
    expect(CREDIT_CODE_ALPHABET).not.toMatch(/[IOSVZ]/);
    expect(CREDIT_CODE_WEIGHTS).toEqual([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]);
  });
});

describe('creditCodeCheckChar', () => {
  it('computes the check character by hand-verified examples', () => {
    // 9 1 3 3 0 1 0 6 1 2 3 4 5 6 7 8 8 x weights:
    //   9+3+27+81+0+26+0+102+20+58+75+52+40+144+70+240+224 = 1171; 1171 mod 31 = 24; 31 - 24 = 7
    expect(creditCodeCheckChar('91330106123456788')).toBe('7');
    // all zeros: sum 0; 31 - 0 = 31, which becomes 0
    expect(creditCodeCheckChar('00000000000000000')).toBe('0');
    // 1 in the first place: sum 1; 31 - 1 = 30 -> Y (the last character of the alphabet)
    expect(creditCodeCheckChar('10000000000000000')).toBe('Y');
    // 1 in the second place: sum 3; 31 - 3 = 28 -> W
    expect(creditCodeCheckChar('01000000000000000')).toBe('W');
    // A is worth 10: 10 x 1 = 10; 31 - 10 = 21 -> M
    expect(creditCodeCheckChar('A0000000000000000')).toBe('M');
  });

  it('refuses input it cannot weigh', () => {
    expect(() => creditCodeCheckChar('9133010612345678')).toThrow(RangeError);
    expect(() => creditCodeCheckChar('9133010612345678I')).toThrow(RangeError);
  });
});

describe('checkCreditCode', () => {
  it('accepts a valid code and splits it', () => {
    expect(checkCreditCode(VALID)).toEqual({
      ok: true,
      value: VALID,
      overridden: false,
      areaCode: '330106',
      organizationCode: '123456788',
    });
  });

  it('normalises case and surrounding space', () => {
    const first17 = '91330106MA2B3C4D5';
    const code = first17 + creditCodeCheckChar(first17);
    expect(checkCreditCode(`  ${code.toLowerCase()} `)).toMatchObject({ ok: true, value: code });
  });

  it('names the expected and the given check character', () => {
    expect(checkCreditCode('913301061234567880')).toEqual({
      ok: false,
      reasons: ['check character should be 7 for these first 17 characters but is 0'],
    });
  });

  it('names a wrong length and forbidden characters', () => {
    expect(checkCreditCode('9133010612345678')).toEqual({
      ok: false,
      reasons: ['it must be 18 characters long, got 16'],
    });
    const r = checkCreditCode('91330106I2345678O7');
    expect(r).toEqual({
      ok: false,
      reasons: [
        'characters at position 9 ("I"), 17 ("O") not allowed: only digits and the letters A-H J-N P-R T U W-Y (no I, O, S, V or Z)',
      ],
    });
  });

  it('admits a listed pilot code that fails the check, and says it was overridden', () => {
    const pilot = '913301061234567880';
    const overrides = creditCodeOverrides([pilot.toLowerCase()]);
    expect(checkCreditCode(pilot, { overrides })).toMatchObject({ ok: true, value: pilot, overridden: true });
    // a valid code is never reported as overridden, listed or not
    expect(checkCreditCode(VALID, { overrides: new Set([VALID]) })).toMatchObject({ overridden: false });
    // other failing codes are still refused
    expect(checkCreditCode('913301061234567881', { overrides }).ok).toBe(false);
  });

  it('never overrides a wrong length or a forbidden character', () => {
    const bad = '91330106123456788S';
    expect(checkCreditCode(bad, { overrides: new Set([bad]) }).ok).toBe(false);
  });

  it('refuses what is not text', () => {
    expect(isCreditCode(null)).toBe(false);
  });
});

describe('GB 11714 organisation code', () => {
  it('computes the check character by hand-verified examples', () => {
    // 1 2 3 4 5 6 7 8 x (3 7 9 10 5 8 4 2) = 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11 - 3 = 8
    expect(organizationCodeCheckChar('12345678')).toBe('8');
    // 0000000 then 1: 2; 11 - 2 = 9
    expect(organizationCodeCheckChar('00000001')).toBe('9');
    // 0000000 then 5: 10; 11 - 10 = 1
    expect(organizationCodeCheckChar('00000005')).toBe('1');
    // 00000000: 0; 11 - 0 = 11 -> 0
    expect(organizationCodeCheckChar('00000000')).toBe('0');
    // 0000000 then A (10): 20; 20 mod 11 = 9; 11 - 9 = 2
    expect(organizationCodeCheckChar('0000000A')).toBe('2');
    // 0000000 then 6: 12; 12 mod 11 = 1; 11 - 1 = 10 -> X
    expect(organizationCodeCheckChar('00000006')).toBe('X');
  });

  it('validates a whole organisation code', () => {
    expect(isOrganizationCode('123456788')).toBe(true);
    expect(isOrganizationCode('123456789')).toBe(false);
    expect(isOrganizationCode('00000006X')).toBe(true);
  });
});
