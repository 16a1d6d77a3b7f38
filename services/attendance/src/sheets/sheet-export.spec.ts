import ExcelJS from 'exceljs';
import { buildTeamSheet } from './month-sheet';
import { teamSheetHeaders, teamSheetTable, toCsv, toXlsx } from './sheet-export';

const sheet = buildTeamSheet({
  project: { projectId: 'p1', name: '西湖文化中心', region: '330106' },
  team: { teamId: 't1', name: '钢筋班' },
  month: '2026-11',
  workers: [
    {
      enrolmentId: 'en-1',
      workerId: 'w-1',
      name: '张三',
      maskedIdNumber: '3301**********0011',
      workType: '钢筋工',
    },
    {
      enrolmentId: 'en-2',
      workerId: 'w-2',
      name: '李"四",',
      maskedIdNumber: '3301**********0022',
      workType: '木工',
    },
  ],
  days: [
    { enrolmentId: 'en-1', day: '2026-11-02', status: 'present', workedMinutes: 480, revision: 1 },
    { enrolmentId: 'en-1', day: '2026-11-03', status: 'incomplete', workedMinutes: 0, revision: 1 },
    { enrolmentId: 'en-2', day: '2026-11-02', status: 'absent', workedMinutes: 0, revision: 1 },
    { enrolmentId: 'en-2', day: '2026-11-04', status: 'leave', workedMinutes: 0, revision: 1 },
  ],
});

describe('the team sheet as a site office prints it', () => {
  it('has the Chinese headers with one column per day', () => {
    const headers = teamSheetHeaders(30);
    expect(headers.slice(0, 4)).toEqual(['序号', '姓名', '身份证号(脱敏)', '工种']);
    expect(headers[4]).toBe('1');
    expect(headers[33]).toBe('30');
    expect(headers.slice(34)).toEqual(['出勤天数', '工时合计', '请假天数', '缺勤天数']);
  });

  it('writes CSV with a UTF-8 BOM, the title, quoted fields and the legend', () => {
    const csv = toCsv(teamSheetTable(sheet));
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('西湖文化中心 钢筋班 2026年11月考勤表');
    expect(lines[1].startsWith('序号,姓名,身份证号(脱敏),工种,1,2,3,')).toBe(true);
    expect(lines[2]).toBe(`1,张三,3301**********0011,钢筋工,,√8,△,${','.repeat(27)}2,8,0,0`);
    expect(lines[3].startsWith('2,"李""四"",",3301**********0022,木工,,×,,假,')).toBe(true);
    expect(lines[4]).toMatch(/^图例：√ 出勤/);
  });

  it('writes XLSX that reads back cell by cell', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await toXlsx(teamSheetTable(sheet))) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.name).toBe('考勤表');
    expect(ws.getCell('A1').value).toBe('西湖文化中心 钢筋班 2026年11月考勤表');
    expect(ws.getRow(2).values).toEqual([undefined, ...teamSheetHeaders(30)]);
    const first = ws.getRow(3);
    expect(first.getCell(1).value).toBe(1);
    expect(first.getCell(2).value).toBe('张三');
    expect(first.getCell(5 + 1).value).toBe('√8');
    expect(first.getCell(5 + 2).value).toBe('△');
    expect(first.getCell(35).value).toBe(2);
    expect(first.getCell(36).value).toBe(8);
    const second = ws.getRow(4);
    expect(second.getCell(6).value).toBe('×');
    expect(second.getCell(8).value).toBe('假');
    expect([37, 38].map((c) => second.getCell(c).value)).toEqual([1, 1]);
    // Weekends (1 Nov is a Sunday) are shaded.
    expect((ws.getCell(2, 5).fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFE7E6E6');
    expect((ws.getCell(2, 6).fill as ExcelJS.FillPattern | undefined)?.pattern ?? 'none').toBe('none');
    expect(String(ws.getCell(5, 1).value)).toMatch(/^图例：/);
  });
});
