import { createHash } from 'node:crypto';
import type { FieldProblem, PunchDirection, Result } from '@realname/contracts';
import { parseDeviceTime } from '@realname/contracts';
import type { DeviceCommand, PersonDelete, PersonUpsert } from '../../commands/command-queue';
import { sniffImageType } from '../../photos/photo-store';
import { MultipartResult, parseMultipart } from '../shared/multipart';
import { fieldText, readFields } from '../shared/form-fields';

/**
 * The generic "HTTPv2" face terminal messages (PROTOCOL.md in this folder). Everything is initiated by
 * the device; a reply without `"Success":1` makes it try again (records: every 10 s). Pure functions:
 * bodies in, typed values or field problems out; never throws.
 */

/** The photo limit of the protocol; a larger photo is dropped and the record kept. */
export const HTTPV2_MAX_PHOTO_BYTES = 50 * 1024;
/** Most people one download hands out; a larger Limit is cut to this. */
export const HTTPV2_MAX_LIMIT = 100;
/** People handed out when the device names no Limit. */
export const HTTPV2_DEFAULT_LIMIT = 10;

const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const MAX_ID = 64;
const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;

/** Error codes of a `"Success":0` reply. */
export const HttpV2ErrorCode = {
  /** A field is missing or not valid (ErrorMsg names it): fix the message, resending it unchanged will not help. */
  malformed: 1001,
  /** Unknown SN, disabled device, or the token in the URL is not this device's. */
  unauthenticated: 1002,
  /** The gateway could not store the message now: send it again. */
  unavailable: 1003,
} as const;

export interface HttpV2Reply {
  Success: 0 | 1;
  ErrorCode?: number;
  ErrorMsg?: string;
  Errors?: { Field: string; Message: string }[];
  [extra: string]: unknown;
}

export function v2Ok(extra: Record<string, unknown> = {}): HttpV2Reply {
  return { Success: 1, ...extra };
}

