import { Controller, Get, HttpCode, Inject, Injectable, Optional, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Gauge, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics';

export type ReadinessCheck = () => Promise<boolean | string>;

/**
 * Something outside the process the service talks to (`postgres`, `kafka`, `clickhouse`). A required
 * dependency that fails makes the service unready (503); an optional one makes it `degraded` (200).
 */
export interface Dependency {
  name: string;
  required: boolean;
  /** true when reachable; false or a reason when not. Should be cheap: /health/ready is polled often. */
  check: ReadinessCheck;
}

export type DependencyState = 'up' | 'down';

export interface DependencyReport {
  state: DependencyState;
  required: boolean;
  /** Why it is down. */
  reason?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not ready';
  ready: boolean;
  dependencies: Record<string, DependencyReport>;
  /** Names of the dependencies that are down (required or not). */
  failed: string[];
  /** `name: ok | reason` for every dependency (and `shutdown` while stopping). */
  checks: Record<string, string>;
}

/** A check that takes longer than this counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

/** What the service depends on, and whether each is reachable now. */
@Injectable()
export class Readiness {
  private readonly deps = new Map<string, Dependency>();
  private shuttingDown = false;
  private readonly up?: Gauge<'dependency'>;

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (registry) {
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const readiness = this;
      this.up = new Gauge({
        name: 'dependency_up',
        help: 'Whether a dependency is reachable (1) or not (0), as of the last readiness check',
        labelNames: ['dependency'],
        registers: [registry],
        async collect() {
          await readiness.evaluate();
        },
      });
    }
  }

  /** Adds a dependency (a second one of the same name replaces the first). */
  add(dep: Dependency): void {
    this.deps.set(dep.name, dep);
  }

  /** A required dependency: `register('postgres', () => db.ping())`. */
  register(name: string, check: ReadinessCheck): void {
    this.add({ name, required: true, check });
  }

  /** Once shutdown starts, readiness fails so the load balancer stops sending work. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async evaluate(): Promise<ReadinessReport> {
    const dependencies: Record<string, DependencyReport> = {};
    const checks: Record<string, string> = {};
    await Promise.all(
      [...this.deps.values()].map(async (dep) => {
        const reason = await runCheck(dep.check);
        dependencies[dep.name] = reason
          ? { state: 'down', required: dep.required, reason }
          : { state: 'up', required: dep.required };
        checks[dep.name] = reason ?? 'ok';
        this.up?.set({ dependency: dep.name }, reason ? 0 : 1);
      }),
    );
    const failed = Object.keys(dependencies).filter((n) => dependencies[n].state === 'down');
    const requiredDown = failed.some((n) => dependencies[n].required);
    if (this.shuttingDown) checks.shutdown = 'in progress';
    const ready = !this.shuttingDown && !requiredDown;
    const status = !ready ? 'not ready' : failed.length > 0 ? 'degraded' : 'ready';
    return { status, ready, dependencies, failed, checks };
  }
}

/** undefined when the check passed, otherwise why not. */
async function runCheck(check: ReadinessCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      check(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
      }),
    ]);
    return r === true ? undefined : r === false ? 'unreachable' : r;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wraps a check so that it runs at most once per `ttlMs` (and never twice at the same time): readiness
 * is polled often, and a dependency that is away must not pile up connection attempts.
 */
export function cachedCheck(check: ReadinessCheck, ttlMs = 2_000): ReadinessCheck {
  let last: { at: number; result: boolean | string } | undefined;
  let pending: Promise<boolean | string> | undefined;
  return () => {
    if (last && Date.now() - last.at < ttlMs) return Promise.resolve(last.result);
    pending ??= check()
      .catch((err: unknown) => (err instanceof Error ? err.message || err.name : String(err)))
      .then((result) => {
        last = { at: Date.now(), result };
        pending = undefined;
        return result;
      });
    return pending;
  };
}

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** The process is up and answering; says nothing about dependencies. */
  @Get('live')
  @HttpCode(200)
  live(): { status: string; pid: number } {
    return { status: 'ok', pid: process.pid };
  }

  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<Omit<ReadinessReport, 'ready'> & { pid: number }> {
    const { ready, ...report } = await this.readiness.evaluate();
    res.status(ready ? 200 : 503);
    // The pid lets a supervisor (or a test) tell its own process from another one on the same port.
    return { ...report, pid: process.pid };
  }
}
