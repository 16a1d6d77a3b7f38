import type { AccessTokenSource } from './access-token';
import { DeviceBuffer, FlushOptions } from './device-buffer';
import {
  OpenProtocolClient,
  OpenProtocolClientOptions,
  registerDevice,
  RetryPolicy,
} from './open-protocol-client';
import type { SimDevice, SimulatedPunch, Site } from './site-simulator';

/** One simulated device: what it is, how it talks to the gateway, and what it holds. */
export interface FleetDevice {
  device: SimDevice;
  client: OpenProtocolClient;
  buffer: DeviceBuffer;
}

export interface Totals {
  sent: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Records still in the devices' buffers. */
  pending: number;
  retries: number;
  requests: number;
}

export interface ProjectTotals extends Totals {
  projectId: string;
  devices: number;
}

/** The devices of a site, each with its own client and buffer, in the site's order. */
export class Fleet {
  readonly devices: FleetDevice[];
  private readonly byId: Map<string, FleetDevice>;

  constructor(
    readonly site: Site,
    gateway: string,
    clientOptions: Omit<OpenProtocolClientOptions, 'baseUrl' | 'deviceId' | 'secret'> = {},
  ) {
    this.devices = site.devices.map((device) => ({
      device,
      client: new OpenProtocolClient({
        ...clientOptions,
        baseUrl: gateway,
        deviceId: device.deviceId,
        secret: device.secret,
      }),
      buffer: new DeviceBuffer(device.deviceId),
    }));
    this.byId = new Map(this.devices.map((d) => [d.device.deviceId, d]));
  }

  get(deviceId: string): FleetDevice {
    const d = this.byId.get(deviceId);
    if (!d) throw new Error(`No simulated device "${deviceId}" in this site`);
    return d;
  }

  /** Registers every device through the admin API (an upsert: safe to repeat). */
  async register(
    gateway: string,
    adminToken: AccessTokenSource,
    options: RetryPolicy & { concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const queue = [...this.devices];
    // The first failure stops the other registrations (no retries left running in the background).
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let failure: Error | undefined;
    const worker = async () => {
      for (let d = queue.shift(); d && !signal.aborted; d = queue.shift()) {
        const { deviceId, projectId, region, secret, timeZone, defaultDirection } = d.device;
        try {
          await registerDevice(
            gateway,
            adminToken,
            { deviceId, projectId, region, secret, timeZone, defaultDirection },
            { ...options, signal },
          );
        } catch (err) {
          if (!failure) {
            failure = new Error(
              `registering device ${deviceId} failed: ${err instanceof Error ? err.message : String(err)}`,
              {
                cause: err,
              },
            );
          }
          stop.abort(failure);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
    if (failure) throw failure;
  }

  /** Puts punches into their devices' buffers (record ids kept as generated). */
  append(punches: Iterable<SimulatedPunch>): number {
    let n = 0;
    for (const p of punches) {
      this.get(p.deviceId).buffer.append(p.punch);
      n++;
    }
    return n;
  }

  /** Flushes every device at once, each one in order; resolves when all flushes are done. */
  async flushAll(batchSize: number, options: FlushOptions = {}): Promise<void> {
    await Promise.all(
      this.devices.filter((d) => d.buffer.size > 0).map((d) => d.buffer.flush(d.client, batchSize, options)),
    );
  }

  totals(): Totals {
    return sum(this.devices);
  }

  byProject(): ProjectTotals[] {
    return this.site.projects.map((p) => {
      const devices = this.devices.filter((d) => d.device.projectId === p.projectId);
      return { projectId: p.projectId, devices: devices.length, ...sum(devices) };
    });
  }

  /** The most recent reason a device's flush stopped early, if any device has one now. */
  lastError(): { deviceId: string; message: string } | undefined {
    for (const d of this.devices) {
      if (d.buffer.lastError) return { deviceId: d.device.deviceId, message: d.buffer.lastError.message };
    }
    return undefined;
  }
}

function sum(devices: FleetDevice[]): Totals {
  const t: Totals = { sent: 0, accepted: 0, duplicate: 0, rejected: 0, pending: 0, retries: 0, requests: 0 };
  for (const { buffer } of devices) {
    const c = buffer.counters;
    t.sent += c.sent;
    t.accepted += c.accepted;
    t.duplicate += c.duplicate;
    t.rejected += c.rejected;
    t.retries += c.retries;
    t.requests += c.requests;
    t.pending += buffer.size;
  }
  return t;
}
