import {
  checkAttendanceUpload,
  checkEntryExitUpload,
  checkPayrollUpload,
  checkTrainingUpload,
  checkWorkerContractUpload,
} from './checks';
import {
  attendance,
  contracts,
  entryExitContext,
  entryExits,
  gif,
  jpeg,
  LI,
  payroll,
  TODAY,
  training,
  WANG,
  WITH_X,
  workersKnown,
  ZHANG,
} from './fixtures.spec-support';
import type { AttendanceEntry, EntryExitEntry, PayrollDetail, WorkerContractEntry } from './records';

const codes = (problems: { code: string }[]) => problems.map((p) => p.code);
const masked = (id: string) => `${id.slice(0, 4)}**********${id.slice(-4)}`;

describe('contract (WorkerContract.Add)', () => {
  const withContract = (patch: Partial<WorkerContractEntry>) => ({
    ...contracts(),
    contractList: [{ ...contracts().contractList[0], ...patch }],
  });

  it('Given a contract of an accepted worker, when checked, then nothing is wrong', () => {
    expect(checkWorkerContractUpload(contracts(), workersKnown())).toEqual([]);
  });

  it('Given a contract of a worker not yet accepted, when checked, then it waits for the worker', () => {
    const [p] = checkWorkerContractUpload(withContract({ idCardNumber: WANG }), workersKnown());
    expect(p).toMatchObject({ code: 'worker-not-uploaded', path: 'contractList[0].idCardNumber' });
    expect(p.zh).toContain(`工人 ${masked(WANG)} 尚未`);
    expect(p.zh).toContain('本劳动合同');
    expect(p.zh).not.toContain(WANG);
  });

  it('Given a contract starting next year, when checked, then it is accepted (contracts are signed ahead)', () => {
    expect(
      checkWorkerContractUpload(
        withContract({ startDate: '2027-01-01', endDate: '2027-12-31' }),
        workersKnown(),
      ),
    ).toEqual([]);
  });

  it('Given an end before the start, a period type 2, a unit 83 and three attachments, when checked, then each is named', () => {
    const a = { name: 'a.pdf', data: 'AAAA' };
    const r = withContract({
      endDate: '2026-01-01',
      contractPeriodType: 2,
      unit: 83,
      attachments: [a, a, a],
    });
    expect(checkWorkerContractUpload(r, workersKnown()).map((p) => [p.code, p.path])).toEqual([
      ['code-value-unknown', 'contractList[0].contractPeriodType'],
      ['code-value-unknown', 'contractList[0].unit'],
      ['date-range-reversed', 'contractList[0].endDate'],
      ['attachments-too-many', 'contractList[0].attachments'],
    ]);
  });

  it('Given six contracts in one call, when checked, then the batch is too large', () => {
    const r = { ...contracts(), contractList: Array.from({ length: 6 }, () => contracts().contractList[0]) };
    const [p] = checkWorkerContractUpload(r, workersKnown());
    expect(p).toMatchObject({ code: 'batch-too-large', path: 'contractList' });
    expect(p.en).toContain('6 contracts are in one call but the platform accepts at most 5 per call');
  });
});

describe('training (ProjectTraining.Add)', () => {
  it('Given a training of accepted workers, when checked, then nothing is wrong', () => {
    expect(checkTrainingUpload(training(), workersKnown())).toEqual([]);
  });

  it('Given a training dated tomorrow with an unknown type, when checked, then both are refused', () => {
    const r = { ...training(), trainingDate: '2026-12-04', trainingTypeCode: '003005' };
    expect(checkTrainingUpload(r, workersKnown()).map((p) => [p.code, p.path])).toEqual([
      ['date-in-future', 'trainingDate'],
      ['code-value-unknown', 'trainingTypeCode'],
    ]);
  });

  it('Given an attendee not yet accepted and no attendees at all, when checked, then each is reported', () => {
    const r = { ...training(), workers: [{ idCardType: '01', idCardNumber: WANG, isPass: 5 }] };
    expect(checkTrainingUpload(r, workersKnown()).map((p) => [p.code, p.path])).toEqual([
      ['worker-not-uploaded', 'workers[0].idCardNumber'],
      ['code-value-unknown', 'workers[0].isPass'],
    ]);
    expect(codes(checkTrainingUpload({ ...training(), workers: [] }, workersKnown()))).toEqual([
      'batch-empty',
    ]);
  });
});

