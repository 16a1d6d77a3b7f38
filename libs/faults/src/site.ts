import { randomBytes } from 'node:crypto';
import { deviceAdminToken, gatewayClientEnv, resourceServerEnv } from '@realname/bench';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import { freePort, RunningService, startService, tokenFor } from '@realname/testing';
import type { FaultStack } from './stack';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type ServiceName = 'worker-registry' | 'device-gateway' | 'attendance';
export const SERVICE_NAMES: ServiceName[] = ['worker-registry', 'device-gateway', 'attendance'];

interface ServiceSpec {
  env: Record<string, string>;
  url: string;
  running?: RunningService;
}

/**
 * One scenario's platform on the suite's stack: the simulated integrity platform, the worker registry,
 * the device gateway and attendance as processes (libs/testing's startService), each with its own
 * schema, ClickHouse database, topic prefix and consumer group. A service can be killed and started
 * again with the same configuration and port; one that exits on its own is started again (as a process
 * supervisor would) and the exit is recorded.
 */
export class FaultSite {
  /** A device administrator's access token from the suite's issuer, renewed as needed. */
  readonly adminToken: () => Promise<string>;
  readonly topicPrefix: string;
  readonly schemas: Record<ServiceName, string>;
  readonly clickhouseDatabase: string;
  readonly groups: { gateway: string; attendance: string };
  /** Unexpected exits (not caused by the suite), for the scenario's notes. */
  readonly unexpectedExits: string[] = [];
  private readonly specs = new Map<ServiceName, ServiceSpec>();
  private sim?: IntegritySimulator;
  private stopping = false;
  private readonly killing = new Set<ServiceName>();
  private readonly restarting = new Map<ServiceName, Promise<void>>();

  constructor(
    readonly run: string,
    private readonly stack: FaultStack,
    private readonly readyTimeoutMs = 180_000,
  ) {
    this.topicPrefix = `${run}.`;
    this.schemas = {
      'worker-registry': `reg_${run}`,
      'device-gateway': `gw_${run}`,
      attendance: `att_${run}`,
    };
    this.clickhouseDatabase = `faults_${run}`.toLowerCase();
    this.groups = { gateway: `gateway-${run}`, attendance: `attendance-${run}` };
    this.adminToken = deviceAdminToken(stack.issuer);
  }

  url(name: ServiceName): string {
    return this.specs.get(name)!.url;
  }

  service(name: ServiceName): RunningService | undefined {
    return this.specs.get(name)?.running;
  }

  async start(): Promise<void> {
    this.sim = await startIntegritySimulator({ apiKey: this.run, seed: 11, projects: 1, history: false });
    const [reg, regGrpc, gw, att, attGrpc] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const common = {
      DATABASE_URL: this.stack.postgresUrl,
      KAFKA_BROKERS: this.stack.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      LOG_LEVEL: 'warn',
      // Resource servers of the suite's own issuer (it stays up through every fault).
      ...resourceServerEnv(this.stack.issuer),
    };
    const registryUrl = `http://127.0.0.1:${reg}`;
    this.specs.set('worker-registry', {
      url: registryUrl,
      env: {
        ...common,
        REGISTRY_HTTP_PORT: String(reg),
        REGISTRY_GRPC_URL: `127.0.0.1:${regGrpc}`,
        DATABASE_SCHEMA: this.schemas['worker-registry'],
        INTEGRITY_URL: this.sim.url,
        INTEGRITY_API_KEY: this.sim.apiKey,
        INTEGRITY_SYNC_INTERVAL_S: '0',
        PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        PII_ACTIVE_KEY_ID: 'k1',
        PII_HASH_KEY: randomBytes(32).toString('base64'),
      },
    });
    this.specs.set('device-gateway', {
      url: `http://127.0.0.1:${gw}`,
      env: {
        ...common,
        GATEWAY_HTTP_PORT: String(gw),
        DATABASE_SCHEMA: this.schemas['device-gateway'],
        // Head photos from the registry as the gateway's own client.
        ...gatewayClientEnv(),
        DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
        KAFKA_GROUP_ID: this.groups.gateway,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        REGISTRY_URL: registryUrl,
      },
    });
    this.specs.set('attendance', {
      url: `http://127.0.0.1:${att}`,
      env: {
        ...common,
        ATTENDANCE_HTTP_PORT: String(att),
        ATTENDANCE_GRPC_URL: `127.0.0.1:${attGrpc}`,
        DATABASE_SCHEMA: this.schemas.attendance,
        KAFKA_GROUP_ID: this.groups.attendance,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        CLICKHOUSE_URL: this.stack.clickhouseUrl,
        CLICKHOUSE_DATABASE: this.clickhouseDatabase,
      },
    });
    for (const name of SERVICE_NAMES) await this.startOne(name);
    // The registry mirrors the integrity platform once (its scheduled sync is off), pulled by the
    // platform operator.
    const authorization = `Bearer ${await tokenFor('ops', this.stack.issuer)}`;
    await fetch(`${registryUrl}/api/v1/integrity-sync`, { method: 'POST', headers: { authorization } }).catch(
      () => undefined,
    );
  }