export function v2Error(code: number, problems: FieldProblem[] | string): HttpV2Reply {
  if (typeof problems === 'string') return { Success: 0, ErrorCode: code, ErrorMsg: problems.slice(0, 1000) };
  return {
    Success: 0,
    ErrorCode: code,
    ErrorMsg: problems
      .map((p) => `${p.field}: ${p.message}`)
      .join('; ')
      .slice(0, 1000),
    Errors: problems.slice(0, 50).map((p) => ({ Field: p.field, Message: p.message })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Body reading

export type Body = Record<string, unknown>;

/**
 * A JSON object body (the protocol's form). Tolerated: form fields, and JSON sent as text/plain or
 * form. A key repeated in JSON keeps its last value (JSON.parse); the prototype is never touched.
 */
export function readBody(body: Buffer, contentType: string | undefined): Result<Body> {
  const read = readFields(body, contentType);
  if (!read.ok) return { ok: false, problems: [{ field: read.field, message: read.message }] };
  if (read.format === 'json') {
    // Keep the JSON types (RecordDetail as an object, Results as an array): parse again, safely.
    const parsed = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
    const out: Body = Object.create(null) as Body;
    for (const [k, v] of Object.entries(parsed)) out[k] = v;
    return { ok: true, value: out };
  }
  const out: Body = Object.create(null) as Body;
  for (const [k, v] of read.fields) out[k] = v;
  return { ok: true, value: out };
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function printable(s: string): boolean {
  return !/[\u0000-\u001f\u007f]/.test(s);
}

/** The serial number: required in every message; the device is looked up by it. */
export function readSerial(body: Body, problems: FieldProblem[], field = 'SN'): string | undefined {
  const sn = str(body[field]);
  if (sn === undefined) {
    problems.push({ field, message: 'is required: the serial number of the device' });
    return undefined;
  }
  if (!SERIAL.test(sn)) {
    problems.push({
      field,
      message: 'must be 1-64 letters, digits, dot, colon, underscore or hyphen, as registered',
    });
    return undefined;
  }
  return sn;
}

// ---------------------------------------------------------------------------------------------------
// Device -> gateway

export interface HttpV2Keepalive {
  SN: string;
  /** The device's reading of "now" (`DeviceTime`, or `Time`), when it sent one. */
  deviceClock?: Date;
  notes: string[];
}

/**
 * A device time: epoch seconds (the protocol's form; number or text), tolerated: epoch milliseconds
 * (13 digits), local `YYYY-MM-DD HH:mm:ss` in the device zone, RFC 3339.
 */
export function parseV2Time(
  value: unknown,
  timeZone: string,
): { at: Date; text: string } | { message: string } {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value))
      return { message: `${String(value).slice(0, 20)} is not whole epoch seconds` };
    text = String(value);
  } else if (typeof value === 'string') text = value.trim();
  else return { message: 'is required: epoch seconds, e.g. 1763683262' };
  let at: Date | undefined;
  if (/^\d{9,10}$/.test(text)) at = new Date(Number(text) * 1000);
  else if (/^\d{12,13}$/.test(text)) at = new Date(Number(text));
  else if (/^-?\d+(\.\d+)?$/.test(text))
    return {
      message: `${text.slice(0, 20)} is not epoch seconds (9-10 digits) or milliseconds (12-13 digits)`,
    };
  else at = parseDeviceTime(text, timeZone);
  if (!at || Number.isNaN(at.getTime()))
    return { message: `"${text.slice(0, 40)}" is not a time: send epoch seconds, e.g. 1763683262` };
  if (at.getTime() < EARLIEST || at.getTime() >= LATEST)
    return { message: `${at.toISOString()} is outside 2000-2099: the device clock is not set` };
  return { at, text };
}

export function parseKeepalive(body: Body, timeZone: string): Result<HttpV2Keepalive> {
  const problems: FieldProblem[] = [];
  const SN = readSerial(body, problems);
  if (!SN) return { ok: false, problems };
  const notes: string[] = [];
  const clockField =
    body.DeviceTime !== undefined ? 'DeviceTime' : body.Time !== undefined ? 'Time' : undefined;
  let deviceClock: Date | undefined;
  if (clockField) {
    const t = parseV2Time(body[clockField], timeZone);
    if ('at' in t) deviceClock = t.at;
    else notes.push(`${clockField}: ${t.message}`);
  }
  return { ok: true, value: { SN, ...(deviceClock ? { deviceClock } : {}), notes } };
}

export interface HttpV2Download {
  SN: string;
  Limit: number;
}

/** `{SN, Limit}`: Limit defaults to 10 and is cut to 100. */
export function parseDownload(body: Body): Result<HttpV2Download> {
  const problems: FieldProblem[] = [];
  const SN = readSerial(body, problems);
  let Limit = HTTPV2_DEFAULT_LIMIT;
  const raw = body.Limit;
  if (raw !== undefined && raw !== null && raw !== '') {
    const n =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^\s*\d{1,9}\s*$/.test(raw)
          ? Number(raw)
          : NaN;
    if (!Number.isInteger(n) || n < 1)
      problems.push({ field: 'Limit', message: 'must be a whole number of people, at least 1' });
    else Limit = Math.min(n, HTTPV2_MAX_LIMIT);
  }
  if (problems.length > 0 || !SN) return { ok: false, problems };
  return { ok: true, value: { SN, Limit } };
}

export interface HttpV2PersonResult {
  UserID: string;
  ErrorCode: number;
  ErrorMsg?: string;
}

export interface HttpV2Results {
  SN: string;
  results: HttpV2PersonResult[];
  /** Entries that could not be read, by field (`Results[2].ErrorCode`); the others are applied. */
  skipped: FieldProblem[];
}

function readUserId(v: unknown): string | undefined {
  const id = str(v);
  return id !== undefined && id.length <= MAX_ID && printable(id) ? id : undefined;
}

/**
 * `{SN, Results:[{UserID, ErrorCode, ErrorMsg?}]}`: ErrorCode 0 is success, anything else the device's
 * reason. Unreadable entries are skipped and named; a body without a readable Results list is refused.
 */
export function parseResults(body: Body): Result<HttpV2Results> {
  const problems: FieldProblem[] = [];
  const SN = readSerial(body, problems);
  let list = body.Results;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      list = undefined;
    }
  }
  if (!Array.isArray(list)) {
    problems.push({ field: 'Results', message: 'is required: a list of {UserID, ErrorCode}' });
    return { ok: false, problems };
  }
  if (list.length > 1000) problems.push({ field: 'Results', message: 'must hold at most 1000 results' });
  if (problems.length > 0 || !SN) return { ok: false, problems };
  const results: HttpV2PersonResult[] = [];
  const skipped: FieldProblem[] = [];
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      skipped.push({ field: `Results[${i}]`, message: 'must be an object {UserID, ErrorCode}' });
      return;
    }
    const e = entry as Record<string, unknown>;
    const UserID = readUserId(e.UserID);
    if (UserID === undefined) {
      skipped.push({ field: `Results[${i}].UserID`, message: 'is required: 1-64 printable characters' });
      return;
    }
    const code =
      typeof e.ErrorCode === 'string' && /^\s*-?\d{1,9}\s*$/.test(e.ErrorCode)
        ? Number(e.ErrorCode)
        : e.ErrorCode;
    if (typeof code !== 'number' || !Number.isInteger(code)) {
      skipped.push({
        field: `Results[${i}].ErrorCode`,
        message: 'is required: 0 for success, else the error code',
      });
      return;
    }
    const msg = fieldText(e.ErrorMsg);
    results.push({ UserID, ErrorCode: code, ...(msg ? { ErrorMsg: msg.slice(0, 500) } : {}) });
  });
  return { ok: true, value: { SN, results, skipped } };
}

