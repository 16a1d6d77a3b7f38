/**
 * How the national platform's answers map onto the uplink failure classes: network trouble, 5xx, 429
 * and the rate-limit code are worth retrying; parameter errors are the record's; signature, permission
 * and IP errors are the credentials'; "already exists" is reconciled, not failed.
 */
import { RetriableFailure, UplinkFailure } from '../uplink';

export const NATIONAL_CODE = {
  ok: 0,
  badParameters: -1,
  badSignature: -2,
  noPermission: -3,
  ipNotAllowed: -4,
  rateLimited: -5,
} as const;

const CREDENTIAL_CODES: ReadonlySet<number> = new Set([
  NATIONAL_CODE.badSignature,
  NATIONAL_CODE.noPermission,
  NATIONAL_CODE.ipNotAllowed,
]);

/** The reference gives no code for duplicates; clients recognise the platform's wording. */
export function isAlreadyExistsMessage(message: string): boolean {
  return /已存在|已经存在|重复|already exists?/i.test(message);
}

/** The failure a reply code stands for, or undefined for `0`. `busyCodes` adds a clone's own busy codes to `-5`. */
export function classifyNationalCode(
  code: number,
  message: string,
  busyCodes: readonly number[] = [],
): UplinkFailure | undefined {
  if (code === NATIONAL_CODE.ok) return undefined;
  if (code === NATIONAL_CODE.rateLimited)
    return { outcome: 'retriable', reason: 'rate-limited', code, detail: message };
  if (busyCodes.includes(code)) return { outcome: 'retriable', reason: 'busy', code, detail: message };
  if (CREDENTIAL_CODES.has(code)) return { outcome: 'rejected', scope: 'credentials', code, message };
  if (isAlreadyExistsMessage(message)) return { outcome: 'already-exists', code, message };
  return { outcome: 'rejected', scope: 'record', code, message };
}

/** The failure a non-2xx HTTP status stands for. */
export function classifyHttpStatus(status: number, body: string): UplinkFailure {
  const detail = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  if (status === 429) return { outcome: 'retriable', reason: 'rate-limited', code: status, detail };
  if (status >= 500 || status === 408)
    return { outcome: 'retriable', reason: 'server-error', code: status, detail };
  // 401/403/404 and the like mean the endpoint or the allow-list is wrong, not the record.
  return { outcome: 'rejected', scope: 'credentials', code: status, message: detail };
}

/** The failure a thrown fetch error stands for (no reply at all). */
export function classifyTransportError(error: unknown): RetriableFailure {
  // Read by shape: fetch throws DOMException, which is not an `Error` of every realm (jest's, for one).
  const { name, message, cause } = (error !== null && typeof error === 'object' ? error : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: { message?: unknown };
  };
  const causeText = cause && typeof cause.message === 'string' ? ` (${cause.message})` : '';
  const detail = typeof message === 'string' ? `${message}${causeText}` : String(error);
  if (name === 'TimeoutError' || name === 'AbortError')
    return { outcome: 'retriable', reason: 'timeout', detail };
  return { outcome: 'retriable', reason: 'network', detail };
}
