/**
 * The site agent: runs on the site's network, next to devices the gateway cannot call. For each configured
 * device it claims commands from the gateway, executes them against the device with the family's driver,
 * reports every outcome, and uploads the records a backfill query fetched (docs/site-agent.md).
 *
 * Commands of one device run one at a time, in the order the gateway gave them (an upsert and a later
 * delete of the same person must not swap). Outcomes that cannot be reported (gateway unreachable) are
 * kept and reported before anything new is claimed; commands are idempotent, so one the gateway hands
 * out again after its acknowledgement timeout is simply executed again.
 */
import { executeCommand, DeviceDriver } from './drivers/driver';
import { HikvisionIsapiDriver } from './drivers/hikvision';
import { UfaceDriver } from './drivers/uface';
import { GatewayClient, GatewayError } from './gateway-client';
import { describe, sleep } from './http';
import { AgentCommand, AgentCommandKind, AgentFamily, CommandOutcome } from './protocol';

export interface AgentDeviceConfig {
  deviceId: string;
  /** The device's token (as in its push URL). */
  token: string;
  family: AgentFamily;
  /** The device's own address on the site network, e.g. http://192.168.1.64 or http://192.168.1.70:8090. */
  baseUrl: string;
  /** ISAPI user (Hikvision); unused for Uface. */
  user?: string;
  /** ISAPI password (Hikvision) or the device password `pass` (Uface). */
  password: string;
  /** Only these kinds are claimed (e.g. records only for Uface terminals that pull their person tasks). */
  kinds?: AgentCommandKind[];
  /** Uface: how the face reaches the device (default base64). */
  faceVia?: 'base64' | 'url';
  /** Record query page size (Hikvision default 30, Uface 100). */
  pageSize?: number;
}

export type AgentLevel = 'debug' | 'info' | 'warn' | 'error';
export type AgentLog = (level: AgentLevel, message: string, fields?: Record<string, unknown>) => void;

export interface AgentEvent {
  deviceId: string;
  command: AgentCommand;
  outcome: CommandOutcome;
  /** The gateway recorded the outcome (false: it no longer waited for it, or it is queued for a retry). */
  reported: boolean;
}

export interface SiteAgentOptions {
  /** The gateway's base URL. */
  gateway: string;
  devices: AgentDeviceConfig[];
  /** Wait between claims when there was nothing to do (default 5 s). */
  pollIntervalMs?: number;
  /** Commands claimed at once (default 10). */
  claimLimit?: number;
  /** Per request to a device (default 15 s). */
  deviceTimeoutMs?: number;
  /** Per request to the gateway (default 15 s). */
  gatewayTimeoutMs?: number;
  /** Longest wait after failures to reach the gateway (default 60 s). */
  maxBackoffMs?: number;
  log?: AgentLog;
  /** Called after each executed command. */
  onCommand?: (e: AgentEvent) => void;
  /** Builds a device's driver (tests replace it). */
  driverFor?: (d: AgentDeviceConfig) => DeviceDriver;
}

interface DeviceLoop {
  config: AgentDeviceConfig;
  gateway: GatewayClient;
  driver: DeviceDriver;
  /** Outcomes not yet accepted by the gateway. */
  outbox: { command: AgentCommand; outcome: CommandOutcome }[];
  timeZone?: string;
  failures: number;
  running?: Promise<void>;
}

export interface AgentStats {
  claimed: number;
  succeeded: number;
  failed: number;
  reportsDropped: number;
  gatewayErrors: number;
}

export function defaultDriver(d: AgentDeviceConfig, timeoutMs?: number): DeviceDriver {
  if (d.family === 'hikvision-isapi')
    return new HikvisionIsapiDriver({
      baseUrl: d.baseUrl,
      user: d.user ?? 'admin',
      password: d.password,
      timeoutMs,
      pageSize: d.pageSize,
    });
  return new UfaceDriver({
    baseUrl: d.baseUrl,
    password: d.password,
    timeoutMs,
    faceVia: d.faceVia,
    pageSize: d.pageSize,
  });
}

export class SiteAgent {
  readonly stats: AgentStats = { claimed: 0, succeeded: 0, failed: 0, reportsDropped: 0, gatewayErrors: 0 };
  private readonly loops: DeviceLoop[];
  private readonly abort = new AbortController();
  private readonly log: AgentLog;
  private readonly pollIntervalMs: number;
  private readonly claimLimit: number;
  private readonly maxBackoffMs: number;
  private started = false;

  constructor(private readonly o: SiteAgentOptions) {
    if (!o.gateway) throw new Error('SiteAgent: the gateway URL is required');
    if (o.devices.length === 0) throw new Error('SiteAgent: no device configured');
    const ids = new Set<string>();
    for (const d of o.devices) {
      if (ids.has(d.deviceId)) throw new Error(`SiteAgent: device ${d.deviceId} is configured twice`);
      ids.add(d.deviceId);
    }
    this.log = o.log ?? (() => undefined);
    this.pollIntervalMs = o.pollIntervalMs ?? 5_000;
    this.claimLimit = Math.max(1, Math.min(o.claimLimit ?? 10, 50));
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
    this.loops = o.devices.map((config) => ({
      config,
      gateway: new GatewayClient({
        baseUrl: o.gateway,
        deviceId: config.deviceId,
        token: config.token,
        timeoutMs: o.gatewayTimeoutMs,
      }),
      driver: (o.driverFor ?? ((d) => defaultDriver(d, o.deviceTimeoutMs)))(config),
      outbox: [],
      failures: 0,
    }));
  }