export interface HttpV2Record {
  SN: string;
  RecordID: string;
  /** The record date exactly as sent. */
  recordDate: string;
  punchedAt: Date;
  /** Absent for a stranger (no UserID). */
  UserID?: string;
  direction?: PunchDirection;
  verifyMode: string;
  photo?: { bytes: Buffer; contentType: string };
  notes: string[];
}

/** RecordType -> verification mode (PROTOCOL.md): 0 face, 1 card, 2 ID card, 3 QR, 4 password, 5 fingerprint. */
export function verifyModeOfRecordType(v: unknown): string {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  switch (n) {
    case 0:
    case undefined:
      return 'face';
    case 1:
      return 'card';
    case 2:
      return 'idcard';
    case 3:
      return 'qr';
    case 4:
      return 'password';
    case 5:
      return 'fingerprint';
    default:
      return 'other';
  }
}

/** The parts of an UploadIdentifyRecord, whichever way the body carried them. */
export interface RecordParts {
  SN?: unknown;
  RecordDetail?: unknown;
  photo?: { bytes: Buffer; declaredType?: string; truncated: boolean };
  /** The photo field was text (base64) rather than bytes. */
  photoBase64?: string;
  /** The body ended before its closing delimiter. */
  truncated: boolean;
}

/** Reads the body of an UploadIdentifyRecord: multipart (the protocol), tolerated: JSON and form. */
export function readRecordParts(body: Buffer, contentType: string | undefined): Result<RecordParts> {
  const type = (contentType ?? '').toLowerCase();
  const looksMultipart = body.length > 2 && body[0] === 0x2d && body[1] === 0x2d;
  if (type.startsWith('multipart/') || (looksMultipart && !type.includes('json'))) {
    const mp = parseMultipart(body, contentType ?? '');
    if ('error' in mp) return { ok: false, problems: [{ field: '(body)', message: mp.error }] };
    return { ok: true, value: fromMultipart(mp) };
  }
  const read = readBody(body, contentType);
  if (!read.ok) return read;
  const b = read.value;
  const photoText = typeof b.Photo === 'string' ? b.Photo : undefined;
  return {
    ok: true,
    value: {
      SN: b.SN,
      RecordDetail: b.RecordDetail,
      ...(photoText ? { photoBase64: photoText } : {}),
      truncated: false,
    },
  };
}

