/**
 * The Zhejiang provincial uplink (municipal platform → provincial data warehouse, data standard V2.0),
 * all its differences from the national shape in this one module: profile, versioned code tables,
 * field additions and renames, and the daily deadline.
 *
 * What the references say: V2.0 is derived from the national docking program v1.1.2 (Zhejiang notice,
 * May 2021), so transport, signature, field encryption, methods, batch limits, dependency order and
 * the asynchronous answer are the national ones. A Zhejiang city adapter (unconfirmed) adds `gender`,
 * `headImageSuffix`, `cardDate` (ID validity as a range) and `inDate` / `outDate` to the worker upload.
 * The notice requires each day's attendance in the provincial data warehouse before 24:00 that day.
 * Everything else is silent in the references: where a choice is made below, it says so, keeps the
 * national behaviour, and the provincial V2.0 document (Annex 1 of the notice) must be consulted.
 */
import { CodeTableError, mapCode, VersionedCodeTables } from '../code-tables';
import { DailyDeadline, TargetProfile } from '../deadline';
import { NATIONAL_PROFILE } from '../national/national-uplink';
import { JsonObject, RecordKind, UplinkRecord } from '../uplink';

export class ZhejiangMappingError extends Error {
  override readonly name = 'ZhejiangMappingError';
}

/** One version of the provincial standard as data: code tables, renames and value formats. */
export interface ZhejiangStandardData extends VersionedCodeTables {
  /** National field name → provincial field name, per kind, applied to header and item. */
  readonly renames: Readonly<Partial<Record<RecordKind, Readonly<Record<string, string>>>>>;
  /** Joins the ID validity start and end into `cardDate`. */
  readonly cardDateSeparator: string;
}

export const ZHEJIANG_V2_0: ZhejiangStandardData = {
  standard: 'zhejiang-real-name-data-standard',
  version: '2.0',
  tables: {
    // The reference names the field but not its codes: GB/T 2261.1 values until the V2.0 annex is checked.
    gender: { male: '1', female: '2' },
    // The reference's example is `jpg`; the image check admits JPEG and PNG only, as the national one does.
    headImageSuffix: { jpeg: 'jpg', png: 'png' },
    // Our ID types whose number is a GB 11643 resident ID, so that gender can be read from it.
    residentIdCardType: { '01': 'resident-id' },
  },
  // The references name no renamed field for V2.0: national names travel unchanged until the annex says otherwise.
  renames: {},
  // "ID validity as a range" without a published format: national yyyy-MM-dd ends joined by "~", to be confirmed.
  cardDateSeparator: '~',
};

/** Zhejiang notice: the day's attendance reaches the provincial data warehouse before 24:00 that day. */
export const ZHEJIANG_ATTENDANCE_DEADLINE: DailyDeadline = { localTime: '24:00', timeZone: 'Asia/Shanghai' };

/**
 * The national profile with the provincial target and deadline. Batch limits, order, signing,
 * encryption and answers are national because V2.0 derives from v1.1.2 and the references give no
 * provincial values; the provincial document must be consulted before changing any of them.
 */
export const ZHEJIANG_V2_PROFILE: TargetProfile = {
  ...NATIONAL_PROFILE,
  target: 'zhejiang-v2',
  dailyAttendanceDeadline: ZHEJIANG_ATTENDANCE_DEADLINE,
};

/** Worker fields V2.0 adds that are always derivable from what we hold, so the adapter insists on them. */
export const ZHEJIANG_V2_REQUIRED_WORKER_ADDITIONS = ['gender', 'headImageSuffix', 'cardDate'] as const;

/** Facts about one worker on the project that the national worker upload does not carry. */
export interface ZhejiangWorkerFacts {
  /** The worker's entry date on the project (`inDate`), `yyyy-MM-dd`. */
  readonly inDate?: string;
  /** The worker's exit date (`outDate`), once known. */
  readonly outDate?: string;
  /** Needed only when the ID is not a resident ID, whose number tells the gender. */
  readonly gender?: 'male' | 'female';
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function text(object: JsonObject, field: string): string {
  const value = object[field];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** `jpeg` or `png` from the image's first bytes, as the platform checks them, never from a file name. */
function imageFormat(base64: string): 'jpeg' | 'png' | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(png)) return 'png';
  return undefined;
}

