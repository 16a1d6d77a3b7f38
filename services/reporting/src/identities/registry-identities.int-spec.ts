/**
 * The hand-over of workers' identities from the worker registry to the uploads, against a real
 * PostgreSQL (own schema) and the in-process national simulator: ledger rows made by the real event
 * handler, the real sender, RegistryIdentities with the real ClientCredentials. The registry and its
 * token issuer are an HTTP server of this test (a real registry needs the svc-reporting client in the
 * running Keycloak and is started as a process only by the end-to-end tests); it answers like the
 * registry's reveal and head-photo endpoints, and can be away or not know a worker.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AttendanceDay,
  AttendanceDayFinalised,
  createEvent,
  ParticipantJoined,
  ProjectSynced,
  TeamFormed,
  WorkerEnrolled,
} from '@realname/contracts';
import { creditCodeCheckChar, residentIdCheckChar } from '@realname/domain-rules';
import { Database, migrate } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { ClientCredentials, JsonLogger } from '@realname/platform';
import { testInfrastructure, uniqueName } from '@realname/testing';
import { NATIONAL_PROFILE, NationalCredentials, NationalPlatformUplink } from '@realname/uplinks';
import { NationalSimulator, startNationalSimulator } from '@realname/uplink-simulators';
import { dependencyKey, LedgerRepository, LedgerRow } from '../ledger/ledger.repository';
import { reportingMigrations } from '../migrations';
import { dayKey, teamKey } from '../records/national-records';
import { RegistryCopiesRepository } from '../records/records.repository';
import { UplinkRecordsHandler } from '../records/uplink-records.handler';
import { RoundSummary, shanghaiToday, UploadSender } from '../sender/upload-sender';
import { UplinkCredentialsRepository } from '../uplinks/credentials.repository';
import { REVEAL_PURPOSE, RegistryIdentities } from './registry-identities';
import { WorkerIdentitiesRepository } from './worker-identities.repository';

jest.setTimeout(60_000);

const run = uniqueName('ri');
const schema = `ri_${run}`;
const projectId = `3301ri${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const secret = randomBytes(16).toString('hex');
const creditCode = (first17: string) => first17 + creditCodeCheckChar(first17);
const CONTRACTOR = creditCode('91330106MA2B3C4D5');
const SUBCONTRACTOR = creditCode('91330100MA27XY1A2');
const KNOWN = randomUUID();
const UNKNOWN = randomUUID();
const KNOWN_ID = '33010619900101' + '207';
const ID_NUMBER = KNOWN_ID + residentIdCheckChar(KNOWN_ID);
const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x22)]);
const YESTERDAY = shanghaiToday(new Date(Date.now() - 86_400_000));

let db: Database;
let simulator: NationalSimulator;
let ledger: LedgerRepository;
let handler: UplinkRecordsHandler;
let identities: WorkerIdentitiesRepository;
let sender: UploadSender;

/** The stand-in registry: away (503) or up; it knows KNOWN only, and takes the last token it issued. */
let registry: Server;
let registryUrl: string;
let registryUp = false;
let issued = 0;
const reveals: { workerId: string; purpose: unknown; authorization?: string }[] = [];
const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
const logger = {
  event: (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    logged.push({ level, msg, fields }),
} as unknown as JsonLogger;

function startRegistry(): Promise<void> {
  registry = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path === '/issuer/.well-known/openid-configuration')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token_endpoint: `${registryUrl}/issuer/token` }));
      if (path === '/issuer/token') {
        issued += 1;
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 300 }));
      }
      if (req.headers.authorization !== `Bearer token-${issued}`) return void res.writeHead(401).end();
      if (!registryUp) return void res.writeHead(503).end();
      const reveal = /^\/api\/v1\/workers\/([^/]+)\/identity-reveals$/.exec(path);
      const photo = /^\/api\/v1\/workers\/([^/]+)\/head-photo$/.exec(path);
      const workerId = decodeURIComponent((reveal ?? photo)?.[1] ?? '');
      if (workerId !== KNOWN)
        return void res
          .writeHead(404, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ status: 404, detail: `No worker "${workerId}"` }));
      if (reveal && req.method === 'POST') {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { purpose?: unknown };
        reveals.push({ workerId, purpose: body.purpose, authorization: req.headers.authorization });
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            idCardNumber: ID_NUMBER,
            phone: null,
            birthDate: '1990-01-01',
            address: '杭州市西湖区',
            issuingAuthority: '杭州市公安局西湖分局',
          }),
        );
      }
      if (photo && req.method === 'GET')
        return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO);
      res.writeHead(404).end();
    });
  });
  return new Promise((resolve) =>
    registry.listen(0, '127.0.0.1', () => {
      registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

const opts = { source: '/realname/worker-registry', subject: 'test', region };

async function apply(...events: Parameters<UplinkRecordsHandler['handle']>[1][]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const event of events) await handler.handle(tx, event);
  });
}