  /** Starts one loop per device; they run until `stop`. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const loop of this.loops) loop.running = this.run(loop);
  }

  /** Stops claiming; a command being executed finishes and is reported first. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('site agent stopping'));
    await Promise.all(this.loops.map((l) => l.running?.catch(() => undefined)));
  }

  /**
   * One pass for every device (without `start`): report what is pending, then claim and execute until
   * nothing is due. Returns how many commands were executed.
   */
  async runOnce(): Promise<number> {
    let executed = 0;
    for (const loop of this.loops) {
      await this.flush(loop);
      for (;;) {
        const n = await this.cycle(loop);
        executed += n;
        if (n < this.claimLimit) break;
      }
    }
    return executed;
  }

  private async run(loop: DeviceLoop): Promise<void> {
    const signal = this.abort.signal;
    this.log('info', 'site agent: serving device', {
      deviceId: loop.config.deviceId,
      family: loop.config.family,
      device: loop.config.baseUrl,
    });
    while (!signal.aborted) {
      let wait = this.pollIntervalMs;
      try {
        await this.flush(loop);
        const n = await this.cycle(loop);
        loop.failures = 0;
        if (n >= this.claimLimit) wait = 0; // more may be due
      } catch (err) {
        if (signal.aborted) break;
        loop.failures++;
        this.stats.gatewayErrors++;
        wait = Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** Math.min(loop.failures, 10));
        this.log(loop.failures === 1 ? 'warn' : 'debug', 'site agent: gateway not reachable, will retry', {
          deviceId: loop.config.deviceId,
          error: describe(err),
          retryInMs: wait,
        });
      }
      if (wait > 0) await sleep(wait, signal).catch(() => undefined);
    }
  }

  /** Claims once and executes what came; returns the number of commands claimed. */
  private async cycle(loop: DeviceLoop): Promise<number> {
    if (loop.outbox.length > 0) return 0; // report the old outcomes first
    const reply = await loop.gateway.claim(this.claimLimit, loop.config.kinds, this.abort.signal);
    loop.timeZone = reply.device.timeZone;
    if (reply.device.family !== loop.config.family)
      this.log('warn', 'site agent: the gateway registered the device with another family', {
        deviceId: loop.config.deviceId,
        configured: loop.config.family,
        registered: reply.device.family,
      });
    this.stats.claimed += reply.commands.length;
    for (const command of reply.commands) {
      const started = Date.now();
      const outcome = await executeCommand(loop.driver, command, {
        gateway: loop.gateway,
        timeZone: reply.device.timeZone,
        commandId: command.commandId,
      });
      if (outcome.ok) this.stats.succeeded++;
      else this.stats.failed++;
      this.log(
        outcome.ok ? 'info' : 'warn',
        `site agent: ${command.kind} ${outcome.ok ? 'done' : 'failed'}`,
        {
          deviceId: loop.config.deviceId,
          commandId: command.commandId,
          seq: command.seq,
          attempt: command.attempts,
          ...(outcome.code ? { code: outcome.code } : {}),
          ...(outcome.detail ? { detail: outcome.detail } : {}),
          ms: Date.now() - started,
        },
      );
      loop.outbox.push({ command, outcome });
      // A gateway that cannot take the report now gets it before the next claim; the rest still runs.
      const reported = await this.flush(loop).catch(() => [] as string[]);
      this.o.onCommand?.({
        deviceId: loop.config.deviceId,
        command,
        outcome,
        reported: reported.includes(command.commandId),
      });
    }
    return reply.commands.length;
  }

  /** Reports the pending outcomes in order; returns the command ids the gateway recorded. */
  private async flush(loop: DeviceLoop): Promise<string[]> {
    const recorded: string[] = [];
    while (loop.outbox.length > 0) {
      const { command, outcome } = loop.outbox[0];
      try {
        const r = await loop.gateway.report(command.commandId, outcome);
        if (r.recorded) recorded.push(command.commandId);
        else {
          this.stats.reportsDropped++;
          this.log('info', 'site agent: the gateway no longer waits for this result (dropped)', {
            deviceId: loop.config.deviceId,
            commandId: command.commandId,
            reason: r.reason,
          });
        }
        loop.outbox.shift();
      } catch (err) {
        if (err instanceof GatewayError && !err.retryable) {
          // Refused as invalid: resending the same report cannot help.
          loop.outbox.shift();
          this.stats.reportsDropped++;
          this.log('error', 'site agent: the gateway refused a result report', {
            deviceId: loop.config.deviceId,
            commandId: command.commandId,
            error: err.message,
          });
          continue;
        }
        throw err; // transient: kept for the next round
      }
    }
    return recorded;
  }
}
