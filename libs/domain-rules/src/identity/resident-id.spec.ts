import { MaskedResidentId } from '@realname/contracts';
import { checkResidentId, isResidentId, maskResidentId, residentIdCheckChar } from './resident-id';

const today = '2026-11-21';

describe('residentIdCheckChar', () => {
  it('computes the check character by hand-verified examples', () => {
    // 33010619900101123: digits x weights (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
    //   21+27+0+5+0+24+2+9+54+0+0+9+0+5+8+8+6 = 178; 178 mod 11 = 2 -> "1 0 X ..."[2] = X
    expect(residentIdCheckChar('33010619900101123')).toBe('X');
    // 11010519851231002: 7+9+0+5+0+20+2+9+48+15+7+18+30+5+0+0+4 = 179; 179 mod 11 = 3 -> 9
    expect(residentIdCheckChar('11010519851231002')).toBe('9');
    // all zeros: sum 0 -> index 0 -> 1
    expect(residentIdCheckChar('00000000000000000')).toBe('1');
  });

  it('refuses anything but 17 digits', () => {
    expect(() => residentIdCheckChar('1234')).toThrow(RangeError);
    expect(() => residentIdCheckChar('3301061990010112X')).toThrow(RangeError);
  });
});

describe('checkResidentId', () => {
  it('accepts a valid number and reads area, birth date, gender and age', () => {
    const r = checkResidentId('33010619900101123X', { today });
    expect(r).toMatchObject({
      ok: true,
      value: '33010619900101123X',
      areaCode: '330106',
      birthDate: '1990-01-01',
      gender: 'male',
    });
    if (!r.ok) throw new Error('expected valid');
    expect(r.age('2026-11-21')).toBe(36);
    expect(r.age('2025-12-31')).toBe(35);
    expect(r.age('2026-01-01')).toBe(36);
  });

  it('reads an even sequence digit as female', () => {
    expect(checkResidentId('110105198512310029', { today })).toMatchObject({ ok: true, gender: 'female' });
  });

  it('accepts a lower-case x and stores X; trims spaces', () => {
    const r = checkResidentId(' 33010619900101123x ', { today });
    expect(r).toMatchObject({ ok: true, value: '33010619900101123X' });
  });

  it('gives the expected and the given check character', () => {
    const r = checkResidentId('330106199001011234', { today });
    expect(r).toEqual({
      ok: false,
      reasons: ['check character should be X for these first 17 digits but is 4'],
    });
  });

  it('names a wrong length, and says that 15-digit numbers are not accepted', () => {
    expect(checkResidentId('3301061990010112', { today })).toEqual({
      ok: false,
      reasons: ['it must be 18 characters long, got 16'],
    });
    const r = checkResidentId('330106900101123', { today });
    expect(!r.ok && r.reasons[0]).toMatch(/got 15 \(first-generation/);
  });

  it('names the characters that are not allowed', () => {
    const r = checkResidentId('3301A619900101123Y', { today });
    expect(r).toEqual({
      ok: false,
      reasons: [
        'characters at position 5 ("A"), 18 ("Y") not allowed: the first 17 must be digits and the 18th a digit or X',
      ],
    });
    // X is only allowed as the check character
    expect(checkResidentId('X30106199001011230', { today }).ok).toBe(false);
  });

  it('reports length and characters together', () => {
    const r = checkResidentId('33010619900101A', { today });
    expect(!r.ok && r.reasons).toHaveLength(2);
  });

  it('refuses an area code without a province', () => {
    const first17 = '99010619900101123';
    const r = checkResidentId(first17 + residentIdCheckChar(first17), { today });
    expect(r).toEqual({
      ok: false,
      reasons: ['area code 990106 does not start with a province code (99 is none)'],
    });
  });

  it('checks the area code against a given list', () => {
    const id = '33010619900101123X';
    expect(checkResidentId(id, { today, areaCodes: new Set(['330106']) }).ok).toBe(true);
    expect(checkResidentId(id, { today, areaCodes: new Set(['330102']) })).toEqual({
      ok: false,
      reasons: ['area code 330106 is not a known area code'],
    });
  });

  it('refuses a birth date that is not a real date', () => {
    for (const date of ['19900230', '19901301', '19900100', '19010229']) {
      const first17 = `330106${date}123`;
      const r = checkResidentId(first17 + residentIdCheckChar(first17), { today });
      expect(r).toEqual({ ok: false, reasons: [`birth date ${date} is not a real date`] });
    }
    const leap = '33010620000229123';
    expect(checkResidentId(leap + residentIdCheckChar(leap), { today }).ok).toBe(true);
  });

  it('refuses a birth date in the future', () => {
    const first17 = '33010620261122123';
    const r = checkResidentId(first17 + residentIdCheckChar(first17), { today });
    expect(r).toEqual({
      ok: false,
      reasons: ['birth date 2026-11-22 is in the future (today is 2026-11-21)'],
    });
    // born today is fine
    const born = '33010620261121123';
    expect(checkResidentId(born + residentIdCheckChar(born), { today }).ok).toBe(true);
  });

  it('reports every problem of an otherwise well-formed number', () => {
    const r = checkResidentId('990106199002301230', { today });
    expect(!r.ok && r.reasons.map((x) => x.split(' ').slice(0, 2).join(' '))).toEqual([
      'area code',
      'birth date',
      'check character',
    ]);
  });

  it('refuses what is not text', () => {
    expect(checkResidentId(undefined)).toEqual({
      ok: false,
      reasons: ['the ID number must be given as text'],
    });
    expect(isResidentId(330106199001011230)).toBe(false);
  });

  it('uses the clock only when no day is given', () => {
    expect(isResidentId('33010619900101123X')).toBe(true);
  });
});

describe('maskResidentId', () => {
  it('keeps the first 4 and the last 4 characters, hiding the county and the birth date', () => {
    expect(maskResidentId('330106199001011234')).toBe('3301**********1234');
    expect(maskResidentId('33010619900101123x')).toBe('3301**********123X');
  });

  it('never shows a run of the area code and the birth date', () => {
    const masked = maskResidentId('330106199001011234');
    expect(masked).not.toContain('330106');
    expect(masked).not.toMatch(/19900101|1990/);
  });

  it('brings a mask of the earlier form (first 6, last 4) up to date', () => {
    expect(maskResidentId('330106********1234')).toBe('3301**********1234');
    expect(maskResidentId('3301**********1234')).toBe('3301**********1234');
  });

  it('agrees with the mask the event contracts apply', () => {
    for (const id of ['330106199001011234', '33010619900101123X', '330106********1234', '12345678901']) {
      expect(MaskedResidentId.parse(id)).toBe(maskResidentId(id));
    }
  });

  it('masks short input completely', () => {
    expect(maskResidentId('1234567890')).toBe('**********');
    expect(maskResidentId('')).toBe('');
  });
});
