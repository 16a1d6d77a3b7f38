import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { isValidDay } from '@realname/domain-rules';
import { yuanToFen } from './amount-due';

/*
 * Payroll records as a payroll clerk sends them: JSON, or a CSV / XLSX file with the columns 工人ID
 * (workerId), 月份 (month), 实发金额 (amountPaid, yuan), 发放日期 (paidOn), 银行流水号 (bankReference).
 * Every row is checked; an error names the row, the field and what to do.
 */

export type RecordField = 'workerId' | 'month' | 'amountPaid' | 'paidOn' | 'bankReference';
export const RECORD_FIELDS: RecordField[] = ['workerId', 'month', 'amountPaid', 'paidOn', 'bankReference'];

/** Accepted column headings per field (compared trimmed, case-insensitive). */
export const COLUMN_NAMES: Record<RecordField, string[]> = {
  workerId: ['工人ID', '工人id', 'workerId', 'worker_id'],
  month: ['月份', '工资月份', 'month'],
  amountPaid: ['实发金额', 'amountPaid', 'amount_paid'],
  paidOn: ['发放日期', 'paidOn', 'paid_on'],
  bankReference: ['银行流水号', 'bankReference', 'bank_reference'],
};

export interface RawRecord {
  /** How an error names the row: `records[0]` (JSON) or `row 2` (the file's line, header is row 1). */
  where: string;
  values: Partial<Record<RecordField, unknown>>;
}

export interface RecordInput {
  where: string;
  workerId: string;
  month: string;
  amountPaidFen: number;
  paidOn: string;
  bankReference: string;
}

export interface FieldError {
  field: string;
  message: string;
}

export const MAX_RECORDS = 10_000;

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).trim();
}

/** 2026-11, 2026/11, 2026年11月 or a date cell → YYYY-MM. */
function monthOf(v: unknown): string | undefined {
  const m = /^(20\d{2})[-/年.](\d{1,2})月?$/.exec(text(v)) ?? /^(20\d{2})-(\d{2})-01$/.exec(text(v));
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined;
  return `${m[1]}-${m[2].padStart(2, '0')}`;
}

