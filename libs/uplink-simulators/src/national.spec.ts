// The simulator spoken to by hand (raw signed forms), for the refusals a correct adapter never provokes.
import { encryptField, nationalSignature, platformDateTime, platformTimestamp } from '@realname/uplinks';
import { NationalSimulator, platformToday, startNationalSimulator } from './national';

const APPID = 'P330100202611002';
const SECRET = 'Zx8Vc7Bn6Mq5Wr4Et3Yu2Io1Pa0Sd9Fg';
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(32, 1),
]).toString('base64');

let simulator: NationalSimulator;

interface Reply {
  code: number;
  message: string;
  data: {
    requestSerialCode?: string;
    status?: number;
    result?: unknown;
    rows?: Array<Record<string, unknown>>;
    totalCount?: number;
  } | null;
}

async function raw(
  method: string,
  data: unknown,
  tweak: (fields: Record<string, string>) => void = () => undefined,
): Promise<Reply> {
  const fields: Record<string, string> = {
    appid: APPID,
    method,
    version: '1.0',
    format: 'json',
    timestamp: platformTimestamp(new Date()),
    nonce: 'n0nce',
    data: JSON.stringify(data),
  };
  tweak(fields);
  fields['sign'] = nationalSignature(fields, SECRET);
  const response = await fetch(simulator.url, { method: 'POST', body: new URLSearchParams(fields) });
  return (await response.json()) as Reply;
}

const enc = (value: string): string => encryptField(value, SECRET);

/** Submits a write and waits for its result past the simulator's delay. */
async function written(method: string, data: unknown): Promise<{ status?: number; result?: unknown }> {
  const submitted = await raw(method, data);
  expect(submitted.code).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 40));
  const result = await raw('AsyncHandleResult.Query', {
    requestSerialCode: submitted.data?.requestSerialCode,
  });
  return result.data ?? {};
}

let teamSysNo = 0;
const projectCode = 'PRJ-SIM-1';
const corpCode = '91330100MA2SIM0001';

beforeAll(async () => {
  simulator = await startNationalSimulator({
    projects: [{ appid: APPID, secret: SECRET }],
    asyncDelayMs: 20,
  });
  expect((await written('Corp.Upload', { corpCode, corpName: '甲公司' })).status).toBe(20);
  expect(
    (await written('Project.Add', { projectCode, name: '甲项目', contractorCorpCode: corpCode })).status,
  ).toBe(20);
  expect(
    (
      await written('ProjectSubContractor.Add', {
        projectCode,
        corpCode,
        corpName: '甲公司',
        corpType: '009',
      })
    ).status,
  ).toBe(20);
  const team = await written('Team.Add', { projectCode, corpCode, corpName: '甲公司', teamName: '木工班' });
  teamSysNo = (team.result as { teamSysNo: number }).teamSysNo;
  const workers = [1, 2].map((n) => ({
    workerName: `工${n}`,
    idCardType: '01',
    idCardNumber: enc(`ID-${n}`),
    workType: '240',
    workRole: '20',
    headImage: PNG,
  }));
  expect(
    (await written('ProjectWorker.Add', { projectCode, corpCode, teamSysNo, workerList: workers })).status,
  ).toBe(20);
});

afterAll(async () => {
  await simulator.close();
});

describe('national simulator: the envelope', () => {
  it('refuses a wrong signature, a stale timestamp, an unknown appid and an unknown method', async () => {
    await expect(raw('CheckSign.Query', {})).resolves.toMatchObject({ code: 0 });
    const tampered = await fetch(simulator.url, {
      method: 'POST',
      body: new URLSearchParams({
        appid: APPID,
        method: 'CheckSign.Query',
        version: '1.0',
        format: 'json',
        timestamp: platformTimestamp(new Date()),
        nonce: 'x',
        data: '{}',
        sign: 'f'.repeat(64),
      }),
    });
    await expect(tampered.json()).resolves.toMatchObject({ code: -2 });
    const stale = platformTimestamp(new Date(Date.now() - 11 * 60_000));
    await expect(raw('CheckSign.Query', {}, (f) => (f['timestamp'] = stale))).resolves.toMatchObject({
      code: -1,
      message: expect.stringContaining('timestamp'),
    });
    await expect(raw('CheckSign.Query', {}, (f) => (f['appid'] = 'NOBODY'))).resolves.toMatchObject({
      code: -1,
      message: 'appid无效',
    });
    await expect(raw('Secret.Dump', {})).resolves.toMatchObject({ code: -3 });
  });

  it('refuses ciphertext it cannot decrypt, naming the field', async () => {
    const reply = await raw('ProjectWorker.Query', { projectCode, idCardNumber: 'ID-1' });
    expect(reply).toMatchObject({ code: -1, message: 'idCardNumber解密失败' });
    const otherKey = encryptField('ID-1', 'A'.repeat(32));
    await expect(raw('ProjectWorker.Query', { projectCode, idCardNumber: otherKey })).resolves.toMatchObject({
      code: -1,
    });
  });

  it('refuses a list over the batch limit at once, without a serial code', async () => {
    const punches = Array.from({ length: 21 }, () => ({
      idCardType: '01',
      idCardNumber: enc('ID-1'),
      date: platformDateTime(new Date()),
      direction: '01',
    }));
    await expect(raw('WorkerAttendance.Add', { projectCode, teamSysNo, dataList: punches })).resolves.toEqual(
      { code: -1, message: 'dataList每次最多上传20条', data: null },
    );
  });

  it('answers 404 off the endpoint and refuses unknown serial codes', async () => {
    expect((await fetch(simulator.url.replace('/open.api', '/other'), { method: 'POST' })).status).toBe(404);
    await expect(raw('AsyncHandleResult.Query', { requestSerialCode: 'nope' })).resolves.toMatchObject({
      code: -1,
    });
  });
});

