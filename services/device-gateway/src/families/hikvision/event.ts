/**
 * Hikvision ISAPI event push ("HTTP listening"): reading the bodies a terminal POSTs and deciding what
 * each one means. Pure functions, no I/O; they never throw.
 *
 * Body forms (docs/device-families.md, DEVICE-PROTOCOLS.md "Hikvision ISAPI"):
 * - multipart/form-data with a JSON part named `AccessControllerEvent` (or `event_log`) and an optional
 *   JPEG part `Picture`; the body may be cut off inside the JPEG: the JSON part is still used;
 * - a bare JSON object (face terminals without pictures, heartbeats);
 * - `EventNotificationAlert` XML (older firmware), bare or as a multipart part.
 */
import { parseDeviceTime, type Result } from '@realname/contracts';
import { parseMultipart } from '../shared/multipart';
import { parseXml } from './xml';

export type HikBodyFormat = 'multipart' | 'json' | 'xml';

/** The `AccessControllerEvent` object, with values coerced to their documented types. */
export interface HikAccessControllerEvent {
  majorEventType?: number;
  subEventType?: number;
  /** `employeeNoString` (newer firmware) or the numeric `employeeNo` (older), as text. */
  employeeNo?: string;
  name?: string;
  cardNo?: string;
  serialNo?: number;
  frontSerialNo?: number;
  /** false: recorded while the server was unreachable, uploaded later. */
  currentEvent?: boolean;
  attendanceStatus?: string;
  currentVerifyMode?: string;
  currTemperature?: number;
  mask?: string;
  picturesNumber?: number;
  doorNo?: number;
  cardReaderNo?: number;
}

/** One event notification, whatever form it came in. */
export interface HikEventNotification {
  format: HikBodyFormat;
  /** `AccessControllerEvent`, `heartBeat`, `videoloss`, ... (as sent). */
  eventType: string;
  eventState?: string;
  /** As sent (ISO-8601, normally with an offset). */
  dateTime?: string;
  ipAddress?: string;
  macAddress?: string;
  deviceID?: string;
  access?: HikAccessControllerEvent;
  /** The `Picture` part when it arrived whole. */
  picture?: { bytes: Buffer; contentType: string };
  /** The body was cut off (a part or the closing delimiter is missing). */
  truncated: boolean;
  /** Which part carried the event (multipart only). */
  partName?: string;
}

export type HikParseResult = Result<HikEventNotification, { error: string }>;

/** Names of the multipart part that carries the event, in order of preference. */
const EVENT_PART_NAMES = ['AccessControllerEvent', 'event_log', 'EventNotificationAlert'];
const PICTURE_PART_NAMES = ['Picture', 'picture', 'FaceImage'];
/** Largest event JSON/XML taken (the picture is separate); a bigger event part is not an event. */
const MAX_EVENT_BYTES = 256 * 1024;

/** Reads a pushed body. The Content-Type decides the form; when it is missing or wrong, the bytes do. */
export function parseHikvisionBody(body: Buffer, contentType: string | undefined): HikParseResult {
  try {
    return parseBody(body, contentType ?? '');
  } catch (err) {
    return { ok: false, error: `the body could not be read: ${(err as Error).message}` };
  }
}

function parseBody(body: Buffer, contentType: string): HikParseResult {
  if (!Buffer.isBuffer(body) || body.length === 0) return { ok: false, error: 'the body is empty' };
  const ct = contentType.toLowerCase();
  const first = firstNonSpace(body);
  const looksMultipart = ct.startsWith('multipart/') || (body[first] === 0x2d && body[first + 1] === 0x2d);
  if (looksMultipart) return parseMultipartEvent(body, contentType);
  if (body[first] === 0x7b /* { */) return fromJsonText(body.toString('utf8'), 'json', false);
  if (body[first] === 0x3c /* < */) return fromXmlText(body.toString('utf8'), 'xml', false);
  return {
    ok: false,
    error: `the body is neither multipart, JSON nor XML (Content-Type "${contentType.slice(0, 80)}")`,
  };
}

