import type { FieldProblem, Result } from '@realname/contracts';
import { parseDeviceTime } from '@realname/contracts';
import type { DeviceCommand, PersonDelete, PersonUpsert } from '../../commands/command-queue';
import { sniffImageType } from '../../photos/photo-store';

/**
 * The Uni-Ubi "Uface" messages (PROTOCOL.md in this folder): what the terminal posts (recognition
 * callback, heartbeat, task pull, task result), what the gateway answers, and the tasks it hands out.
 * Pure functions on the fields read by `readFields`; every refusal names the field at fault.
 */

/**
 * A callback type that is a person passing: the `_0` ("recognised and let through") of any recognition
 * mode (`face_0`, `card_0`, `faceAndcard_0`, `idcard_0`, ...). `face_1` (outside the permitted time),
 * `face_2` (stranger) and the like are kept as evidence, not punches. The site agent's findRecords
 * reconcile applies the same rule, so a callback and its backfilled record agree.
 */
export function isPassType(type: string): boolean {
  return /^[A-Za-z]+_0$/.test(type);
}
/** `personId` values the firmware uses for "nobody on the device" (stranger, ID-card-only comparison, ...). */
export const UFACE_NOT_A_PERSON: ReadonlySet<string> = new Set(['STRANGERBABY', 'IDCARD', 'NOMASK', '-1']);

/** Device clocks outside these bounds are not a time but a reset clock or garbage. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const MAX_ID = 64;

export interface UfacePhoto {
  bytes: Buffer;
  contentType: string;
}

export interface UfaceRecognition {
  deviceKey: string;
  /** As sent, e.g. `face_0`. */
  type: string;
  /** The time exactly as sent (epoch milliseconds as text, normally). */
  time: string;
  punchedAt: Date;
  /** Absent for strangers. */
  personId?: string;
  /** A person passed: this callback is a punch. */
  isPunch: boolean;
  /** Why a well-formed callback is not a punch. */
  notPunchReason?: string;
  verifyMode: string;
  photo?: UfacePhoto;
  /** Things dropped on the way (an unreadable photo): the punch is kept without them. */
  notes: string[];
}

export interface UfaceHeartbeat {
  deviceKey: string;
  /** The device's reading of "now", when the heartbeat carried a usable `time`. */
  deviceClock?: Date;
  ip?: string;
  personCount?: number;
  faceCount?: number;
  version?: string;
  notes: string[];
}

export interface UfaceTaskResult {
  deviceKey: string;
  taskNo: number;
  ok: boolean;
  code?: string;
  msg?: string;
  /** Echoed by some firmware; tells the steps of one task number apart. */
  interfaceName?: string;
}

export type UfaceTask =
  | {
      taskNo: number;
      interfaceName: 'person/create';
      person: { id: string; name: string; idcardNum?: string; facePermission: 2 };
    }
  | { taskNo: number; interfaceName: 'face/createByUrl'; personId: string; faceId: string; imgUrl: string }
  | { taskNo: number; interfaceName: 'person/delete'; id: string };

// ---------------------------------------------------------------------------------------------------
// Replies

export interface UfaceReply {
  result: 0 | 1;
  success: boolean;
  msg?: string;
  data?: unknown;
}

export function ufaceOk(data?: unknown): UfaceReply {
  return data === undefined ? { result: 1, success: true } : { result: 1, success: true, data };
}

/** `{"result":0,"success":false,"msg":"time: ..."}`: every problem, field first. */
export function ufaceError(problems: FieldProblem[] | string): UfaceReply {
  const msg =
    typeof problems === 'string' ? problems : problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return { result: 0, success: false, msg: msg.slice(0, 1000) };
}

// ---------------------------------------------------------------------------------------------------
// Field helpers

function text(fields: Map<string, string>, name: string): string | undefined {
  const v = fields.get(name);
  if (v === undefined) return undefined;
  const t = v.trim();
  return t.length > 0 ? t : undefined;
}

function printable(s: string): boolean {
  return !/[\u0000-\u001f\u007f]/.test(s);
}

