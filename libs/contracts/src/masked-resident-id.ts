import { z } from 'zod';

/**
 * A resident ID number as it may appear outside the reveal path: the first 4 and the last 4 characters,
 * the county (characters 5-6) and the birth date (7-14) hidden, e.g. `3301**********123X`. Whatever is
 * given is brought to that form, so an event written with the earlier mask (first 6 and last 4,
 * `330106********123X`) reads in the current one, and a new event can never carry more. The one
 * definition of the mask: `maskResidentId` in @realname/domain-rules is this function.
 */
export function currentResidentIdMask(value: string): string {
  const t = value.trim();
  const v = t.endsWith('x') ? `${t.slice(0, -1)}X` : t;
  if (v.length <= 10) return '*'.repeat(v.length);
  return `${v.slice(0, 4)}${'*'.repeat(v.length - 8)}${v.slice(-4)}`;
}

export const MaskedResidentId = z.string().min(4).transform(currentResidentIdMask);
