/**
 * A tolerant binary multipart parser (RFC 7578 form-data, RFC 2046 multipart) for device uploads.
 *
 * Devices send bodies that a strict parser refuses: the closing delimiter is missing, the body is cut off
 * inside a JPEG part (the connection dropped or the firmware capped the size), line ends are bare LF, the
 * boundary parameter is quoted or oddly cased, or the Content-Type carries no boundary at all. This parser
 * works on the bytes (never decodes a binary part as text), runs in linear time (Buffer.indexOf), never
 * throws, and reports what it could not complete:
 * - a part whose data runs to the end of the body without a following delimiter is returned with the bytes
 *   that arrived and `truncated: true`;
 * - a part cut off inside its headers is dropped (`truncated: true`): its name is unknown;
 * - a body with no delimiter line at all, or no boundary to look for, is an error.
 */

export interface MultipartPart {
  /** `name` of the Content-Disposition header (form field name). */
  name?: string;
  /** `filename` of the Content-Disposition header. */
  filename?: string;
  /** The part's Content-Type (lower-cased media type with its parameters as sent). */
  contentType?: string;
  /** The part's bytes (a view into the body, not a copy). */
  data: Buffer;
}

export interface MultipartResult {
  parts: MultipartPart[];
  /** The body ended before the closing delimiter (`--boundary--`). */
  truncated: boolean;
}

/** Most parts taken from one body; the rest is ignored (and reported as truncated). */
export const MULTIPART_MAX_PARTS = 64;
/** Longest header block of one part; a longer one is taken as garbage. */
const MAX_HEADER_BYTES = 16 * 1024;
/** RFC 2046 limits boundaries to 70 characters; devices stay well within. Be generous, not unbounded. */
const MAX_BOUNDARY = 200;

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');

/**
 * Reads the boundary parameter of a multipart Content-Type (`boundary=abc`, `Boundary="a b"`), or
 * undefined when there is none or it is unusable.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const params = parseHeaderParams(contentType);
  const b = params.get('boundary');
  if (b === undefined || b.length === 0 || b.length > MAX_BOUNDARY) return undefined;
  return b;
}

/**
 * Splits a multipart body into its parts. The boundary comes from the Content-Type; when the header has
 * none (seen on some firmware), the body's own first line is used if it looks like a delimiter (`--xyz`).
 */
export function parseMultipart(body: Buffer, contentType: string): MultipartResult | { error: string } {
  try {
    return parse(body, contentType);
  } catch (err) {
    // Defensive: nothing above is expected to throw, but a device must never crash the gateway.
    return { error: `multipart body could not be read: ${(err as Error).message}` };
  }
}

function parse(body: Buffer, contentType: string): MultipartResult | { error: string } {
  if (!Buffer.isBuffer(body) || body.length === 0) return { error: 'the multipart body is empty' };
  const boundary = multipartBoundary(contentType) ?? sniffBoundary(body);
  if (!boundary)
    return { error: 'the Content-Type names no multipart boundary and the body starts with none' };
  const delimiter = Buffer.from('--' + boundary, 'latin1');

  // The first delimiter: at the very start, or after a preamble and a line end.
  let pos = firstDelimiter(body, delimiter);
  if (pos < 0)
    return { error: `the body contains no delimiter line for boundary "${boundary.slice(0, 70)}"` };

  const parts: MultipartPart[] = [];
  let truncated = false;
  for (;;) {
    pos += delimiter.length;
    // "--" right after the delimiter closes the body (epilogue ignored).
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (pos >= body.length) {
      truncated = true;
      break;
    }
    // Transport padding (spaces, tabs) then the line end.
    while (pos < body.length && (body[pos] === 0x20 || body[pos] === 0x09)) pos++;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else if (body[pos] === 0x0a) pos += 1;
    else if (pos >= body.length) {
      truncated = true;
      break;
    }
    // Anything else right after the delimiter: the boundary string occurred inside data without a line
    // end before it (not a delimiter at all); treat it as the start of headers anyway, tolerantly.

    const headerEnd = findHeaderEnd(body, pos);
    if (!headerEnd) {
      // Cut inside the headers (or garbage without a blank line): the part cannot be named.
      truncated = true;
      break;
    }
    const headers = parseHeaders(body.subarray(pos, headerEnd.start));
    const dataStart = headerEnd.next;

    // The data runs to the next "<line end>--boundary".
    const next = nextDelimiter(body, delimiter, dataStart);
    const part: MultipartPart = {
      data: next
        ? body.subarray(dataStart, next.dataEnd)
        : withoutPartialDelimiter(body.subarray(dataStart), delimiter),
    };
    const disposition = headers.get('content-disposition');
    if (disposition !== undefined) {
      const params = parseHeaderParams(disposition);
      const name = params.get('name');
      const filename = params.get('filename');
      if (name !== undefined) part.name = name;
      if (filename !== undefined) part.filename = filename;
    }
    const ct = headers.get('content-type');
    if (ct !== undefined && ct.length > 0) part.contentType = ct.trim();
    parts.push(part);

    if (!next) {
      truncated = true;
      break;
    }
    if (parts.length >= MULTIPART_MAX_PARTS) {
      truncated = true;
      break;
    }
    pos = next.delimiterStart;
  }
  return { parts, truncated };
}

