/**
 * Attendance as an OAuth 2.0 resource server, as a process with real tokens of the local OpenID Connect
 * provider: every REST endpoint and gRPC method × the roles that may and may not read × projects inside
 * and outside the caller's scope. No token: 401 / UNAUTHENTICATED; a role that may not read: 403 /
 * PERMISSION_DENIED; a project outside the scope: 404 / NOT_FOUND, the same answer as an unknown project;
 * in scope: 200 with in-scope rows only, and never a full resident ID number or a birth date.
 *
 * Data: registry enrolments and device punches published on Kafka (the service's own topic prefix), as
 * the registry and the gateway publish them, in projects of Xihu (330106), Binjiang (330108), Ningbo
 * (330203) and Wuhan (420102).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { Producer } from 'kafkajs';
import { EventEnvelope, toKafkaRecord } from '@realname/contracts';
import { createKafka, ensureTopics } from '@realname/eventstore';
import { PublishedFacts } from '@realname/fixtures';
import { regionCovers } from '@realname/platform';
import { ATTENDANCE_V1_PROTO, PROTO_LOADER_OPTIONS, protoPath } from '@realname/proto';
import {
  eventually,
  freePort,
  RunningService,
  startService,
  testInfrastructure,
  testIssuer,
  tokenFor,
  uniqueName,
} from '@realname/testing';
import { AttendanceConsumers } from './consumers';

jest.setTimeout(240_000);

const run = uniqueName('attacc');
const DAY = '2026-11-20';
const FROM = '2026-11-01';
const TO = '2026-11-30';
const ENTERPRISE = '91330106MA2H4K7N15';
const OTHER_ENTERPRISE = '91330106MA2H4K7N23';

interface Project {
  id: string;
  region: string;
}
const XIHU: Project = { id: '330106202401150001', region: '330106' }; // pm-xihu's project
const BINJIANG: Project = { id: '330108202405200001', region: '330108' };
const NINGBO: Project = { id: '330203202402010001', region: '330203' };
const WUHAN: Project = { id: '420102202403010001', region: '420102' };
const PROJECTS = [XIHU, BINJIANG, NINGBO, WUHAN];
const UNKNOWN = '330106209912310001';

/** Who calls, and which projects each one's scope covers ('forbidden': the role may not read at all). */
type Who = { name: string; sees: Project[] | 'forbidden'; analytics: boolean; covers?: string };
const MATRIX: Who[] = [
  { name: 'hz-city', sees: [XIHU, BINJIANG], analytics: true, covers: '330100' },
  { name: 'nb-city', sees: [NINGBO], analytics: true, covers: '330200' },
  { name: 'xh-county', sees: [XIHU], analytics: true, covers: '330106' },
  { name: 'pm-xihu', sees: [XIHU], analytics: true },
  // An enterprise sees the punches of workers enrolled through its units; analytics know no enterprise.
  { name: 'ent-hz', sees: [XIHU], analytics: false },
  { name: 'municipal-hangzhou', sees: [XIHU, BINJIANG], analytics: true, covers: '330100' },
  { name: 'municipal-wuhan', sees: [WUHAN], analytics: true, covers: '420100' },
  { name: 'audit-zj', sees: 'forbidden', analytics: false },
  { name: 'ops', sees: 'forbidden', analytics: false },
  { name: 'dev-hz', sees: 'forbidden', analytics: false },
];

let attendance: RunningService;
let url: string;
let grpcUrl: string;
let client: grpc.Client;
let producer: Producer;
const expected = new Map<string, { punches: number; ofEnterprise: number; unresolved: number }>();

// ---- what the registry and the gateway publish ------------------------------------------------------

const facts = new PublishedFacts(DAY);
const enrolment = (p: Project, n: number, creditCode: string) =>
  facts.enrolment(p, n, creditCode, {
    corpName: creditCode === ENTERPRISE ? '杭州某某劳务有限公司' : '杭州另一劳务有限公司',
    enteredOn: FROM,
  });

// ---- calling attendance -------------------------------------------------------------------------------

async function headers(who: string | undefined): Promise<Record<string, string>> {
  return who ? { authorization: `Bearer ${await tokenFor(who)}` } : {};
}

