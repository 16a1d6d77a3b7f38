/**
 * The upload APIs of reporting over the wire (REST and gRPC), in the built service as a process with
 * real tokens of the local OpenID Connect provider, PostgreSQL and Kafka of the local stack. No target
 * is switched on, so the ledger rows stay as the test writes them (as the consumers and the sender
 * write them): a city supervisor sees its projects' uploads and not another city's; rejections come
 * with their Chinese and English sentences; a rejected record goes back to pending once and a second
 * resubmission is refused; credentials are versioned and their secrets never answered.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Database } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import { PROTO_LOADER_OPTIONS, protoPath, REPORTING_V1_PROTO } from '@realname/proto';
import {
  freePort,
  RunningService,
  startService,
  testInfrastructure,
  testIssuer,
  tokenFor,
  uniqueName,
} from '@realname/testing';

jest.setTimeout(180_000);

const run = uniqueName('repapi');
const schema = `rep_${run}`;
const XIHU = '330106202401150001'; // pm-xihu's project, in Hangzhou
const NINGBO = '330203202402010001';
const DAY = '2026-11-20';
const ENTERPRISE = '91330106MA2H4K7N15';
const keys = {
  PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PII_ACTIVE_KEY_ID: 'k1',
  PII_HASH_KEY: randomBytes(32).toString('base64'),
};

let service: RunningService;
let base: string;
let client: grpc.Client;
let db: Database;
const ids: Record<string, string> = {};

const PROBLEM = {
  code: 'attendance.future',
  path: 'items[0].date',
  zh: '考勤时间晚于当前时间，请核对后重新上报',
  en: 'The attendance time is in the future: check it and report again',
};
const PLATFORM_PROBLEM = {
  code: 'platform.rejected',
  path: '',
  zh: '平台拒绝：参建单位名称与统一社会信用代码不符',
  en: 'The platform refused it: the unit name does not match its credit code',
};

async function ledgerRow(r: {
  name: string;
  projectId: string;
  region: string;
  kind: string;
  key: string;
  status: string;
  payload: object;
  problems?: object[];
  waitingFor?: string[];
  workerId?: string;
  revision?: number;
}): Promise<void> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO ${schema}.upload_ledger
       (target, kind, record_key, revision, project_id, region, kind_rank, worker_id, payload, payload_hash,
        status, problems, waiting_for, settled_at, accepted_at)
     VALUES ('national', $1, $2, $3, $4, $5, 1, $6, $7, 'seeded', $8, $9, $10,
             CASE WHEN $8 IN ('rejected', 'rejected-locally', 'accepted') THEN now() END,
             CASE WHEN $8 = 'accepted' THEN now() END)
     RETURNING id::text AS id`,
    [
      r.kind,
      r.key,
      r.revision ?? 1,
      r.projectId,
      r.region,
      r.workerId ?? null,
      JSON.stringify(r.payload),
      r.status,
      JSON.stringify(r.problems ?? []),
      r.waitingFor ?? [],
    ],
  );
  ids[r.name] = row.id;
}

type Answer = { status: number; json: Record<string, unknown> };

async function call(who: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${await tokenFor(who)}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/reporting${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

type RpcAnswer = { code: grpc.status; value?: Record<string, unknown>; details?: string };

async function rpc(who: string | undefined, method: string, req: object): Promise<RpcAnswer> {
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
      resolve(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, value: v }),
    ),
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
  base = `http://127.0.0.1:${port}`;
  const grpcUrl = `127.0.0.1:${grpcPort}`;
  service = await startService(
    'reporting',
    {
      ...keys,
      DATABASE_URL: infra.postgresUrl,
      DATABASE_SCHEMA: schema,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `${run}.`,
      KAFKA_GROUP_ID: `reporting-${run}`,
      KAFKA_SESSION_TIMEOUT_MS: '8000',
      REPORTING_HTTP_PORT: String(port),
      REPORTING_GRPC_URL: grpcUrl,
      OIDC_ISSUER_URL: testIssuer(),
      OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
      UPLINK_TARGETS: '',
    },
    `${base}/health/ready`,
  );
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(REPORTING_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as {
    realname: { reporting: { v1: { ReportingUploadService: grpc.ServiceClientConstructor } } };
  };
  client = new pkg.realname.reporting.v1.ReportingUploadService(grpcUrl, grpc.credentials.createInsecure());

  // The service migrated its schema before it was ready; the rows are those its consumers write.
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 2 });
  await db.execute(
    `INSERT INTO ${schema}.projects (project_id, region, name) VALUES ($1, '330106', '西湖项目'), ($2, '330203', '宁波项目')`,
    [XIHU, NINGBO],
  );
  // The registry corrected the unit's name after the entry was rejected.
  await db.execute(
    `INSERT INTO ${schema}.enrolments (enrolment_id, project_id, worker_id, team_id, credit_code, corp_name)
     VALUES ('en-2', $1, 'w-2', 'team-2', $2, '杭州新名劳务有限公司')`,
    [XIHU, ENTERPRISE],
  );
  const day = (enrolment: string) => `${XIHU}/${enrolment}/${DAY}`;
  await ledgerRow({
    name: 'pending',
    projectId: XIHU,
    region: '330106',
    kind: 'attendance',
    key: day('en-1'),
    status: 'pending',
    workerId: 'w-1',
    waitingFor: [`team:${XIHU}/team-1`],
    payload: { header: { projectCode: XIHU }, items: [{ date: `${DAY} 08:00:00`, direction: '01' }] },
  });
  await ledgerRow({
    name: 'rejectedLocally',
    projectId: XIHU,
    region: '330106',
    kind: 'attendance',
    key: day('en-3'),
    status: 'rejected-locally',
    workerId: 'w-3',
    problems: [PROBLEM],
    payload: { header: { projectCode: XIHU }, items: [{ date: `${DAY} 23:59:59`, direction: '01' }] },
  });
  await ledgerRow({
    name: 'entry',
    projectId: XIHU,
    region: '330106',
    kind: 'entry',
    key: `${XIHU}/en-2/${DAY}`,
    status: 'rejected',
    workerId: 'w-2',
    problems: [PLATFORM_PROBLEM],
    payload: {
      header: { projectCode: XIHU, corpCode: ENTERPRISE, corpName: '杭州旧名劳务有限公司' },
      items: [{ date: DAY, type: 1 }],
    },
  });
  await ledgerRow({
    name: 'grpcRejected',
    projectId: XIHU,
    region: '330106',
    kind: 'attendance',
    key: day('en-4'),
    status: 'rejected',
    workerId: 'w-4',
    problems: [PLATFORM_PROBLEM],
    payload: { header: { projectCode: XIHU }, items: [{ date: `${DAY} 07:00:00`, direction: '01' }] },
  });
  await ledgerRow({
    name: 'ningbo',
    projectId: NINGBO,
    region: '330203',
    kind: 'attendance',
    key: `${NINGBO}/en-9/${DAY}`,
    status: 'rejected',
    workerId: 'w-9',
    problems: [PLATFORM_PROBLEM],
    payload: { header: { projectCode: NINGBO }, items: [{ date: `${DAY} 08:00:00`, direction: '01' }] },
  });
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

describe('GET /projects/{projectId}/days/{day}/uploads', () => {
  it("shows a city supervisor its project's records with their status, waits and problems", async () => {
    const r = await call('hz-city', 'GET', `/projects/${XIHU}/days/${DAY}/uploads`);
    expect(r.status).toBe(200);
    const [national] = r.json.targets as {
      target: string;
      counts: Record<string, number>;
      records: Record<string, unknown>[];
    }[];
    expect(national.target).toBe('national');
    expect(national.records.map((x) => [x.recordKey, x.status]).sort()).toEqual(
      [
        [`${XIHU}/en-1/${DAY}`, 'pending'],
        [`${XIHU}/en-2/${DAY}`, 'rejected'],
        [`${XIHU}/en-3/${DAY}`, 'rejected-locally'],
        [`${XIHU}/en-4/${DAY}`, 'rejected'],
      ].sort(),
    );
    const pending = national.records.find((x) => x.status === 'pending')!;
    expect(pending.waitingFor).toEqual([`team:${XIHU}/team-1`]);
    expect(pending).not.toHaveProperty('payload');
    expect(national.counts.rejectedLocally).toBe(1);
  });

  it("is not found for another city's project (404, not 403)", async () => {
    expect((await call('hz-city', 'GET', `/projects/${NINGBO}/days/${DAY}/uploads`)).status).toBe(404);
    expect((await call('nb-city', 'GET', `/projects/${NINGBO}/days/${DAY}/uploads`)).status).toBe(200);
    expect((await call('nb-city', 'GET', `/projects/${XIHU}/days/${DAY}/uploads`)).status).toBe(404);
  });

  it('refuses a day that is not one, naming the field', async () => {
    const r = await call('hz-city', 'GET', `/projects/${XIHU}/days/2026-13-40/uploads`);
    expect(r.status).toBe(400);
    expect((r.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['day']);
  });

  it('needs a token and a reading role', async () => {
    expect((await call(undefined, 'GET', `/projects/${XIHU}/days/${DAY}/uploads`)).status).toBe(401);
    expect((await call('audit-zj', 'GET', `/projects/${XIHU}/days/${DAY}/uploads`)).status).toBe(403);
  });
});

describe('GET /records/{recordId}', () => {
  it('shows the record with its revisions in scope and nothing outside it', async () => {
    const r = await call('hz-city', 'GET', `/records/${ids.rejectedLocally}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'attendance', projectId: XIHU, region: '330106' });
    expect((r.json.revisions as { status: string; problems: unknown[] }[])[0]).toMatchObject({
      status: 'rejected-locally',
      problems: [PROBLEM],
    });
    expect((await call('hz-city', 'GET', `/records/${ids.ningbo}`)).status).toBe(404);
    expect((await call('pm-xihu', 'GET', `/records/${ids.ningbo}`)).status).toBe(404);
    expect((await call('hz-city', 'GET', '/records/999999999')).status).toBe(404);
  });
});

describe('GET /projects/{projectId}/rejections', () => {
  it('lists the rejected records with their Chinese and English sentences, page by page', async () => {
    const first = await call('hz-city', 'GET', `/projects/${XIHU}/rejections?pageSize=2`);
    expect(first.status).toBe(200);
    expect(first.json.totalCount).toBe(3);
    const page1 = first.json.rejections as { recordId: string; problems: { zh: string; en: string }[] }[];
    expect(page1).toHaveLength(2);
    const second = await call(
      'hz-city',
      'GET',
      `/projects/${XIHU}/rejections?pageSize=2&pageToken=${first.json.nextPageToken as string}`,
    );
    const page2 = second.json.rejections as { recordId: string; problems: { zh: string; en: string }[] }[];
    expect(page2).toHaveLength(1);
    expect(second.json.nextPageToken).toBe('');
    const all = [...page1, ...page2];
    expect(all.map((x) => x.recordId).sort()).toEqual(
      [ids.rejectedLocally, ids.entry, ids.grpcRejected].sort(),
    );
    const local = all.find((x) => x.recordId === ids.rejectedLocally)!;
    expect(local.problems).toEqual([PROBLEM]);
    expect(local.problems[0].zh).toMatch(/考勤时间/);
  });

  it('filters by kind and refuses a page token it did not issue', async () => {
    const entries = await call('hz-city', 'GET', `/projects/${XIHU}/rejections?kind=entry`);
    expect((entries.json.rejections as { recordId: string }[]).map((x) => x.recordId)).toEqual([ids.entry]);
    const bad = await call('hz-city', 'GET', `/projects/${XIHU}/rejections?pageToken=nonsense`);
    expect(bad.status).toBe(400);
    expect((bad.json.errors as { field: string }[])[0].field).toBe('pageToken');
    expect((await call('hz-city', 'GET', `/projects/${NINGBO}/rejections`)).status).toBe(404);
  });
});

describe('POST /records/{recordId}/resubmissions', () => {
  it('puts a rejected record back to pending, rebuilt from the corrected data and audited; a second time is 409', async () => {
    const r = await call('pm-xihu', 'POST', `/records/${ids.entry}/resubmissions`);
    expect(r.status).toBe(200);
    const [revision] = r.json.revisions as {
      status: string;
      problems: unknown[];
      payload: { header: Record<string, string> };
    }[];
    expect(revision.status).toBe('pending');
    expect(revision.problems).toEqual([]);
    expect(revision.payload.header.corpName).toBe('杭州新名劳务有限公司');
    const [resubmission] = r.json.resubmissions as {
      previousStatus: string;
      rebuilt: boolean;
      payloadChanged: boolean;
      actor: { role: string; scope: string };
    }[];
    expect(resubmission).toMatchObject({
      previousStatus: 'rejected',
      previousProblems: [PLATFORM_PROBLEM],
      rebuilt: true,
      payloadChanged: true,
      actor: { role: 'project-manager', scope: `project:${XIHU}` },
    });
    const again = await call('pm-xihu', 'POST', `/records/${ids.entry}/resubmissions`);
    expect(again.status).toBe(409);
    expect(again.json.detail).toMatch(/pending/);
    const [row] = await db.query<{ status: string; payload_hash: string }>(
      `SELECT status, payload_hash FROM ${schema}.upload_ledger WHERE id = $1`,
      [ids.entry],
    );
    expect(row.status).toBe('pending');
    expect(row.payload_hash).not.toBe('seeded');
  });

  it('is refused to a supervisor (403) and not found outside the scope (404)', async () => {
    expect((await call('hz-city', 'POST', `/records/${ids.rejectedLocally}/resubmissions`)).status).toBe(403);
    expect(
      (await call('municipal-ningbo', 'POST', `/records/${ids.rejectedLocally}/resubmissions`)).status,
    ).toBe(404);
    expect((await call('pm-xihu', 'POST', `/records/${ids.ningbo}/resubmissions`)).status).toBe(404);
  });
});

describe('PUT /projects/{projectId}/uplinks/{target}/credentials', () => {
  const secret = randomBytes(16).toString('hex');

  it('stores the credentials as version 1, rotates them to version 2, and never answers the secret', async () => {
    // A row held back for the project's credentials, due only after a long backoff (a refused secret).
    await ledgerRow({
      name: 'heldForCredentials',
      projectId: XIHU,
      region: '330106',
      kind: 'team',
      key: `${XIHU}/team-held`,
      status: 'pending',
      payload: { header: { projectCode: XIHU }, items: [{ teamName: '待凭据班组' }] },
      waitingFor: [`credentials:national/${XIHU}`],
    });
    await db.execute(
      `UPDATE ${schema}.upload_ledger SET next_attempt_at = now() + interval '5 minutes' WHERE id = $1`,
      [ids.heldForCredentials],
    );
    const first = await call('municipal-hangzhou', 'PUT', `/projects/${XIHU}/uplinks/national/credentials`, {
      appid: 'A-XIHU',
      secret,
    });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ target: 'national', projectId: XIHU, appid: 'A-XIHU', version: 1 });
    const rotated = randomBytes(16).toString('hex');
    const second = await call('ops', 'PUT', `/projects/${XIHU}/uplinks/national/credentials`, {
      appid: 'A-XIHU',
      secret: rotated,
      corpKey: 'corp-key-1',
    });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ version: 2, hasCorpKey: true });
    for (const answer of [first, second]) {
      const text = JSON.stringify(answer.json);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(rotated);
      expect(text).not.toContain('corp-key-1');
    }
    // Encrypted at rest, and the sender reads the rotated one.
    const [row] = await db.query<{ secret_encrypted: string; version: number }>(
      `SELECT secret_encrypted, version FROM ${schema}.uplink_credentials WHERE target = 'national' AND project_id = $1`,
      [XIHU],
    );
    expect(row.version).toBe(2);
    expect(row.secret_encrypted).not.toContain(rotated);
    const vault = new PersonalDataVault({
      keys: keys.PII_KEYS,
      activeKeyId: 'k1',
      hashKey: keys.PII_HASH_KEY,
    });
    expect(vault.decrypt(row.secret_encrypted, `uplink:national:${XIHU}:secret`)).toBe(rotated);
    const [audit] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.uploads_audit WHERE action = 'credentials-put' AND project_id = $1`,
      [XIHU],
    );
    expect(audit.n).toBe(2);
    // The new credentials woke the held row: it is due now, not after its backoff.
    const [held] = await db.query<{ due: boolean }>(
      `SELECT next_attempt_at <= now() AS due FROM ${schema}.upload_ledger WHERE id = $1`,
      [ids.heldForCredentials],
    );
    expect(held.due).toBe(true);
  });

  it('refuses bad credentials naming the field, other roles, other scopes and unknown targets', async () => {
    const short = await call('municipal-hangzhou', 'PUT', `/projects/${XIHU}/uplinks/national/credentials`, {
      appid: 'A-XIHU',
      secret: 'too-short',
    });
    expect(short.status).toBe(400);
    expect((short.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['secret']);
    const shape = await call(
      'municipal-hangzhou',
      'PUT',
      `/projects/${XIHU}/uplinks/province-b/credentials`,
      {
        appid: 'A-XIHU',
        secret,
      },
    );
    expect(shape.status).toBe(400);
    expect((shape.json.errors as { field: string }[])[0].field).toBe('appKey');
    const body = { appid: 'A', secret };
    expect(
      (await call('hz-city', 'PUT', `/projects/${XIHU}/uplinks/national/credentials`, body)).status,
    ).toBe(403);
    expect(
      (await call('municipal-ningbo', 'PUT', `/projects/${XIHU}/uplinks/national/credentials`, body)).status,
    ).toBe(404);
    expect(
      (await call('municipal-hangzhou', 'PUT', `/projects/${XIHU}/uplinks/nowhere/credentials`, body)).status,
    ).toBe(404);
  });
});

describe('realname.reporting.v1.ReportingUploadService', () => {
  it('GetProjectDayUploads: in scope the records, outside it NOT_FOUND, no token UNAUTHENTICATED', async () => {
    const ok = await rpc('hz-city', 'GetProjectDayUploads', { projectId: XIHU, day: DAY, target: '' });
    expect(ok.code).toBe(grpc.status.OK);
    const [national] = ok.value!.targets as {
      target: string;
      records: { recordKey: string; status: number }[];
    }[];
    expect(national.target).toBe('national');
    expect(national.records.map((r) => r.recordKey)).toContain(`${XIHU}/en-4/${DAY}`);
    expect((await rpc('hz-city', 'GetProjectDayUploads', { projectId: NINGBO, day: DAY })).code).toBe(
      grpc.status.NOT_FOUND,
    );
    expect((await rpc(undefined, 'GetProjectDayUploads', { projectId: XIHU, day: DAY })).code).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    const bad = await rpc('hz-city', 'GetProjectDayUploads', { projectId: XIHU, day: 'yesterday' });
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^day:/);
  });

  it('ListRejections: the problems in Chinese and English', async () => {
    const r = await rpc('municipal-hangzhou', 'ListRejections', { projectId: XIHU, kind: 'attendance' });
    expect(r.code).toBe(grpc.status.OK);
    const rejections = r.value!.rejections as { recordId: string; problems: { zh: string; en: string }[] }[];
    expect(rejections.find((x) => x.recordId === ids.rejectedLocally)!.problems).toEqual([PROBLEM]);
  });

  it('ResubmitRecord: a rejected record back to pending, then FAILED_PRECONDITION; a reader may not', async () => {
    expect((await rpc('hz-city', 'ResubmitRecord', { recordId: ids.grpcRejected })).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect((await rpc('municipal-ningbo', 'ResubmitRecord', { recordId: ids.grpcRejected })).code).toBe(
      grpc.status.NOT_FOUND,
    );
    const ok = await rpc('municipal-hangzhou', 'ResubmitRecord', { recordId: ids.grpcRejected });
    expect(ok.code).toBe(grpc.status.OK);
    const record = ok.value!.record as {
      revisions: { status: number }[];
      resubmissions: { rebuilt: boolean; actor: { role: string } }[];
    };
    expect(record.revisions[0].status).toBe(1); // UPLOAD_STATUS_PENDING
    expect(record.resubmissions[0]).toMatchObject({
      rebuilt: false,
      actor: { role: 'municipal-integrator' },
    });
    const again = await rpc('municipal-hangzhou', 'ResubmitRecord', { recordId: ids.grpcRejected });
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
  });
});
