import type { ZodError } from 'zod';
import type { FieldProblem, Result } from '@realname/contracts';

/** The field of the body as a whole (not JSON, not an object). */
export const BODY_FIELD = '(body)';

/**
 * Bytes to JSON. An empty body, bytes that are not UTF-8, a byte-order mark and anything JSON.parse
 * refuses are problems of `(body)`; nothing here throws.
 */
export function parseJsonBody(body: Buffer): Result<unknown> {
  if (body.length === 0) {
    return { ok: false, problems: [{ field: BODY_FIELD, message: 'is empty: send a JSON object' }] };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return { ok: false, problems: [{ field: BODY_FIELD, message: 'is not UTF-8 text' }] };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return {
      ok: false,
      problems: [{ field: BODY_FIELD, message: 'starts with a byte-order mark: send plain UTF-8 JSON' }],
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      ok: false,
      problems: [
        {
          field: BODY_FIELD,
          message: `is not valid JSON (${err instanceof Error ? err.message.slice(0, 200) : 'parse error'})`,
        },
      ],
    };
  }
}

/**
 * Zod issues as field problems named the way the document names fields: `punches[3].time`,
 * `results[0].commandId`, `(body)` for the body itself; an unknown key is named itself
 * (`punches[0].temperature`) so that a typo is found at once.
 */
export function wireProblems(error: ZodError): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          field: fieldName([...issue.path, key]),
          message: 'is not a field of this message (check the spelling; unknown fields are refused)',
        });
      }
    } else {
      out.push({ field: fieldName(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * `['punches', 3, 'time']` -> `punches[3].time`; `[]` -> `(body)`. A key that is not a plain name
 * (a device may send any key) is quoted: `punches[0]["temp (C)"]`, so a name is never ambiguous.
 */
export function fieldName(path: readonly (string | number)[]): string {
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else if (PLAIN_KEY.test(part)) name += name ? `.${part}` : part;
    else name += `[${quoteKey(part)}]`;
  }
  return name || BODY_FIELD;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A key from the sender as a short, ASCII-only JSON string. */
function quoteKey(key: string): string {
  const clipped = key.length > 64 ? `${key.slice(0, 64)}...` : key;
  return JSON.stringify(clipped).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const OFFSET_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * RFC 3339 with a mandatory offset (`Z` or `+08:00`); every part checked against the calendar (no
 * 31 February, no hour 24). Undefined when it is not one.
 */
export function parseOffsetTime(text: string): Date | undefined {
  const m = OFFSET_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000);
}
