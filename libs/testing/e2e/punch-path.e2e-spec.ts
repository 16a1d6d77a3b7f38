/**
 * The first path, end to end: signed punches from a device reach the gateway, travel over Kafka to
 * attendance, and are found exactly once through REST, gRPC and ClickHouse — also after attendance is
 * killed with SIGKILL in the middle of a stream.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { OPEN_V1_PUNCHES_PATH, signRequest } from '@realname/contracts';
import { ATTENDANCE_V1_PROTO, PROTO_LOADER_OPTIONS, protoPath } from '@realname/proto';
import {
  authorizationFor,
  eventually,
  freePort,
  resourceServerEnv,
  runToExit,
  RunningService,
  startService,
  testInfrastructure,
  uniqueName,
} from '../src';

jest.setTimeout(240_000);

const run = uniqueName('e2e');
const projectId = `330106${Date.now().toString().slice(-10)}01`;
const deviceId = `gate-${run}`.replace(/_/g, '-');
const secret = randomBytes(16).toString('hex');
/** Reads attendance: Hangzhou's city supervisor (the project is in Xihu, 330106). */
const reader = 'hz-city';
const day = '2026-11-20';

let gateway: RunningService;
let attendance: RunningService;
let gatewayUrl: string;
let attendanceUrl: string;
let grpcUrl: string;
let attendanceEnv: Record<string, string>;
const chDatabase = `e2e_${run}`.toLowerCase();

async function postSigned(body: string, opts: { secret?: string; timestamp?: number } = {}) {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const res = await fetch(gatewayUrl + OPEN_V1_PUNCHES_PATH, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-device-id': deviceId,
      'x-timestamp': ts,
      'x-signature': signRequest(opts.secret ?? secret, ts, body),
    },
    body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    json: (await res.json()) as Record<string, unknown>,
  };
}

/** `count` punches of `persons` people on the test day, record ids from `from`. */
function punches(from: number, count: number, persons = 10) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const minute = n % (12 * 60);
    const hh = String(6 + Math.floor(minute / 60)).padStart(2, '0');
    const mm = String(minute % 60).padStart(2, '0');
    return {
      recordId: String(n).padStart(8, '0'),
      personId: String(10001 + (n % persons)),
      time: `${day} ${hh}:${mm}:${String(n % 60).padStart(2, '0')}`,
      direction: n % 2 === 0 ? 'in' : 'out',
      verifyMode: 'face',
    };
  });
}

