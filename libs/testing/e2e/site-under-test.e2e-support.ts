// Shared by the device families' end-to-end tests (jest only; not part of any build).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { randomBytes } from 'node:crypto';
import { DemoWorker, RegistryClient } from '@realname/demo';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { freePort, RunningService, startService, testInfrastructure, uniqueName } from '../src';

/** A worker entered on the site's project: ids, the PIN on the devices, the name. */
export type EnteredWorker = DemoWorker;

export interface SiteUnderTest {
  run: string;
  projectId: string;
  region: string;
  urls: { gateway: string; attendance: string; registry: string };
  /** Bearer token of the gateway's admin API. */
  adminToken: string;
  /** The gateway's admin API (bearer token added). Throws on >= 400 unless `allowError`. */
  gateway(
    method: string,
    path: string,
    body?: unknown,
    o?: { allowError?: boolean },
  ): Promise<{ status: number; json: any }>;
  /** POST /api/v1/devices for this site's project; returns the reply (with the generated `token` once). */
  registerDevice(reg: Record<string, unknown>): Promise<any>;
  /** Registers, enrols, contracts, trains and enters n fake workers on the project. */
  enterWorkers(n: number): Promise<EnteredWorker[]>;
  exitWorker(w: EnteredWorker): Promise<void>;
  /** Attendance's punches of the project on a local day (YYYY-MM-DD, Asia/Shanghai), all pages. */
  attendancePunches(day: string): Promise<any[]>;
  /** Attendance's punches of one device on these local days, by the device's record key. */
  devicePunches(deviceId: string, days: Iterable<string>): Promise<Map<string, any>>;
  stop(): Promise<void>;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

async function ok(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) {
  const r = await call(base, method, path, body, headers);
  if (r.status >= 400) throw new Error(`${method} ${path} -> ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/**
 * A whole site: the integrity platform (simulated) with one project, the worker registry, the device
 * gateway and attendance, started as processes against the local stack, each with its own schema and
 * topic prefix. The gateway detects offline devices quickly (3 s) so that tests of gaps stay short.
 */
export async function startSite(
  o: { gatewayEnv?: Record<string, string>; attendance?: boolean } = {},
): Promise<SiteUnderTest> {
  const run = uniqueName('site');
  const infra = await testInfrastructure();
  const sim: IntegritySimulator = await startIntegritySimulator({
    apiKey: run,
    seed: 11,
    projects: 1,
    history: false,
  });
  const services: RunningService[] = [];
  const [reg, regGrpc, gw, att, attGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const urls = {
    registry: `http://127.0.0.1:${reg}`,
    gateway: `http://127.0.0.1:${gw}`,
    attendance: `http://127.0.0.1:${att}`,
  };
  const adminToken = randomBytes(16).toString('hex');
  const photoToken = randomBytes(16).toString('hex');
  const common = {
    DATABASE_URL: infra.postgresUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${run}.`,
  };
  const project = sim.snapshot().projects[0];
  const stopAll = async () => {
    for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    await sim.close().catch(() => undefined);
  };
  try {
    services.push(
      await startService(
        'worker-registry',
        {
          ...common,
          REGISTRY_HTTP_PORT: String(reg),
          REGISTRY_GRPC_URL: `127.0.0.1:${regGrpc}`,
          DATABASE_SCHEMA: `reg_${run}`,
          INTEGRITY_URL: sim.url,
          INTEGRITY_API_KEY: sim.apiKey,
          INTEGRITY_SYNC_INTERVAL_S: '0',
          PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          PII_ACTIVE_KEY_ID: 'k1',
          PII_HASH_KEY: randomBytes(32).toString('base64'),
          REGISTRY_PHOTO_TOKENS: photoToken,
        },
        `${urls.registry}/health/ready`,
      ),
    );
    services.push(
      await startService(
        'device-gateway',
        {
          ...common,
          GATEWAY_HTTP_PORT: String(gw),
          DATABASE_SCHEMA: `gw_${run}`,
          GATEWAY_ADMIN_TOKEN: adminToken,
          DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
          KAFKA_GROUP_ID: `gateway-${run}`,
          KAFKA_SESSION_TIMEOUT_MS: '8000',
          DEVICE_OFFLINE_AFTER_S: '3',
          PRESENCE_CHECK_INTERVAL_S: '1',
          COMMAND_ACK_TIMEOUT_S: '10',
          COMMAND_RETRY_DELAY_S: '1',
          BACKFILL_MARGIN_S: '60',
          REGISTRY_URL: urls.registry,
          REGISTRY_PHOTO_TOKEN: photoToken,
          ...o.gatewayEnv,
        },
        `${urls.gateway}/health/ready`,
      ),
    );
    if (o.attendance !== false) {
      services.push(
        await startService(
          'attendance',
          {
            ...common,
            ATTENDANCE_HTTP_PORT: String(att),
            ATTENDANCE_GRPC_URL: `127.0.0.1:${attGrpc}`,
            DATABASE_SCHEMA: `att_${run}`,
            KAFKA_GROUP_ID: `attendance-${run}`,
            KAFKA_SESSION_TIMEOUT_MS: '8000',
            CLICKHOUSE_URL: infra.clickhouseUrl,
            CLICKHOUSE_DATABASE: `site_${run}`.toLowerCase(),
          },
          `${urls.attendance}/health/ready`,
        ),
      );
    }
    await ok(urls.registry, 'POST', '/api/v1/integrity-sync');
  } catch (err) {
    await stopAll();
    throw err;
  }

  const admin = { authorization: `Bearer ${adminToken}` };
  const registry = new RegistryClient(urls.registry);
  let teamId: string | undefined;
  let batches = 0;

  const site: SiteUnderTest = {
    run,
    projectId: project.projectCode,
    region: project.region,
    urls,
    adminToken,
    async gateway(method, path, body, opts) {
      const r = await call(urls.gateway, method, path, body, admin);
      if (r.status >= 400 && !opts?.allowError)
        throw new Error(`${method} ${path} -> ${r.status}: ${JSON.stringify(r.json)}`);
      return r;
    },
    async registerDevice(reg) {
      return ok(
        urls.gateway,
        'POST',
        '/api/v1/devices',
        { projectId: project.projectCode, region: project.region, ...reg },
        admin,
      );
    },
    async enterWorkers(n) {
      teamId ??= await registry.formTeam(project.projectCode, 'Formwork team 1');
      return registry.enterWorkers(project.projectCode, n, `${run}-${batches++}`, teamId);
    },
    async exitWorker(w) {
      await registry.exitWorker(w.enrolmentId);
    },
    async attendancePunches(day) {
      const all: any[] = [];
      let pageToken = '';
      for (;;) {
        const page = await ok(
          urls.attendance,
          'GET',
          `/api/v1/projects/${project.projectCode}/punches?day=${day}&pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
        );
        all.push(...(page.punches as any[]));
        pageToken = page.nextPageToken as string;
        if (!pageToken) return all;
      }
    },
    async devicePunches(deviceId, days) {
      const out = new Map<string, any>();
      for (const day of new Set(days))
        for (const p of await site.attendancePunches(day))
          if (p.deviceId === deviceId) out.set(p.deviceRecordId, p);
      return out;
    },
    stop: stopAll,
  };
  return site;
}