/** A body without a boundary in its Content-Type: accept it if it begins with a plausible delimiter line. */
function sniffBoundary(body: Buffer): string | undefined {
  let start = 0;
  while (start < body.length && (body[start] === 0x0d || body[start] === 0x0a)) start++;
  if (body[start] !== 0x2d || body[start + 1] !== 0x2d) return undefined;
  let end = start + 2;
  while (end < body.length && end - start <= MAX_BOUNDARY + 2 && body[end] !== 0x0d && body[end] !== 0x0a)
    end++;
  if (end >= body.length || end - start > MAX_BOUNDARY + 2) return undefined;
  const candidate = body.toString('latin1', start + 2, end).replace(/[ \t]+$/, '');
  // A boundary is printable ASCII; anything else is not a delimiter line.
  if (candidate.length === 0 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(candidate)) return undefined;
  return candidate;
}

/**
 * A body cut off just inside the delimiter that follows a part ends with a piece of `\r\n--boundary`:
 * that piece is not data. Removes the longest such tail (a line end followed by a prefix of the delimiter).
 */
function withoutPartialDelimiter(data: Buffer, delimiter: Buffer): Buffer {
  const maxTail = Math.min(data.length, delimiter.length + 2);
  for (let len = maxTail; len >= 1; len--) {
    const start = data.length - len;
    let j = start;
    if (data[j] === 0x0d) j++;
    if (j < data.length && data[j] === 0x0a) j++;
    else if (j === data.length && data[start] === 0x0d) return data.subarray(0, start);
    else continue;
    const rest = data.length - j;
    if (rest <= delimiter.length && data.compare(delimiter, 0, rest, j, data.length) === 0)
      return data.subarray(0, start);
  }
  return data;
}

function firstDelimiter(body: Buffer, delimiter: Buffer): number {
  if (startsWithAt(body, delimiter, 0)) return 0;
  let from = 0;
  for (;;) {
    const i = body.indexOf(delimiter, from);
    if (i < 0) return -1;
    if (i > 0 && body[i - 1] === 0x0a) return i;
    from = i + 1;
  }
}

/**
 * The next delimiter at or after `from` that starts a line: returns where the part's data ends (before
 * the line end that belongs to the delimiter) and where the delimiter starts.
 */
function nextDelimiter(
  body: Buffer,
  delimiter: Buffer,
  from: number,
): { dataEnd: number; delimiterStart: number } | undefined {
  let search = from;
  for (;;) {
    const i = body.indexOf(delimiter, search);
    if (i < 0) return undefined;
    if (i >= 2 && body[i - 1] === 0x0a && body[i - 2] === 0x0d && i - 2 >= from)
      return { dataEnd: i - 2, delimiterStart: i };
    if (i >= 1 && body[i - 1] === 0x0a && i - 1 >= from) return { dataEnd: i - 1, delimiterStart: i };
    // An empty part whose delimiter directly follows the headers' blank line.
    if (i === from) return { dataEnd: i, delimiterStart: i };
    search = i + 1;
  }
}