async function restJson(path: string) {
  const res = await fetch(attendanceUrl + path, { headers: await authorizationFor(reader) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function restTotal(): Promise<number> {
  const r = await restJson(`/api/v1/projects/${projectId}/punches?day=${day}&pageSize=1`);
  return Number(r.json.totalCount);
}

function grpcClient() {
  const def = protoLoader.loadSync(protoPath(ATTENDANCE_V1_PROTO), PROTO_LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    realname: { attendance: { v1: { AttendanceService: grpc.ServiceClientConstructor } } };
  };
  return new pkg.realname.attendance.v1.AttendanceService(grpcUrl, grpc.credentials.createInsecure());
}

async function call<T>(client: grpc.Client, method: string, req: object): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', (await authorizationFor(reader)).authorization);
  return new Promise((res, rej) =>
    (
      client as unknown as Record<
        string,
        (
          r: object,
          m: grpc.Metadata,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, v: T) => void,
        ) => void
      >
    )[method](req, metadata, { deadline: Date.now() + 10_000 }, (e, v) => (e ? rej(e) : res(v))),
  );
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  const [gwPort, attPort, grpcPort] = await Promise.all([freePort(), freePort(), freePort()]);
  gatewayUrl = `http://127.0.0.1:${gwPort}`;
  attendanceUrl = `http://127.0.0.1:${attPort}`;
  grpcUrl = `127.0.0.1:${grpcPort}`;
  const common = {
    ...resourceServerEnv(),
    DATABASE_URL: infra.postgresUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${run}.`,
  };
  gateway = await startService(
    'device-gateway',
    {
      ...common,
      GATEWAY_HTTP_PORT: String(gwPort),
      DATABASE_SCHEMA: `gw_${run}`,
      DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
      GATEWAY_DEVICES: JSON.stringify([
        { deviceId, projectId, region: '330106', secret, timeZone: 'Asia/Shanghai' },
      ]),
    },
    `${gatewayUrl}/health/ready`,
  );
  attendanceEnv = {
    ...common,
    ATTENDANCE_HTTP_PORT: String(attPort),
    ATTENDANCE_GRPC_URL: grpcUrl,
    DATABASE_SCHEMA: `att_${run}`,
    KAFKA_GROUP_ID: `attendance-${run}`,
    KAFKA_SESSION_TIMEOUT_MS: '8000',
    CLICKHOUSE_URL: infra.clickhouseUrl,
    CLICKHOUSE_DATABASE: chDatabase,
  };
  attendance = await startService('attendance', attendanceEnv, `${attendanceUrl}/health/ready`);
});

afterAll(async () => {
  await attendance?.stop();
  await gateway?.stop();
});

describe('a punch from a device to analytics', () => {
  const first = punches(1, 60);

  it('accepts a signed batch and reports a result per punch', async () => {
    const r = await postSigned(JSON.stringify({ punches: first }));
    expect(r.status).toBe(200);
    const results = r.json.results as { recordId: string; status: string; eventId: string }[];
    expect(results).toHaveLength(60);
    expect(results.every((x) => x.status === 'accepted')).toBe(true);
  });

  it('acknowledges a resent batch again without emitting it twice', async () => {
    const again = await postSigned(JSON.stringify({ punches: first.slice(0, 30) }));
    expect(again.status).toBe(200);
    expect((again.json.results as { status: string }[]).every((x) => x.status === 'duplicate')).toBe(true);
  });

  it('refuses a forged signature with 401 problem details', async () => {
    const r = await postSigned(JSON.stringify({ punches: punches(9001, 1) }), {
      secret: 'not-the-device-secret-at-all',
    });
    expect(r.status).toBe(401);
    expect(r.type).toContain('application/problem+json');
    expect(r.json).toMatchObject({ type: 'urn:realname:problem:bad-signature', status: 401 });
  });

  it('refuses a malformed punch with 400 naming the field', async () => {
    const bad = punches(9002, 2);
    bad[1].time = 'yesterday morning';
    const r = await postSigned(JSON.stringify({ punches: bad }));
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([expect.objectContaining({ field: 'punches[1].time' })]);
  });

  it('finds exactly the accepted punches through REST, gRPC and ClickHouse', async () => {
    await eventually(async () => (await restTotal()) === 60, {
      timeoutMs: 60_000,
      what: '60 punches in attendance',
    });

    // REST, page by page.
    const seen: string[] = [];
    let token = '';
    do {
      const r = await restJson(
        `/api/v1/projects/${projectId}/punches?day=${day}&pageSize=25${token ? `&pageToken=${token}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(...(r.json.punches as { deviceRecordId: string }[]).map((p) => p.deviceRecordId));
      token = r.json.nextPageToken as string;
    } while (token);
    expect(seen.sort()).toEqual(first.map((p) => p.recordId).sort());

    // gRPC.
    const client = grpcClient();
    const list = await call<{
      punches: { deviceRecordId: string; direction: number; sequence: string }[];
      totalCount: string;
    }>(client, 'listPunches', { projectId, day, pageSize: 1000 });
    expect(list.totalCount).toBe('60');
    expect(list.punches.map((p) => p.deviceRecordId).sort()).toEqual(first.map((p) => p.recordId).sort());
    expect(list.punches.filter((p) => p.direction === 1)).toHaveLength(30);
    const counts = await call<{ days: { day: string; punches: string; persons: string }[] }>(
      client,
      'countPunchesPerDay',
      {
        projectId,
        fromDay: day,
        toDay: day,
      },
    );
    expect(counts.days).toEqual([{ day, punches: '60', persons: '10' }]);
    await expect(call(client, 'listPunches', { projectId, day: '20-11-2026' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    client.close();

    // ClickHouse, directly and through the analytics API.
    const ch = createClient({ url: (await testInfrastructure()).clickhouseUrl });
    await eventually(
      async () => {
        const rows = await (
          await ch.query({
            query: `SELECT count() AS n FROM ${chDatabase}.punches FINAL WHERE project_id = '${projectId}'`,
            format: 'JSONEachRow',
          })
        ).json<{ n: string }>();
        return Number(rows[0].n) === 60;
      },
      { what: '60 rows in ClickHouse' },
    );
    await ch.close();
    const analytics = await restJson(`/api/v1/analytics/projects/${projectId}/daily?from=${day}&to=${day}`);
    expect(analytics.json.days).toEqual([{ day, punches: 60, persons: 10 }]);
  });

  it('serves the standard gRPC health check and an OpenAPI document', async () => {
    const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String });
    const Health = (
      grpc.loadPackageDefinition(def) as unknown as {
        grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
      }
    ).grpc.health.v1.Health;
    const health = new Health(grpcUrl, grpc.credentials.createInsecure());
    const r = await call<{ status: string }>(health, 'Check', {
      service: 'realname.attendance.v1.AttendanceService',
    });
    expect(r.status).toBe('SERVING');
    health.close();
    // Server reflection lists the service, so grpcurl and similar tools work without the .proto files.
    const reflectionProto =
      require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const refl = (
      grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as unknown as {
        grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
      }
    ).grpc.reflection.v1.ServerReflection;
    const reflection = new refl(grpcUrl, grpc.credentials.createInsecure());
    const listed = await new Promise<string[]>((resolve, reject) => {
      const stream = (
        reflection as unknown as {
          ServerReflectionInfo: () => grpc.ClientDuplexStream<
            object,
            { list_services_response?: { service: { name: string }[] } }
          >;
        }
      ).ServerReflectionInfo();
      stream.on('data', (r) => {
        resolve((r.list_services_response?.service ?? []).map((x) => x.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    reflection.close();
    expect(listed).toContain('realname.attendance.v1.AttendanceService');
    const doc = await restJson('/api/v1/openapi.json');
    expect(Object.keys(doc.json.paths as object)).toContain('/api/v1/projects/{projectId}/punches');
  });

  it('counts accepted, duplicate and rejected punches in the gateway metrics', async () => {
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const value = (result: string) =>
      Number(
        new RegExp(`gateway_punches_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? NaN,
      );
    expect(value('accepted')).toBe(60);
    expect(value('duplicate')).toBe(30);
    expect(value('rejected')).toBe(2);
    expect(text).toMatch(/outbox_backlog_events/);
  });
});

