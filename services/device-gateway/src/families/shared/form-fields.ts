import { parseMultipart } from './multipart';

/**
 * Reading the flat field sets that Uface terminals (and, tolerated, HTTPv2 terminals) send: a JSON
 * object, an `application/x-www-form-urlencoded` body or `multipart/form-data`. Firmware labels bodies
 * carelessly, so the bytes decide where the header is wrong: a body that starts with `{` is tried as
 * JSON first. Nothing here throws.
 */

/** Most fields taken from one body; a callback has about fifteen. */
export const MAX_FIELDS = 200;
/** Longest field name kept; longer names are not part of any protocol. */
const MAX_NAME = 64;

export type FieldsFormat = 'json' | 'form' | 'multipart' | 'empty';

export type FieldsResult =
  | { ok: true; fields: Map<string, string>; format: FieldsFormat }
  | { ok: false; field: '(body)'; message: string };

/**
 * Decodes one `application/x-www-form-urlencoded` component from its bytes: `+` is a space, `%XX` a
 * byte, the result UTF-8. A broken escape (`%G1`, a lone `%`) is kept as text instead of failing the
 * whole body, unlike decodeURIComponent.
 */
export function decodeFormComponent(raw: Buffer): string {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === 0x2b) {
      out[n++] = 0x20;
    } else if (c === 0x25 && i + 2 < raw.length && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      out[n++] = (hexValue(raw[i + 1]) << 4) | hexValue(raw[i + 2]);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n).toString('utf8');
}

function isHex(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
  );
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/** Splits a form body into fields; the first occurrence of a name wins. */
export function parseFormBody(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let start = 0;
  while (start <= body.length && fields.size < MAX_FIELDS) {
    let end = body.indexOf(0x26 /* & */, start);
    if (end < 0) end = body.length;
    if (end > start) {
      const pair = body.subarray(start, end);
      const eq = pair.indexOf(0x3d /* = */);
      const name = decodeFormComponent(eq < 0 ? pair : pair.subarray(0, eq)).trim();
      const value = eq < 0 ? '' : decodeFormComponent(pair.subarray(eq + 1));
      if (name && name.length <= MAX_NAME && !fields.has(name)) fields.set(name, value);
    }
    start = end + 1;
  }
  return fields;
}

/** A JSON value as the text a form field would carry (objects and arrays as JSON, null dropped). */
export function fieldText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The first byte that is not white space (after a UTF-8 byte order mark). */
function firstByte(body: Buffer): number | undefined {
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  for (let i = start; i < body.length; i++) {
    const b = body[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

/** The body's fields, whatever of the three encodings it uses. */
export function readFields(body: Buffer, contentType: string | undefined): FieldsResult {
  const type = (contentType ?? '').toLowerCase();
  if (!Buffer.isBuffer(body) || body.length === 0) return { ok: true, fields: new Map(), format: 'empty' };

  if (type.startsWith('multipart/')) {
    const parsed = parseMultipart(body, contentType ?? '');
    if ('error' in parsed) return { ok: false, field: '(body)', message: parsed.error };
    const fields = new Map<string, string>();
    for (const part of parsed.parts) {
      if (!part.name || part.name.length > MAX_NAME || fields.has(part.name)) continue;
      if (fields.size >= MAX_FIELDS) break;
      // A file part (a photo sent as a file) is carried on as base64, like the inline photo fields.
      fields.set(
        part.name,
        part.filename !== undefined ? part.data.toString('base64') : part.data.toString('utf8'),
      );
    }
    return { ok: true, fields, format: 'multipart' };
  }

  const looksJson = firstByte(body) === 0x7b; /* { */
  if (type.includes('json') || looksJson) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      if (type.includes('json') || !type.includes('form'))
        return { ok: false, field: '(body)', message: `is not valid JSON: ${(err as Error).message}` };
      return { ok: true, fields: parseFormBody(body), format: 'form' };
    }
    if (!json || typeof json !== 'object' || Array.isArray(json))
      return { ok: false, field: '(body)', message: 'must be a JSON object of fields' };
    const fields = new Map<string, string>();
    for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
      if (fields.size >= MAX_FIELDS) break;
      if (name.length > MAX_NAME) continue;
      const text = fieldText(value);
      if (text !== undefined) fields.set(name, text);
    }
    return { ok: true, fields, format: 'json' };
  }
  return { ok: true, fields: parseFormBody(body), format: 'form' };
}