function parseMultipartEvent(body: Buffer, contentType: string): HikParseResult {
  const mp = parseMultipart(body, contentType);
  if ('error' in mp) return { ok: false, error: mp.error };
  const parts = mp.parts;
  let eventPart = EVENT_PART_NAMES.map((n) => parts.find((p) => p.name === n)).find((p) => p !== undefined);
  // Firmware variants name the part differently: take the first part that looks like JSON or XML.
  eventPart ??= parts.find((p) => {
    if (PICTURE_PART_NAMES.includes(p.name ?? '')) return false;
    const c = p.data[firstNonSpace(p.data)];
    return c === 0x7b || c === 0x3c;
  });
  if (!eventPart)
    return {
      ok: false,
      error: `no event part in the multipart body (parts: ${parts.map((p) => p.name ?? '?').join(', ') || 'none'})`,
    };
  // The event part itself cut off: it is the last part and the body ended inside it.
  const eventTruncated = mp.truncated && parts[parts.length - 1] === eventPart;
  if (eventPart.data.length > MAX_EVENT_BYTES)
    return { ok: false, error: `the event part is larger than ${MAX_EVENT_BYTES} bytes` };
  const text = eventPart.data.toString('utf8');
  const c = eventPart.data[firstNonSpace(eventPart.data)];
  const result =
    c === 0x3c
      ? fromXmlText(text, 'multipart', eventTruncated)
      : fromJsonText(text, 'multipart', eventTruncated);
  if (!result.ok) return result;
  result.value.truncated = mp.truncated;
  result.value.partName = eventPart.name;

  const pictureIndex = parts.findIndex((p) => PICTURE_PART_NAMES.includes(p.name ?? ''));
  if (pictureIndex >= 0) {
    const pic = parts[pictureIndex];
    // A picture cut off (the last part of a truncated body) is useless: dropped, the event is kept.
    const whole = !(mp.truncated && pictureIndex === parts.length - 1);
    if (whole && pic.data.length > 0 && isImage(pic.data))
      result.value.picture = {
        bytes: Buffer.from(pic.data),
        contentType: imageType(pic.data, pic.contentType),
      };
  }
  return result;
}

function fromJsonText(text: string, format: HikBodyFormat, truncated: boolean): HikParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: `the event is not valid JSON${truncated ? ' (the body was cut off inside it)' : ''}: ${(err as Error).message}`,
    };
  }
  if (!isObject(json)) return { ok: false, error: 'the event JSON is not an object' };
  return fromObject(json, format, truncated);
}

function fromXmlText(text: string, format: HikBodyFormat, truncated: boolean): HikParseResult {
  const doc = parseXml(text);
  if ('error' in doc) return { ok: false, error: doc.error };
  if (doc.truncated) return { ok: false, error: `the XML event is cut off inside <${doc.root}>` };
  if (!isObject(doc.value))
    return {
      ok: false,
      error: `the XML root <${doc.root}> carries no fields (expected EventNotificationAlert)`,
    };
  // The root is normally EventNotificationAlert; any root with an eventType is accepted.
  return fromObject(doc.value, format, truncated);
}

function fromObject(o: Record<string, unknown>, format: HikBodyFormat, truncated: boolean): HikParseResult {
  // Some gateways/firmware wrap the alert: {"EventNotificationAlert": {...}}.
  if (o.eventType === undefined && isObject(o.EventNotificationAlert)) o = o.EventNotificationAlert;
  const eventType = text(o.eventType);
  const accessRaw = o.AccessControllerEvent;
  if (!eventType && !isObject(accessRaw))
    return { ok: false, error: 'the event has no eventType and no AccessControllerEvent' };
  const event: HikEventNotification = {
    format,
    eventType: eventType ?? 'AccessControllerEvent',
    truncated,
  };
  const state = text(o.eventState);
  if (state !== undefined) event.eventState = state;
  const dateTime = text(o.dateTime);
  if (dateTime !== undefined) event.dateTime = dateTime;
  const ip = text(o.ipAddress);
  if (ip !== undefined) event.ipAddress = ip;
  const mac = text(o.macAddress);
  if (mac !== undefined) event.macAddress = mac;
  const devId = text(o.deviceID);
  if (devId !== undefined) event.deviceID = devId;
  if (isObject(accessRaw)) event.access = readAccessEvent(accessRaw);
  return { ok: true, value: event };
}

/** Coerces an AccessControllerEvent object (JSON numbers, or XML text) to typed fields. */
export function readAccessEvent(a: Record<string, unknown>): HikAccessControllerEvent {
  const out: HikAccessControllerEvent = {};
  const major = int(a.majorEventType ?? a.major);
  if (major !== undefined) out.majorEventType = major;
  const minor = int(a.subEventType ?? a.minor);
  if (minor !== undefined) out.subEventType = minor;
  const emp = text(a.employeeNoString) ?? text(a.employeeNo);
  if (emp !== undefined && emp !== '') out.employeeNo = emp;
  const name = text(a.name);
  if (name !== undefined && name !== '') out.name = name;
  const card = text(a.cardNo);
  if (card !== undefined && card !== '') out.cardNo = card;
  const serial = int(a.serialNo);
  if (serial !== undefined) out.serialNo = serial;
  const front = int(a.frontSerialNo);
  if (front !== undefined) out.frontSerialNo = front;
  const current = bool(a.currentEvent);
  if (current !== undefined) out.currentEvent = current;
  const status = text(a.attendanceStatus);
  if (status !== undefined && status !== '') out.attendanceStatus = status;
  const mode = text(a.currentVerifyMode);
  if (mode !== undefined && mode !== '') out.currentVerifyMode = mode;
  const temp = num(a.currTemperature);
  if (temp !== undefined) out.currTemperature = temp;
  const mask = text(a.mask);
  if (mask !== undefined && mask !== '') out.mask = mask;
  const pics = int(a.picturesNumber);
  if (pics !== undefined) out.picturesNumber = pics;
  const door = int(a.doorNo);
  if (door !== undefined) out.doorNo = door;
  const reader = int(a.cardReaderNo);
  if (reader !== undefined) out.cardReaderNo = reader;
  return out;
}

