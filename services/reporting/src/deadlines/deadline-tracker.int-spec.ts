/**
 * The 24:00 deadline tracker and its board against the local stack: real PostgreSQL (an own schema) and
 * Kafka (an own topic prefix), the reporting service running in this process (its outbox relay
 * publishes what the tracker appends), real tokens of the local OpenID Connect provider. The tracker
 * runs with an injected clock over ledger rows seeded for one attendance day; the board runs on the
 * real clock, after that day's deadline.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { INestApplication } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { fromKafkaRecord, ReportingApi, Topics, withTopicPrefix } from '@realname/contracts';
import { createKafka, Database, ensureTopics } from '@realname/eventstore';
import { grpcServerTlsOf, runService } from '@realname/platform';
import {
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  protoPath,
  REPORTING_DEADLINES_V1_PROTO,
  REPORTING_V1_PACKAGE,
  reportingDeadlinesV1,
} from '@realname/proto';
import {
  eventually,
  freePort,
  resourceServerEnv,
  testInfrastructure,
  tokenFor,
  uniqueName,
} from '@realname/testing';
import { randomBytes } from 'node:crypto';
import { ReportingConfigSchema } from '../config';
import { LedgerRepository } from '../ledger/ledger.repository';
import { punchKey } from '../records/attendance-punch-records';

/** The live punch record a worker's day is measured by (one per worker and day here). */
const liveKey = (projectId: string, enrolmentId: string, day: string) =>
  punchKey(projectId, enrolmentId, `punch-${day}`);
import { RegistryCopiesRepository } from '../records/records.repository';
import { ReportingModule } from '../reporting.module';
import { DeadlineTracker, TrackerRound } from './deadline-tracker';

jest.setTimeout(120_000);

const run = uniqueName('ddl');
const schema = `rep_${run}`;
const prefix = `ddl-${run}.`.toLowerCase();
const DAY = '2026-11-20';
// pm-xihu's project (a project scope), a second Xihu project, and one in Ningbo.
const XIHU = '330106202401150001';
const XIHU_2 = '330106202401150002';
const NINGBO = '330203202402010001';
const at = (shanghai: string) => new Date(`${shanghai}+08:00`);

let app: INestApplication | undefined;
let db: Database;
let consumer: Consumer | undefined;
let client: grpc.Client;
let baseUrl: string;
const published: { type: string; subject: string; data: Record<string, unknown> }[] = [];
const saved = { ...process.env };

let clock = at(`${DAY}T10:00:00`);
let tracker: DeadlineTracker;
const registry = new Registry();
const tick = async (shanghai: string): Promise<TrackerRound['published']> => {
  clock = at(shanghai);
  return (await tracker.runOnce()).published;
};
const typesOf = (round: TrackerRound['published'], projectId: string) =>
  round.filter((p) => p.projectId === projectId).map((p) => p.type.replace('realname.reporting.', ''));

async function seedDay(projectId: string, region: string, enrolments: string[]): Promise<void> {
  await seedDayOf(DAY, projectId, enrolments, region);
}
async function seedDayOf(
  day: string,
  projectId: string,
  enrolments: string[],
  region = '330106',
): Promise<void> {
  const ledger = new LedgerRepository(schema);
  for (const enrolmentId of enrolments) {
    await ledger.record(db, 'national', {
      kind: 'attendance',
      recordKey: liveKey(projectId, enrolmentId, day),
      revision: 1,
      deadlineDay: day,
      projectId,
      region,
      workerId: `w-${enrolmentId}`,
      dependsOn: [],
      payload: { header: { projectCode: projectId }, items: [{ date: `${day} 08:00:00`, direction: '01' }] },
    });
  }
}

/** The sender's outcomes, written as it writes them (the sender itself is tested in upload-sender.int-spec). */
async function accept(projectId: string, enrolmentId: string, when: Date): Promise<void> {
  await db.execute(
    `UPDATE ${schema}.upload_ledger SET status = 'accepted', accepted_at = $2, last_error = NULL
      WHERE target = 'national' AND record_key = $1`,
    [liveKey(projectId, enrolmentId, DAY), when],
  );
}
async function failRetriably(projectId: string, enrolmentId: string, attempts: number): Promise<void> {
  await db.execute(
    `UPDATE ${schema}.upload_ledger SET attempts = $2, last_error = 'HTTP 503 from the platform'
      WHERE target = 'national' AND record_key = $1`,
    [liveKey(projectId, enrolmentId, DAY), attempts],
  );
}