/** 2026-12-10, 2026/12/10 or a date cell → YYYY-MM-DD. */
function dayOf(v: unknown): string | undefined {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(text(v));
  if (!m) return undefined;
  const day = `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  return isValidDay(day) ? day : undefined;
}

/** Checks every row: the records when all are good, else every error found (nothing is taken). */
export function checkRecords(rows: RawRecord[]): { records: RecordInput[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const records: RecordInput[] = [];
  const seen = new Map<string, string>();
  if (rows.length === 0)
    errors.push({ field: 'records', message: 'no payroll record was sent: send at least one row' });
  if (rows.length > MAX_RECORDS)
    errors.push({ field: 'records', message: `at most ${MAX_RECORDS} records per import: split the file` });
  for (const r of rows) {
    const before = errors.length;
    const bad = (field: RecordField, message: string) =>
      errors.push({ field: `${r.where}.${field}`, message });
    const workerId = text(r.values.workerId);
    if (!/^[^\u0000-\u001f\u007f]{1,128}$/.test(workerId))
      bad(
        'workerId',
        'the worker ID is missing or not valid: give the registry’s worker ID (1-128 characters)',
      );
    const month = monthOf(r.values.month);
    if (!month) bad('month', `"${text(r.values.month)}" is not a month: write it as YYYY-MM, e.g. 2026-11`);
    const amountPaidFen = yuanToFen(r.values.amountPaid);
    if (amountPaidFen === undefined || amountPaidFen <= 0)
      bad(
        'amountPaid',
        `"${text(r.values.amountPaid)}" is not an amount paid: write yuan with at most 2 decimals, more than 0, e.g. 6800.50`,
      );
    const paidOn = dayOf(r.values.paidOn);
    if (!paidOn) bad('paidOn', `"${text(r.values.paidOn)}" is not a date: write the day paid as YYYY-MM-DD`);
    const bankReference = text(r.values.bankReference);
    if (!/^[^\u0000-\u001f\u007f]{4,64}$/.test(bankReference))
      bad(
        'bankReference',
        'the bank reference is missing or not 4-64 characters: copy it from the bank statement',
      );
    if (errors.length > before || !month || amountPaidFen === undefined || !paidOn) continue;
    const key = [workerId, month, normaliseReference(bankReference)].join('\u001f');
    const first = seen.get(key);
    if (first) {
      bad('bankReference', `the same worker, month and bank reference as ${first}: remove the duplicate row`);
      continue;
    }
    seen.set(key, r.where);
    records.push({ where: r.where, workerId, month, amountPaidFen, paidOn, bankReference });
  }
  return { records: errors.length ? [] : records, errors };
}

/** JSON body rows: `{records: [...]}`. */
export function jsonRows(body: unknown): RawRecord[] | FieldError[] {
  const records = (body as { records?: unknown } | null)?.records;
  if (!Array.isArray(records))
    return [{ field: 'records', message: 'send {"records": [...]} with one object per payment' }];
  return records.map((r, i) => ({
    where: `records[${i}]`,
    values: typeof r === 'object' && r !== null ? (r as Record<RecordField, unknown>) : {},
  }));
}

/** Rows from a table whose header row names the columns (the first row that has a worker ID heading). */
function tableRows(table: unknown[][]): RawRecord[] | FieldError[] {
  const norm = (v: unknown) => text(v).toLowerCase();
  const headerIndex = table
    .slice(0, 10)
    .findIndex((row) => row.some((c) => COLUMN_NAMES.workerId.some((n) => norm(c) === n.toLowerCase())));
  if (headerIndex < 0)
    return [
      {
        field: 'file',
        message: `no header row with a worker ID column (工人ID or workerId) in the first 10 rows: use the template columns ${RECORD_FIELDS.map((f) => COLUMN_NAMES[f][0]).join(', ')}`,
      },
    ];
  const header = table[headerIndex].map(norm);
  const columns = {} as Record<RecordField, number>;
  const missing: FieldError[] = [];
  for (const f of RECORD_FIELDS) {
    const i = header.findIndex((h) => COLUMN_NAMES[f].some((n) => n.toLowerCase() === h));
    if (i < 0)
      missing.push({
        field: `column ${COLUMN_NAMES[f][0]}`,
        message: `the file has no ${COLUMN_NAMES[f][0]} (${f}) column: add it to the header row`,
      });
    columns[f] = i;
  }
  if (missing.length) return missing;
  const rows: RawRecord[] = [];
  table.forEach((row, i) => {
    if (i <= headerIndex || row.every((c) => text(c) === '')) return;
    rows.push({
      where: `row ${i + 1}`,
      values: Object.fromEntries(RECORD_FIELDS.map((f) => [f, row[columns[f]]])),
    });
  });
  return rows;
}

/** A CSV file (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it). */
export function csvRows(buf: Buffer): RawRecord[] | FieldError[] {
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    content = iconv.decode(buf, 'gb18030');
  }
  return tableRows(parseCsv(content.replace(/^\uFEFF/, '')));
}

/** RFC 4180: quoted fields with doubled quotes, CRLF or LF line ends. */
export function parseCsv(content: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (quoted) {
      if (c === '"' && content[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && content[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}

/** The first worksheet of an XLSX file, cell values as exceljs reads them (formulas by their result). */
export async function xlsxRows(buf: Buffer): Promise<RawRecord[] | FieldError[]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    return [
      {
        field: 'file',
        message: 'the file is not a readable XLSX workbook: save it from Excel as .xlsx, or send CSV',
      },
    ];
  }
  const ws = wb.worksheets[0];
  if (!ws) return [{ field: 'file', message: 'the workbook has no worksheet' }];
  const table: unknown[][] = [];
  ws.eachRow({ includeEmpty: true }, (row, n) => {
    const cells: unknown[] = [];
    row.eachCell({ includeEmpty: true }, (cell, c) => (cells[c - 1] = cellValue(cell.value)));
    table[n - 1] = cells;
  });
  for (let i = 0; i < table.length; i++) table[i] ??= [];
  return tableRows(table);
}

function cellValue(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v;
  if (typeof v !== 'object') return v;
  if ('result' in v) return cellValue(v.result as ExcelJS.CellValue);
  if ('richText' in v) return v.richText.map((t) => t.text).join('');
  if ('text' in v) return v.text;
  return '';
}

/** A file's kind from its first bytes (XLSX is a ZIP), else from its media type; CSV by default. */
export function fileKind(buf: Buffer, contentType: string | undefined): 'xlsx' | 'csv' {
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return 'xlsx';
  return (contentType ?? '').includes('spreadsheetml') ? 'xlsx' : 'csv';
}

function normaliseReference(ref: string): string {
  return ref.trim().toUpperCase();
}

/** Only the last 4 characters of a bank reference are kept readable. */
export function maskReference(ref: string): string {
  const r = normaliseReference(ref);
  return '*'.repeat(Math.max(r.length - 4, 0)) + r.slice(-4);
}

/** The reference's hash within the project (the idempotency key with worker and month). */
export function referenceHash(projectId: string, ref: string): string {
  return createHash('sha256')
    .update(['payroll-bank-reference', projectId, normaliseReference(ref)].join('\u001f'), 'utf8')
    .digest('hex');
}