async function rest(who: string | undefined, path: string) {
  const res = await fetch(url + path, { headers: await headers(who) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function rpc(
  who: string | undefined,
  method: string,
  req: object,
): Promise<{ code: grpc.status; value?: Record<string, unknown>; message?: string }> {
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
      resolve(e ? { code: e.code, message: e.details } : { code: grpc.status.OK, value: v }),
    ),
  );
}

/** The project endpoints of the REST API, as paths. */
const REST_PROJECT_ENDPOINTS: { name: string; path: (p: string) => string; analytics: boolean }[] = [
  {
    name: 'punches',
    path: (p) => `/api/v1/projects/${p}/punches?day=${DAY}&pageSize=1000`,
    analytics: false,
  },
  {
    name: 'unresolved-punches',
    path: (p) => `/api/v1/projects/${p}/unresolved-punches?from=${FROM}&to=${TO}&pageSize=1000`,
    analytics: false,
  },
  {
    name: 'punch-counts',
    path: (p) => `/api/v1/projects/${p}/punch-counts?from=${FROM}&to=${TO}`,
    analytics: false,
  },
  {
    name: 'analytics project daily',
    path: (p) => `/api/v1/analytics/projects/${p}/daily?from=${FROM}&to=${TO}`,
    analytics: true,
  },
  {
    name: 'key-personnel presence',
    path: (p) => `/api/v1/projects/${p}/key-personnel/presence?from=${FROM}&to=${TO}`,
    analytics: false,
  },
  { name: 'absences', path: (p) => `/api/v1/projects/${p}/absences?asOf=${TO}`, analytics: false },
  { name: 'timesheets', path: (p) => `/api/v1/projects/${p}/timesheets?day=${DAY}`, analytics: false },
  {
    name: 'analytics month teams',
    path: (p) => `/api/v1/analytics/months/2026-11/projects/${p}/teams`,
    analytics: true,
  },
  {
    name: 'payroll-findings',
    path: (p) => `/api/v1/projects/${p}/payroll-findings?month=2026-11`,
    analytics: false,
  },
];

/** Enrolled and entered workers per project (all of them, and those of ENTERPRISE), for the absences. */
const ENROLLED: Record<string, number> = { [XIHU.id]: 3, [NINGBO.id]: 1 };
const ENROLLED_OF_ENTERPRISE: Record<string, number> = { [XIHU.id]: 2 };

const GRPC_METHODS: { name: string; req: (p: string) => object }[] = [
  { name: 'ListPunches', req: (p) => ({ projectId: p, day: DAY, pageSize: 1000 }) },
  { name: 'CountPunchesPerDay', req: (p) => ({ projectId: p, fromDay: FROM, toDay: TO }) },
];

/** 18-character resident ID numbers (a birth date at 7-14) and ISO birth dates: none may leave attendance. */
const FULL_ID = /\d{6}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]/;
function expectNoPersonalNumbers(body: unknown, projectIds: string[]): void {
  const walk = (v: unknown, key: string): void => {
    if (key !== 'maskedIdNumber') expect(key).not.toMatch(/birth|idNumber/i);
    if (typeof v === 'string') {
      if (key === 'maskedIdNumber') expect(v).toMatch(/^(\d{4}\*{10}[\dX]{4})?$/);
      // A project id is 18 digits too (region, date, sequence): the only ones allowed.
      else if (!projectIds.includes(v)) expect(v).not.toMatch(FULL_ID);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(body, '');
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  const [port, grpcPort] = await Promise.all([freePort(), freePort()]);
  url = `http://127.0.0.1:${port}`;
  grpcUrl = `127.0.0.1:${grpcPort}`;
  const prefix = `${run}.`;
  const groupId = `attendance-${run}`;
  attendance = await startService(
    'attendance',
    {
      DATABASE_URL: infra.postgresUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      ATTENDANCE_HTTP_PORT: String(port),
      ATTENDANCE_GRPC_URL: grpcUrl,
      DATABASE_SCHEMA: `att_${run}`,
      KAFKA_GROUP_ID: groupId,
      KAFKA_SESSION_TIMEOUT_MS: '8000',
      CLICKHOUSE_URL: infra.clickhouseUrl,
      CLICKHOUSE_DATABASE: `acc_${run}`.toLowerCase(),
      OIDC_ISSUER_URL: testIssuer(),
      OIDC_AUDIENCE: process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api',
      TIMESHEET_FINALISE_INTERVAL_MS: '1000',
    },
    `${url}/health/ready`,
  );
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath(ATTENDANCE_V1_PROTO), PROTO_LOADER_OPTIONS),
  ) as unknown as { realname: { attendance: { v1: { AttendanceService: grpc.ServiceClientConstructor } } } };
  client = new pkg.realname.attendance.v1.AttendanceService(grpcUrl, grpc.credentials.createInsecure());

  // Enrolments first (workers 1 and 2 through the enterprise of ent-hz, 3 through another), then punches:
  // per project, every enrolled worker and one stranger.
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${run}-test` });
  const topics = AttendanceConsumers.topics(prefix, groupId);
  await ensureTopics(kafka, [topics.punches, topics.enrolments]);
  producer = kafka.producer();
  await producer.connect();
  const send = (topic: string, events: EventEnvelope[]) =>
    producer.send({ topic: topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
  await send(topics.enrolments.name, [
    ...enrolment(XIHU, 1, ENTERPRISE),
    ...enrolment(XIHU, 2, ENTERPRISE),
    ...enrolment(XIHU, 3, OTHER_ENTERPRISE),
    ...enrolment(NINGBO, 1, OTHER_ENTERPRISE),
  ]);
  const punches: Record<string, string[]> = {
    [XIHU.id]: ['1', '2', '3', '1', '9999'],
    [BINJIANG.id]: ['7', '8'],
    [NINGBO.id]: ['1', '5', '6'],
    [WUHAN.id]: ['4', '4'],
  };
  expected.set(XIHU.id, { punches: 5, ofEnterprise: 3, unresolved: 1 });
  expected.set(BINJIANG.id, { punches: 2, ofEnterprise: 0, unresolved: 2 });
  expected.set(NINGBO.id, { punches: 3, ofEnterprise: 0, unresolved: 2 });
  expected.set(WUHAN.id, { punches: 2, ofEnterprise: 0, unresolved: 2 });
  // The enrolments are applied before the punches are sent, so that the punches resolve as they land.
  await eventually(
    async () => {
      const r = await rest('ent-hz', `/api/v1/projects/${XIHU.id}/punch-counts?from=${FROM}&to=${TO}`);
      return r.status === 200;
    },
    { timeoutMs: 60_000, what: "the enterprise's enrolments in attendance" },
  );
  await send(
    topics.punches.name,
    PROJECTS.flatMap((p) => punches[p.id].map((person) => facts.punch(p, person))),
  );
  // Every punch in PostgreSQL (each project seen by a province supervisor) and in ClickHouse.
  for (const p of PROJECTS) {
    const reader = p.region.startsWith('33') ? 'zj-province' : 'hb-province';
    await eventually(
      async () => {
        const want = expected.get(p.id)!;
        const r = await rest(reader, `/api/v1/projects/${p.id}/punches?day=${DAY}`);
        const u = await rest(reader, `/api/v1/projects/${p.id}/unresolved-punches?from=${FROM}&to=${TO}`);
        const a = await rest(reader, `/api/v1/analytics/projects/${p.id}/daily?from=${FROM}&to=${TO}`);
        const inAnalytics = (a.json.days as { punches: number }[] | undefined)?.[0]?.punches;
        return (
          r.json.totalCount === want.punches &&
          u.json.totalCount === want.unresolved &&
          inAnalytics === want.punches
        );
      },
      { timeoutMs: 90_000, what: `the punches of ${p.id}, resolved, in PostgreSQL and ClickHouse` },
    );
  }
  // DAY finalised for every entered worker (the finaliser runs every second here), and in ClickHouse.
  for (const p of [XIHU, NINGBO]) {
    await eventually(
      async () => {
        const r = await rest('zj-province', `/api/v1/projects/${p.id}/timesheets?day=${DAY}`);
        const a = await rest('zj-province', `/api/v1/analytics/months/2026-11/projects/${p.id}/teams`);
        const workers = (a.json.teams as { workers: number }[] | undefined)?.reduce(
          (n, t) => n + t.workers,
          0,
        );
        return (
          (r.json.days as unknown[] | undefined)?.length === ENROLLED[p.id] && workers === ENROLLED[p.id]
        );
      },
      { timeoutMs: 60_000, what: `the attendance days of ${p.id} on ${DAY}` },
    );
  }
});

afterAll(async () => {
  client?.close();
  await producer?.disconnect();
  await attendance?.stop();
});

describe.each(MATRIX)('$name', (who) => {
  const forbidden = who.sees === 'forbidden';
  const visible = (p: Project) => !forbidden && (who.sees as Project[]).includes(p);

  describe.each(REST_PROJECT_ENDPOINTS)('REST $name', (endpoint) => {
    it.each(PROJECTS.map((p) => [p.id, p] as const))('project %s', async (_id, p) => {
      const r = await rest(who.name, endpoint.path(p.id));
      if (forbidden || (endpoint.analytics && !who.analytics)) {
        expect(r.status).toBe(403);
        expect(r.json.type).toBe('urn:realname:problem:forbidden');
        return;
      }
      // ClickHouse knows a project by its attendance days: those without any (only unresolved punches) are not found.
      const known = endpoint.name !== 'analytics month teams' || ENROLLED[p.id] !== undefined;
      if (!visible(p) || !known) {
        expect(r.status).toBe(404);
        // Exactly what an unknown project gets, but for the id (and the request's correlation id).
        const unknown = await rest(who.name, endpoint.path(UNKNOWN));
        expect(unknown.status).toBe(404);
        const same = (json: Record<string, unknown>, id: string) =>
          JSON.stringify({ ...json, correlationId: undefined }).replaceAll(id, 'P');
        expect(same(r.json, p.id)).toBe(same(unknown.json, UNKNOWN));
        return;
      }
      expect(r.status).toBe(200);
      expectNoPersonalNumbers(
        r.json,
        PROJECTS.map((x) => x.id),
      );
      const want = expected.get(p.id)!;
      const ownOnly = who.name === 'ent-hz';
      switch (endpoint.name) {
        case 'punches': {
          const list = r.json.punches as { projectId: string; corpName: string | null }[];
          expect(list.every((x) => x.projectId === p.id)).toBe(true);
          expect(list).toHaveLength(ownOnly ? want.ofEnterprise : want.punches);
          if (ownOnly) expect(list.every((x) => x.corpName === '杭州某某劳务有限公司')).toBe(true);
          break;
        }
        case 'unresolved-punches': {
          const list = r.json.punches as { projectId: string }[];
          expect(list.every((x) => x.projectId === p.id)).toBe(true);
          // The stranger's punch names no enrolment: no enterprise's.
          expect(list).toHaveLength(ownOnly ? 0 : want.unresolved);
          break;
        }
        case 'key-personnel presence':
          // No key person is appointed in these projects: the region's posts, nobody listed.
          expect(r.json).toMatchObject({ projectId: p.id, region: p.region, persons: [] });
          break;
        case 'absences': {
          // Every enrolled worker punched on DAY only: absent every working day since (the 23rd to the 30th).
          const workers = r.json.workers as { corpName: string | null; lastPresent: string }[];
          expect(workers).toHaveLength(ownOnly ? (ENROLLED_OF_ENTERPRISE[p.id] ?? 0) : (ENROLLED[p.id] ?? 0));
          expect(workers.every((w) => w.lastPresent === DAY)).toBe(true);
          if (ownOnly) expect(workers.every((w) => w.corpName === '杭州某某劳务有限公司')).toBe(true);
          break;
        }
        case 'timesheets': {
          // Every entered worker's day on DAY, finalised (workers of another enterprise hidden from ent-hz).
          const days = r.json.days as { projectId: string; day: string }[];
          expect(days.every((d) => d.projectId === p.id && d.day === DAY)).toBe(true);
          expect(days).toHaveLength(ownOnly ? (ENROLLED_OF_ENTERPRISE[p.id] ?? 0) : (ENROLLED[p.id] ?? 0));
          break;
        }
        case 'analytics month teams': {
          // Workers enrolled through ent-hz's enterprise or not: analytics know no enterprise, so all of them.
          const teams = r.json.teams as { workers: number }[];
          expect(teams.reduce((n, t) => n + t.workers, 0)).toBe(ENROLLED[p.id]);
          break;
        }
        case 'payroll-findings':
          expect((r.json.findings as { projectId: string }[]).every((f) => f.projectId === p.id)).toBe(true);
          break;
        case 'punch-counts':
          expect(r.json.days).toEqual([
            expect.objectContaining({ day: DAY, punches: ownOnly ? want.ofEnterprise : want.punches }),
          ]);
          break;
        default:
          expect(r.json.days).toEqual([expect.objectContaining({ day: DAY, punches: want.punches })]);
      }
    });
  });

  it('REST analytics per region: in-scope regions only; a region outside the scope gives no rows', async () => {
    const all = await rest(who.name, `/api/v1/analytics/regions/daily?from=${FROM}&to=${TO}`);
    const outside = await rest(who.name, `/api/v1/analytics/regions/daily?region=44&from=${FROM}&to=${TO}`);
    if (!who.analytics) {
      expect([all.status, outside.status]).toEqual([403, 403]);
      return;
    }
    expect([all.status, outside.status]).toEqual([200, 200]);
    expectNoPersonalNumbers(all.json, []);
    const rows = all.json.rows as { region: string; punches: number }[];
    const mine = PROJECTS.filter(visible);
    expect(rows.map((x) => x.region).sort()).toEqual(mine.map((p) => p.region).sort());
    if (who.covers) expect(rows.every((x) => regionCovers(who.covers!, x.region))).toBe(true);
    expect(rows.reduce((a, x) => a + x.punches, 0)).toBe(
      mine.reduce((a, p) => a + expected.get(p.id)!.punches, 0),
    );
    expect(outside.json.rows).toEqual([]);
  });

  it.each(['regions?region=33', 'key-personnel?region=33'])(
    'REST analytics of a month, %s: analytics readers only, nothing personal',
    async (question) => {
      const r = await rest(who.name, `/api/v1/analytics/months/2026-11/${question}`);
      if (!who.analytics) {
        expect(r.status).toBe(403);
        return;
      }
      expect(r.status).toBe(200);
      expectNoPersonalNumbers(
        r.json,
        PROJECTS.map((x) => x.id),
      );
    },
  );

  it.each(['key-personnel/presence?from=2026-11-01&to=2026-11-30', 'absences?asOf=2026-11-30'])(
    'REST region %s: regions within the scope only, others 404; enterprises 403',
    async (question) => {
      const region = who.covers ?? '330100';
      const own = await rest(who.name, `/api/v1/regions/${region}/${question}`);
      const other = await rest(
        who.name,
        `/api/v1/regions/${region === '330100' ? '330200' : '330100'}/${question}`,
      );
      if (forbidden || who.name === 'ent-hz') {
        expect([own.status, other.status]).toEqual([403, 403]);
        return;
      }
      // A project manager reads their own project's region (Xihu lies in Hangzhou), no other.
      expect([own.status, other.status]).toEqual([200, 404]);
      expectNoPersonalNumbers(
        own.json,
        PROJECTS.map((x) => x.id),
      );
      const listed = (own.json.projects as { projectId: string; region: string }[]).map((x) => x.projectId);
      expect(listed.every((id) => PROJECTS.some((p) => p.id === id && visible(p)))).toBe(true);
    },
  );

  describe.each(GRPC_METHODS)('gRPC $name', (method) => {
    it.each(PROJECTS.map((p) => [p.id, p] as const))('project %s', async (_id, p) => {
      const r = await rpc(who.name, method.name, method.req(p.id));
      if (forbidden) {
        expect(r.code).toBe(grpc.status.PERMISSION_DENIED);
        return;
      }
      if (!visible(p)) {
        expect(r.code).toBe(grpc.status.NOT_FOUND);
        const unknown = await rpc(who.name, method.name, method.req(UNKNOWN));
        expect(unknown.code).toBe(grpc.status.NOT_FOUND);
        expect(r.message!.replaceAll(p.id, 'P')).toBe(unknown.message!.replaceAll(UNKNOWN, 'P'));
        return;
      }
      expect(r.code).toBe(grpc.status.OK);
      expectNoPersonalNumbers(
        r.value,
        PROJECTS.map((x) => x.id),
      );
      const want = expected.get(p.id)!;
      const n = who.name === 'ent-hz' ? want.ofEnterprise : want.punches;
      if (method.name === 'ListPunches') {
        const list = r.value!.punches as { projectId: string }[];
        expect(list.every((x) => x.projectId === p.id)).toBe(true);
        expect(list).toHaveLength(n);
      } else {
        expect(r.value!.days).toEqual([expect.objectContaining({ day: DAY, punches: String(n) })]);
      }
    });
  });
});

describe('corrections: asked for by the project manager, decided by a supervisor of the region', () => {
  const path = `/api/v1/projects/${XIHU.id}/workers/w-1/days/${DAY}/corrections`;
  const body = { kind: 'add-out', at: `${DAY}T18:00:00+08:00`, reason: 'gate out of order after 17:00' };
  const send = async (who: string | undefined, to: string, json: object) => {
    const res = await fetch(url + to, {
      method: 'POST',
      headers: { ...(await headers(who)), 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('a project manager asks in their project only; supervisors and others may not ask', async () => {
    expect((await send(undefined, path, body)).status).toBe(401);
    for (const who of ['hz-city', 'ent-hz', 'audit-zj', 'ops', 'dev-hz'])
      expect([who, (await send(who, path, body)).status]).toEqual([who, 403]);
    // a project manager of Xihu writing to Ningbo's worker: outside the scope
    const ningbo = await send(
      'pm-xihu',
      `/api/v1/projects/${NINGBO.id}/workers/w-1/days/${DAY}/corrections`,
      body,
    );
    expect(ningbo.status).toBe(403);
    const asked = await send('pm-xihu', path, body);
    expect(asked.status).toBe(201);
    expect(asked.json).toMatchObject({ status: 'pending', kind: 'add-out', workerId: 'w-1' });
  });

  it('the supervisors of the region see it and decide; others see nothing and may not decide', async () => {
    const pending = await rest('hz-city', `/api/v1/timesheet-corrections?status=pending`);
    const mine = (pending.json.corrections as { correctionId: string; projectId: string }[]).filter(
      (c) => c.projectId === XIHU.id,
    );
    expect(mine).toHaveLength(1);
    const id = mine[0].correctionId;
    expect((await rest('nb-city', `/api/v1/timesheet-corrections?status=pending`)).json.corrections).toEqual(
      [],
    );
    expect((await send('nb-city', `/api/v1/timesheet-corrections/${id}/approve`, {})).status).toBe(403);
    expect((await send('pm-xihu', `/api/v1/timesheet-corrections/${id}/approve`, {})).status).toBe(403);
    const approved = await send('hz-city', `/api/v1/timesheet-corrections/${id}/approve`, {
      note: 'gate log checked',
    });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ status: 'approved', decisionNote: 'gate log checked' });
    expect((await send('hz-city', `/api/v1/timesheet-corrections/${id}/reject`, { note: 'no' })).status).toBe(
      409,
    );
  });
});

describe('without a token', () => {
  it.each([
    ...REST_PROJECT_ENDPOINTS.map((e) => e.path(XIHU.id)),
    `/api/v1/analytics/regions/daily?from=${FROM}&to=${TO}`,
  ])('REST %s: 401 with a Bearer challenge', async (path) => {
    const res = await fetch(url + path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="realname"/);
    expect(((await res.json()) as { type: string }).type).toBe('urn:realname:problem:unauthenticated');
  });

  it.each(GRPC_METHODS)('gRPC $name: UNAUTHENTICATED', async (method) => {
    expect((await rpc(undefined, method.name, method.req(XIHU.id))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('health, metrics, the OpenAPI document and the gRPC health check stay public', async () => {
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/openapi.json`)).status).toBe(200);
    const Health = (
      grpc.loadPackageDefinition(
        protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String }),
      ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }
    ).grpc.health.v1.Health;
    const health = new Health(grpcUrl, grpc.credentials.createInsecure());
    const r = await new Promise<{ status: string }>((resolve, reject) =>
      (
        health as unknown as Record<
          string,
          (
            r: object,
            o: grpc.CallOptions,
            cb: (e: grpc.ServiceError | null, v: { status: string }) => void,
          ) => void
        >
      ).Check(
        { service: 'realname.attendance.v1.AttendanceService' },
        { deadline: Date.now() + 10_000 },
        (e, v) => (e ? reject(e) : resolve(v)),
      ),
    );
    health.close();
    expect(r.status).toBe('SERVING');
  });
});
