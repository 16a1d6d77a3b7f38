// One driver that knows only the UplinkAdapter interface and the planner uploads a site's day to
// three targets of different styles (national async SHA-256, Zhejiang V2.0, Province B session + MD5),
// from the same national-shape records passed through each target's one mapping.
import {
  JsonObject,
  NationalCredentials,
  NationalPlatformUplink,
  planBatches,
  platformDateTime,
  PollOutcome,
  ProvinceBCredentials,
  ProvinceBUplink,
  RecordKind,
  SendOutcome,
  toProvinceB,
  toZhejiangV2,
  UplinkAdapter,
  UplinkRecord,
  ZhejiangV2Uplink,
} from '@realname/uplinks';
import { NationalSimulator, platformToday, startNationalSimulator } from './national';
import { ProvinceBSimulator, startProvinceBSimulator } from './province-b';
import { startZhejiangSimulator, ZhejiangSimulator } from './zhejiang';

const SECRET = 'Cf4Tg7Uh1Ij3Ok5Pl8Qa2Ws6Ed9Rf0Tg';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(30, 9)]).toString('base64');
const WORKER_ID = '330106199001011215';

type Outcome = SendOutcome | PollOutcome;

/** Sends in the target's order and limits, polling tickets when the target hands them out. */
async function deliver(adapter: UplinkAdapter, records: UplinkRecord[]): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for (const batch of planBatches(records, adapter.profile)) {
    let outcome: Outcome = await adapter.send(batch);
    if (outcome.outcome === 'submitted') {
      const ticket = outcome.ticket;
      const giveUpAt = Date.now() + 5_000;
      do {
        await new Promise((resolve) => setTimeout(resolve, 20));
        outcome = await adapter.poll(ticket);
      } while ((outcome.outcome === 'pending' || outcome.outcome === 'retriable') && Date.now() < giveUpAt);
    }
    for (const record of batch.records) outcomes.set(record.key, outcome);
  }
  return outcomes;
}

function record(kind: RecordKind, key: string, header: JsonObject, item: JsonObject): UplinkRecord {
  return { kind, key, header, item, dependsOn: [] };
}

interface Target {
  readonly adapter: UplinkAdapter;
  /** The key the target generates for a team. */
  readonly teamKey: string;
  /** Records up to and including the team, in the target's shapes. */
  readonly setup: UplinkRecord[];
  /** A worker, their entry and two punches, once the team's key is known. */
  day(teamKey: string | number): UplinkRecord[];
}

function nationalShapes(
  projectCode: string,
  corpCode: string,
): { setup: UplinkRecord[]; day(teamSysNo: string | number): UplinkRecord[] } {
  const corpName = '某劳务公司';
  return {
    setup: [
      record('enterprise', 'corp', {}, { corpCode, corpName }),
      record('project', 'project', {}, { projectCode, name: '某项目', contractorCorpCode: corpCode }),
      record('participating-unit', 'unit', {}, { projectCode, corpCode, corpName, corpType: '006' }),
      record('team', 'team', {}, { projectCode, corpCode, corpName, teamName: '一班' }),
    ],
    day: (teamSysNo) => {
      const teamHeader = { projectCode, corpCode, corpName, teamSysNo: Number(teamSysNo) };
      return [
        record(
          'project-worker',
          'worker',
          { ...teamHeader, teamName: '一班' },
          {
            workerName: '张三',
            isTeamLeader: 0,
            idCardType: '01',
            idCardNumber: WORKER_ID,
            workType: '020',
            workRole: '20',
            headImage: JPEG,
            startDate: '2015-06-01',
            expiryDate: '2035-06-01',
          },
        ),
        record('entry', 'entry', teamHeader, {
          idCardType: '01',
          idCardNumber: WORKER_ID,
          date: platformToday(),
        }),
        ...['01', '02'].map((direction, i) =>
          record(
            'attendance',
            i === 0 ? 'punch-in' : 'punch-out',
            { projectCode, teamSysNo: Number(teamSysNo) },
            {
              idCardType: '01',
              idCardNumber: WORKER_ID,
              date: platformDateTime(new Date(Date.now() - (2 - i) * 60_000)),
              direction,
            },
          ),
        ),
      ];
    },
  };
}

