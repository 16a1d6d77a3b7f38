/**
 * Access-control variant (PUSH 3.x): `POST /iclock/cdata?SN=..&table=rtlog`, one real-time event per
 * line as TAB-separated `key=value` pairs:
 * `time=2026-11-21 07:41:02\tpin=10001\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=0\tverifytype=15\tindex=42`.
 * `index` is the device's record number (the dedup key), `inoutstatus` the direction (0 in, 1 out,
 * 2 none), `event` what happened (a pass, a refusal, a door alarm, ...).
 */
import { parseDeviceTime } from '@realname/contracts';
import { directionOfStatus, optionalInt, VerifyMode, verifyModeOf, ZK_PIN } from './attlog';
import { isLineError, lineError, LineError, LinesResult, parseKeyValues, splitLines } from './zkteco-text';

/**
 * Event codes where a person passed (ZKTeco access event table): 0 normal verify open, 1 verify during
 * a normal-open period, 2 first-card normal open, 3 multi-card open, 14 fingerprint open, 15 multi-card
 * open by fingerprint, 16 fingerprint during a normal-open period, 17 card plus fingerprint open,
 * 18/19 first-card normal open by fingerprint / card plus fingerprint. Everything else (refusals such as
 * 20-30, door and alarm events from 100 up, 200+ door state) is not a punch.
 */
export const PASS_EVENTS: ReadonlySet<number> = new Set([0, 1, 2, 3, 14, 15, 16, 17, 18, 19]);

export interface RtlogRecord {
  line: number;
  /** The device's record number, when it is a usable id. */
  index?: string;
  pin: string;
  time: string;
  punchedAt: Date;
  event: number;
  direction?: 'in' | 'out';
  verifyMode: VerifyMode;
  /** A person passed: a pass event with a user PIN (pin 0 / empty means "no user"). */
  pass: boolean;
}

const INDEX = /^[0-9A-Za-z_-]{1,40}$/;

export function parseRtlogLine(text: string, line: number, timeZone: string): RtlogRecord | LineError {
  const kv = parseKeyValues(text, '\t');
  const time = kv.get('time') ?? '';
  if (!time) return lineError(line, 'time', 'is missing: rtlog lines need time=YYYY-MM-DD HH:mm:ss', text);
  const punchedAt = parseDeviceTime(time, timeZone);
  if (!punchedAt)
    return lineError(
      line,
      'time',
      `"${time.slice(0, 32)}" is not a valid time; send time=YYYY-MM-DD HH:mm:ss (device local)`,
      text,
    );
  const event = optionalInt(kv.get('event'));
  if (event === undefined)
    return lineError(line, 'event', 'must be the event code (a number; 0 is a normal pass)', text);
  const pin = kv.get('pin') ?? '';
  const hasPerson = ZK_PIN.test(pin) && pin !== '0';
  const record: RtlogRecord = {
    line,
    pin,
    time,
    punchedAt,
    event,
    verifyMode: verifyModeOf(optionalInt(kv.get('verifytype'))),
    pass: hasPerson && PASS_EVENTS.has(event),
  };
  const index = kv.get('index');
  if (index && INDEX.test(index)) record.index = index;
  const direction = directionOfStatus(optionalInt(kv.get('inoutstatus')));
  if (direction) record.direction = direction;
  return record;
}

export function parseRtlog(text: string, timeZone: string): LinesResult<RtlogRecord> {
  const out: LinesResult<RtlogRecord> = { records: [], errors: [] };
  for (const { line, text: t } of splitLines(text)) {
    const r = parseRtlogLine(t, line, timeZone);
    if (isLineError(r)) out.errors.push(r);
    else out.records.push(r);
  }
  return out;
}