describe('attendance killed in the middle of a stream', () => {
  it('loses nothing and counts nothing twice after SIGKILL and restart', async () => {
    const total = 3000;
    const batches = Array.from({ length: total / 100 }, (_, i) => punches(100_000 + i * 100, 100, 50));
    const before = await restTotal();

    let sent = 0;
    const sender = (async () => {
      for (const b of batches) {
        // A device keeps resending a batch until the gateway acknowledges it.
        for (;;) {
          const r = await postSigned(JSON.stringify({ punches: b })).catch(() => undefined);
          if (r?.status === 200) break;
          await new Promise((res) => setTimeout(res, 100));
        }
        sent += b.length;
        await new Promise((res) => setTimeout(res, 15));
      }
    })();

    // Kill attendance once it is part-way through the stream.
    await eventually(async () => (await restTotal()) - before >= 300, {
      timeoutMs: 60_000,
      what: 'attendance to be mid-stream',
    });
    await attendance.kill();
    const atKill = sent;
    attendance = await startService('attendance', attendanceEnv, `${attendanceUrl}/health/ready`);
    await sender;
    expect(atKill).toBeLessThan(total + 1);

    await eventually(async () => (await restTotal()) - before === total, {
      timeoutMs: 120_000,
      what: `${total} more punches`,
    });
    // Wait a little longer: a late duplicate would show up now.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await restTotal()) - before).toBe(total);

    const ch = createClient({ url: (await testInfrastructure()).clickhouseUrl });
    await eventually(
      async () => {
        const rows = await (
          await ch.query({
            query: `SELECT count() AS n, uniqExact(punch_event_id) AS u FROM ${chDatabase}.punches FINAL WHERE project_id = '${projectId}'`,
            format: 'JSONEachRow',
          })
        ).json<{ n: string; u: string }>();
        return Number(rows[0].n) === before + total && Number(rows[0].u) === before + total;
      },
      { timeoutMs: 60_000, what: 'ClickHouse to hold every punch exactly once' },
    );
    await ch.close();
  });
});

describe('gateway stopped with SIGTERM while devices are uploading', () => {
  it('answers the requests in hand, publishes every acknowledged punch, and exits', async () => {
    const before = await restTotal();
    const batches = Array.from({ length: 40 }, (_, i) => punches(500_000 + i * 50, 50, 20));
    let acknowledged = 0;
    let refused = 0;
    const uploads = batches.map(async (b, i) => {
      await new Promise((r) => setTimeout(r, i * 10));
      try {
        const r = await postSigned(JSON.stringify({ punches: b }));
        if (r.status === 200)
          acknowledged += (r.json.results as { status: string }[]).filter(
            (x) => x.status === 'accepted',
          ).length;
        else refused++;
      } catch {
        refused++; // the server no longer took connections: a device keeps the batch and resends later
      }
    });
    await new Promise((r) => setTimeout(r, 120));
    const stopping = gateway.stop();
    await Promise.all(uploads);
    const exit = await gateway.exited;
    await stopping;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(acknowledged).toBeGreaterThan(0);
    expect(acknowledged + refused * 50).toBe(2000);

    // Without restarting the gateway: everything it acknowledged reached attendance.
    await eventually(async () => (await restTotal()) - before === acknowledged, {
      timeoutMs: 60_000,
      what: `${acknowledged} acknowledged punches in attendance`,
    });
    const log = readFileSync(gateway.logFile, 'utf8');
    expect(log).toContain('shutting down: finishing work in hand');
  });
});

describe('a service with bad configuration', () => {
  it('refuses to start and lists every bad variable', async () => {
    const r = await runToExit('attendance', {
      DATABASE_URL: 'not a url',
      KAFKA_BROKERS: 'localhost',
      ATTENDANCE_HTTP_PORT: '70000',
    });
    expect(r.code).toBe(78);
    for (const v of ['DATABASE_URL', 'KAFKA_BROKERS', 'ATTENDANCE_HTTP_PORT', 'CLICKHOUSE_URL'])
      expect(r.output).toContain(`- ${v}:`);
  });
});