function requireId(
  fields: Map<string, string>,
  name: string,
  problems: FieldProblem[],
  what: string,
): string | undefined {
  const v = text(fields, name);
  if (v === undefined) {
    problems.push({ field: name, message: `is required: ${what}` });
    return undefined;
  }
  if (v.length > MAX_ID || !printable(v)) {
    problems.push({
      field: name,
      message: `must be 1-${MAX_ID} printable characters (got ${v.length} characters)`,
    });
    return undefined;
  }
  return v;
}

/**
 * A Uface time: epoch milliseconds as text (the firmware's form), tolerated: epoch seconds (10 digits),
 * and a local `yyyy-MM-dd HH:mm:ss` in the device's zone or RFC 3339 (seen on OEM builds).
 */
export function parseUfaceTime(value: string, timeZone: string): { at: Date } | { message: string } {
  const v = value.trim();
  let at: Date | undefined;
  if (/^\d{12,13}$/.test(v)) at = new Date(Number(v));
  else if (/^\d{9,10}$/.test(v)) at = new Date(Number(v) * 1000);
  else if (/^\d+(\.\d+)?$/.test(v))
    return {
      message: `"${v.slice(0, 20)}" is not epoch milliseconds (12-13 digits) or seconds (9-10 digits)`,
    };
  else at = parseDeviceTime(v, timeZone);
  if (!at || Number.isNaN(at.getTime()))
    return {
      message: `"${v.slice(0, 40)}" is not a time: send epoch milliseconds as text, e.g. "1763683262000"`,
    };
  if (at.getTime() < EARLIEST || at.getTime() >= LATEST)
    return { message: `${at.toISOString()} is outside 2000-2099: the device clock is not set` };
  return { at };
}

/**
 * The inline photo of a callback (`base64`, else `imgBase64`): optional `data:` prefix, base64 whose
 * `+` may have become spaces in an unencoded form body, line breaks, missing padding.
 */
export function decodeInlinePhoto(value: string): { photo?: UfacePhoto; problem?: string } {
  // Base64 holds no spaces: every space was a '+' of an unencoded form body, so it is not trimmed away.
  let v = value.replace(/[\r\n\t]/g, '');
  if (!v.trim()) return {};
  const dataUri = /^data:([a-z0-9.+/-]+)?(;[a-z0-9=.-]+)*;base64,/i.exec(v);
  let declared: string | undefined;
  if (dataUri) {
    declared = dataUri[1];
    v = v.slice(dataUri[0].length);
  }
  v = v.replace(/ /g, '+');
  if (/-|_/.test(v) && !/[+/]/.test(v)) v = v.replace(/-/g, '+').replace(/_/g, '/'); // base64url
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.replace(/=+$/, '').length % 4 === 1)
    return { problem: 'is not base64' };
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length === 0) return {};
  return { photo: { bytes, contentType: sniffImageType(bytes, declared) } };
}

/** The verification mode the callback type names (`face_0` -> face, `card_1` -> card, ...). */
export function verifyModeOf(type: string): string {
  return UFACE_MODES[type.replace(/_\d+$/, '').toLowerCase()] ?? 'other';
}

/** Recognition modes (the type before `_<n>`) to verify modes, as the site agent's reconcile maps them. */
const UFACE_MODES: Readonly<Record<string, string>> = {
  face: 'face',
  card: 'card',
  faceandcard: 'face',
  idcard: 'idcard',
  faceandidcard: 'idcard',
  password: 'password',
  qrcode: 'qr',
  qr: 'qr',
  fingerprint: 'fingerprint',
};