// ------------------------------------------------------------------------------------------------------
// What an event means

/** ISAPI major type of access events (MAJOR_EVENT). */
export const HIK_MAJOR_EVENT = 5;

/**
 * Minor codes of MAJOR_EVENT that mean "a person was verified and let through" (HCNetSDK MINOR_* *_PASS),
 * with the verification mode they imply. Failures (76 face, 39 fingerprint, 9 invalid card, ...), door
 * state changes (lock open 0x15, door open 0x19, close 0x1a, ...) and alarms are not passes.
 */
export const HIK_PASS_MINORS: Readonly<Record<number, string>> = {
  0x01: 'card', // LEGAL_CARD_PASS
  0x02: 'card', // CARD_AND_PSW_PASS
  0x10: 'other', // MULTI_VERIFY_SUCCESS
  0x26: 'fingerprint', // FINGERPRINT_COMPARE_PASS (38)
  0x28: 'fingerprint', // CARD_FINGERPRINT_VERIFY_PASS
  0x2b: 'fingerprint', // CARD_FINGERPRINT_PASSWD_VERIFY_PASS
  0x2e: 'fingerprint', // FINGERPRINT_PASSWD_VERIFY_PASS
  0x36: 'face', // FACE_AND_FP_VERIFY_PASS
  0x39: 'face', // FACE_AND_PW_VERIFY_PASS
  0x3c: 'face', // FACE_AND_CARD_VERIFY_PASS
  0x3f: 'face', // FACE_AND_PW_AND_FP_VERIFY_PASS
  0x42: 'face', // FACE_CARD_AND_FP_VERIFY_PASS
  0x45: 'fingerprint', // EMPLOYEENO_AND_FP_VERIFY_PASS
  0x48: 'fingerprint', // EMPLOYEENO_AND_FP_AND_PW_VERIFY_PASS
  0x4b: 'face', // FACE_VERIFY_PASS (75)
  0x4d: 'face', // EMPLOYEENO_AND_FACE_VERIFY_PASS (77)
  0x65: 'password', // EMPLOYEENO_AND_PW_PASS
  0x69: 'idcard', // PEOPLE_AND_ID_CARD_COMPARE_PASS
  0x9c: 'qr', // QRCODE_VERIFY_PASS
  0xb5: 'password', // PASSWD_VERIFY_PASS
};

/** `attendanceStatus` to direction; anything else (`undefined`, empty) leaves the device default. */
export const HIK_ATTENDANCE_DIRECTION: Readonly<Record<string, 'in' | 'out'>> = {
  checkIn: 'in',
  checkOut: 'out',
  breakIn: 'in',
  breakOut: 'out',
  overtimeIn: 'in',
  overtimeOut: 'out',
};

/** An employee number the platform could have issued: printable, no spaces, at most 32 characters (ISAPI limit). */
const EMPLOYEE_NO = /^[\x21-\x7e]{1,32}$/;

/** A pass that becomes a punch (before time parsing). */
export interface HikPass {
  personId: string;
  recordId?: string;
  /** The time as the device sent it. */
  deviceTime: string;
  direction?: 'in' | 'out';
  verifyMode: string;
}

export type HikMeaning =
  | { kind: 'heartbeat'; deviceClock?: Date }
  | { kind: 'pass'; pass: HikPass; punchedAt: Date }
  /** Kept but not a punch: door events, failures, passes without a person, other event types. */
  | { kind: 'ignored'; reason: string }
  /** A pass whose fields cannot be used (no time, unreadable time, impossible employee number). */
  | { kind: 'invalid'; field: string; reason: string };

/** Heartbeat `eventType` values; old firmware sends `videoloss` + `inactive` as its keep-alive. */
export function isHeartbeat(e: HikEventNotification): boolean {
  const t = e.eventType.toLowerCase();
  if (t === 'heartbeat') return true;
  return t === 'videoloss' && (e.eventState ?? '').toLowerCase() === 'inactive' && !e.access;
}

