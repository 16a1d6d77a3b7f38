import ExcelJS from 'exceljs';
import { LEGEND, monthTitle, type TeamSheet } from './month-sheet';

/*
 * Sheets as site offices print them: a title row, one header row in Chinese, a row per worker, and a
 * legend; as CSV (UTF-8 with a BOM, so that Excel reads the Chinese) or XLSX (exceljs).
 */

export type Cell = string | number;

export interface ExportTable {
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Printed under the rows, one line. */
  footer?: string;
  /** Header indexes of columns to shade (rest days and holidays). */
  shaded?: number[];
  /** Header indexes of amount columns, formatted with 2 decimals in XLSX. */
  money?: number[];
  sheetName: string;
}

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function csvField(v: Cell | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with CRLF line ends and a UTF-8 byte order mark. */
export function toCsv(t: ExportTable): Buffer {
  const lines = [[t.title], t.headers, ...t.rows, ...(t.footer ? [[t.footer]] : [])];
  const text = lines.map((l) => l.map(csvField).join(',')).join('\r\n') + '\r\n';
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

/** One worksheet: the title merged over every column, bold headers, thin borders, frozen panes. */
export async function toXlsx(t: ExportTable): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'realname attendance';
  const ws = wb.addWorksheet(t.sheetName, {
    views: [{ state: 'frozen', xSplit: 0, ySplit: 2 }],
    pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  const width = t.headers.length;
  ws.addRow([t.title]);
  ws.mergeCells(1, 1, 1, width);
  const title = ws.getCell(1, 1);
  title.font = { bold: true, size: 14 };
  title.alignment = { horizontal: 'center' };
  const header = ws.addRow(t.headers);
  header.font = { bold: true };
  header.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  for (const row of t.rows) ws.addRow(row);
  const shaded = new Set(t.shaded ?? []);
  for (let r = 2; r <= t.rows.length + 2; r++) {
    for (let c = 1; c <= width; c++) {
      const cell = ws.getCell(r, c);
      cell.border = {
        top: { style: 'thin' },
        left: { style: 'thin' },
        bottom: { style: 'thin' },
        right: { style: 'thin' },
      };
      if (shaded.has(c - 1)) cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE7E6E6' } };
      if (r > 2 && t.money?.includes(c - 1)) cell.numFmt = '0.00';
    }
  }
  t.headers.forEach((h, i) => (ws.getColumn(i + 1).width = Math.max(4, Math.min(24, h.length * 2 + 2))));
  if (t.footer) {
    const row = ws.addRow([t.footer]);
    ws.mergeCells(row.number, 1, row.number, width);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The headers of the monthly team sheet for a month of `days` days. */
export function teamSheetHeaders(days: number): string[] {
  return [
    '序号',
    '姓名',
    '身份证号(脱敏)',
    '工种',
    ...Array.from({ length: days }, (_, i) => String(i + 1)),
    '出勤天数',
    '工时合计',
    '请假天数',
    '缺勤天数',
  ];
}

/** The monthly team sheet as a table: marks per day, totals, and the legend as footer. */
export function teamSheetTable(sheet: TeamSheet): ExportTable {
  const headers = teamSheetHeaders(sheet.days.length);
  return {
    sheetName: '考勤表',
    title: `${sheet.project.name} ${sheet.team.name} ${monthTitle(sheet.month)}考勤表`,
    headers,
    rows: sheet.workers.map((w, i) => [
      i + 1,
      w.name,
      w.maskedIdNumber,
      w.workType,
      ...w.days.map((d) => d.mark),
      w.totals.daysPresent,
      w.totals.hours,
      w.totals.leaveDays,
      w.totals.absentDays,
    ]),
    footer:
      '图例：' +
      Object.entries(LEGEND)
        .map(([mark, meaning]) => `${mark} ${meaning}`)
        .join('；'),
    shaded: sheet.days.flatMap((d, i) => (d.working ? [] : [4 + i])),
  };
}

/** A download file name: ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(asciiName: string, utf8Name: string): string {
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(utf8Name)}`;
}
