/**
 * The rules every record kind shares (required fields, dates, codes, identifiers, images, batches),
 * each writing its problems, already worded, into a `Findings` list.
 */
import { isRealDate, isValidDay } from '../dates';
import type { CodeTableName, CodeTableRegistry } from '../code-tables';
import { checkCreditCode } from '../identity/credit-code';
import {
  checkResidentId,
  maskResidentId,
  normaliseResidentId,
  PROVINCE_CODES,
} from '../identity/resident-id';
import {
  type Bilingual,
  CATALOGUE,
  EMPTY_VALUE,
  FIELDS,
  UNNAMED_WORKER,
  type FieldName,
  fillTemplate,
  type LocalProblemCode,
  type MessageParams,
  PLACES,
  type Place,
  REASONS,
  SUBJECTS,
  type SubjectKind,
  type UploadProblemCode,
} from './catalogue';
import { inspectBase64, kilobytes } from './image';
import type { Attachment } from './records';

export interface UploadProblem {
  code: UploadProblemCode;
  /** Where in the record as sent, e.g. `workerList[2].headImage`; empty for the whole record. */
  path: string;
  /** One plain sentence: what is wrong and what to correct where. */
  zh: string;
  en: string;
}

/** A local problem worded from its `detail` template. */
export function wordProblem(code: LocalProblemCode, path: string, params: MessageParams): UploadProblem {
  const t: Bilingual = CATALOGUE[code].detail;
  return { code, path, zh: fillTemplate(t.zh, params, 'zh'), en: fillTemplate(t.en, params, 'en') };
}

/**
 * `工人 张三 ` / `worker 张三`; without a name `工人` / `the worker`. The Chinese form ends in a space
 * after a name so that `{subject}的` reads `工人 张三 的` but `工人的`.
 */
export function subject(kind: SubjectKind, name?: string): Bilingual {
  const word = SUBJECTS[kind];
  const n = name?.trim();
  return n ? { zh: `${word.zh} ${n} `, en: `${word.en} ${n}` } : { zh: word.zh, en: `the ${word.en}` };
}

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Text for a value in a sentence: as given, or "(empty)". */
export function shown(value: unknown): MessageParam {
  return isBlank(value) ? EMPTY_VALUE : String(value);
}

type MessageParam = MessageParams[string];

export class Findings {
  readonly list: UploadProblem[] = [];

  add(code: LocalProblemCode, path: string, params: MessageParams): void {
    this.list.push(wordProblem(code, path, params));
  }
}

/** What a field rule needs to word its problem: whose field, which field, where it is corrected. */
export interface FieldContext {
  subject: Bilingual;
  where: Place;
}

export function requireField(
  f: Findings,
  path: string,
  value: unknown,
  what: FieldName,
  ctx: FieldContext,
): boolean {
  if (!isBlank(value)) return true;
  f.add('field-missing', path, { subject: ctx.subject, what: FIELDS[what], where: PLACES[ctx.where] });
  return false;
}

/** `yyyy-MM-dd[ HH:mm:ss]`: where the reference gives no format, a day with or without a time. */
export type DateFormat = 'yyyy-MM-dd' | 'yyyy-MM-dd HH:mm:ss' | 'yyyy-MM-dd[ HH:mm:ss]' | 'yyyy-MM';

const DATE_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/**
 * The comparable part of a date in a format: the day (`yyyy-MM-dd`) of a day or date-time, the month
 * (`yyyy-MM`) of a month; undefined when the text is not a real date in that format.
 */
export function comparablePart(value: string, format: DateFormat): string | undefined {
  if (format === 'yyyy-MM-dd') return isValidDay(value) ? value : undefined;
  if (format === 'yyyy-MM-dd[ HH:mm:ss]') {
    return comparablePart(value, value.length > 10 ? 'yyyy-MM-dd HH:mm:ss' : 'yyyy-MM-dd');
  }
  if (format === 'yyyy-MM') {
    const m = MONTH.exec(value);
    return m && isRealDate(Number(m[1]), Number(m[2]), 1) ? value : undefined;
  }
  const m = DATE_TIME.exec(value);
  if (!m || !isValidDay(m[1])) return undefined;
  return Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) < 60 ? m[1] : undefined;
}

export interface DateRule extends FieldContext {
  what: FieldName;
  format: DateFormat;
  /** Today (`yyyy-MM-dd`) when the date records something that has happened and so cannot be later. */
  notAfter?: string;
}

/**
 * Checks a date that is present (absence is `requireField`'s business); returns its comparable part
 * when it is a real date in the format.
 */