/** Decides what an event is: a heartbeat, a pass (a punch), or something kept and ignored. */
export function interpretEvent(e: HikEventNotification, timeZone: string): HikMeaning {
  if (isHeartbeat(e)) {
    const clock = e.dateTime ? parseIsapiTime(e.dateTime, timeZone) : undefined;
    return clock ? { kind: 'heartbeat', deviceClock: clock } : { kind: 'heartbeat' };
  }
  const a = e.access;
  if (!a) return { kind: 'ignored', reason: `event type ${e.eventType.slice(0, 64)} is not an access event` };
  return interpretAccess(a, e.dateTime, timeZone);
}

/**
 * The same decision for one access record, whether pushed (`AccessControllerEvent` + the alert's
 * `dateTime`) or fetched by an AcsEvent search (an `InfoList` entry with its own `time`).
 */
export function interpretAccess(
  a: HikAccessControllerEvent,
  time: string | undefined,
  timeZone: string,
): HikMeaning {
  if (a.majorEventType !== HIK_MAJOR_EVENT)
    return {
      kind: 'ignored',
      reason: `major event type ${a.majorEventType ?? 'missing'} is not an access event`,
    };
  const minor = a.subEventType;
  const mode = minor !== undefined ? HIK_PASS_MINORS[minor] : undefined;
  if (!mode) return { kind: 'ignored', reason: `sub event type ${minor ?? 'missing'} is not a pass` };
  if (a.employeeNo === undefined)
    return { kind: 'ignored', reason: 'a pass that names no person (no employeeNoString)' };
  if (!EMPLOYEE_NO.test(a.employeeNo))
    return {
      kind: 'invalid',
      field: 'employeeNoString',
      reason: 'must be 1-32 printable characters without spaces',
    };
  if (time === undefined) return { kind: 'invalid', field: 'dateTime', reason: 'is missing' };
  const punchedAt = parseIsapiTime(time, timeZone);
  if (!punchedAt)
    return {
      kind: 'invalid',
      field: 'dateTime',
      reason: 'must be an ISO-8601 time such as 2026-11-21T07:41:02+08:00',
    };
  const pass: HikPass = {
    personId: a.employeeNo,
    deviceTime: time,
    verifyMode: refineMode(mode, a.currentVerifyMode),
  };
  if (a.serialNo !== undefined) pass.recordId = String(a.serialNo);
  const direction = a.attendanceStatus ? HIK_ATTENDANCE_DIRECTION[a.attendanceStatus] : undefined;
  if (direction) pass.direction = direction;
  return { kind: 'pass', pass, punchedAt };
}

/** The generic multi-verify code says nothing about the mode; `currentVerifyMode` may. */
function refineMode(mode: string, current: string | undefined): string {
  if (mode !== 'other' || !current) return mode;
  const c = current.toLowerCase();
  if (c.includes('face')) return 'face';
  if (c.includes('fp') || c.includes('finger')) return 'fingerprint';
  if (c.includes('card')) return 'card';
  if (c.includes('pw') || c.includes('password')) return 'password';
  return mode;
}

/**
 * ISAPI times: `2026-11-21T07:41:02+08:00` (usual), `...+0800`, `...Z`, fractional seconds, or a naive
 * `2026-11-21T07:41:02` / `2026-11-21 07:41:02` read in the device's zone.
 */
export function parseIsapiTime(raw: string, timeZone: string): Date | undefined {
  if (typeof raw !== 'string' || raw.length > 40) return undefined;
  let t = raw.trim();
  t = t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'); // +0800 -> +08:00
  t = t.replace(/([+-]\d{2})$/, '$1:00'); // +08 -> +08:00
  const fraction = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})\.\d+$/.exec(t);
  if (fraction) t = fraction[1];
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(t)) t = t.replace(' ', 'T');
  const d = parseDeviceTime(t, timeZone);
  if (!d) return undefined;
  // Reject what is not a calendar time in a sane range (a device with a reset clock says 1970 or 2000).
  const y = d.getUTCFullYear();
  return y >= 2000 && y <= 2100 ? d : undefined;
}

// ------------------------------------------------------------------------------------------------------
// Small coercions shared by the JSON and XML forms (XML gives every value as text)

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function int(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d{1,15}\s*$/.test(v)) return Number(v.trim());
  if (typeof v === 'string' && /^\s*0x[0-9a-f]{1,8}\s*$/i.test(v)) return parseInt(v.trim().slice(2), 16);
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d{1,6}(\.\d{1,6})?\s*$/.test(v)) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  if (v === 1) return true;
  if (v === 0) return false;
  return undefined;
}

function firstNonSpace(b: Buffer): number {
  let i = 0;
  // Skip a UTF-8 byte-order mark and whitespace.
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d || b[i] === 0x0a)) i++;
  return i;
}

function isImage(b: Buffer): boolean {
  return (
    (b[0] === 0xff && b[1] === 0xd8) || // JPEG
    (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) // PNG
  );
}

function imageType(b: Buffer, declared: string | undefined): string {
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  return declared ?? 'application/octet-stream';
}