let national: NationalSimulator;
let zhejiang: ZhejiangSimulator;
let provinceB: ProvinceBSimulator;
const targets: Record<string, () => Target> = {};

beforeAll(async () => {
  national = await startNationalSimulator({
    projects: [{ appid: 'P-NAT', secret: SECRET }],
    asyncDelayMs: 30,
  });
  zhejiang = await startZhejiangSimulator({
    projects: [{ appid: 'P-ZJ', secret: SECRET }],
    asyncDelayMs: 30,
  });
  provinceB = await startProvinceBSimulator({ projects: [{ appKey: 'P-B', secret: SECRET }] });
  targets['national'] = () => ({
    adapter: new NationalPlatformUplink({
      endpoint: national.url,
      credentials: new NationalCredentials({ appid: 'P-NAT', secret: SECRET }),
    }),
    teamKey: 'teamSysNo',
    ...nationalShapes('P-NAT', '91330100MA2NAT0001'),
  });
  targets['zhejiang-v2'] = () => {
    const shapes = nationalShapes('P-ZJ', '91330100MA2ZJ00001');
    return {
      adapter: new ZhejiangV2Uplink({
        endpoint: zhejiang.url,
        credentials: new NationalCredentials({ appid: 'P-ZJ', secret: SECRET }),
      }),
      teamKey: 'teamSysNo',
      setup: shapes.setup.map((r) => toZhejiangV2(r)),
      day: (teamSysNo) => shapes.day(teamSysNo).map((r) => toZhejiangV2(r, { inDate: platformToday() })),
    };
  };
  targets['province-b-style'] = () => {
    const shapes = nationalShapes('P-B', '91440100MA5B000001');
    return {
      adapter: new ProvinceBUplink({
        baseUrl: provinceB.url,
        credentials: new ProvinceBCredentials({ appKey: 'P-B', secret: SECRET }),
      }),
      teamKey: 'teamId',
      // This style takes projects and enterprises from its own integrity platform, so they are not sent.
      setup: shapes.setup
        .filter((r) => r.kind !== 'enterprise' && r.kind !== 'project')
        .map((r) => toProvinceB(r)),
      // The national team key in the national shapes is replaced by the one this target generated.
      day: (teamId) => shapes.day(0).map((r) => toProvinceB(r, { teamId: String(teamId) })),
    };
  };
});

afterAll(async () => {
  await Promise.all([national.close(), zhejiang.close(), provinceB.close()]);
});

describe.each(['national', 'zhejiang-v2', 'province-b-style'])(
  'the adapter interface holds for %s',
  (name) => {
    it("uploads setup, a worker, their entry and the day's punches, then reconciles a duplicate team to the same key", async () => {
      const target = targets[name]();
      expect(target.adapter.profile.target).toBe(name);
      const setup = await deliver(target.adapter, target.setup);
      const team = setup.get('team');
      if (team?.outcome !== 'accepted')
        throw new Error(`${name}: team not accepted: ${JSON.stringify(team)}`);
      expect([...setup.values()].every((o) => o.outcome === 'accepted')).toBe(true);
      const teamKey = team.keys[target.teamKey];
      expect(teamKey).toBeDefined();

      const day = await deliver(target.adapter, target.day(teamKey));
      expect([...day.entries()].map(([key, o]) => [key, o.outcome])).toEqual([
        ['worker', 'accepted'],
        ['entry', 'accepted'],
        ['punch-in', 'accepted'],
        ['punch-out', 'accepted'],
      ]);

      const teamRecord = target.setup.find((r) => r.kind === 'team');
      if (!teamRecord) throw new Error('no team record');
      const again = await deliver(target.adapter, [{ ...teamRecord, key: 'team-again' }]);
      expect(again.get('team-again')?.outcome).toBe('already-exists');
      await expect(target.adapter.reconcile(teamRecord)).resolves.toEqual({
        outcome: 'found',
        keys: { [target.teamKey]: teamKey },
      });
    });
  },
);
