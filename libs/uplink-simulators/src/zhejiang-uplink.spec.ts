// The Zhejiang V2.0 adapter against the Zhejiang simulator over real HTTP on an ephemeral local port.
import {
  JsonObject,
  NationalCredentials,
  planBatches,
  platformDateTime,
  PollOutcome,
  RecordKind,
  SendOutcome,
  toZhejiangV2,
  UplinkBatch,
  UplinkPlanError,
  UplinkRecord,
  ZhejiangV2Uplink,
  ZhejiangWorkerFacts,
} from '@realname/uplinks';
import { platformToday } from './national';
import { startZhejiangSimulator, ZhejiangSimulator } from './zhejiang';

const APPID = 'P330100202612001';
const SECRET = 'Hz2Vq8Lm4Np6Rt0Wx3Yb5Cd7Fg9Jk1Ms';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 5)]).toString('base64');

let simulator: ZhejiangSimulator;
let uplink: ZhejiangV2Uplink;
let sequence = 0;

function record(
  kind: RecordKind,
  key: string,
  header: JsonObject,
  item: JsonObject,
  dependsOn: string[] = [],
): UplinkRecord {
  return { kind, key, header, item, dependsOn };
}

async function settle(batch: UplinkBatch): Promise<SendOutcome | PollOutcome> {
  const sent = await uplink.send(batch);
  if (sent.outcome !== 'submitted') return sent;
  return uplink.awaitResult(sent.ticket, { intervalMs: 20, timeoutMs: 5_000 });
}

async function settleAll(records: UplinkRecord[]): Promise<Array<SendOutcome | PollOutcome>> {
  const outcomes = [];
  for (const batch of planBatches(records, uplink.profile)) outcomes.push(await settle(batch));
  return outcomes;
}

/** A resident ID whose 17th character is odd (a man) when `n` is odd. */
function idNumber(n: number): string {
  return `3301061990010${String(n).padStart(3, '0')}${n % 2}5`;
}

function nationalWorker(id: string): JsonObject {
  return {
    workerName: `工人${id.slice(-5, -2)}`,
    isTeamLeader: 0,
    idCardType: '01',
    idCardNumber: id,
    workType: '020',
    workRole: '20',
    headImage: JPEG,
    startDate: '2016-03-01',
    expiryDate: '2036-03-01',
  };
}

interface Site {
  projectCode: string;
  corpCode: string;
  teamSysNo: number;
  teamHeader: JsonObject;
}

async function givenSite(): Promise<Site> {
  sequence += 1;
  const projectCode = `${APPID}-${sequence}`;
  const corpCode = `91330100MA3${String(sequence).padStart(7, '0')}`;
  const corpName = '杭州某劳务公司';
  const outcomes = await settleAll(
    [
      record('enterprise', `corp-${sequence}`, {}, { corpCode, corpName }),
      record(
        'project',
        `project-${sequence}`,
        {},
        { projectCode, name: '某安置房项目', contractorCorpCode: corpCode },
      ),
      record(
        'participating-unit',
        `unit-${sequence}`,
        {},
        { projectCode, corpCode, corpName, corpType: '006' },
      ),
      record('team', `team-${sequence}`, {}, { projectCode, corpCode, corpName, teamName: '木工一班' }),
    ].map((national) => toZhejiangV2(national)),
  );
  expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  const team = outcomes[3];
  if (team.outcome !== 'accepted') throw new Error('team not accepted');
  const teamSysNo = Number(team.keys['teamSysNo']);
  return {
    projectCode,
    corpCode,
    teamSysNo,
    teamHeader: { projectCode, corpCode, corpName, teamSysNo, teamName: '木工一班' },
  };
}

function workerRecords(
  site: Site,
  ids: string[],
  facts: ZhejiangWorkerFacts = { inDate: platformToday() },
): UplinkRecord[] {
  return ids.map((id) =>
    toZhejiangV2(record('project-worker', `w-${id}`, site.teamHeader, nationalWorker(id)), facts),
  );
}

