import type { AttendanceApi } from '@realname/contracts';
import { monthTitle } from '../sheets/month-sheet';
import type { ExportTable } from '../sheets/sheet-export';
import { fenToYuan } from './amount-due';

const BASIS: Record<AttendanceApi.WageBasis, string> = { daily: '按日', hourly: '按小时', piece: '计件' };

export const PAYROLL_HEADERS = [
  '序号',
  '姓名',
  '身份证号(脱敏)',
  '工种',
  '出勤天数',
  '工时合计',
  '计酬方式',
  '单价(元)',
  '计件数量',
  '应发金额',
  '实发金额',
  '差额',
  '备注',
];

/** Amounts as numbers of yuan with 2 decimals (exact: fen / 100 printed from the integer). */
const yuan = (fen: number | null) => (fen === null ? '' : Number(fenToYuan(fen)));

/** The payroll sheet as site offices print it: amounts in yuan, a totals row, notes where due is unknown. */
export function payrollSheetTable(sheet: AttendanceApi.PayrollSheet): ExportTable {
  return {
    sheetName: '工资表',
    title: `${sheet.project.name} ${sheet.team.name} ${monthTitle(sheet.month)}工资表`,
    headers: PAYROLL_HEADERS,
    rows: [
      ...sheet.lines.map((l, i) => [
        i + 1,
        l.name,
        l.maskedIdNumber,
        l.workType,
        l.daysPresent,
        l.hours,
        l.basis ? BASIS[l.basis] : '',
        yuan(l.rateFen),
        l.pieces ?? '',
        yuan(l.amountDueFen),
        yuan(l.amountPaidFen),
        yuan(l.differenceFen),
        l.amountDueNote ?? '',
      ]),
      [
        '合计',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        yuan(sheet.totals.amountDueFen),
        yuan(sheet.totals.amountPaidFen),
        '',
        sheet.totals.unknownDue ? `${sheet.totals.unknownDue} 人应发金额未知` : '',
      ],
    ],
    footer:
      '金额单位：元。差额 = 实发金额 − 应发金额；应发金额按日 = 日工资 × 出勤天数，按小时 = 时薪 × 工时（四舍五入到分），计件 = 单价 × 数量。',
    money: [7, 9, 10, 11],
  };
}