async function get(
  who: string | undefined,
  path: string,
): Promise<{ status: number; body: ReportingApi.DeadlineBoard }> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: who ? { authorization: `Bearer ${await tokenFor(who)}` } : {},
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => undefined)) as ReportingApi.DeadlineBoard,
  };
}

async function rpc(
  who: string,
  req: object,
): Promise<{ code: grpc.status; value?: reportingDeadlinesV1.GetDeadlineBoardResponse }> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${await tokenFor(who)}`);
  return new Promise((resolve) =>
    (client as unknown as Record<string, (...a: unknown[]) => void>).getDeadlineBoard(
      req,
      metadata,
      { deadline: Date.now() + 10_000 },
      (e: grpc.ServiceError | null, v: reportingDeadlinesV1.GetDeadlineBoardResponse) =>
        resolve(e ? { code: e.code } : { code: grpc.status.OK, value: v }),
    ),
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
  Object.assign(process.env, {
    ...resourceServerEnv(),
    PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    PII_ACTIVE_KEY_ID: 'k1',
    PII_HASH_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: infra.postgresUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `reporting-${run}`,
    REPORTING_HTTP_PORT: String(port),
    REPORTING_GRPC_URL: `127.0.0.1:${grpcPort}`,
    // No sender and no tracker of the service's own: the test's tracker runs on its own clock.
    UPLINK_TARGETS: '',
    LOG_LEVEL: 'warn',
  });
  app = await runService({
    name: 'reporting',
    configSchema: ReportingConfigSchema,
    module: (config, shared) => ReportingModule.forRoot(config, shared),
    http: (c) => ({ host: c.REPORTING_HTTP_HOST, port: c.REPORTING_HTTP_PORT }),
    grpc: (c) => ({
      url: c.REPORTING_GRPC_URL,
      packages: [REPORTING_V1_PACKAGE],
      protoPaths: [protoPath(REPORTING_DEADLINES_V1_PROTO)],
      includeDir: PROTO_ROOT,
      services: [`${REPORTING_V1_PACKAGE}.ReportingDeadlineService`],
      tls: grpcServerTlsOf(c),
    }),
  });
  baseUrl = `http://127.0.0.1:${port}`;
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(REPORTING_DEADLINES_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as {
    realname: { reporting: { v1: { ReportingDeadlineService: grpc.ServiceClientConstructor } } };
  };
  client = new pkg.realname.reporting.v1.ReportingDeadlineService(
    `127.0.0.1:${grpcPort}`,
    grpc.credentials.createInsecure(),
  );

  db = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
  const copies = new RegistryCopiesRepository(schema);
  await copies.project(db, { projectId: XIHU, region: '330106', name: '西湖项目' });
  await copies.project(db, { projectId: XIHU_2, region: '330106', name: '西湖二期' });
  await copies.project(db, { projectId: NINGBO, region: '330203', name: '宁波项目' });
  await seedDay(XIHU, '330106', ['e-1', 'e-2', 'e-3']);
  await seedDay(XIHU_2, '330106', ['e-4', 'e-5']);
  await seedDay(NINGBO, '330203', ['e-6']);

  tracker = new DeadlineTracker(db, {
    schema,
    targets: ['national'],
    deadlines: new Map(),
    policy: { atRiskMinutes: 60, failuresAtRisk: 3, pendingAtRiskSeconds: 1_800 },
    lookbackDays: 3,
    registry,
    now: () => clock,
  });

  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `test-${run}` });
  const topic = withTopicPrefix(prefix, Topics.reportingDeadlines);
  await ensureTopics(kafka, [topic]);
  consumer = kafka.consumer({ groupId: `test-deadlines-${run}`, sessionTimeout: 8000 });
  await consumer.connect();
  await consumer.subscribe({ topic: topic.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = fromKafkaRecord(message.headers as never, message.value);
      published.push({ type: e.type, subject: String(e.subject), data: e.data as Record<string, unknown> });
    },
  });
});

