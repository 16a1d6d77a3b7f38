// Shared by the device families' end-to-end tests (jest only; not part of any build).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { randomBytes } from 'node:crypto';
import { DemoWorker, RegistryClient, shanghaiToday } from '@realname/demo';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import {
  authorizationFor,
  freePort,
  IdentitySelector,
  resourceServerEnv,
  RunningService,
  serviceClientEnv,
  startService,
  testInfrastructure,
  tokenFor,
  uniqueName,
} from '../src';

/** A worker entered on the site's project: ids, the PIN on the devices, the name. */
export type EnteredWorker = DemoWorker;

export interface SiteUnderTest {
  run: string;
  projectId: string;
  region: string;
  urls: { gateway: string; attendance: string; registry: string };
  /**
   * Who calls the gateway's admin API by default: `dev-hz`, the device administrator of Hangzhou
   * (city 330100), whose scope covers the site's project (region 330106).
   */
  admin: IdentitySelector;
  /** `Authorization: Bearer <access token>` of the admin, fetched per call (tokens live 300 s). */
  adminAuthorization(): Promise<{ authorization: string }>;
  /**
   * The gateway's admin API, as the admin or as `o.as` (a test identity; `null`: no token). Throws on
   * >= 400 unless `allowError`.
   */
  gateway(
    method: string,
    path: string,
    body?: unknown,
    o?: { allowError?: boolean; as?: IdentitySelector | null },
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

/** Who does what on the site, with which test identity (docs/access.md). */
export const SITE_IDENTITIES = {
  /** The gateway's admin API: the device administrator of Hangzhou. */
  admin: 'dev-hz',
  /** The registry's site writes (teams, workers, enrolments, entries, exits): Hangzhou's municipal system. */
  siteWriter: 'municipal-hangzhou',
  /** Pulling the integrity platform's feed now. */
  syncTrigger: 'ops',
  /** Reading attendance: Hangzhou's city supervisor. */
  reader: 'hz-city',
} as const;

/**
 * A whole site: the integrity platform (simulated) with one project (region 330106, Xihu), the worker
 * registry, the device gateway and attendance, started as processes against the local stack, each with
 * its own schema and topic prefix, all checking access tokens of the local issuer. The gateway fetches
 * faces from the registry as its own client (svc-device-gateway) and detects offline devices quickly
 * (3 s) so that tests of gaps stay short.
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
  const common = {
    ...resourceServerEnv(),
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
          ...serviceClientEnv('svc-device-gateway'),
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
    await ok(
      urls.registry,
      'POST',
      '/api/v1/integrity-sync',
      undefined,
      await authorizationFor(SITE_IDENTITIES.syncTrigger),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  const admin = () => authorizationFor(SITE_IDENTITIES.admin);
  const asSiteWriter = () => tokenFor(SITE_IDENTITIES.siteWriter);
  const registry = new RegistryClient(urls.registry, { read: asSiteWriter, write: asSiteWriter });
  let teamId: string | undefined;
  let batches = 0;

  const site: SiteUnderTest = {
    run,
    projectId: project.projectCode,
    region: project.region,
    urls,
    admin: SITE_IDENTITIES.admin,
    adminAuthorization: admin,
    async gateway(method, path, body, opts) {
      const as = opts?.as === undefined ? SITE_IDENTITIES.admin : opts.as;
      const r = await call(urls.gateway, method, path, body, as === null ? {} : await authorizationFor(as));
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
        await admin(),
      );
    },
    async enterWorkers(n) {
      teamId ??= await registry.formTeam(project.projectCode, 'Formwork team 1');
      // Entered yesterday: the tests' gates replay passes of the last hours, which just after midnight
      // (Beijing time) fall on the day before; a worker entered today would not be on site for them.
      const yesterday = shanghaiToday(Date.now() - 86_400_000);
      return registry.enterWorkers(project.projectCode, n, `${run}-${batches++}`, teamId, yesterday);
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
          undefined,
          await authorizationFor(SITE_IDENTITIES.reader),
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