function fromMultipart(mp: MultipartResult): RecordParts {
  const out: RecordParts = { truncated: mp.truncated };
  const last = mp.parts[mp.parts.length - 1];
  for (const part of mp.parts) {
    const name = part.name?.trim();
    if (name === 'SN' && out.SN === undefined) out.SN = part.data.toString('utf8');
    else if (name === 'RecordDetail' && out.RecordDetail === undefined)
      out.RecordDetail = part.data.toString('utf8');
    else if ((name === 'Photo' || name === 'photo') && !out.photo && out.photoBase64 === undefined) {
      const cutOff = mp.truncated && part === last;
      const isText =
        part.filename === undefined &&
        /^[A-Za-z0-9+/=\s]+$/.test(part.data.subarray(0, 64).toString('latin1'));
      if (isText && !cutOff) out.photoBase64 = part.data.toString('latin1');
      else out.photo = { bytes: part.data, declaredType: part.contentType, truncated: cutOff };
    }
  }
  return out;
}

/** The SN of an UploadIdentifyRecord before the rest is checked: its own field, else inside RecordDetail. */
export function serialOfRecord(parts: RecordParts): string | undefined {
  const own = str(parts.SN);
  if (own !== undefined) return own;
  let d = parts.RecordDetail;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(d);
    } catch {
      return undefined;
    }
  }
  return d && typeof d === 'object' && !Array.isArray(d) ? str((d as Record<string, unknown>).SN) : undefined;
}

/**
 * The record of an UploadIdentifyRecord: `SN` and `RecordDetail` (JSON text or object) `{RecordID,
 * RecordType, RecordDate, UserID, IdentityCard, IsEntry, BodyTemp}`, and the optional `Photo`.
 */