/** The blank line ending a header block: CRLF CRLF or LF LF (or a mix), within MAX_HEADER_BYTES. */
function findHeaderEnd(body: Buffer, from: number): { start: number; next: number } | undefined {
  // A part with no headers at all: the blank line comes first.
  if (body[from] === 0x0d && body[from + 1] === 0x0a) return { start: from, next: from + 2 };
  if (body[from] === 0x0a) return { start: from, next: from + 1 };
  const limit = Math.min(body.length, from + MAX_HEADER_BYTES);
  let i = from;
  while (i < limit) {
    const lf = body.indexOf(LF, i);
    if (lf < 0 || lf >= limit) return undefined;
    // The line after this LF is empty when it begins with CRLF or LF.
    if (body[lf + 1] === 0x0d && body[lf + 2] === 0x0a) return { start: lf + 1, next: lf + 3 };
    if (body[lf + 1] === 0x0a) return { start: lf + 1, next: lf + 2 };
    i = lf + 1;
  }
  return undefined;
}

/** Header lines to a map of lower-case names; folded continuation lines are joined. */
function parseHeaders(block: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  // Header values are ASCII in practice; UTF-8 file names occur (RFC 7578 allows it), so decode as UTF-8.
  const text = block.toString('utf8');
  let last: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    if (rawLine.length === 0) continue;
    if ((rawLine[0] === ' ' || rawLine[0] === '\t') && last !== undefined) {
      out.set(last, (out.get(last) ?? '') + ' ' + rawLine.trim());
      continue;
    }
    const colon = rawLine.indexOf(':');
    if (colon <= 0) continue;
    const name = rawLine.slice(0, colon).trim().toLowerCase();
    if (!out.has(name)) out.set(name, rawLine.slice(colon + 1).trim());
    last = name;
  }
  return out;
}

/**
 * `value; a=1; b="x;y"` parameters (names lower-cased, quotes and backslash escapes removed). Also
 * accepts RFC 5987 `filename*=utf-8''...` (decoded, preferred over `filename`).
 */
export function parseHeaderParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const extended = new Map<string, string>();
  let i = value.indexOf(';');
  if (i < 0) return out;
  i++;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ' ' || value[i] === '\t' || value[i] === ';')) i++;
    const nameStart = i;
    while (i < n && value[i] !== '=' && value[i] !== ';') i++;
    const name = value.slice(nameStart, i).trim().toLowerCase();
    if (i >= n || value[i] === ';') continue; // a flag without a value
    i++; // '='
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < n) i++;
        v += value[i];
        i++;
      }
      i++; // closing quote (or past the end)
      while (i < n && value[i] !== ';') i++;
    } else {
      const start = i;
      while (i < n && value[i] !== ';') i++;
      v = value.slice(start, i).trim();
    }
    if (!name) continue;
    if (name.endsWith('*')) extended.set(name.slice(0, -1), decodeExtended(v));
    else if (!out.has(name)) out.set(name, v);
  }
  for (const [k, v] of extended) if (v) out.set(k, v);
  return out;
}

function decodeExtended(v: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(v);
  const encoded = m ? m[2] : v;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function startsWithAt(body: Buffer, needle: Buffer, at: number): boolean {
  if (at + needle.length > body.length) return false;
  return body.compare(needle, 0, needle.length, at, at + needle.length) === 0;
}

/** Builds a multipart/form-data body (for simulators and tests); returns the body and its Content-Type. */
export function buildMultipart(
  parts: { name: string; filename?: string; contentType?: string; data: Buffer | string }[],
  boundary = 'MIME_boundary_' + Math.random().toString(16).slice(2),
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const data = typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data;
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    head += `Content-Length: ${data.length}\r\n\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), data, CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
