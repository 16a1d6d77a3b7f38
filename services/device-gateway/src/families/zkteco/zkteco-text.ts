/**
 * Text helpers shared by the ZKTeco PUSH parsers and renderers: line splitting, TAB-separated
 * `key=value` fields and the device character set (GB2312 for Chinese-language devices). Device-local
 * wall-clock times are `formatLocalTime` of @realname/contracts.
 */
import * as iconv from 'iconv-lite';

/** `language=83` in the options exchange: the device is set to Simplified Chinese and writes GB2312. */
export const ZK_LANGUAGE_SIMPLIFIED_CHINESE = '83';

/** One line of a body that could not be used, with what is wrong and what the device should send. */
export interface LineError {
  /** 1-based line number in the body (0 when the problem is the body as a whole). */
  line: number;
  /** The field at fault, e.g. `time`, `PIN`, `ID`. */
  field: string;
  message: string;
  /** The start of the offending line, for the logs. */
  text: string;
}

/** What a multi-line parser returns: every usable record, and one error per line it could not use. */
export interface LinesResult<T> {
  records: T[];
  errors: LineError[];
}

const EXCERPT = 80;

export function isLineError(x: object): x is LineError {
  return 'field' in x && 'message' in x && 'line' in x;
}

export function lineError(line: number, field: string, message: string, text: string): LineError {
  return { line, field, message, text: printable(text).slice(0, EXCERPT) };
}

/** Shows control characters as `\xNN` so a logged excerpt stays on one line. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000a-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Splits on LF (CRLF tolerated) and drops blank lines; each line keeps its 1-based number in the body. */
export function splitLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.trim() !== '') out.push({ line: i + 1, text: t });
  });
  return out;
}

/**
 * Parses `key=value` pairs separated by `separator` (TAB for ATTLOG-era tables, `&` for command
 * results). Keys are matched case-insensitively (firmware differs: `PIN`/`pin`, `Return`/`return`), so
 * they are returned lower-cased; the first occurrence of a key wins. Pieces without `=` are ignored.
 */
export function parseKeyValues(text: string, separator: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const piece of text.split(separator)) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    if (!out.has(key)) out.set(key, piece.slice(eq + 1).trim());
  }
  return out;
}

/** A value put into a TAB-separated command line: TAB, CR and LF would break the line, so they become spaces. */
export function fieldValue(value: string | undefined): string {
  return (value ?? '').replace(/[\t\r\n]/g, ' ').trim();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030', { fatal: true });

/**
 * Decodes what a device wrote. A Chinese-language device (`language=83`) writes GB2312, decoded here
 * as GB18030 (its superset). Otherwise UTF-8 is expected; bytes that are not valid UTF-8 but are
 * valid GB18030 are taken as GB18030 (a Chinese device whose language the gateway has not learnt yet,
 * e.g. after a restart), and anything else is decoded as UTF-8 with replacement characters.
 */
export function decodeDeviceText(bytes: Buffer, language?: string): string {
  if (language === ZK_LANGUAGE_SIMPLIFIED_CHINESE) return iconv.decode(bytes, 'gb18030');
  try {
    return utf8.decode(bytes);
  } catch {
    try {
      return gb18030.decode(bytes);
    } catch {
      return bytes.toString('utf8');
    }
  }
}

/** Encodes text for a device: GB2312 (GBK) for a Chinese-language device, UTF-8 otherwise. */
export function encodeDeviceText(text: string, language?: string): Buffer {
  return language === ZK_LANGUAGE_SIMPLIFIED_CHINESE
    ? iconv.encode(text, 'gb2312')
    : Buffer.from(text, 'utf8');
}

/** The `Content-Type` of a text reply in the device's character set. */
export function deviceTextContentType(language?: string): string {
  return `text/plain; charset=${language === ZK_LANGUAGE_SIMPLIFIED_CHINESE ? 'gb2312' : 'utf-8'}`;
}

/** An RFC 7231 IMF-fixdate (`Sat, 21 Nov 2026 07:41:02 GMT`), what ZKTeco firmware sets its clock from. */
export function httpDate(instant: Date): string {
  return instant.toUTCString();
}

/** `line 3: time "x" is not a valid time...; line 5: ...` (the first five). */
export function describeErrors(errors: LineError[]): string {
  const shown = errors
    .slice(0, 5)
    .map((e) => `${e.line > 0 ? `line ${e.line}: ` : ''}${e.field} ${e.message}`)
    .join('; ');
  return errors.length > 5 ? `${shown}; and ${errors.length - 5} more` : shown;
}