/** The serial the device reports must be the one registered (case as the device sends it). */
export function checkDeviceKey(deviceKey: string, serial: string | undefined): FieldProblem | undefined {
  if (!serial || deviceKey !== serial)
    return { field: 'deviceKey', message: 'is not the device key registered for this device' };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Device -> gateway

/** The recognition callback: a punch when a known person passed, kept evidence otherwise. */
export function parseRecognition(fields: Map<string, string>, timeZone: string): Result<UfaceRecognition> {
  const problems: FieldProblem[] = [];
  const deviceKey = requireId(fields, 'deviceKey', problems, 'the device key (serial) of the terminal');
  const type = text(fields, 'type');
  if (type === undefined) problems.push({ field: 'type', message: 'is required, e.g. "face_0"' });
  else if (type.length > 32 || !/^[A-Za-z0-9_-]+$/.test(type))
    problems.push({
      field: 'type',
      message: `"${type.slice(0, 32)}" is not a recognition type such as face_0`,
    });

  const time = text(fields, 'time');
  let punchedAt: Date | undefined;
  if (time === undefined)
    problems.push({ field: 'time', message: 'is required: epoch milliseconds as text' });
  else {
    const t = parseUfaceTime(time, timeZone);
    if ('message' in t) problems.push({ field: 'time', message: t.message });
    else punchedAt = t.at;
  }

  const rawPerson = text(fields, 'personId');
  const typeOk = type !== undefined && !problems.some((p) => p.field === 'type');
  const passType = typeOk && isPassType(type);
  const knownPerson = rawPerson !== undefined && !UFACE_NOT_A_PERSON.has(rawPerson);
  let personId: string | undefined;
  if (passType && knownPerson) {
    personId = requireId(fields, 'personId', problems, 'the person the device recognised');
  } else if (passType && rawPerson === undefined) {
    problems.push({ field: 'personId', message: `is required for a ${type} pass` });
  } else if (rawPerson !== undefined && rawPerson.length <= MAX_ID && printable(rawPerson)) {
    personId = rawPerson;
  }
  if (problems.length > 0 || !deviceKey || !type || !time || !punchedAt) return { ok: false, problems };

  const isPunch = passType && knownPerson && personId !== undefined;
  const notes: string[] = [];
  let photo: UfacePhoto | undefined;
  if (isPunch) {
    for (const name of ['base64', 'imgBase64']) {
      const v = fields.get(name);
      if (v === undefined || v.trim() === '') continue;
      const decoded = decodeInlinePhoto(v);
      if (decoded.problem) notes.push(`${name}: ${decoded.problem}; the punch is kept without the photo`);
      photo = decoded.photo;
      break;
    }
  }
  return {
    ok: true,
    value: {
      deviceKey,
      type,
      time,
      punchedAt,
      ...(personId !== undefined ? { personId } : {}),
      isPunch,
      ...(isPunch
        ? {}
        : {
            notPunchReason: !passType
              ? `type ${type} is not a pass`
              : `personId ${rawPerson ?? '(none)'} is not a person on the device`,
          }),
      verifyMode: verifyModeOf(type),
      ...(photo ? { photo } : {}),
      notes,
    },
  };
}

function count(fields: Map<string, string>, name: string, notes: string[]): number | undefined {
  const v = text(fields, name);
  if (v === undefined) return undefined;
  if (/^\d{1,9}$/.test(v)) return Number(v);
  notes.push(`${name}: "${v.slice(0, 20)}" is not a count`);
  return undefined;
}

/** The heartbeat: only the device key is needed; a bad clock reading is noted, not refused. */
export function parseHeartbeat(fields: Map<string, string>, timeZone: string): Result<UfaceHeartbeat> {
  const problems: FieldProblem[] = [];
  const deviceKey = requireId(fields, 'deviceKey', problems, 'the device key (serial) of the terminal');
  if (!deviceKey) return { ok: false, problems };
  const notes: string[] = [];
  let deviceClock: Date | undefined;
  const time = text(fields, 'time');
  if (time !== undefined) {
    const t = parseUfaceTime(time, timeZone);
    if ('at' in t) deviceClock = t.at;
    else notes.push(`time: ${t.message}`);
  }
  const ip = text(fields, 'ip');
  const version = text(fields, 'version');
  const personCount = count(fields, 'personCount', notes);
  const faceCount = count(fields, 'faceCount', notes);
  return {
    ok: true,
    value: {
      deviceKey,
      ...(deviceClock ? { deviceClock } : {}),
      ...(ip ? { ip: ip.slice(0, 64) } : {}),
      ...(personCount !== undefined ? { personCount } : {}),
      ...(faceCount !== undefined ? { faceCount } : {}),
      ...(version ? { version: version.slice(0, 64) } : {}),
      notes,
    },
  };
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/** A task's outcome: `success` (true/false), or `result` (1/0) on firmware that sends only that. */
export function parseTaskResult(fields: Map<string, string>): Result<UfaceTaskResult> {
  const problems: FieldProblem[] = [];
  const deviceKey = requireId(fields, 'deviceKey', problems, 'the device key (serial) of the terminal');
  const taskText = text(fields, 'taskNo');
  let taskNo: number | undefined;
  if (taskText === undefined)
    problems.push({ field: 'taskNo', message: 'is required: the taskNo of the task' });
  else if (!/^\d{1,15}$/.test(taskText) || Number(taskText) < 1)
    problems.push({ field: 'taskNo', message: `"${taskText.slice(0, 20)}" is not a task number` });
  else taskNo = Number(taskText);

  const success = text(fields, 'success');
  const result = text(fields, 'result');
  let ok = flag(success);
  if (success !== undefined && ok === undefined)
    problems.push({ field: 'success', message: `must be true or false (got "${success.slice(0, 20)}")` });
  if (ok === undefined && success === undefined) {
    ok = flag(result);
    if (ok === undefined)
      problems.push(
        result === undefined
          ? { field: 'success', message: 'is required: true when the device carried the task out' }
          : { field: 'result', message: `must be 1 or 0 (got "${result.slice(0, 20)}")` },
      );
  }
  if (problems.length > 0 || !deviceKey || taskNo === undefined || ok === undefined)
    return { ok: false, problems };
  const code = text(fields, 'code');
  const msg = text(fields, 'msg');
  const interfaceName = text(fields, 'interfaceName');
  return {
    ok: true,
    value: {
      deviceKey,
      taskNo,
      ok,
      ...(code ? { code: code.slice(0, 64) } : {}),
      ...(msg ? { msg: msg.slice(0, 500) } : {}),
      ...(interfaceName ? { interfaceName: interfaceName.slice(0, 64) } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Gateway -> device: tasks

function isPersonPayload(p: unknown): p is { personId: string } {
  return (
    !!p &&
    typeof p === 'object' &&
    typeof (p as { personId?: unknown }).personId === 'string' &&
    (p as { personId: string }).personId.length > 0
  );
}

/** The face id a photo gets on the device: stable per photo, so a repeated task replaces, not adds. */
export function faceIdFor(personId: string, photoDigest: string): string {
  return `${personId}_${photoDigest.slice(0, 12)}`;
}

/**
 * The first task of a command: `person/create` for an upsert (the face follows as a second step when
 * the command has a photo), `person/delete` for a delete. Undefined when the command is not a person
 * command or its payload is unusable.
 */
export function firstTask(command: DeviceCommand): UfaceTask | undefined {
  if (!isPersonPayload(command.payload)) return undefined;
  if (command.kind === 'person.upsert') {
    const p = command.payload as PersonUpsert;
    const name = typeof p.name === 'string' && p.name.trim() ? p.name : p.personId;
    return {
      taskNo: command.seq,
      interfaceName: 'person/create',
      person: {
        id: p.personId,
        name,
        ...(typeof p.cardNumber === 'string' && p.cardNumber ? { idcardNum: p.cardNumber } : {}),
        facePermission: 2,
      },
    };
  }
  if (command.kind === 'person.delete') {
    return {
      taskNo: command.seq,
      interfaceName: 'person/delete',
      id: (command.payload as PersonDelete).personId,
    };
  }
  return undefined;
}

/** The face step of an upsert with a photo: the device downloads the photo from `imgUrl`. */
export function faceTask(taskNo: number, personId: string, photoDigest: string, imgUrl: string): UfaceTask {
  return {
    taskNo,
    interfaceName: 'face/createByUrl',
    personId,
    faceId: faceIdFor(personId, photoDigest),
    imgUrl,
  };
}
