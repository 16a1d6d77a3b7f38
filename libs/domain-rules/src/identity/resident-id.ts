import { currentResidentIdMask } from '@realname/contracts';
/**
 * The 18-character resident identity number of GB 11643-1999 (公民身份号码):
 *
 *   6-digit area code (GB/T 2260) | birth date YYYYMMDD | 3-digit sequence (odd = male) | check character
 *
 * The check character is ISO 7064 MOD 11-2: the first 17 digits are weighted
 * `7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2`, the sum mod 11 indexes `1 0 X 9 8 7 6 5 4 3 2`.
 */
import { ageOn, formatDay, isRealDate, todayIn } from '../dates';

export type Gender = 'male' | 'female';

export interface InvalidIdentifier {
  ok: false;
  /** Plain-English sentences, one per problem found. */
  reasons: string[];
}

export interface ValidResidentId {
  ok: true;
  /** Normalised: trimmed, a lower-case `x` check character stored as `X`. */
  value: string;
  areaCode: string;
  /** `YYYY-MM-DD` */
  birthDate: string;
  gender: Gender;
  /** Exact age in whole years on a day (`YYYY-MM-DD`). */
  age(atDay: string): number;
}

export type ResidentIdCheck = ValidResidentId | InvalidIdentifier;

export interface ResidentIdOptions {
  /** The day a birth date must not be after; today in China when not given. */
  today?: string;
  /**
   * When given, the area code must be one of these (for example a GB/T 2260 list). Without it the area
   * code is checked structurally: six digits starting with a province-level code.
   */
  areaCodes?: ReadonlySet<string>;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/**
 * Province-level prefixes of GB/T 2260, plus 81/82/83 used by the residence permits of Hong Kong,
 * Macao and Taiwan residents (810000, 820000, 830000).
 */
// prettier-ignore
export const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]);

/** The check character (`0`-`9` or `X`) for the first 17 digits of a resident ID. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`residentIdCheckChar needs exactly 17 digits, got "${first17}"`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** Trims and upper-cases a trailing `x`; does not check anything. */
export function normaliseResidentId(raw: string): string {
  const t = raw.trim();
  return t.endsWith('x') ? `${t.slice(0, -1)}X` : t;
}

export function checkResidentId(raw: unknown, options: ResidentIdOptions = {}): ResidentIdCheck {
  if (typeof raw !== 'string') return { ok: false, reasons: ['the ID number must be given as text'] };
  const value = normaliseResidentId(raw);
  const reasons: string[] = [];

  if (value.length !== 18) {
    reasons.push(
      value.length === 15
        ? 'it must be 18 characters long, got 15 (first-generation 15-digit numbers are not accepted)'
        : `it must be 18 characters long, got ${value.length}`,
    );
  }
  const bad: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    const allowed = i === 17 ? /[0-9X]/.test(c) : /[0-9]/.test(c);
    if (!allowed) bad.push(`${i + 1} ("${c}")`);
  }
  if (bad.length > 0) {
    reasons.push(
      `character${bad.length > 1 ? 's' : ''} at position ${bad.join(', ')} not allowed: ` +
        'the first 17 must be digits and the 18th a digit or X',
    );
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const areaCode = value.slice(0, 6);
  if (options.areaCodes) {
    if (!options.areaCodes.has(areaCode)) reasons.push(`area code ${areaCode} is not a known area code`);
  } else if (!PROVINCE_CODES.has(areaCode.slice(0, 2))) {
    reasons.push(
      `area code ${areaCode} does not start with a province code (${areaCode.slice(0, 2)} is none)`,
    );
  }

  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const birthDate = formatDay({ year, month, day });
  if (!isRealDate(year, month, day)) {
    reasons.push(`birth date ${value.slice(6, 14)} is not a real date`);
  } else {
    const today = options.today ?? todayIn();
    if (birthDate > today) reasons.push(`birth date ${birthDate} is in the future (today is ${today})`);
  }

  const expected = residentIdCheckChar(value.slice(0, 17));
  if (value[17] !== expected) {
    reasons.push(`check character should be ${expected} for these first 17 digits but is ${value[17]}`);
  }
  if (reasons.length > 0) return { ok: false, reasons };

  return {
    ok: true,
    value,
    areaCode,
    birthDate,
    gender: Number(value[16]) % 2 === 1 ? 'male' : 'female',
    age: (atDay: string) => ageOn(birthDate, atDay),
  };
}

export function isResidentId(raw: unknown, options?: ResidentIdOptions): boolean {
  return checkResidentId(raw, options).ok;
}

/**
 * Keeps the first 4 and last 4 characters: `330106199001011234` -> `3301**********1234`. The area
 * beyond the city (characters 5-6) and the birth date (7-14) are hidden, so the mask together with
 * anything else shown in ordinary reads (gender, age in years) does not rebuild the number. Anything of
 * 10 characters or fewer is masked completely (nothing can be shown without showing most of it).
 *
 * Applied to a mask of the earlier form (`330106********1234`, first 6 and last 4) it gives the current
 * form, so stored masks are brought up to date with this same function. The rule is written once, in
 * @realname/contracts, whose event schemas apply it too (`MaskedResidentId`).
 */
export function maskResidentId(id: string): string {
  return currentResidentIdMask(id);
}