  /** Starts a service and waits until it answers `probe` (ready by default) from the new process. */
  private async startOne(name: ServiceName, probe: 'live' | 'ready' = 'ready'): Promise<void> {
    const spec = this.specs.get(name)!;
    const running = await startService(name, spec.env, `${spec.url}/health/${probe}`, this.readyTimeoutMs);
    spec.running = running;
    void running.exited.then((e) => {
      if (this.stopping || this.killing.has(name) || spec.running !== running) return;
      this.unexpectedExits.push(
        `${name} exited by itself (code ${e.code}, signal ${e.signal}); see ${running.logFile}`,
      );
      // As a supervisor would: start it again.
      const p = this.startOne(name).catch((err: unknown) =>
        this.unexpectedExits.push(`${name} could not be started again: ${String(err)}`),
      );
      this.restarting.set(
        name,
        p.then(() => undefined),
      );
    });
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  async kill(name: ServiceName): Promise<void> {
    this.killing.add(name);
    try {
      await this.specs.get(name)!.running?.kill();
    } finally {
      this.killing.delete(name);
    }
  }

  /**
   * Starts a killed service again with the same configuration and port, as a supervisor would; resolves
   * when it is ready, with how long the new process took to answer HTTP (/health/live, the process only)
   * and to be ready (/health/ready).
   */
  async restart(name: ServiceName): Promise<{ answeredMs: number; readyMs: number }> {
    const started = Date.now();
    await this.startOne(name, 'live');
    const answeredMs = Date.now() - started;
    const spec = this.specs.get(name)!;
    for (const deadline = Date.now() + this.readyTimeoutMs; Date.now() < deadline;) {
      const r = await fetch(`${spec.url}/health/ready`, { signal: AbortSignal.timeout(3000) }).catch(
        () => undefined,
      );
      if (r?.status === 200) return { answeredMs, readyMs: Date.now() - started };
      await sleep(100);
    }
    throw new Error(`${name} answered but was not ready within ${this.readyTimeoutMs} ms after its restart`);
  }

  /** Waits for supervisor restarts still in progress. */
  async settled(): Promise<void> {
    await Promise.all([...this.restarting.values()]);
  }

  /** Each service's /health/ready status (0 when it does not answer). */
  async readiness(): Promise<Record<ServiceName, number>> {
    const out = {} as Record<ServiceName, number>;
    await Promise.all(
      SERVICE_NAMES.map(async (name) => {
        try {
          const r = await fetch(`${this.url(name)}/health/ready`, { signal: AbortSignal.timeout(3000) });
          out[name] = r.status;
        } catch {
          out[name] = 0;
        }
      }),
    );
    return out;
  }

  logFiles(): string[] {
    return SERVICE_NAMES.map((n) => this.specs.get(n)?.running?.logFile).filter((f): f is string => !!f);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.settled().catch(() => undefined);
    for (const name of [...SERVICE_NAMES].reverse())
      await this.specs
        .get(name)
        ?.running?.stop()
        .catch(() => undefined);
    await this.sim?.close().catch(() => undefined);
  }
}