afterAll(async () => {
  client?.close();
  await consumer?.disconnect().catch(() => undefined);
  await app?.close();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await db?.close();
  process.env = saved;
});

describe('the deadline tracker (injected clock)', () => {
  it('is on track in the morning and publishes nothing', async () => {
    expect(await tick(`${DAY}T10:00:00`)).toEqual([]);
  });

  it('publishes at-risk once when the uplink keeps failing, and a recovery when it comes back', async () => {
    await failRetriably(XIHU, 'e-1', 3);
    expect(typesOf(await tick(`${DAY}T10:05:00`), XIHU)).toEqual(['UploadDeadlineAtRisk']);
    expect(typesOf(await tick(`${DAY}T10:06:00`), XIHU)).toEqual([]);
    await accept(XIHU, 'e-1', at(`${DAY}T10:07:00`));
    expect(typesOf(await tick(`${DAY}T10:10:00`), XIHU)).toEqual(['UploadDeadlineRecovered']);
  });

  it('publishes met once when every record of a project-day is accepted before 24:00', async () => {
    await accept(XIHU_2, 'e-4', at(`${DAY}T11:00:00`));
    await accept(XIHU_2, 'e-5', at(`${DAY}T11:01:00`));
    expect(typesOf(await tick(`${DAY}T11:05:00`), XIHU_2)).toEqual(['UploadDeadlineMet']);
    expect(typesOf(await tick(`${DAY}T11:30:00`), XIHU_2)).toEqual([]);
  });

  it('publishes at-risk once within the hour before 24:00 (it was back on track)', async () => {
    expect(typesOf(await tick(`${DAY}T22:00:00`), XIHU)).toEqual([]);
    expect(typesOf(await tick(`${DAY}T23:30:00`), XIHU)).toEqual(['UploadDeadlineAtRisk']);
    expect(typesOf(await tick(`${DAY}T23:45:00`), XIHU)).toEqual([]);
    const row = await db.query<{ state: string; reason: string }>(
      `SELECT state, reason FROM ${schema}.deadline_states WHERE project_id = $1`,
      [XIHU],
    );
    expect(row).toEqual([{ state: 'at-risk', reason: 'deadline-near' }]);
  });

  it('publishes missed once at 24:00, and a settled day stays missed when its records arrive later', async () => {
    expect(typesOf(await tick('2026-11-21T00:00:30'), XIHU)).toEqual(['UploadDeadlineMissed']);
    expect(typesOf(await tick('2026-11-21T00:10:00'), XIHU)).toEqual([]);
    await accept(XIHU, 'e-2', at('2026-11-21T00:20:00'));
    await accept(XIHU, 'e-3', at('2026-11-21T00:20:00'));
    expect(await tick('2026-11-21T00:30:00')).toEqual([]);
  });

  it('counts project-days by state for the dashboards', async () => {
    const days = (await registry.getSingleMetric('uplink_project_days')!.get()).values;
    const of = (state: string) => days.find((v) => v.labels.state === state)?.value;
    expect([of('on-track'), of('at-risk'), of('missed'), of('met')]).toEqual([0, 0, 2, 1]);
  });

  it('gives the margin of the open project-day closest to its deadline today', async () => {
    await seedDayOf('2026-11-22', XIHU, ['e-1']);
    await tick('2026-11-22T22:30:00');
    const margin = (await registry.getSingleMetric('uplink_deadline_margin_seconds')!.get()).values;
    expect(margin).toEqual([{ labels: { target: 'national' }, value: 90 * 60 }]);
  });

  it('gets its events onto reporting.deadlines.v1 through the outbox: each transition once, no ID number', async () => {
    const stream = `upload-deadline-national-${XIHU}-${DAY}`;
    await eventually(
      async () => {
        const ofXihu = published
          .filter((p) => p.subject === stream)
          .map((p) => p.type.replace('realname.reporting.', ''));
        expect(ofXihu).toEqual([
          'UploadDeadlineAtRisk',
          'UploadDeadlineRecovered',
          'UploadDeadlineAtRisk',
          'UploadDeadlineMissed',
        ]);
        expect(
          published
            .filter((p) => p.subject === `upload-deadline-national-${XIHU_2}-${DAY}`)
            .map((p) => p.type),
        ).toEqual(['realname.reporting.UploadDeadlineMet']);
        return true;
      },
      { timeoutMs: 30_000, what: 'the deadline events on Kafka' },
    );
    const missed = published.find((p) => p.type.endsWith('Missed'))!;
    expect(missed.data).toEqual({
      target: 'national',
      projectId: XIHU,
      region: '330106',
      day: DAY,
      deadline: '2026-11-20T16:00:00.000Z',
      minutesLeft: -1,
      counts: { expected: 3, accepted: 1, pending: 2, rejected: 0 },
      reason: 'records-not-accepted',
    });
    // Counts and keys only: every event carries exactly the contract's fields.
    for (const p of published)
      expect(Object.keys(p.data).sort()).toEqual([
        'counts',
        'day',
        'deadline',
        'minutesLeft',
        'projectId',
        'reason',
        'region',
        'target',
      ]);
  });
});