function enrolled(n: number, workerId: string) {
  return createEvent(
    WorkerEnrolled,
    {
      enrolmentId: `en-${n}`,
      projectId,
      workerId,
      name: `工人${n}`,
      idHash: `hash-${n}`.padEnd(32, '0'),
      maskedIdNumber: '3301**********0001',
      teamId: 'team-1',
      teamName: '钢筋班',
      participantId: 'pa-1',
      creditCode: SUBCONTRACTOR,
      corpName: '杭州示例劳务有限公司',
      workType: '010',
      workRole: '20',
      isTeamLeader: false,
      credentials: { personId: `p-${n}` },
    },
    opts,
  );
}

function finalisedDay(n: number, workerId: string) {
  const at = (time: string) => new Date(`${YESTERDAY}T${time}+08:00`).toISOString().replace('.000Z', 'Z');
  const day: AttendanceDay = {
    projectId,
    region,
    enrolmentId: `en-${n}`,
    workerId,
    teamId: 'team-1',
    participantId: 'pa-1',
    keyPosts: [],
    day: YESTERDAY,
    revision: 1,
    status: 'present',
    calendar: { working: true, kind: 'workday', version: '2026' },
    intervals: [
      {
        in: { at: at('08:00:00'), direction: 'in' as const, inferred: false },
        out: { at: at('12:00:00'), direction: 'out' as const, inferred: false },
        minutes: 240,
      },
    ],
    workedMinutes: 240,
    punches: 2,
    corrections: [],
    rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
    cause: 'finalised',
  };
  return createEvent(AttendanceDayFinalised, day, { ...opts, source: '/realname/attendance' });
}

const workerRow = async (n: number): Promise<LedgerRow> =>
  (await ledger.find(db, 'national', 'project-worker', `${projectId}/en-${n}`))[0];
const dayRow = async (n: number): Promise<LedgerRow> =>
  (await ledger.find(db, 'national', 'attendance', dayKey(projectId, `en-${n}`, YESTERDAY)))[0];

/** Rounds until `done` holds (or the time is up); returns the rounds' summaries. */
async function roundsUntil(done: () => Promise<boolean>, limitMs = 20_000): Promise<RoundSummary[]> {
  const rounds: RoundSummary[] = [];
  const until = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > until) {
      const stuck = await db.query(
        `SELECT kind, record_key, status, waiting_for, problems, last_error FROM ${schema}.upload_ledger`,
      );
      throw new Error(`not there in time: ${JSON.stringify(stuck)}`);
    }
    rounds.push(await sender.runOnce());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return rounds;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, reportingMigrations);
  simulator = await startNationalSimulator({ projects: [{ appid: projectId, secret }], asyncDelayMs: 20 });
  await startRegistry();
  const vault = new PersonalDataVault({
    keys: `k1:${randomBytes(32).toString('base64')}`,
    activeKeyId: 'k1',
    hashKey: randomBytes(32).toString('base64'),
  });
  ledger = new LedgerRepository(schema);
  const credentials = new UplinkCredentialsRepository(schema, vault);
  identities = new WorkerIdentitiesRepository(schema, vault);
  handler = new UplinkRecordsHandler(['national'], ledger, new RegistryCopiesRepository(schema));
  await credentials.put(db, 'national', projectId, { appid: projectId, secret });
  const source = new RegistryIdentities(
    {
      url: registryUrl,
      credentials: new ClientCredentials({
        issuer: `${registryUrl}/issuer`,
        clientId: 'svc-reporting',
        clientSecret: 'local-test-secret',
      }),
    },
    logger,
    2_000,
  );
  sender = new UploadSender(
    db,
    ledger,
    identities,
    async (project) => {
      const stored = await credentials.national(db, 'national', project);
      return (
        stored && new NationalPlatformUplink({ endpoint: simulator.url, credentials: stored.credentials })
      );
    },
    {
      target: 'national',
      profile: NATIONAL_PROFILE,
      claimSize: 100,
      leaseMs: 5_000,
      backoffMs: 50,
      backoffMaxMs: 200,
      pollMs: 30,
      waitMs: 0,
      identitySource: source,
    },
  );
  // Enterprises and the project reach the platform from the integrity platform, before any of ours.
  const upstream = new NationalPlatformUplink({
    endpoint: simulator.url,
    credentials: new NationalCredentials({ appid: projectId, secret }),
  });
  for (const [corpCode, corpName] of [
    [CONTRACTOR, '杭州示例建设有限公司'],
    [SUBCONTRACTOR, '杭州示例劳务有限公司'],
  ])
    expect(
      (await upstream.call('Corp.Upload', { corpCode, corpName, corpType: '150', areaCode: region })).ok,
    ).toBe(true);
  expect(
    (
      await upstream.call('Project.Add', {
        projectCode: projectId,
        name: '西湖区示例安置房项目',
        contractorCorpCode: CONTRACTOR,
      })
    ).ok,
  ).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 50));
});

