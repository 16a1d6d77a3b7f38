import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { backoffDelay, classifyFailure, retryTransient } from './failures';
import { Dependency, Readiness } from './health';
import { JsonLogger, LOGGER } from './logger';
import { METRICS_REGISTRY } from './metrics';

/**
 * Something a service runs beside its HTTP and gRPC servers: a Kafka consumer, the outbox relay, a sink,
 * a scheduler, or just a pool to close at the end.
 */
export interface ServiceComponent {
  /** For logs and the `service_component_up{component}` gauge: `outbox relay`, `kafka consumers`. */
  name: string;
  /**
   * `false` (the default): started before the service listens, and a failure stops the start-up (use it
   * for quick local work the APIs need first). `true`: started beside the servers, retried in the
   * background until it succeeds (transient failures as warnings, others as errors); use it for
   * anything that waits on Kafka, ClickHouse or a remote platform.
   */
  background?: boolean;
  /** `signal` aborts when shutdown starts while the start is still pending. */
  start?(signal: AbortSignal): Promise<void> | void;
  /**
   * Finishes the work in hand and lets go. May be called while `start` is still pending (shutdown
   * during a group join), and again after it settles: it must be safe to call twice.
   */
  stop?(): Promise<void> | void;
}

/**
 * What a service runs and depends on, given to the shared runtime: components start in this order and
 * stop in the reverse one, so declare pools and clients first, then what publishes (relays, sinks),
 * then what consumes.
 */
export interface ServiceDeclaration {
  components: ServiceComponent[];
  dependencies: Dependency[];
}

/**
 * Provider token of a service's {@link ServiceDeclaration}, in the service's root module:
 * `{ provide: SERVICE_DECLARATION, useClass: AttendanceRuntime }`.
 */
export const SERVICE_DECLARATION = Symbol('SERVICE_DECLARATION');

/** How long shutdown waits, twice, for a start that is still pending (a group join) once asked to stop. */
const PENDING_START_WAIT_MS = 3_000;

interface Running {
  component: ServiceComponent;
  /** Settles when the start succeeded, gave up, or was abandoned. */
  started: Promise<boolean>;
  settled: boolean;
}

/**
 * Starts the service's components and stops them in reverse order after the HTTP and gRPC servers have
 * closed (Nest calls `onApplicationShutdown` after it closed the servers and their in-flight requests).
 */
@Injectable()
export class ServiceRuntime implements OnApplicationShutdown {
  private running: Running[] = [];
  private readonly abort = new AbortController();
  private readonly componentUp?: Gauge<'component'>;
  private stopped?: Promise<void>;

  constructor(
    private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
  ) {
    if (registry)
      this.componentUp = new Gauge({
        name: 'service_component_up',
        help: 'Whether a background component of the service has started (1) or not yet (0)',
        labelNames: ['component'],
        registers: [registry],
      });
  }

  /** Registers the dependencies and starts the foreground components, in order. */
  async startForeground(declaration: ServiceDeclaration): Promise<void> {
    for (const dep of declaration.dependencies) this.readiness.add(dep);
    for (const component of declaration.components) {
      if (component.background) continue;
      if (this.abort.signal.aborted) return; // a signal came during start-up
      await component.start?.(this.abort.signal);
      this.running.push({ component, started: Promise.resolve(true), settled: true });
    }
    // Background ones are placed now, so the stop order is the declaration order reversed.
    this.running = declaration.components.map(
      (component) =>
        this.running.find((r) => r.component === component) ?? {
          component,
          started: Promise.resolve(false),
          settled: true,
        },
    );
  }

  /** Starts every background component beside the servers, each retried on its own until it runs. */
  startBackground(): void {
    if (this.abort.signal.aborted) return;
    for (const r of this.running) {
      if (!r.component.background) continue;
      this.componentUp?.set({ component: r.component.name }, 0);
      r.settled = false;
      r.started = this.startInBackground(r.component).finally(() => (r.settled = true));
    }
  }

  private async startInBackground(component: ServiceComponent): Promise<boolean> {
    const signal = this.abort.signal;
    const begun = Date.now();
    for (let round = 1; !signal.aborted; round++) {
      try {
        await retryTransient(async () => component.start?.(signal), {
          name: component.name,
          initialDelayMs: 500,
          maxDelayMs: 10_000,
          signal,
          onRetry: (err, attempt, delayMs) =>
            this.logger.event('warn', `${component.name}: cannot start yet, will retry`, {
              component: component.name,
              attempt,
              retryInMs: Math.round(delayMs),
              error: describe(err),
            }),
        });
        if (signal.aborted) return true;
        this.componentUp?.set({ component: component.name }, 1);
        this.logger.event('info', `${component.name}: started`, {
          component: component.name,
          afterMs: Date.now() - begun,
        });
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        const kind = classifyFailure(err);
        if (kind === 'permanent') {
          this.logger.event('error', `${component.name}: cannot start, giving up`, {
            component: component.name,
            error: describe(err),
          });
          return false;
        }
        // Not known to be transient (a bug, a refused migration): keep trying, slower and louder.
        const delayMs = backoffDelay(round, 5_000, 60_000);
        this.logger.event('error', `${component.name}: failed to start, will retry`, {
          component: component.name,
          retryInMs: delayMs,
          error: describe(err),
        });
        await sleep(delayMs, signal);
      }
    }
    return false;
  }

  /** Stops the components in reverse start order; the servers have already stopped taking requests. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private async stopAll(): Promise<void> {
    this.readiness.markShuttingDown();
    this.abort.abort(new Error('service is shutting down'));
    for (const r of [...this.running].reverse()) {
      const { component, started } = r;
      if (!component.stop) continue;
      try {
        if (!r.settled) {
          // Still starting (a group join in progress): ask it to stop, let the start end, stop once more.
          // Neither wait is open-ended: a member that never joined holds nothing to commit, and a client
          // may only let go once its join completes (the dead member's session timeout, up to 30 s).
          const interrupted = await settlesWithin(Promise.resolve(component.stop()), PENDING_START_WAIT_MS);
          if (interrupted && (await settlesWithin(started, PENDING_START_WAIT_MS))) await component.stop();
          else
            this.logger.event('warn', `${component.name}: still starting; abandoned at shutdown`, {
              component: component.name,
            });
        } else {
          await component.stop();
        }
        this.componentUp?.set({ component: component.name }, 0);
      } catch (err) {
        this.logger.event('warn', `${component.name}: did not stop cleanly`, {
          component: component.name,
          error: describe(err),
        });
      }
    }
    this.running = [];
    this.logger.event('info', 'stopped');
  }
}

/** A job run every `intervalMs` beside the servers (never twice at once); stop waits for the run in hand. */
export function periodicJob(opts: {
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
  logger: JsonLogger;
}): ServiceComponent {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  return {
    name: opts.name,
    start: () => {
      timer ??= setInterval(() => {
        if (inFlight) return;
        inFlight = opts
          .run()
          .catch((err: unknown) =>
            opts.logger.event('warn', `${opts.name} failed, will retry`, { error: describe(err) }),
          )
          .finally(() => (inFlight = undefined));
      }, opts.intervalMs);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
