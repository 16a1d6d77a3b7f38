/**
 * `POST /iclock/cdata?SN=..&table=ATTLOG`: one punch per line, TAB-separated:
 * `PIN \t YYYY-MM-DD HH:mm:ss \t Status \t Verify \t Workcode \t Reserved \t Reserved [\t Mask \t Temperature]`.
 * The time is the device's wall clock without an offset; the gateway reads it in the device's zone.
 */
import { parseDeviceTime } from '@realname/contracts';
import { isLineError, lineError, LineError, LinesResult, splitLines } from './zkteco-text';

export type VerifyMode = 'face' | 'card' | 'fingerprint' | 'password' | 'qr' | 'idcard' | 'iris' | 'other';

/** A user's PIN as ZKTeco firmware accepts it (24 characters at most on current firmware). */
export const ZK_PIN = /^[0-9A-Za-z_.-]{1,24}$/;

export interface AttlogRecord {
  /** The line of the body it came from (1-based). */
  line: number;
  pin: string;
  /** The time exactly as sent. */
  time: string;
  punchedAt: Date;
  /** The raw Status field (0 check-in, 1 check-out, 2-5 breaks and overtime); absent when not a number. */
  status?: number;
  /** The raw Verify field; absent when not a number. */
  verify?: number;
  workCode?: string;
  /** From Status: 0 in, 1 out; any other status leaves it to the device's default direction. */
  direction?: 'in' | 'out';
  verifyMode: VerifyMode;
}

/**
 * The verification codes every firmware agrees on (1 fingerprint, 15 face) and the two of the
 * VerifyType table that attendance records use the same way (3 password, 4 card). Other codes mean
 * different things on different firmware (0 is "password" on some, "any" on others) and become "other".
 */
const VERIFY_MODES: Record<number, VerifyMode> = { 1: 'fingerprint', 3: 'password', 4: 'card', 15: 'face' };

export function verifyModeOf(code: number | undefined): VerifyMode {
  return code === undefined ? 'other' : (VERIFY_MODES[code] ?? 'other');
}

export function directionOfStatus(status: number | undefined): 'in' | 'out' | undefined {
  if (status === 0) return 'in';
  if (status === 1) return 'out';
  return undefined;
}

/** A whole number field; undefined when empty or not a number (optional fields are tolerated). */
export function optionalInt(text: string | undefined): number | undefined {
  const t = (text ?? '').trim();
  return /^-?\d{1,9}$/.test(t) ? Number(t) : undefined;
}

export function parseAttlogLine(text: string, line: number, timeZone: string): AttlogRecord | LineError {
  const fields = text.split('\t').map((f) => f.trim());
  const [pin, time] = fields;
  if (!pin || !ZK_PIN.test(pin))
    return lineError(
      line,
      'PIN',
      'must be the user PIN: 1-24 letters or digits, first field of the line',
      text,
    );
  if (time === undefined || time === '')
    return lineError(
      line,
      'time',
      'is missing: the second field must be the punch time YYYY-MM-DD HH:mm:ss',
      text,
    );
  const punchedAt = parseDeviceTime(time, timeZone);
  if (!punchedAt)
    return lineError(
      line,
      'time',
      `"${time.slice(0, 32)}" is not a valid time; send YYYY-MM-DD HH:mm:ss (device local)`,
      text,
    );
  const status = optionalInt(fields[2]);
  const verify = optionalInt(fields[3]);
  const record: AttlogRecord = {
    line,
    pin,
    time,
    punchedAt,
    verifyMode: verifyModeOf(verify),
  };
  if (status !== undefined) record.status = status;
  if (verify !== undefined) record.verify = verify;
  if (fields[4]) record.workCode = fields[4];
  const direction = directionOfStatus(status);
  if (direction) record.direction = direction;
  return record;
}

/** Every line that holds a punch is returned; each line that does not becomes an error naming the field. */
export function parseAttlog(text: string, timeZone: string): LinesResult<AttlogRecord> {
  const out: LinesResult<AttlogRecord> = { records: [], errors: [] };
  for (const { line, text: t } of splitLines(text)) {
    const r = parseAttlogLine(t, line, timeZone);
    if (isLineError(r)) out.errors.push(r);
    else out.records.push(r);
  }
  return out;
}

/** The body's lines that are in `errors`, to keep them (and only them) as the refused part of a request. */
export function linesOf(text: string, errors: LineError[]): string {
  const wanted = new Set(errors.map((e) => e.line));
  return text
    .split('\n')
    .filter((_, i) => wanted.has(i + 1))
    .join('\n');
}
