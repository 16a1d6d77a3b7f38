/**
 * Time helpers shared by producers and consumers of punches. Devices send wall-clock times in their own
 * zone; the platform stores instants (UTC) and derives calendar days in the project's zone.
 */

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = dtfCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    dtfCache.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function intlParts(instant: Date, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

// Offsets change only at transitions on quarter-hour boundaries: one Intl lookup per zone and quarter
// hour instead of one per punch (formatToParts is the costliest step of parsing a device time).
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, number>();

/** The zone's offset from UTC at that instant, in minutes (Asia/Shanghai: 480). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(instant.getTime() / QUARTER_HOUR_MS)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const p = intlParts(instant, timeZone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    offset = Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
    if (offsetCache.size >= 100_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

/** The wall-clock fields of an instant in a zone. */
function parts(instant: Date, timeZone: string): Record<string, number> {
  const local = new Date(instant.getTime() + zoneOffsetMinutes(instant, timeZone) * 60_000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/**
 * An instant as a wall clock in the zone shows it, `YYYY-MM-DD HH:mm:ss` (whole seconds): the local time
 * devices write in their records and read in queries.
 */
export function formatLocalTime(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** The calendar day (YYYY-MM-DD) of an instant in a zone. */
export function localDay(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parses a device time: RFC 3339 with an offset is taken as is; a bare local time
 * (`YYYY-MM-DD HH:mm:ss`) is read in the device's zone. Returns undefined when it is neither.
 */
export function parseDeviceTime(text: string, timeZone: string): Date | undefined {
  if (RFC3339.test(text)) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const m = LOCAL.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const naive = Date.UTC(y, mo - 1, d, h, mi, s);
  // Two passes settle the offset around daylight-saving changes (none in China, but devices abroad exist).
  let guess = naive - zoneOffsetMinutes(new Date(naive), timeZone) * 60000;
  guess = naive - zoneOffsetMinutes(new Date(guess), timeZone) * 60000;
  const back = parts(new Date(guess), timeZone);
  if (back.day !== d || back.month !== mo) return undefined; // e.g. 31 February
  return new Date(guess);
}
