/**
 * realname.attendance.v1.AttendancePresenceService over the wire, in the attendance process with real
 * tokens of the local OpenID Connect provider: no token UNAUTHENTICATED, a role that may not read
 * PERMISSION_DENIED, a project or region outside the scope NOT_FOUND, in scope the figures. The rows are
 * written into the service's own schema as its projections write them.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Database } from '@realname/eventstore';
import { ATTENDANCE_V1_PROTO, PROTO_LOADER_OPTIONS, protoPath } from '@realname/proto';
import {
  freePort,
  RunningService,
  startService,
  testInfrastructure,
  testIssuer,
  tokenFor,
  uniqueName,
} from '@realname/testing';
import { workingDays } from '@realname/domain-rules';

jest.setTimeout(180_000);

const run = uniqueName('presgrpc');
const schema = `att_${run}`;
const XIHU = '330106202401150001'; // pm-xihu's project; the pm's unit is ent-hz's enterprise
const NINGBO = '330203202402010001';
const ENTERPRISE = '91330106MA2H4K7N15';
const NOVEMBER = workingDays('330106', '2026-11-01', '2026-11-30');

let attendance: RunningService;
let client: grpc.Client;
let db: Database;

type Answer = { code: grpc.status; value?: Record<string, unknown> };

async function rpc(who: string | undefined, method: string, req: object): Promise<Answer> {
  const metadata = new grpc.Metadata();
  if (who) metadata.set('authorization', `Bearer ${await tokenFor(who)}`);
  return new Promise((resolve) =>
    (
      client as unknown as Record<
        string,
        (
          r: object,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void,
        ) => void
      >
    )[method](req, metadata, { deadline: Date.now() + 10_000 }, (e, v) =>
      resolve(e ? { code: e.code } : { code: grpc.status.OK, value: v }),
    ),
  );
}

const period = { fromDay: '2026-11-01', toDay: '2026-11-30' };
const projectPresence = (projectId: string) => ({ projectId, ...period });
const regionPresence = (region: string) => ({ region, ...period });
const projectAbsences = (projectId: string) => ({ projectId, asOfDay: '2026-11-20', minDays: 0 });
const regionAbsences = (region: string) => ({ region, asOfDay: '2026-11-20', minDays: 0 });

beforeAll(async () => {
  const infra = await testInfrastructure();
  const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
  const grpcUrl = `127.0.0.1:${grpcPort}`;
  attendance = await startService(
    'attendance',
    {
      DATABASE_URL: infra.postgresUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `${run}.`,
      ATTENDANCE_HTTP_PORT: String(port),
      ATTENDANCE_GRPC_URL: grpcUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_GROUP_ID: `attendance-${run}`,
      CLICKHOUSE_URL: infra.clickhouseUrl,
      CLICKHOUSE_DATABASE: `pg_${run}`.toLowerCase(),
      OIDC_ISSUER_URL: testIssuer(),
      OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
    },
    `http://127.0.0.1:${port}/health/ready`,
  );
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(ATTENDANCE_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as {
    realname: { attendance: { v1: { AttendancePresenceService: grpc.ServiceClientConstructor } } };
  };
  client = new pkg.realname.attendance.v1.AttendancePresenceService(
    grpcUrl,
    grpc.credentials.createInsecure(),
  );

  // The service migrated its schema before it was ready; the rows are those its projections keep.
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
  await db.execute(
    `INSERT INTO ${schema}.projects (project_id, region, name) VALUES ($1, '330106', '西湖项目'), ($2, '330203', '宁波项目')`,
    [XIHU, NINGBO],
  );
  await db.execute(
    `INSERT INTO ${schema}.key_persons (project_id, participant_id, post, id_hash, name, masked_id_number, since)
     VALUES ($1, 'pa-gc', 'project-manager', 'h-pm', '张三', '3301**********0011', '2026-03-01T09:00:00+08:00'),
            ($2, 'pa-nb', 'project-manager', 'h-nb', '李四', '3302**********0022', '2026-03-01T09:00:00+08:00')`,
    [XIHU, NINGBO],
  );
  await db.execute(
    `INSERT INTO ${schema}.enrolments (enrolment_id, project_id, worker_id, name, masked_id_number, team_id, team_name,
       participant_id, credit_code, corp_name, entered_on, id_hash)
     VALUES ('en-pm', $1, 'w-pm', '张三', '3301**********0011', 't', '管理', 'pa-gc', $2, '杭州某某建设有限公司', '2026-03-02', 'h-pm'),
            ('en-nb', $3, 'w-nb', '王五', '3302**********0033', 't', '木工班', 'pa-nbw', '91330203MA2H4K7N11', '宁波劳务', '2026-11-02', 'h-nbw')`,
    [XIHU, ENTERPRISE, NINGBO],
  );
  // The project manager is present the first 15 working days of November and on leave the next 2.
  for (const [i, day] of NOVEMBER.slice(0, 17).entries())
    await db.execute(
      `INSERT INTO ${schema}.timesheet_days (project_id, enrolment_id, day, region, worker_id, team_id, participant_id,
         revision, status, working, calendar_kind, intervals, worked_minutes, punches, corrections, cause,
         finalised_at, revised_at)
       VALUES ($1, 'en-pm', $2, '330106', 'w-pm', 't', 'pa-gc', 1, $3, true, 'workday', '[]', 480, 2, '[]',
         'finalised', now(), now())`,
      [XIHU, day, i < 15 ? 'present' : 'leave'],
    );
});

afterAll(async () => {
  client?.close();
  await attendance?.stop();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

const METHODS: [string, (own: boolean) => object][] = [
  ['GetProjectKeyPersonnelPresence', (own) => projectPresence(own ? XIHU : NINGBO)],
  ['ListProjectAbsences', (own) => projectAbsences(own ? XIHU : NINGBO)],
  ['GetRegionKeyPersonnelPresence', (own) => regionPresence(own ? '330100' : '330200')],
  ['ListRegionAbsences', (own) => regionAbsences(own ? '330100' : '330200')],
];

describe.each(METHODS)('%s', (method, req) => {
  it('without a token: UNAUTHENTICATED', async () => {
    expect((await rpc(undefined, method, req(true))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('an auditor: PERMISSION_DENIED', async () => {
    expect((await rpc('audit-zj', method, req(true))).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it.each(['hz-city', 'pm-xihu', 'municipal-hangzhou'])(
    '%s: OK in scope (Xihu, Hangzhou), NOT_FOUND outside it (Ningbo)',
    async (who) => {
      expect((await rpc(who, method, req(true))).code).toBe(grpc.status.OK);
      expect((await rpc(who, method, req(false))).code).toBe(grpc.status.NOT_FOUND);
    },
  );

  it('an enterprise user: its project, but no region', async () => {
    const r = await rpc('ent-hz', method, req(true));
    expect(r.code).toBe(method.includes('Region') ? grpc.status.PERMISSION_DENIED : grpc.status.OK);
  });
});

it('answers the figures: rate, leave, below the minimum, the profile', async () => {
  const r = await rpc('hz-city', 'GetProjectKeyPersonnelPresence', projectPresence(XIHU));
  expect(r.value!.presence).toMatchObject({
    projectId: XIHU,
    region: '330106',
    presenceMinimum: 0.8,
    persons: [
      expect.objectContaining({
        post: 'project-manager',
        corpName: '杭州某某建设有限公司',
        enrolled: true,
        workingDays: 21,
        daysPresent: 15,
        leaveDays: 2,
        presenceRate: 0.7895,
        belowMinimum: true,
      }),
    ],
  });
  const nb = await rpc('nb-city', 'ListRegionAbsences', regionAbsences('330200'));
  expect(nb.value).toMatchObject({
    region: '330200',
    projects: [
      expect.objectContaining({
        projectId: NINGBO,
        minDays: 3,
        workers: [
          expect.objectContaining({ enrolmentId: 'en-nb', lastPresentDay: '', absentWorkingDays: 15 }),
        ],
      }),
    ],
  });
});
