/**
 * "Province B" — a REPRESENTATIVE style of provincial uplink, not any named province's published API.
 * It gathers traits the domain notes report from several regions (a login session with an expiring
 * token as in Sichuan; an upper-case MD5 signature with a ±6-minute clock window as in Meizhou; its own
 * batch limits and synchronous answers) to prove the adapter interface holds for a target unlike the
 * national one.
 *
 * Signature: every body field but `sign` with a non-empty value, sorted by key (ASCII), joined as raw
 * `key=value` with `&`, then `&key=<secret>`, MD5 over the UTF-8 bytes, upper-case hex.
 */
import { createHash } from 'node:crypto';

/** The accepted difference between the call's `timestamp` and the platform clock: ±6 minutes. */
export const PROVINCE_B_CLOCK_WINDOW_SECONDS = 6 * 60;

function asciiOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The string that is hashed, exposed so tests and the simulator can show what was signed. */
export function provinceBSigningString(fields: Readonly<Record<string, string>>, secret: string): string {
  const joined = Object.keys(fields)
    .filter((key) => key !== 'sign' && fields[key] !== '')
    .sort(asciiOrder)
    .map((key) => `${key}=${fields[key]}`)
    .join('&');
  return `${joined}&key=${secret}`;
}

export function provinceBSignature(fields: Readonly<Record<string, string>>, secret: string): string {
  return createHash('md5').update(provinceBSigningString(fields, secret), 'utf8').digest('hex').toUpperCase();
}