function genderOf(
  item: JsonObject,
  facts: ZhejiangWorkerFacts,
  data: ZhejiangStandardData,
  key: string,
): string {
  if (facts.gender) return mapCode(data, 'gender', facts.gender);
  const idType = text(item, 'idCardType');
  const id = text(item, 'idCardNumber');
  const isResidentId = data.tables['residentIdCardType']?.[idType] !== undefined;
  if (!isResidentId || !/^\d{17}[\dXx]$/.test(id)) {
    throw new ZhejiangMappingError(
      `worker record "${key}": the gender cannot be read from an ID of type ${idType || '(none)'}; give it`,
    );
  }
  // GB 11643: the 17th character is the sequence's last digit, odd for men and even for women.
  return mapCode(data, 'gender', Number(id[16]) % 2 === 1 ? 'male' : 'female');
}

function workerAdditions(
  record: UplinkRecord,
  facts: ZhejiangWorkerFacts,
  data: ZhejiangStandardData,
): JsonObject {
  const item = record.item;
  const format = imageFormat(text(item, 'headImage'));
  if (!format)
    throw new ZhejiangMappingError(`worker record "${record.key}": the head image is missing or not JPG/PNG`);
  const start = text(item, 'startDate');
  const end = text(item, 'expiryDate');
  if (!DAY.test(start) || end === '') {
    throw new ZhejiangMappingError(
      `worker record "${record.key}": cardDate needs the ID validity (startDate yyyy-MM-dd and expiryDate)`,
    );
  }
  const additions: JsonObject = {
    gender: genderOf(item, facts, data, record.key),
    headImageSuffix: mapCode(data, 'headImageSuffix', format),
    cardDate: `${start}${data.cardDateSeparator}${end}`,
  };
  for (const field of ['inDate', 'outDate'] as const) {
    const value = facts[field];
    if (value === undefined) continue;
    if (!DAY.test(value))
      throw new ZhejiangMappingError(`worker record "${record.key}": ${field} must be yyyy-MM-dd`);
    additions[field] = value;
  }
  if (facts.inDate !== undefined && facts.outDate !== undefined && facts.outDate < facts.inDate)
    throw new ZhejiangMappingError(`worker record "${record.key}": outDate is before inDate`);
  return additions;
}

function renamed(fields: JsonObject, renames: Readonly<Record<string, string>> | undefined): JsonObject {
  if (!renames) return fields;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [renames[key] ?? key, value]));
}

/**
 * A national-shape record in the provincial V2.0 shape: worker additions, then renames of the kind.
 * Kinds without a known difference come back unchanged (national behaviour, see the module comment).
 */
export function toZhejiangV2(
  record: UplinkRecord,
  facts: ZhejiangWorkerFacts = {},
  data: ZhejiangStandardData = ZHEJIANG_V2_0,
): UplinkRecord {
  let item = record.item;
  try {
    if (record.kind === 'project-worker') item = { ...item, ...workerAdditions(record, facts, data) };
  } catch (error) {
    // A code-table miss is the same kind of mapping failure for the caller; say which record.
    if (error instanceof CodeTableError)
      throw new ZhejiangMappingError(`record "${record.key}": ${error.message}`);
    throw error;
  }
  const renames = data.renames[record.kind];
  return { ...record, header: renamed(record.header, renames), item: renamed(item, renames) };
}

/** The V2.0 worker additions a mapped worker item lacks; empty when it is ready to send. */
export function missingZhejiangAdditions(item: JsonObject): string[] {
  return ZHEJIANG_V2_REQUIRED_WORKER_ADDITIONS.filter((field) => text(item, field) === '');
}
