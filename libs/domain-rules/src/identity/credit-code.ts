/**
 * The 18-character unified social credit code of GB 32100-2015 (统一社会信用代码):
 *
 *   registration authority (1) | category (1) | area code (6) | organisation code (9, GB 11714) | check (1)
 *
 * Characters come from `0-9 A-H J-N P-R T U W-Y` (no I O S V Z), worth 0..30 in that order. The check
 * value is `31 - (sum of value x weight mod 31)` with weights `3^i mod 31`; 31 becomes 0.
 */
import type { InvalidIdentifier } from './resident-id';

export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** `1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28` */
export const CREDIT_CODE_WEIGHTS: readonly number[] = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

export interface ValidCreditCode {
  ok: true;
  /** Normalised: trimmed and upper-case. */
  value: string;
  /**
   * True when the code fails the check character but is on the caller's override list (an early pilot
   * code): the caller must audit that it admitted it.
   */
  overridden: boolean;
  /** Characters 3-8: the GB/T 2260 area code of the registering authority. */
  areaCode: string;
  /** Characters 9-17: the GB 11714 organisation code (its own check is not enforced here). */
  organizationCode: string;
}

export type CreditCodeCheck = ValidCreditCode | InvalidIdentifier;

export interface CreditCodeOptions {
  /**
   * Normalised (upper-case) codes admitted although their check character is wrong. Only the check
   * character can be overridden: a code of the wrong length or with forbidden characters never passes.
   */
  overrides?: ReadonlySet<string>;
}

function valueOf(c: string): number {
  return CREDIT_CODE_ALPHABET.indexOf(c);
}

/** The check character for the first 17 characters of a unified social credit code. */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== 17 || [...first17].some((c) => valueOf(c) < 0)) {
    throw new RangeError(
      `creditCodeCheckChar needs 17 characters from ${CREDIT_CODE_ALPHABET}, got "${first17}"`,
    );
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += valueOf(first17[i]) * CREDIT_CODE_WEIGHTS[i];
  const check = 31 - (sum % 31);
  return CREDIT_CODE_ALPHABET[check === 31 ? 0 : check];
}

export function normaliseCreditCode(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Builds an override set from a list, normalising each code. */
export function creditCodeOverrides(codes: Iterable<string>): ReadonlySet<string> {
  return new Set([...codes].map(normaliseCreditCode));
}

export function checkCreditCode(raw: unknown, options: CreditCodeOptions = {}): CreditCodeCheck {
  if (typeof raw !== 'string') return { ok: false, reasons: ['the credit code must be given as text'] };
  const value = normaliseCreditCode(raw);
  const reasons: string[] = [];
  if (value.length !== 18) reasons.push(`it must be 18 characters long, got ${value.length}`);
  const bad = [...value].map((c, i) => (valueOf(c) < 0 ? `${i + 1} ("${c}")` : '')).filter(Boolean);
  if (bad.length > 0) {
    reasons.push(
      `character${bad.length > 1 ? 's' : ''} at position ${bad.join(', ')} not allowed: ` +
        'only digits and the letters A-H J-N P-R T U W-Y (no I, O, S, V or Z)',
    );
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const expected = creditCodeCheckChar(value.slice(0, 17));
  const overridden = value[17] !== expected;
  if (overridden && !options.overrides?.has(value)) {
    return {
      ok: false,
      reasons: [`check character should be ${expected} for these first 17 characters but is ${value[17]}`],
    };
  }
  return { ok: true, value, overridden, areaCode: value.slice(2, 8), organizationCode: value.slice(8, 17) };
}

export function isCreditCode(raw: unknown, options?: CreditCodeOptions): boolean {
  return checkCreditCode(raw, options).ok;
}

/**
 * GB 11714-1997 organisation code check character for its first 8 characters (digits or upper-case
 * letters, A = 10 ... Z = 35): weights `3 7 9 10 5 8 4 2`, check `11 - (sum mod 11)`, 10 -> X, 11 -> 0.
 */
export function organizationCodeCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) {
    throw new RangeError(`organizationCodeCheckChar needs 8 digits or upper-case letters, got "${first8}"`);
  }
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(first8[i], 36) * weights[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/** True when a 9-character organisation code (`12345678X`, without hyphen) carries a correct check. */
export function isOrganizationCode(code: string): boolean {
  return /^[0-9A-Z]{8}[0-9X]$/.test(code) && organizationCodeCheckChar(code.slice(0, 8)) === code[8];
}
