import ExcelJS from 'exceljs';
import type { AttendanceApi } from '@realname/contracts';
import { toCsv, toXlsx } from '../sheets/sheet-export';
import { PAYROLL_HEADERS, payrollSheetTable } from './payroll-export';

const line = (over: Partial<AttendanceApi.PayrollLine>): AttendanceApi.PayrollLine => ({
  enrolmentId: 'en-1',
  workerId: 'w-1',
  name: '张三',
  maskedIdNumber: '3301**********0011',
  workType: '钢筋工',
  daysPresent: 20,
  workedMinutes: 9600,
  hours: 160,
  basis: 'daily',
  rateFen: 35050,
  pieces: null,
  amountDueFen: 701000,
  amountDueNote: null,
  amountPaidFen: 700000,
  differenceFen: -1000,
  payments: 1,
  ...over,
});

const sheet: AttendanceApi.PayrollSheet = {
  project: { projectId: 'p1', name: '西湖文化中心' },
  team: { teamId: 't1', name: '钢筋班' },
  month: '2026-11',
  lines: [
    line({}),
    line({
      name: '李四',
      basis: 'piece',
      rateFen: 500,
      amountDueFen: null,
      amountDueNote: '没有计件数量',
      differenceFen: null,
      amountPaidFen: 0,
    }),
  ],
  totals: { amountDueFen: 701000, amountPaidFen: 700000, unknownDue: 1 },
};

describe('the payroll sheet as a site office prints it', () => {
  it('has the Chinese headers and amounts in yuan', () => {
    const lines = toCsv(payrollSheetTable(sheet)).subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('西湖文化中心 钢筋班 2026年11月工资表');
    expect(lines[1]).toBe(PAYROLL_HEADERS.join(','));
    expect(lines[1]).toContain('应发金额,实发金额,差额');
    expect(lines[2]).toBe('1,张三,3301**********0011,钢筋工,20,160,按日,350.5,,7010,7000,-10,');
    expect(lines[3]).toBe('2,李四,3301**********0011,钢筋工,20,160,计件,5,,,0,,没有计件数量');
    expect(lines[4]).toBe('合计,,,,,,,,,7010,7000,,1 人应发金额未知');
  });

  it('reads back from XLSX with amounts as numbers of yuan', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await toXlsx(payrollSheetTable(sheet))) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.name).toBe('工资表');
    expect(ws.getCell('J2').value).toBe('应发金额');
    expect(ws.getCell('J3').value).toBe(7010);
    expect(ws.getCell('J3').numFmt).toBe('0.00');
    expect(ws.getCell('K3').value).toBe(7000);
    expect(ws.getCell('L3').value).toBe(-10);
    expect(ws.getCell('M4').value).toBe('没有计件数量');
  });
});