describe('entry/exit (WorkerEntryExit.Add)', () => {
  const withRecords = (...list: EntryExitEntry[]) => ({ ...entryExits(), workerList: list });
  const record = (idCardNumber: string, date: string, type: number): EntryExitEntry => ({
    idCardType: '01',
    idCardNumber,
    date,
    type,
  });

  it('Given an entry of an accepted worker today, when checked, then nothing is wrong', () => {
    expect(checkEntryExitUpload(withRecords(record(ZHANG, TODAY, 1)), entryExitContext())).toEqual([]);
  });

  it('Given an entry dated tomorrow, when checked, then it is in the future', () => {
    const [p] = checkEntryExitUpload(withRecords(record(ZHANG, '2026-12-04', 1)), entryExitContext());
    expect(p).toMatchObject({ code: 'date-in-future', path: 'workerList[0].date' });
    expect(p.en).toBe(
      'The entry/exit date of worker 张三 is 2026-12-04, after today (2026-12-03): change it under Entry and exit in the site system to today or an earlier date.',
    );
  });

  it('Given an exit earlier than the last entry or exit upstream, when checked, then the order is refused', () => {
    const [p] = checkEntryExitUpload(withRecords(record(LI, '2026-05-09', 0)), entryExitContext());
    expect(p).toEqual({
      code: 'entry-exit-before-last',
      path: 'workerList[0].date',
      zh: '工人 李四 的退场日期 2026-05-09 早于上次已上报的进退场日期 2026-05-10：请在实名制系统“进退场”中按时间先后更正日期。',
      en: 'The exit date 2026-05-09 of worker 李四 is before the last entry or exit already reported (2026-05-10): correct the dates in time order under Entry and exit in the site system.',
    });
  });

  it('Given an exit on the same day as the last entry, when checked, then it is allowed (only earlier is refused)', () => {
    expect(checkEntryExitUpload(withRecords(record(LI, '2026-05-10', 0)), entryExitContext())).toEqual([]);
  });

  it('Given an entry then an earlier exit in the same call, when checked, then the second is refused', () => {
    const problems = checkEntryExitUpload(
      withRecords(record(ZHANG, '2026-06-01', 1), record(ZHANG, '2026-05-01', 0)),
      entryExitContext(),
    );
    expect(problems.map((p) => [p.code, p.path])).toEqual([['entry-exit-before-last', 'workerList[1].date']]);
  });

  it('Given a lower-case x in the ID number, when checked, then the worker is still found upstream', () => {
    const lower = `${WITH_X.slice(0, 17)}x`;
    expect(checkEntryExitUpload(withRecords(record(lower, TODAY, 1)), entryExitContext())).toEqual([]);
    const ctx = { ...entryExitContext(), lastEntryExit: new Map([[WITH_X, '2026-06-01']]) };
    expect(codes(checkEntryExitUpload(withRecords(record(lower, '2026-05-01', 0)), ctx))).toEqual([
      'entry-exit-before-last',
    ]);
  });

  it('Given a worker and a team not yet accepted, when checked, then both are waited for', () => {
    const ctx = { ...entryExitContext(), acceptedTeams: new Set<string>() };
    expect(
      checkEntryExitUpload(withRecords(record(WANG, TODAY, 1)), ctx).map((p) => [p.code, p.path]),
    ).toEqual([
      ['team-not-uploaded', 'teamSysNo'],
      ['worker-not-uploaded', 'workerList[0].idCardNumber'],
    ]);
  });

  it('Given a type 2 and a date written 2026/03/02, when checked, then both are named', () => {
    const problems = checkEntryExitUpload(withRecords(record(ZHANG, '2026/03/02', 2)), entryExitContext());
    expect(codes(problems)).toEqual(['code-value-unknown', 'date-invalid']);
    expect(problems[1].zh).toContain('不是 yyyy-MM-dd 格式的有效日期');
  });

  it('Given 51 records in one call, when checked, then the batch is too large; 50 pass', () => {
    const fifty = Array.from({ length: 50 }, () => record(ZHANG, '2026-03-02', 1));
    expect(checkEntryExitUpload(withRecords(...fifty), entryExitContext())).toEqual([]);
    expect(
      codes(checkEntryExitUpload(withRecords(...fifty, record(ZHANG, '2026-03-02', 1)), entryExitContext())),
    ).toEqual(['batch-too-large']);
  });
});