export function checkDate(f: Findings, path: string, value: string, rule: DateRule): string | undefined {
  const part = comparablePart(value, rule.format);
  const base = { subject: rule.subject, what: FIELDS[rule.what], where: PLACES[rule.where] };
  if (part === undefined) {
    f.add('date-invalid', path, { ...base, value, format: rule.format });
    return undefined;
  }
  // A month is after today when it is after today's month; a day or date-time when its day is.
  const limit = rule.notAfter && (rule.format === 'yyyy-MM' ? rule.notAfter.slice(0, 7) : rule.notAfter);
  if (limit && part > limit) f.add('date-in-future', path, { ...base, value, today: rule.notAfter ?? '' });
  return part;
}

export function checkDateOrder(
  f: Findings,
  path: string,
  from: { what: FieldName; value: string | undefined },
  to: { what: FieldName; value: string | undefined },
  ctx: FieldContext,
): void {
  if (from.value === undefined || to.value === undefined || to.value >= from.value) return;
  f.add('date-range-reversed', path, {
    subject: ctx.subject,
    from: FIELDS[from.what],
    to: FIELDS[to.what],
    fromValue: from.value,
    toValue: to.value,
    where: PLACES[ctx.where],
  });
}

/**
 * Fixed values of the protocol itself (CODE-TABLES.md) that no region redefines, so they are not
 * versioned tables: flags, directions, entry/exit type, contract period and unit, approval level, scale.
 */
export const PROTOCOL_VALUES = {
  'yes-no': ['0', '1'],
  direction: ['01', '02'],
  'entry-exit-type': ['0', '1'],
  'contract-period-type': ['0', '1'],
  'measure-unit': ['80', '81', '82'],
  'approval-level': ['001', '002', '003', '004', '005', '006'],
  'project-size': ['01', '02', '03'],
} as const;

export type ProtocolValueSet = keyof typeof PROTOCOL_VALUES;

export interface CodeRule extends FieldContext {
  what: FieldName;
  /** A versioned code table, or a fixed protocol value set. */
  table: CodeTableName | { protocol: ProtocolValueSet };
  codeTables: CodeTableRegistry;
}

/** Checks a code that is present; a code a table has retired is refused for data sent now. */
export function checkCode(f: Findings, path: string, value: string | number, rule: CodeRule): void {
  const text = String(value);
  const base = { subject: rule.subject, what: FIELDS[rule.what], where: PLACES[rule.where], value: text };
  if (typeof rule.table === 'object') {
    const allowed: readonly string[] = PROTOCOL_VALUES[rule.table.protocol];
    if (!allowed.includes(text)) f.add('code-value-unknown', path, base);
    return;
  }
  if (!rule.codeTables.isValid(rule.table, text)) f.add('code-value-unknown', path, base);
  else if (!rule.codeTables.isValid(rule.table, text, { current: true }))
    f.add('code-value-retired', path, base);
}

const RESIDENT_ID_TYPE = '01';

function reasonOfIdentifier(reason: string, prefix: 'id' | 'credit'): Bilingual {
  if (reason.startsWith('it must be 18')) return prefix === 'id' ? REASONS.idLength : REASONS.creditLength;
  if (reason.startsWith('character'))
    return prefix === 'id' ? REASONS.idCharacters : REASONS.creditCharacters;
  if (reason.startsWith('area code')) return REASONS.idArea;
  if (reason.startsWith('birth date')) return REASONS.idBirthDate;
  if (reason.startsWith('check character')) return REASONS.checkCharacter;
  return REASONS.malformed;
}

/** Joins several reasons into one parenthesis, in each language. */
function joinReasons(reasons: readonly Bilingual[]): Bilingual {
  const unique = [...new Map(reasons.map((r) => [r.en, r])).values()];
  return { zh: unique.map((r) => r.zh).join('；'), en: unique.map((r) => r.en).join('; ') };
}

/**
 * An ID number is checked as a resident ID (GB 11643) only when its type says it is one (01); other
 * documents have no public check rule. The area code inside a resident ID is checked by province
 * only: an ID keeps the code of a division that may since have been abolished.
 */
export function checkIdNumber(
  f: Findings,
  path: string,
  idCardType: string | undefined,
  idCardNumber: string,
  today: string,
  ctx: FieldContext,
): void {
  if (String(idCardType) !== RESIDENT_ID_TYPE) return;
  const r = checkResidentId(idCardNumber, { today });
  if (r.ok) return;
  f.add('id-number-invalid', path, {
    subject: ctx.subject,
    masked: maskResidentId(idCardNumber),
    reason: joinReasons(r.reasons.map((x) => reasonOfIdentifier(x, 'id'))),
    where: PLACES[ctx.where],
  });
}

export function checkCorpCode(
  f: Findings,
  path: string,
  value: string,
  overrides: ReadonlySet<string> | undefined,
  ctx: FieldContext,
): void {
  const r = checkCreditCode(value, { overrides });
  if (r.ok) return;
  f.add('credit-code-invalid', path, {
    subject: ctx.subject,
    value,
    reason: joinReasons(r.reasons.map((x) => reasonOfIdentifier(x, 'credit'))),
    where: PLACES[ctx.where],
  });
}

