/**
 * The reporting service as it runs (the shared runtime, in this process): real PostgreSQL and Kafka of
 * the local stack under an own schema and topic prefix, the national simulator as the switched-on
 * target. Registry and attendance events published to Kafka end up as the day's punches upstream.
 */
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  AttendanceDayFinalised,
  createEvent,
  EventEnvelope,
  ParticipantJoined,
  TeamFormed,
  Topics,
  toKafkaRecord,
  WorkerEnrolled,
  withTopicPrefix,
} from '@realname/contracts';
import { residentIdCheckChar, creditCodeCheckChar } from '@realname/domain-rules';
import { createKafka, Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { runService } from '@realname/platform';
import { resourceServerEnv, testInfrastructure, uniqueName } from '@realname/testing';
import { NationalCredentials, NationalPlatformUplink } from '@realname/uplinks';
import { NationalSimulator, startNationalSimulator } from '@realname/uplink-simulators';
import { ReportingConfigSchema } from './config';
import { ReportingConsumers } from './consumers';
import { WorkerIdentitiesRepository } from './identities/worker-identities.repository';
import { ReportingModule } from './reporting.module';
import { shanghaiToday } from './sender/upload-sender';
import { UplinkCredentialsRepository } from './uplinks/credentials.repository';

jest.setTimeout(90_000);

const run = uniqueName('rep');
const schema = `rep_${run}`;
const prefix = `rep-${run}.`.toLowerCase();
const projectId = `3301rp${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const secret = randomBytes(16).toString('hex');
const keys = {
  PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PII_ACTIVE_KEY_ID: 'k1',
  PII_HASH_KEY: randomBytes(32).toString('base64'),
};
const SUBCONTRACTOR = '91330100MA27XY1A2' + creditCodeCheckChar('91330100MA27XY1A2');
const ID = '33010619900101201' + residentIdCheckChar('33010619900101201');
const YESTERDAY = shanghaiToday(new Date(Date.now() - 86_400_000));
const port = 20_000 + Math.floor(Math.random() * 20_000);

let app: INestApplication | undefined;
let simulator: NationalSimulator;
let db: Database;
const saved = { ...process.env };

async function publish(events: EventEnvelope[]): Promise<void> {
  const infra = await testInfrastructure();
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `test-${run}` });
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const event of events) {
      const record = toKafkaRecord(event);
      const topic =
        event.type === AttendanceDayFinalised.type
          ? withTopicPrefix(prefix, Topics.attendanceDays).name
          : event.type === WorkerEnrolled.type
            ? withTopicPrefix(prefix, Topics.registryEnrolments).name
            : withTopicPrefix(prefix, Topics.registryProjects).name;
      await producer.send({ topic, messages: [record] });
    }
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  simulator = await startNationalSimulator({ projects: [{ appid: projectId, secret }], asyncDelayMs: 20 });
  Object.assign(process.env, {
    ...resourceServerEnv(),
    ...keys,
    DATABASE_URL: infra.postgresUrl,
    DATABASE_SCHEMA: schema,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `reporting-${run}`,
    REPORTING_HTTP_PORT: String(port),
    UPLINK_TARGETS: `national=${simulator.url}`,
    UPLOAD_INTERVAL_MS: '100',
    UPLOAD_POLL_MS: '50',
    UPLOAD_WAIT_MS: '100',
    UPLOAD_BACKOFF_MS: '100',
    LOG_LEVEL: 'warn',
  });
  app = await runService({
    name: 'reporting',
    configSchema: ReportingConfigSchema,
    module: (config, shared) => ReportingModule.forRoot(config, shared),
    http: (c) => ({ host: c.REPORTING_HTTP_HOST, port: c.REPORTING_HTTP_PORT }),
  });
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
  const vault = new PersonalDataVault({ keys: keys.PII_KEYS, activeKeyId: 'k1', hashKey: keys.PII_HASH_KEY });
  await new UplinkCredentialsRepository(schema, vault).put(db, 'national', projectId, {
    appid: projectId,
    secret,
  });
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1000, 1)]).toString(
    'base64',
  );
  await new WorkerIdentitiesRepository(schema, vault).put(db, 'w-1', {
    idCardType: '01',
    idCardNumber: ID,
    headImage: jpeg,
  });
  // The enterprise and the project are upstream already (the integrity platform registered them).
  const upstream = new NationalPlatformUplink({
    endpoint: simulator.url,
    credentials: new NationalCredentials({ appid: projectId, secret }),
  });
  await upstream.call('Corp.Upload', { corpCode: SUBCONTRACTOR, corpName: '杭州示例劳务有限公司' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await upstream.call('Project.Add', {
    projectCode: projectId,
    name: '示例项目',
    contractorCorpCode: SUBCONTRACTOR,
  });
});

afterAll(async () => {
  await app?.close();
  process.env = saved;
  const infra = await testInfrastructure();
  const admin = createKafka({ brokers: infra.kafkaBrokers, clientId: `test-${run}` }).admin();
  await admin.connect();
  const topics = Object.values(ReportingConsumers.topics(prefix, `reporting-${run}`)).map((t) => t.name);
  // The run's topics go with it; a broker refusing deletion only leaves them behind.
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
  await simulator?.close();
});

describe('the reporting service', () => {
  it('is ready, with its ledger metrics, on the shared runtime', async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect([200]).toContain(ready.status);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/uplink_backlog_records/);
    expect(metrics).toMatch(/uplink_oldest_pending_seconds/);
  });

  it("takes the day's attendance from Kafka to the national platform", async () => {
    const opts = { source: '/realname/worker-registry', subject: projectId, region };
    const at = (time: string) => new Date(`${YESTERDAY}T${time}+08:00`).toISOString().replace('.000Z', 'Z');
    await publish([
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
      createEvent(
        WorkerEnrolled,
        {
          enrolmentId: 'en-1',
          projectId,
          workerId: 'w-1',
          name: '工人一',
          idHash: 'hash-1'.padEnd(32, '0'),
          maskedIdNumber: '3301**********2010',
          teamId: 'team-1',
          teamName: '钢筋班',
          participantId: 'pa-1',
          creditCode: SUBCONTRACTOR,
          corpName: '杭州示例劳务有限公司',
          workType: '010',
          workRole: '20',
          isTeamLeader: false,
          credentials: { personId: 'p-1' },
        },
        { ...opts, subject: 'en-1' },
      ),
      createEvent(
        AttendanceDayFinalised,
        {
          projectId,
          region,
          enrolmentId: 'en-1',
          workerId: 'w-1',
          teamId: 'team-1',
          participantId: 'pa-1',
          keyPosts: [],
          day: YESTERDAY,
          revision: 1,
          status: 'present',
          calendar: { working: true, kind: 'workday', version: '2026' },
          intervals: [
            {
              in: { at: at('08:00:00'), direction: 'in', inferred: false },
              out: { at: at('17:00:00'), direction: 'out', inferred: false },
              minutes: 540,
            },
          ],
          workedMinutes: 540,
          punches: 2,
          corrections: [],
          rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
          cause: 'finalised',
        },
        { ...opts, source: '/realname/attendance', subject: `timesheet-${projectId}-en-1-${YESTERDAY}` },
      ),
    ]);
    const until = Date.now() + 60_000;
    const settled = () =>
      db.query<{ kind: string; status: string }>(
        `SELECT kind, status FROM ${schema}.upload_ledger ORDER BY kind_rank`,
      );
    // Sent punches are accepted once the serial code is polled: wait for the ledger, not the platform.
    while (Date.now() < until) {
      const rows = await settled();
      if (rows.length === 4 && rows.every((r) => r.status === 'accepted')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const punches = simulator.accepted('WorkerAttendance.Add');
    expect(punches.map((p) => [p.record['idCardNumber'], p.record['date'], p.record['direction']])).toEqual([
      [ID, `${YESTERDAY} 08:00:00`, '01'],
      [ID, `${YESTERDAY} 17:00:00`, '02'],
    ]);
    expect(await settled()).toEqual([
      { kind: 'participating-unit', status: 'accepted' },
      { kind: 'team', status: 'accepted' },
      { kind: 'project-worker', status: 'accepted' },
      { kind: 'attendance', status: 'accepted' },
    ]);
  });
});
