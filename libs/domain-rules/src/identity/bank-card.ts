/** Bank card numbers (UnionPay debit cards used for wages): 16 to 19 digits with a Luhn check digit. */
import type { Result } from '@realname/contracts';
import type { InvalidIdentifier } from './resident-id';

/** The Luhn (ISO/IEC 7812-1) check digit to append to `payload` (digits only). */
export function luhnCheckDigit(payload: string): string {
  if (!/^\d+$/.test(payload)) throw new RangeError(`luhnCheckDigit needs digits, got "${payload}"`);
  let sum = 0;
  // From the right of the payload, every first, third ... digit is doubled (it becomes an even position
  // once the check digit is appended).
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(payload[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function isLuhnValid(digits: string): boolean {
  return /^\d{2,}$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === digits[digits.length - 1];
}

export type BankCardCheck = Result<string, Omit<InvalidIdentifier, 'ok'>>;

/** Spaces are removed; the rest must be 16-19 digits with a valid Luhn check digit. */
export function checkBankCard(raw: unknown): BankCardCheck {
  if (typeof raw !== 'string') return { ok: false, reasons: ['the card number must be given as text'] };
  const value = raw.replace(/\s/g, '');
  const reasons: string[] = [];
  if (!/^\d*$/.test(value)) reasons.push('a card number must contain only digits');
  if (value.length < 16 || value.length > 19) {
    reasons.push(`a card number has 16 to 19 digits, got ${value.length}`);
  }
  if (reasons.length === 0 && !isLuhnValid(value)) {
    reasons.push(
      `check digit should be ${luhnCheckDigit(value.slice(0, -1))} but is ${value[value.length - 1]}`,
    );
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, value };
}
