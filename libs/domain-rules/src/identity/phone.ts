/** Mainland mobile numbers and the masks used wherever a phone or bank card number is shown. */
import type { Result } from '@realname/contracts';
import type { InvalidIdentifier } from './resident-id';

export const MOBILE_PHONE_PATTERN = /^1[3-9]\d{9}$/;

/** Strict: exactly 11 digits matching `^1[3-9]\d{9}$`, nothing around them. */
export function isMobilePhone(raw: unknown): boolean {
  return typeof raw === 'string' && MOBILE_PHONE_PATTERN.test(raw);
}

export type PhoneCheck = Result<string, Omit<InvalidIdentifier, 'ok'>>;

/**
 * Lenient on the way in: spaces and hyphens are removed and a `+86` / `0086` / `86` country prefix on a
 * 13-digit number is dropped; the rest must be a mainland mobile number. `value` is the bare 11 digits.
 */
export function checkPhone(raw: unknown): PhoneCheck {
  if (typeof raw !== 'string') return { ok: false, reasons: ['the phone number must be given as text'] };
  let v = raw.replace(/[\s-]/g, '');
  if (v.startsWith('+86')) v = v.slice(3);
  else if (v.startsWith('0086')) v = v.slice(4);
  else if (v.length === 13 && v.startsWith('86')) v = v.slice(2);
  if (MOBILE_PHONE_PATTERN.test(v)) return { ok: true, value: v };
  if (!/^\d+$/.test(v)) return { ok: false, reasons: [`"${raw}" is not a phone number: it must be digits`] };
  if (v.length !== 11) {
    return { ok: false, reasons: [`a mainland mobile number has 11 digits, "${raw}" has ${v.length}`] };
  }
  return {
    ok: false,
    reasons: [`a mainland mobile number starts with 13-19, "${raw}" starts with ${v.slice(0, 2)}`],
  };
}

function keepEnds(text: string, head: number, tail: number): string {
  if (text.length <= head + tail) return '*'.repeat(text.length);
  return `${text.slice(0, head)}${'*'.repeat(text.length - head - tail)}${text.slice(-tail)}`;
}

/** `13812345678` -> `138****5678` (first 3 and last 4 kept). */
export function maskPhone(phone: string): string {
  return keepEnds(phone.replace(/[\s-]/g, ''), 3, 4);
}

/** `6222021234567890123` -> `6222***********0123` (first 4 and last 4 kept; spaces removed first). */
export function maskBankCard(cardNumber: string): string {
  return keepEnds(cardNumber.replace(/[\s-]/g, ''), 4, 4);
}