// 83 prefixes only the residence permits of Taiwan residents; it names no GB/T 2260 division.
const DIVISION_PROVINCES: ReadonlySet<string> = new Set([...PROVINCE_CODES].filter((p) => p !== '83'));

/**
 * GB/T 2260: six digits. With a full division table (`areaCodes`) membership is checked; the library
 * holds no such table, so without one only the format and the province prefix can be.
 */
export function checkAreaCode(
  f: Findings,
  path: string,
  value: string,
  areaCodes: ReadonlySet<string> | undefined,
  ctx: FieldContext,
): void {
  let reason: Bilingual | undefined;
  if (!/^\d{6}$/.test(value)) reason = REASONS.areaFormat;
  else if (!DIVISION_PROVINCES.has(value.slice(0, 2))) reason = REASONS.areaProvince;
  else if (areaCodes && !areaCodes.has(value)) reason = REASONS.areaUnknown;
  if (reason)
    f.add('area-code-invalid', path, { subject: ctx.subject, value, reason, where: PLACES[ctx.where] });
}

/** Limits of the reference, in bytes (a KB is 1,024 bytes). */
export const LIMITS = {
  headImageBytes: 50 * 1024,
  idCardImageBytes: 500 * 1024,
  attendanceImageBytes: 50 * 1024,
  teamAttachmentBytes: 1024 * 1024,
  teamAttachments: 5,
  contractAttachments: 2,
  workersPerCall: 5,
  contractsPerCall: 5,
  entryExitsPerCall: 50,
  punchesPerCall: 20,
  payLinesPerCall: 20,
} as const;

export type ImageVerdict =
  { ok: true } | { ok: false; problem: 'not-jpg-png' } | { ok: false; problem: 'too-large'; kb: number };

/** A Base64 image must decode, start with a JPEG or PNG signature and stay within `maxBytes`. */
export function judgeImage(base64: string, maxBytes: number): ImageVerdict {
  const r = inspectBase64(base64);
  if (!r.ok || r.format === undefined) return { ok: false, problem: 'not-jpg-png' };
  if (r.bytes > maxBytes) return { ok: false, problem: 'too-large', kb: kilobytes(r.bytes) };
  return { ok: true };
}

export function checkAttachments(
  f: Findings,
  path: string,
  list: readonly Attachment[] | undefined,
  limits: { max: number; maxBytes?: number },
  what: FieldName,
  ctx: FieldContext,
): void {
  if (!list) return;
  const base = { subject: ctx.subject, where: PLACES[ctx.where] };
  if (list.length > limits.max) {
    f.add('attachments-too-many', path, { ...base, what: FIELDS[what], count: list.length, max: limits.max });
  }
  const maxBytes = limits.maxBytes;
  if (maxBytes === undefined) return;
  list.forEach((a, i) => {
    const data = a.data ?? '';
    const r = inspectBase64(data);
    // Text that is not Base64 cannot be decoded: its size is estimated (4 characters carry 3 bytes).
    const bytes = r.ok ? r.bytes : Math.floor((data.length * 3) / 4);
    if (bytes > maxBytes) {
      f.add('attachment-too-large', `${path}[${i}].data`, {
        ...base,
        name: shown(a.name),
        kb: kilobytes(bytes),
        maxKb: kilobytes(maxBytes),
      });
    }
  });
}

/** A list sent in one call must hold at least one and at most `max` entries. */
export function checkBatch(
  f: Findings,
  path: string,
  list: readonly unknown[] | undefined,
  max: number | undefined,
  what: FieldName,
  where: Place,
): boolean {
  if (!list || list.length === 0) {
    f.add('batch-empty', path, { what: FIELDS[what], where: PLACES[where] });
    return false;
  }
  if (max !== undefined && list.length > max) {
    f.add('batch-too-large', path, { what: FIELDS[what], count: list.length, max });
  }
  return true;
}

/** The key under which workers are known upstream: the normalised ID number (`x` stored as `X`). */
export function workerKey(idCardNumber: string): string {
  return normaliseResidentId(idCardNumber);
}

/** A worker named by name when known, else by masked ID number (never the full number in a message). */
export function workerLabel(idCardNumber: string, names?: ReadonlyMap<string, string>): string {
  return names?.get(workerKey(idCardNumber))?.trim() || maskResidentId(idCardNumber.trim());
}

/** `{who}` in a worker sentence: the label, or words saying neither name nor ID number is given. */
export function whoParam(label: string): MessageParam {
  return label.trim() ? label.trim() : UNNAMED_WORKER;
}
