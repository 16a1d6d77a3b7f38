/**
 * Request signing of the national docking protocol (v1.1.x and its provincial clones): every form field
 * but `sign`, sorted by key, joined as raw `key=value` with `&`, then `&appsecret=<secret>`, the whole
 * string lower-cased, SHA-256, lower-case hex.
 */
import { createHash } from 'node:crypto';

/** Form fields that travel with every call, in the order the protocol lists them. */
export const NATIONAL_FORM_FIELDS = [
  'appid',
  'method',
  'version',
  'format',
  'timestamp',
  'nonce',
  'data',
  'corpsign',
] as const;

/** ASCII order of keys, spelled out so a locale-aware comparison can never creep in. */
function asciiOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `sign` of a call; `fields` must not contain `sign` itself. */
export function nationalSignature(fields: Readonly<Record<string, string>>, secret: string): string {
  const joined = Object.keys(fields)
    .filter((key) => key !== 'sign')
    .sort(asciiOrder)
    .map((key) => `${key}=${fields[key]}`)
    .join('&');
  return createHash('sha256').update(`${joined}&appsecret=${secret}`.toLowerCase(), 'utf8').digest('hex');
}

/** The platform's clock is China Standard Time, which has no daylight saving: a fixed UTC+8. */
const CHINA_OFFSET_MS = 8 * 3600 * 1000;

function chinaParts(at: Date): { date: string; time: string } {
  const iso = new Date(at.getTime() + CHINA_OFFSET_MS).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** `yyyyMMddHHmmss` in the platform's local time, as the `timestamp` field wants it. */
export function platformTimestamp(at: Date): string {
  const { date, time } = chinaParts(at);
  return `${date.replace(/-/g, '')}${time.replace(/:/g, '')}`;
}

/** `yyyy-MM-dd HH:mm:ss` in the platform's local time, the format of payload dates. */
export function platformDateTime(at: Date): string {
  const { date, time } = chinaParts(at);
  return `${date} ${time}`;
}

/** Reads a `timestamp` field back as an instant; undefined when it is not a real `yyyyMMddHHmmss`. */
export function parsePlatformTimestamp(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) - CHINA_OFFSET_MS;
  const at = new Date(utc);
  // Date.UTC rolls 20260231 over into March; a round trip catches such impossible dates.
  return platformTimestamp(at) === text ? at : undefined;
}