afterAll(async () => {
  await simulator?.close();
  registry?.closeAllConnections();
  await new Promise((resolve) => (registry ? registry.close(resolve) : resolve(undefined)));
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('workers’ identities handed over from the registry to the uploads', () => {
  it('a worker’s records wait while the registry is away, and go up with the revealed number and photo once it answers', async () => {
    registryUp = false;
    await apply(
      createEvent(
        ProjectSynced,
        {
          projectId,
          name: '西湖区示例安置房项目',
          region,
          category: '01',
          status: '003',
          address: '杭州市西湖区',
          generalContractor: { creditCode: CONTRACTOR, name: '杭州示例建设有限公司' },
          constructionOwner: { creditCode: CONTRACTOR, name: '杭州示例建设有限公司' },
          changeCursor: '1',
        },
        opts,
      ),
      createEvent(
        ParticipantJoined,
        {
          projectId,
          participantId: 'pa-1',
          creditCode: SUBCONTRACTOR,
          corpName: '杭州示例劳务有限公司',
          unitType: '009',
        },
        opts,
      ),
      createEvent(TeamFormed, { projectId, teamId: 'team-1', name: '钢筋班', participantId: 'pa-1' }, opts),
      enrolled(1, KNOWN),
      finalisedDay(1, KNOWN),
    );

    // The unit and the team go up; the worker and the day wait for the identity the registry cannot give.
    const away = await roundsUntil(
      async () =>
        (await ledger.find(db, 'national', 'team', teamKey(projectId, 'team-1')))[0]?.acceptedAt != null,
    );
    away.push(await sender.runOnce());
    const worker = await workerRow(1);
    expect(worker.status).toBe('pending');
    expect(worker.waitingFor).toEqual([`identity:${KNOWN}`]);
    expect(worker.problems).toEqual([]);
    const day = await dayRow(1);
    expect(day.status).toBe('pending');
    expect(day.waitingFor).toEqual(
      expect.arrayContaining([`identity:${KNOWN}`, dependencyKey('project-worker', `${projectId}/en-1`)]),
    );
    expect(away.reduce((n, r) => n + r.rejected + r.rejectedLocally, 0)).toBe(0);
    expect((await identities.resolve(db, [KNOWN])).size).toBe(0);
    expect(reveals).toEqual([]);
    expect(simulator.accepted('ProjectWorker.Add')).toEqual([]);
    // Said once, not every round.
    expect(logged.filter((l) => l.msg.includes('registry unavailable'))).toHaveLength(1);

    registryUp = true;
    await roundsUntil(async () => (await dayRow(1)).status === 'accepted');
    expect((await workerRow(1)).status).toBe('accepted');
    const [uploaded] = simulator.accepted('ProjectWorker.Add');
    expect(uploaded.record).toMatchObject({
      idCardType: '01',
      idCardNumber: ID_NUMBER,
      headImage: PHOTO.toString('base64'),
    });
    expect(
      simulator
        .accepted('WorkerAttendance.Add')
        .filter((a) => a.record['idCardNumber'] === ID_NUMBER)
        .map((a) => [a.record['date'], a.record['direction']]),
    ).toEqual([
      [`${YESTERDAY} 08:00:00`, '01'],
      [`${YESTERDAY} 12:00:00`, '02'],
    ]);
    // Revealed once, for the upload, with reporting's own token; stored encrypted, so never asked again.
    expect(reveals).toEqual([{ workerId: KNOWN, purpose: REVEAL_PURPOSE, authorization: 'Bearer token-1' }]);
    expect((await identities.resolve(db, [KNOWN])).get(KNOWN)).toEqual({
      idCardType: '01',
      idCardNumber: ID_NUMBER,
      headImage: PHOTO.toString('base64'),
    });
    const [stored] = await db.query<{ id_encrypted: string }>(
      `SELECT id_encrypted FROM ${schema}.worker_identities WHERE worker_id = $1`,
      [KNOWN],
    );
    expect(stored.id_encrypted).not.toContain(ID_NUMBER);
    expect(JSON.stringify(logged)).not.toContain(ID_NUMBER);
  });

  it('a worker the registry does not know keeps waiting, saying so, and is warned about once', async () => {
    await apply(enrolled(2, UNKNOWN), finalisedDay(2, UNKNOWN));
    const rounds: RoundSummary[] = [];
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      rounds.push(await sender.runOnce());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const worker = await workerRow(2);
    expect(worker.status).toBe('pending');
    expect(worker.waitingFor).toEqual([`identity:${UNKNOWN}`]);
    expect(worker.problems.map((p) => p.code)).toEqual(['identity-unknown-to-registry']);
    expect((await dayRow(2)).status).toBe('pending');
    expect(rounds.reduce((n, r) => n + r.rejected + r.rejectedLocally, 0)).toBe(0);
    expect(rounds.reduce((n, r) => n + r.waiting, 0)).toBeGreaterThan(2);
    const warnings = logged.filter((l) => l.fields['workerId'] === UNKNOWN && l.level === 'warn');
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringContaining('not known') })]);
    expect(await identities.resolve(db, [UNKNOWN])).toEqual(new Map());
  });
});
