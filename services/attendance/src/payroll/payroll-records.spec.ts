import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import {
  checkRecords,
  csvRows,
  fileKind,
  jsonRows,
  maskReference,
  parseCsv,
  referenceHash,
  xlsxRows,
  type RawRecord,
} from './payroll-records';

const HEADER = '工人ID,月份,实发金额,发放日期,银行流水号';

describe('payroll records as a payroll clerk sends them', () => {
  it('reads CSV with a BOM, quoted fields and CRLF', () => {
    expect(parseCsv('a,"b,""c""",d\r\n1,2,3')).toEqual([
      ['a', 'b,"c"', 'd'],
      ['1', '2', '3'],
    ]);
    const rows = csvRows(
      Buffer.from(`\uFEFF${HEADER}\r\nw-1,2026-11,"6,800.50",2026-12-10,ICBC0001234\r\n\r\n`),
    );
    expect(rows).toEqual([
      {
        where: 'row 2',
        values: {
          workerId: 'w-1',
          month: '2026-11',
          amountPaid: '6,800.50',
          paidOn: '2026-12-10',
          bankReference: 'ICBC0001234',
        },
      },
    ]);
    expect(checkRecords(rows as RawRecord[]).records[0]).toMatchObject({ amountPaidFen: 680050 });
  });

  it('reads CSV saved by Chinese Excel in GB18030, and English headings', () => {
    const gbk = iconv.encode(`${HEADER}\r\nw-1,2026年11月,100,2026/12/1,REF-99887766\r\n`, 'gb18030');
    const [row] = csvRows(gbk) as RawRecord[];
    expect(checkRecords([row]).records[0]).toMatchObject({ month: '2026-11', paidOn: '2026-12-01' });
    const en = csvRows(
      Buffer.from('workerId,month,amountPaid,paidOn,bankReference\nw-2,2026-11,1,2026-12-01,ABCD\n'),
    );
    expect((en as RawRecord[])[0].values.workerId).toBe('w-2');
  });

  it('names a missing column and what to do', () => {
    expect(csvRows(Buffer.from('工人ID,月份,实发金额,发放日期\nw-1,2026-11,1,2026-12-01\n'))).toEqual([
      {
        field: 'column 银行流水号',
        message: 'the file has no 银行流水号 (bankReference) column: add it to the header row',
      },
    ]);
  });

  it('reads the first worksheet of XLSX: a title row above the header, numbers and date cells', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('工资发放');
    ws.addRow(['某项目 2026年11月工资发放表']);
    ws.addRow(HEADER.split(','));
    ws.addRow(['w-1', '2026-11', 6800.5, new Date(Date.UTC(2026, 11, 10)), 'ICBC20261210000123']);
    ws.addRow([
      'w-2',
      '2026-11',
      { formula: '1+1', result: 2 },
      '2026-12-10',
      { richText: [{ text: 'AB' }, { text: 'CD12' }] },
    ]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    expect(fileKind(buf, undefined)).toBe('xlsx');
    const rows = (await xlsxRows(buf)) as RawRecord[];
    expect(rows.map((r) => r.where)).toEqual(['row 3', 'row 4']);
    const { records, errors } = checkRecords(rows);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      expect.objectContaining({ workerId: 'w-1', amountPaidFen: 680050, paidOn: '2026-12-10' }),
      expect.objectContaining({ workerId: 'w-2', amountPaidFen: 200, bankReference: 'ABCD12' }),
    ]);
    expect(await xlsxRows(Buffer.from('PK\u0003\u0004 not a zip'))).toEqual([
      expect.objectContaining({ field: 'file' }),
    ]);
  });

  it('refuses every bad row by row and field, and takes nothing then', () => {
    const rows = jsonRows({
      records: [
        {
          workerId: 'w-1',
          month: '2026-11',
          amountPaid: '100.00',
          paidOn: '2026-12-10',
          bankReference: 'REF-0001',
        },
        { workerId: '', month: '2026-13', amountPaid: '12.345', paidOn: '2026-02-30', bankReference: 'x' },
        {
          workerId: 'w-1',
          month: '2026-11',
          amountPaid: 100,
          paidOn: '2026-12-10',
          bankReference: 'ref-0001',
        },
        { workerId: 'w-3', month: '2026-11', amountPaid: 0, paidOn: '2026-12-10', bankReference: 'REF-0003' },
      ],
    }) as RawRecord[];
    const { records, errors } = checkRecords(rows);
    expect(records).toEqual([]);
    expect(errors.map((e) => e.field)).toEqual([
      'records[1].workerId',
      'records[1].month',
      'records[1].amountPaid',
      'records[1].paidOn',
      'records[1].bankReference',
      'records[2].bankReference',
      'records[3].amountPaid',
    ]);
    expect(errors[1].message).toBe('"2026-13" is not a month: write it as YYYY-MM, e.g. 2026-11');
    expect(errors[5].message).toMatch(/same worker, month and bank reference as records\[0\]/);
    expect(jsonRows({ rows: [] })).toEqual([expect.objectContaining({ field: 'records' })]);
    expect(checkRecords([]).errors).toEqual([expect.objectContaining({ field: 'records' })]);
  });

  it('keeps the bank reference masked and hashed per project, whatever its case', () => {
    expect(maskReference('icbc20261210000123')).toBe('**************0123');
    expect(referenceHash('p1', 'icbc1234 ')).toBe(referenceHash('p1', 'ICBC1234'));
    expect(referenceHash('p1', 'ICBC1234')).not.toBe(referenceHash('p2', 'ICBC1234'));
    expect(referenceHash('p1', 'ICBC1234')).toMatch(/^[0-9a-f]{64}$/);
  });
});
