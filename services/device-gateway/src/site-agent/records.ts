/**
 * Records the site agent fetched from a device for a backfill, turned into punches. Pure, never throws.
 *
 * - Hikvision: entries of an AcsEvent search result (`AcsEvent.InfoList[]`): `major`, `minor`, `time`
 *   (ISO-8601 with offset), `employeeNoString`, `serialNo`, `attendanceStatus`, `currentVerifyMode`, ...
 *   The same pass rules as pushed events apply, and `serialNo` is the record id, so a record fetched again
 *   deduplicates against the push that delivered it (or did not).
 * - Uface: entries of `findRecords` (`data.records[]`): `id`, `personId`, `time` (epoch ms, device clock),
 *   `type` (`face_0` = recognised and let through), `path`. The Uface callback carries no record id, so
 *   these punches carry none either: both are deduplicated by device + person + instant.
 */
import { HikMeaning, interpretAccess, isObject, readAccessEvent } from '../families/hikvision/event';
import {
  isPassType,
  parseUfaceTime,
  UFACE_NOT_A_PERSON,
  verifyModeOf,
} from '../families/uface/uface-messages';

export interface UploadedPunch {
  /** Index of the record in the uploaded array. */
  index: number;
  recordId?: string;
  personId: string;
  deviceTime: string;
  punchedAt: Date;
  direction?: 'in' | 'out';
  verifyMode: string;
}

export interface RecordProblem {
  field: string;
  message: string;
}

export interface NormalisedRecords {
  punches: UploadedPunch[];
  /** Records that are not passes (door events, failures, strangers): counted, not stored as punches. */
  ignored: { index: number; reason: string }[];
  /** Records that cannot be read; `field` names the record (`records[3].time`). */
  invalid: RecordProblem[];
}

/** AcsEvent InfoList entries to punches, times read in the device's zone when they carry no offset. */
export function normaliseHikvisionRecords(records: unknown[], timeZone: string): NormalisedRecords {
  const out: NormalisedRecords = { punches: [], ignored: [], invalid: [] };
  records.forEach((r, index) => {
    if (!isObject(r)) {
      out.invalid.push({ field: `records[${index}]`, message: 'must be an AcsEvent InfoList object' });
      return;
    }
    const access = readAccessEvent(r);
    const time = typeof r.time === 'string' ? r.time : undefined;
    take(out, index, interpretAccess(access, time, timeZone), { dateTime: 'time' });
  });
  return out;
}

const PERSON_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * Uface findRecords entries to punches, with the rules of the Uface callback (`isPassType`,
 * `UFACE_NOT_A_PERSON`, `verifyModeOf`, `parseUfaceTime`): a backfilled record and its callback become
 * the same punch (same person, same instant).
 */
export function normaliseUfaceRecords(records: unknown[], timeZone: string): NormalisedRecords {
  const out: NormalisedRecords = { punches: [], ignored: [], invalid: [] };
  records.forEach((r, index) => {
    if (!isObject(r)) {
      out.invalid.push({ field: `records[${index}]`, message: 'must be a findRecords record object' });
      return;
    }
    const type = typeof r.type === 'string' ? r.type.trim() : '';
    if (!isPassType(type)) {
      out.ignored.push({
        index,
        reason: `record type "${type.slice(0, 32)}" is not a pass (recognised and let through is <mode>_0)`,
      });
      return;
    }
    const personId =
      typeof r.personId === 'string'
        ? r.personId.trim()
        : typeof r.personId === 'number'
          ? String(r.personId)
          : '';
    if (personId === '' || UFACE_NOT_A_PERSON.has(personId)) {
      out.ignored.push({ index, reason: 'nobody on the device (a stranger or a placeholder id)' });
      return;
    }
    if (!PERSON_ID.test(personId)) {
      out.invalid.push({
        field: `records[${index}].personId`,
        message: 'must be 1-64 printable characters without spaces',
      });
      return;
    }
    const rawTime = typeof r.time === 'number' || typeof r.time === 'string' ? String(r.time).trim() : '';
    const time = rawTime ? parseUfaceTime(rawTime, timeZone) : { message: 'is missing' };
    if ('message' in time) {
      out.invalid.push({ field: `records[${index}].time`, message: time.message });
      return;
    }
    out.punches.push({
      index,
      personId,
      deviceTime: rawTime,
      punchedAt: time.at,
      verifyMode: verifyModeOf(type),
    });
  });
  return out;
}

function take(
  out: NormalisedRecords,
  index: number,
  m: HikMeaning,
  fieldNames: Record<string, string>,
): void {
  switch (m.kind) {
    case 'pass':
      out.punches.push({ index, ...m.pass, punchedAt: m.punchedAt });
      return;
    case 'ignored':
      out.ignored.push({ index, reason: m.reason });
      return;
    case 'invalid':
      out.invalid.push({ field: `records[${index}].${fieldNames[m.field] ?? m.field}`, message: m.reason });
      return;
    case 'heartbeat':
      out.ignored.push({ index, reason: 'a heartbeat is not a record' });
      return;
  }
}