describe('attendance (WorkerAttendance.Add)', () => {
  const withPunch = (patch: Partial<AttendanceEntry>) => ({
    ...attendance(),
    dataList: [{ ...attendance().dataList[0], ...patch }],
  });

  it('Given a punch of an accepted worker this morning, when checked, then nothing is wrong', () => {
    expect(checkAttendanceUpload(attendance(), workersKnown())).toEqual([]);
  });

  it('Given a punch dated tomorrow, when checked, then it is in the future', () => {
    const [p] = checkAttendanceUpload(withPunch({ date: '2026-12-04 00:00:01' }), workersKnown());
    expect(p).toMatchObject({ code: 'date-in-future', path: 'dataList[0].date' });
  });

  it('Given a punch of a worker not yet accepted, when checked, then it waits for the worker', () => {
    expect(codes(checkAttendanceUpload(withPunch({ idCardNumber: WANG }), workersKnown()))).toEqual([
      'worker-not-uploaded',
    ]);
  });

  it('Given a 60 KB photo and a GIF photo, when checked, then the device settings are named', () => {
    const [big] = checkAttendanceUpload(withPunch({ image: jpeg(60 * 1024) }), workersKnown());
    expect(big).toMatchObject({ code: 'attendance-image-too-large', path: 'dataList[0].image' });
    expect(big.zh).toContain('工人 张三 在 2026-12-03 07:58:12 的考勤照片为 60 KB，超过 50 KB');
    expect(big.zh).toContain('“考勤设备”');
    expect(codes(checkAttendanceUpload(withPunch({ image: gif(100) }), workersKnown()))).toEqual([
      'attendance-image-not-jpg-png',
    ]);
  });

  it('Given direction 03, pass method 012 and a time 24:00:00, when checked, then each is named', () => {
    const r = withPunch({ direction: '03', attendType: '012', date: '2026-12-02 24:00:00' });
    expect(checkAttendanceUpload(r, workersKnown()).map((p) => p.path)).toEqual([
      'dataList[0].date',
      'dataList[0].direction',
      'dataList[0].attendType',
    ]);
  });

  it('Given 21 punches in one call, when checked, then the batch is too large', () => {
    const r = { ...attendance(), dataList: Array.from({ length: 21 }, () => attendance().dataList[0]) };
    expect(codes(checkAttendanceUpload(r, workersKnown()))).toEqual(['batch-too-large']);
  });
});

describe('payroll (Payroll.Add)', () => {
  const withLine = (patch: Partial<PayrollDetail>) => ({
    ...payroll(),
    detailList: [{ ...payroll().detailList[0], ...patch }],
  });

  it('Given last month paid yesterday to an accepted worker, when checked, then nothing is wrong', () => {
    expect(checkPayrollUpload(payroll(), workersKnown())).toEqual([]);
    // The current month is not after today.
    expect(checkPayrollUpload({ ...payroll(), payMonth: '2026-12' }, workersKnown())).toEqual([]);
  });

  it('Given a line for a worker not yet uploaded, when checked, then the payroll waits for the worker', () => {
    const [p] = checkPayrollUpload(withLine({ idCardNumber: WANG }), workersKnown());
    expect(p).toMatchObject({ code: 'worker-not-uploaded', path: 'detailList[0].idCardNumber' });
    expect(p.en).toContain('then submit this payroll record again');
  });

  it('Given next month as pay month and a payment date tomorrow, when checked, then both are in the future', () => {
    const r = {
      ...withLine({ balanceDate: '2026-12-04', isBackPay: 1, backPayMonth: '2027-01' }),
      payMonth: '2027-01',
    };
    expect(checkPayrollUpload(r, workersKnown()).map((p) => [p.code, p.path])).toEqual([
      ['date-in-future', 'payMonth'],
      ['date-in-future', 'detailList[0].balanceDate'],
      ['date-in-future', 'detailList[0].backPayMonth'],
    ]);
  });

  it('Given a pay month 2026-13 and bank codes outside the table, when checked, then each is named', () => {
    const r = { ...withLine({ payRollBankCode: '999', payBankCode: '100' }), payMonth: '2026-13' };
    expect(checkPayrollUpload(r, workersKnown()).map((p) => [p.code, p.path])).toEqual([
      ['date-invalid', 'payMonth'],
      ['code-value-unknown', 'detailList[0].payRollBankCode'],
      ['code-value-unknown', 'detailList[0].payBankCode'],
    ]);
  });

  it('Given a team not yet accepted and 21 lines, when checked, then both are reported', () => {
    const r = { ...payroll(), detailList: Array.from({ length: 21 }, () => payroll().detailList[0]) };
    expect(codes(checkPayrollUpload(r, { ...workersKnown(), acceptedTeams: new Set<string>() }))).toEqual([
      'team-not-uploaded',
      'batch-too-large',
    ]);
  });

  it('Given a corp code with a forbidden letter, when checked, then the reason names the alphabet', () => {
    const [p] = checkPayrollUpload({ ...payroll(), corpCode: '91330100MA27XY1AI2' }, workersKnown());
    expect(p).toMatchObject({ code: 'credit-code-invalid', path: 'corpCode' });
    expect(p.en).toContain('only digits and capital letters other than I, O, S, V and Z are allowed');
  });
});