describe('national simulator: business rules of the queued writes', () => {
  it('refuses an entry or exit earlier than the last one recorded', async () => {
    const header = { projectCode, corpCode, corpName: '甲公司', teamSysNo };
    const today = platformToday();
    const yesterday = platformToday(new Date(Date.now() - 86_400_000));
    const entry = await written('WorkerEntryExit.Add', {
      ...header,
      workerList: [{ idCardType: '01', idCardNumber: enc('ID-1'), date: today, type: 1 }],
    });
    expect(entry.status).toBe(20);
    const exit = await written('WorkerEntryExit.Add', {
      ...header,
      workerList: [{ idCardType: '01', idCardNumber: enc('ID-1'), date: yesterday, type: 0 }],
    });
    expect(exit).toEqual({ status: 10, result: 'workerList[0].进退场日期不能早于上一次进退场日期' });
  });

  it('refuses payroll for a worker not uploaded, and the whole batch with it', async () => {
    const month = platformToday().slice(0, 7);
    const line = (id: string) => ({
      idCardType: '01',
      idCardNumber: enc(id),
      totalPayAmount: 100,
      actualAmount: 100,
    });
    const payroll = await written('Payroll.Add', {
      projectCode,
      corpCode,
      teamSysNo,
      payMonth: month,
      detailList: [line('ID-1'), line('ID-9')],
    });
    expect(payroll).toEqual({ status: 10, result: 'detailList[1].人员未上传到项目,请先上传人员' });
    expect(simulator.accepted('Payroll.Add')).toHaveLength(0);
  });

  it('refuses a participating unit of an enterprise never uploaded, and a head image that is not JPG/PNG', async () => {
    const unit = await written('ProjectSubContractor.Add', {
      projectCode,
      corpCode: 'UNKNOWN',
      corpName: '乙',
      corpType: '001',
    });
    expect(unit).toEqual({ status: 10, result: '参建企业未上传,请先上传企业信息' });
    const gif = Buffer.from('GIF89a-not-allowed').toString('base64');
    const worker = {
      workerName: '工3',
      idCardType: '01',
      idCardNumber: enc('ID-3'),
      workType: '240',
      workRole: '20',
      headImage: gif,
    };
    const refused = await written('ProjectWorker.Add', {
      projectCode,
      corpCode,
      teamSysNo,
      workerList: [worker],
    });
    expect(refused).toEqual({ status: 10, result: 'workerList[0].headImage格式必须为JPG或PNG' });
  });

  it('treats the same worker twice in one batch as already existing', async () => {
    const worker = {
      workerName: '工4',
      idCardType: '01',
      idCardNumber: enc('ID-4'),
      workType: '240',
      workRole: '20',
      headImage: PNG,
    };
    const twice = await written('ProjectWorker.Add', {
      projectCode,
      corpCode,
      teamSysNo,
      workerList: [worker, worker],
    });
    expect(twice).toEqual({ status: 10, result: 'workerList[1].人员已存在' });
  });

  it('keeps the latest enterprise upload instead of answering already exists', async () => {
    expect((await written('Corp.Upload', { corpCode, corpName: '甲公司(更名)' })).status).toBe(20);
    const rows = (await raw('Corp.Query', { corpCode })).data?.rows;
    expect(rows).toEqual([{ corpCode, corpName: '甲公司(更名)' }]);
  });

  it('returns query rows with the sensitive fields encrypted for the caller', async () => {
    const reply = await raw('ProjectWorker.Query', { projectCode, idCardNumber: enc('ID-2') });
    expect(reply.data?.totalCount).toBe(1);
    expect(reply.data?.rows?.[0]).toMatchObject({ idCardNumber: enc('ID-2'), teamSysNo });
  });
});