beforeAll(async () => {
  simulator = await startZhejiangSimulator({
    projects: [{ appid: APPID, secret: SECRET }],
    asyncDelayMs: 60,
  });
  uplink = new ZhejiangV2Uplink({
    endpoint: simulator.url,
    credentials: new NationalCredentials({ appid: APPID, secret: SECRET }),
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await simulator.close();
});

afterEach(() => {
  simulator.setDown(false);
  simulator.setRateLimit(undefined);
  simulator.failNext(0);
});

describe('Zhejiang V2.0 uplink against its simulator', () => {
  it('checks the signature with the national scheme', async () => {
    await expect(uplink.checkSign()).resolves.toEqual({ outcome: 'accepted' });
  });

  it('uploads V2.0 workers in calls of 5: the province stores gender, suffix, validity range and entry date', async () => {
    const site = await givenSite();
    const ids = [idNumber(1), idNumber(2), idNumber(3), idNumber(4), idNumber(5), idNumber(6)];
    const before = simulator.calls().filter((c) => c.method === 'ProjectWorker.Add').length;
    const outcomes = await settleAll(workerRecords(site, ids));
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted', 'accepted']);
    expect(simulator.calls().filter((c) => c.method === 'ProjectWorker.Add').length - before).toBe(2);
    const stored = simulator
      .accepted('ProjectWorker.Add')
      .filter((a) => a.record['projectCode'] === site.projectCode);
    expect(stored.map((a) => [a.record['idCardNumber'], a.record['gender']])).toEqual(
      ids.map((id, index) => [id, index % 2 === 0 ? '1' : '2']),
    );
    expect(stored[0].record).toMatchObject({
      headImageSuffix: 'jpg',
      cardDate: '2016-03-01~2036-03-01',
      inDate: platformToday(),
      teamSysNo: site.teamSysNo,
    });
  });

  it('uploads contract, training, entry, attendance, payroll and exit in the national shape', async () => {
    const site = await givenSite();
    const id = idNumber(11);
    expect((await settleAll(workerRecords(site, [id])))[0].outcome).toBe('accepted');
    const today = platformToday();
    const { projectCode, corpCode, teamSysNo } = site;
    const entryHeader = { projectCode, corpCode, corpName: '杭州某劳务公司', teamSysNo };
    const outcomes = await settleAll(
      [
        record(
          'worker-contract',
          `c-${id}`,
          { projectCode },
          {
            corpCode,
            corpName: '杭州某劳务公司',
            idCardType: '01',
            idCardNumber: id,
            contractPeriodType: 0,
            startDate: today,
            endDate: '2027-12-31',
          },
        ),
        record(
          'training',
          `t-${id}`,
          {},
          {
            projectCode,
            trainingDate: today,
            trainingName: '三级安全教育',
            trainingTypeCode: '003002',
            workers: [{ idCardType: '01', idCardNumber: id, isPass: 1, trainingScore: 88 }],
          },
        ),
        record('entry', `in-${id}`, entryHeader, { idCardType: '01', idCardNumber: id, date: today }),
        record(
          'attendance',
          `a-${id}`,
          { projectCode, teamSysNo },
          {
            idCardType: '01',
            idCardNumber: id,
            date: platformDateTime(new Date(Date.now() - 60_000)),
            direction: '01',
          },
        ),
        record(
          'payroll',
          `p-${id}`,
          { ...entryHeader, payMonth: today.slice(0, 7) },
          {
            idCardType: '01',
            idCardNumber: id,
            days: 1,
            totalPayAmount: 350,
            actualAmount: 350,
          },
        ),
        record('exit', `out-${id}`, entryHeader, { idCardType: '01', idCardNumber: id, date: today }),
      ].map((national) => toZhejiangV2(national)),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      'accepted',
      'accepted',
    ]);
    const exits = simulator
      .accepted('WorkerEntryExit.Add')
      .filter((a) => a.record['projectCode'] === projectCode);
    expect(exits.map((a) => a.record['type'])).toEqual([1, 0]);
  });

  it('refuses a worker record not mapped to V2.0 before any network traffic', async () => {
    const site = await givenSite();
    const before = simulator.calls().length;
    const unmapped = record('project-worker', 'w-raw', site.teamHeader, nationalWorker(idNumber(21)));
    await expect(
      uplink.send({ kind: 'project-worker', header: site.teamHeader, records: [unmapped] }),
    ).rejects.toThrow(UplinkPlanError);
    expect(simulator.calls().length).toBe(before);
  });

  it("passes on the province's own refusal: a gender that contradicts the resident ID", async () => {
    const site = await givenSite();
    const mapped = workerRecords(site, [idNumber(31)])[0];
    const wrong = { ...mapped, item: { ...mapped.item, gender: '2' } };
    const outcome = await uplink.send({ kind: 'project-worker', header: site.teamHeader, records: [wrong] });
    expect(outcome).toEqual({
      outcome: 'rejected',
      scope: 'record',
      code: -1,
      message: 'workerList[0].gender与身份证号码不一致',
    });
    expect(simulator.provincialRefusals()).toContain('workerList[0].gender与身份证号码不一致');
    expect(
      simulator.accepted('ProjectWorker.Add').some((a) => a.record['idCardNumber'] === idNumber(31)),
    ).toBe(false);
  });

  it('answers a duplicate worker with already-exists and reconciles it through the national query', async () => {
    const site = await givenSite();
    const [worker] = workerRecords(site, [idNumber(41)]);
    expect((await settleAll([worker]))[0].outcome).toBe('accepted');
    const again = await settle({ kind: 'project-worker', header: site.teamHeader, records: [worker] });
    expect(again.outcome).toBe('already-exists');
    await expect(uplink.reconcile(worker)).resolves.toEqual({ outcome: 'found', keys: {} });
  });

  it('classifies the province being down as a retriable network failure', async () => {
    simulator.setDown(true);
    const outcome = await uplink.checkSign();
    expect(outcome).toMatchObject({ outcome: 'retriable', reason: 'network' });
  });
});

describe('Zhejiang V2.0: the day’s attendance against 24:00 Asia/Shanghai', () => {
  it('records each accepted punch as on time before 24:00 of its day and late from then on', async () => {
    // 2026-12-03 23:59 in Shanghai, shared by the province and the adapter so timestamps stay in window.
    let clock = new Date('2026-12-03T15:59:00.000Z');
    const province = await startZhejiangSimulator({
      projects: [{ appid: APPID, secret: SECRET }],
      asyncDelayMs: 20,
      now: () => clock,
    });
    try {
      const nightUplink = new ZhejiangV2Uplink({
        endpoint: province.url,
        credentials: new NationalCredentials({ appid: APPID, secret: SECRET }),
        now: () => clock,
      });
      const drive = async (records: UplinkRecord[]): Promise<string[]> => {
        const outcomes: string[] = [];
        for (const batch of planBatches(records, nightUplink.profile)) {
          const sent = await nightUplink.send(batch);
          const done =
            sent.outcome === 'submitted'
              ? await nightUplink.awaitResult(sent.ticket, { intervalMs: 20, timeoutMs: 5_000 })
              : sent;
          outcomes.push(done.outcome);
        }
        return outcomes;
      };
      const projectCode = `${APPID}-night`;
      const corpCode = '91330100MA3NIGHT01';
      const corpName = '杭州某劳务公司';
      const id = idNumber(51);
      const setup = await drive(
        [
          record('enterprise', 'corp', {}, { corpCode, corpName }),
          record('project', 'project', {}, { projectCode, name: '夜班项目', contractorCorpCode: corpCode }),
          record('participating-unit', 'unit', {}, { projectCode, corpCode, corpName, corpType: '006' }),
          record('team', 'team', {}, { projectCode, corpCode, corpName, teamName: '夜班' }),
        ].map((r) => toZhejiangV2(r)),
      );
      expect(setup).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
      const teamSysNo = Number(province.accepted('Team.Add')[0].record['teamSysNo']);
      const header = { projectCode, corpCode, corpName, teamSysNo };
      await expect(
        drive([
          toZhejiangV2(record('project-worker', 'w', header, nationalWorker(id)), { inDate: '2026-12-01' }),
        ]),
      ).resolves.toEqual(['accepted']);
      const punch = (date: string, idCardNumber = id): UplinkRecord =>
        record(
          'attendance',
          `a-${date}-${idCardNumber}`,
          { projectCode, teamSysNo },
          {
            idCardType: '01',
            idCardNumber,
            date,
            direction: '02',
          },
        );

      await expect(drive([punch('2026-12-03 23:58:00'), punch('2026-12-02 21:00:00')])).resolves.toEqual([
        'accepted',
      ]);
      // A punch of a worker never uploaded is refused, so it never counts as delivered.
      await expect(drive([punch('2026-12-03 23:58:30', idNumber(52))])).resolves.toEqual(['rejected']);
      clock = new Date('2026-12-03T16:00:00.000Z');
      await expect(drive([punch('2026-12-03 23:59:30')])).resolves.toEqual(['accepted']);

      expect(province.attendanceArrivals().map((a) => [a.date, a.arrivedAt, a.late])).toEqual([
        ['2026-12-03 23:58:00', '2026-12-03T15:59:00.000Z', false],
        ['2026-12-02 21:00:00', '2026-12-03T15:59:00.000Z', true],
        ['2026-12-03 23:59:30', '2026-12-03T16:00:00.000Z', true],
      ]);
    } finally {
      await province.close();
    }
  });
});