export function parseRecord(parts: RecordParts, timeZone: string): Result<HttpV2Record> {
  const problems: FieldProblem[] = [];
  let detail: unknown = parts.RecordDetail;
  if (typeof detail === 'string') {
    try {
      detail = JSON.parse(detail.replace(/^\uFEFF/, ''));
    } catch (err) {
      problems.push({
        field: 'RecordDetail',
        message: `is not valid JSON${parts.truncated ? ' (the body was cut off)' : ''}: ${(err as Error).message}`,
      });
      detail = undefined;
    }
  }
  if (detail === undefined && problems.length === 0)
    problems.push({ field: 'RecordDetail', message: 'is required: the JSON of the record' });
  else if (detail !== undefined && (!detail || typeof detail !== 'object' || Array.isArray(detail))) {
    problems.push({ field: 'RecordDetail', message: 'must be a JSON object' });
    detail = undefined;
  }
  const d = (detail ?? {}) as Record<string, unknown>;
  // SN in its own field (the protocol); tolerated inside RecordDetail.
  const SN = readSerial(parts.SN !== undefined ? { SN: parts.SN } : { SN: d.SN }, problems);
  if (!detail) return { ok: false, problems };

  const RecordID = str(d.RecordID);
  if (RecordID === undefined)
    problems.push({ field: 'RecordDetail.RecordID', message: "is required: the device's id of the record" });
  else if (RecordID.length > MAX_ID || !printable(RecordID))
    problems.push({ field: 'RecordDetail.RecordID', message: `must be 1-${MAX_ID} printable characters` });

  let punchedAt: Date | undefined;
  let recordDate = '';
  const t = parseV2Time(d.RecordDate, timeZone);
  if ('message' in t) problems.push({ field: 'RecordDetail.RecordDate', message: t.message });
  else {
    punchedAt = t.at;
    recordDate = t.text;
  }

  let UserID: string | undefined;
  const rawUser = str(d.UserID);
  if (rawUser !== undefined && rawUser !== '-1') {
    UserID = readUserId(rawUser);
    if (UserID === undefined)
      problems.push({ field: 'RecordDetail.UserID', message: `must be 1-${MAX_ID} printable characters` });
  }

  const notes: string[] = [];
  let direction: PunchDirection | undefined;
  const entry = typeof d.IsEntry === 'string' ? d.IsEntry.trim() : d.IsEntry;
  if (entry === 1 || entry === '1' || entry === true) direction = 'in';
  else if (entry === 0 || entry === '0' || entry === false) direction = 'out';
  else if (entry !== undefined && entry !== null && entry !== '')
    notes.push(
      `RecordDetail.IsEntry: ${JSON.stringify(entry).slice(0, 20)} is neither 1 nor 0; the gate's direction applies`,
    );

  if (problems.length > 0 || !SN || !RecordID || !punchedAt) return { ok: false, problems };

  let photo: HttpV2Record['photo'];
  let bytes: Buffer | undefined;
  let declared: string | undefined;
  if (parts.photo) {
    if (parts.photo.truncated) notes.push('Photo: cut off with the body; the record is kept without it');
    else {
      bytes = parts.photo.bytes;
      declared = parts.photo.declaredType;
    }
  } else if (parts.photoBase64 !== undefined && parts.photoBase64.trim() !== '') {
    const v = parts.photoBase64.replace(/\s/g, '').replace(/^data:[^,]*;base64,/i, '');
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.replace(/=+$/, '').length % 4 !== 1)
      bytes = Buffer.from(v, 'base64');
    else notes.push('Photo: is not base64; the record is kept without it');
  }
  if (bytes && bytes.length > HTTPV2_MAX_PHOTO_BYTES)
    notes.push(
      `Photo: ${bytes.length} bytes is over the ${HTTPV2_MAX_PHOTO_BYTES}-byte limit; the record is kept without it`,
    );
  else if (bytes && bytes.length > 0) photo = { bytes, contentType: sniffImageType(bytes, declared) };

  return {
    ok: true,
    value: {
      SN,
      RecordID,
      recordDate,
      punchedAt,
      ...(UserID !== undefined ? { UserID } : {}),
      ...(direction ? { direction } : {}),
      verifyMode: verifyModeOfRecordType(d.RecordType),
      ...(photo ? { photo } : {}),
      notes,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Gateway -> device

export interface PeopleListItem {
  UserID: string;
  Name: string;
  CardNo?: string;
  /** The face photo, base64; empty when the platform has none for the person. */
  Photo: string;
  /** Lower-case hex MD5 of the photo bytes; empty without a photo. */
  PhotoMD5: string;
}

export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A person.upsert as a PeopleList entry; undefined when the payload is unusable. */
export function peopleListItem(
  command: DeviceCommand,
  photo?: { bytes: Buffer },
): PeopleListItem | undefined {
  if (command.kind !== 'person.upsert') return undefined;
  const p = command.payload as Partial<PersonUpsert>;
  if (typeof p?.personId !== 'string' || !p.personId) return undefined;
  return {
    UserID: p.personId,
    Name: typeof p.name === 'string' && p.name.trim() ? p.name : p.personId,
    ...(typeof p.cardNumber === 'string' && p.cardNumber ? { CardNo: p.cardNumber } : {}),
    Photo: photo ? photo.bytes.toString('base64') : '',
    PhotoMD5: photo ? md5Hex(photo.bytes) : '',
  };
}

/** A person.delete as a DeleteList entry; undefined when the payload is unusable. */
export function deleteListItem(command: DeviceCommand): { UserID: string } | undefined {
  if (command.kind !== 'person.delete') return undefined;
  const p = command.payload as Partial<PersonDelete>;
  return typeof p?.personId === 'string' && p.personId ? { UserID: p.personId } : undefined;
}