describe('the deadline board (REST and gRPC, scoped by the token)', () => {
  const path = (region: string, day = DAY) => `/api/v1/reporting/deadlines/regions/${region}/days/${day}`;

  it('shows a county supervisor the projects of its county: the missed day and the met one', async () => {
    const r = await get('xh-county', path('330106'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ region: '330106', day: DAY });
    expect(
      r.body.projects.map((p) => [
        p.projectId,
        p.target,
        p.expected,
        p.accepted,
        p.pending,
        p.rejected,
        p.state,
      ]),
    ).toEqual([
      [XIHU, 'national', 3, 3, 0, 0, 'missed'],
      [XIHU_2, 'national', 2, 2, 0, 0, 'met'],
    ]);
    expect(r.body.projects[0]).toMatchObject({
      projectName: '西湖项目',
      deadline: '2026-11-20T16:00:00.000Z',
      reason: 'records-not-accepted',
    });
    expect(r.body.projects[0].minutesLeft).toBeLessThan(0);
  });

  it('keeps other regions out: another city gets 404 for Hangzhou and only its own project for its own city', async () => {
    expect((await get('nb-city', path('330106'))).status).toBe(404);
    const own = await get('nb-city', path('330200'));
    expect(own.status).toBe(200);
    expect(own.body.projects.map((p) => [p.projectId, p.state])).toEqual([[NINGBO, 'missed']]);
    const province = await get('zj-province', path('330000'));
    expect(province.body.projects.map((p) => p.projectId).sort()).toEqual([NINGBO, XIHU, XIHU_2].sort());
  });

  it('shows a project manager its own project only, an enterprise nothing (403), no token 401, a bad day 400', async () => {
    const pm = await get('pm-xihu', path('330100'));
    expect(pm.status).toBe(200);
    expect(pm.body.projects.map((p) => p.projectId)).toEqual([XIHU]);
    expect((await get('pm-xihu', path('330200'))).status).toBe(404);
    expect((await get('ent-hz', path('330100'))).status).toBe(403);
    expect((await get(undefined, path('330100'))).status).toBe(401);
    expect((await get('xh-county', path('330106', '2026-13-01'))).status).toBe(400);
    expect((await get('xh-county', path('3301'))).status).toBe(400);
  });

  it('answers the same board over gRPC, scoped the same way', async () => {
    const county = await rpc('xh-county', { region: '330106', day: DAY });
    expect(county.code).toBe(grpc.status.OK);
    expect(county.value!.projects.map((p) => [p.projectId, p.expected, p.state])).toEqual([
      [XIHU, 3, 3], // DEADLINE_STATE_MISSED
      [XIHU_2, 2, 4], // DEADLINE_STATE_MET
    ]);
    expect((await rpc('nb-city', { region: '330106', day: DAY })).code).toBe(grpc.status.NOT_FOUND);
    expect((await rpc('ent-hz', { region: '330100', day: DAY })).code).toBe(grpc.status.PERMISSION_DENIED);
  });
});
