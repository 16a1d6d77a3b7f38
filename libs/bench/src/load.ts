/**
 * Open-loop load from simulated devices of mixed families, shared by the ingest benchmark
 * (`npm run bench:ingest`) and the fault-injection suite (`npm run faults`): which devices there are,
 * registering them, sending each device's uploads on schedule (one at a time, as a real device does),
 * recording which punches the devices got acknowledged, and comparing that with what attendance holds.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { BENCH_FAMILIES, BenchDevice, BenchFamily, BenchPunch, buildRequest, registration } from './families';

export type FamilyMix = Record<BenchFamily, number>;

export const DEFAULT_MIX = 'hikvision-isapi:30,uface:20,httpv2:15,zkteco-push:20,open-v1:15';

/** "family:percent,..." -> shares per family (families not named get 0). */
export function parseMix(text: string): FamilyMix {
  const mix = Object.fromEntries(BENCH_FAMILIES.map((f) => [f, 0])) as FamilyMix;
  for (const part of text.split(',')) {
    const [family, share] = part.split(':');
    if (!BENCH_FAMILIES.includes(family as BenchFamily) || !(Number(share) >= 0))
      throw new Error(`--mix: "${part}" is not family:percent with a family of ${BENCH_FAMILIES.join(', ')}`);
    mix[family as BenchFamily] = Number(share);
  }
  if (Object.values(mix).reduce((a, b) => a + b, 0) <= 0) throw new Error('--mix: the shares add up to 0');
  return mix;
}

/** Punches per request of each family: single-record families 1, ZKTeco and open-v1 batch. */
export function familyBatches(zktecoBatch: number, openBatch: number): Record<BenchFamily, number> {
  return { 'hikvision-isapi': 1, uface: 1, httpv2: 1, 'zkteco-push': zktecoBatch, 'open-v1': openBatch };
}

/** The devices of a run: about `count` devices split by the mix, spread over `projects` projects. */
export function planDevices(run: string, count: number, mix: FamilyMix, projects = 10): BenchDevice[] {
  const families = BENCH_FAMILIES.filter((f) => mix[f] > 0);
  const totalShare = families.reduce((a, f) => a + mix[f], 0);
  const devices: BenchDevice[] = [];
  let index = 0;
  for (const family of families) {
    const n = Math.max(1, Math.round((count * mix[family]) / totalShare));
    for (let i = 0; i < n; i++, index++) {
      devices.push({
        deviceId: `${run}-${family}-${i}`.replace(/_/g, '-'),
        family,
        projectId: `bench-${run}-${index % projects}`,
        serial: `${family.slice(0, 3).toUpperCase()}${run.replace(/[^a-z0-9]/gi, '').slice(-10)}${i}`,
        secret: randomBytes(16).toString('hex'),
        counter: 0,
      });
    }
  }
  return devices;
}

/**
 * Registers the devices through the gateway's admin API (keeps each device's path token), with the
 * access token of a device administrator whose scope covers `region`: a fixed token, or a function
 * asked before every request (thousands of registrations outlast one token).
 */
export async function registerDevices(
  devices: BenchDevice[],
  gatewayUrl: string,
  adminToken: string | (() => Promise<string>),
  region = '330106',
): Promise<void> {
  const token = typeof adminToken === 'string' ? async () => adminToken : adminToken;
  for (const d of devices) {
    let res: Response;
    // Thousands of registrations in a row can exceed the admin API's per-client rate limit: a 429 is
    // waited out for its Retry-After, as any client should.
    for (;;) {
      res = await fetch(`${gatewayUrl}/api/v1/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify(registration(d, region)),
      });
      if (res.status !== 429) break;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
    }
    const json = (await res.json()) as { token?: string };
    if (res.status >= 300)
      throw new Error(`registering ${d.deviceId}: ${res.status} ${JSON.stringify(json)}`);
    d.token = json.token;
  }
}

export function describeDevices(devices: BenchDevice[]): string {
  return BENCH_FAMILIES.filter((f) => devices.some((d) => d.family === f))
    .map((f) => `${devices.filter((d) => d.family === f).length} ${f}`)
    .join(', ');
}

/** One HTTP request as a device sends it; rejects on network errors and after `timeoutMs`. */
export function sendRequest(
  agent: Agent,
  base: URL,
  req: ReturnType<typeof buildRequest>,
  timeoutMs = 60_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, 'content-length': String(req.body.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** A punch a device got acknowledged (in its family's own terms). */
export interface AcknowledgedPunch {
  deviceId: string;
  family: BenchFamily;
  projectId: string;
  personId: string;
  at: Date;
  /** When the device had the acknowledgement (first time, for a resent punch). */
  ackedAt: number;
}

/** One upload a device sent, kept so that the device can send it again (same record numbers). */
export interface SentUpload {
  device: BenchDevice;
  punches: BenchPunch[];
  /** The device's record counter before this upload. */
  counterBefore: number;
}

export type UploadOutcome =
  | { kind: 'acknowledged'; status: number }
  | { kind: 'refused'; status: number; text: string }
  | { kind: 'error'; error: string };

export interface OpenLoopOptions {
  devices: BenchDevice[];
  /** Offered punches per second, over all devices. */
  rate: number;
  mix: FamilyMix;
  batch: Record<BenchFamily, number>;
  gateway: URL;
  /** First person number: every punch is a new person (none is deduplicated or collapsed). */
  firstPerson?: number;
  /** Keep every upload per device (for `resend`). */
  keepHistory?: boolean;
  /** Called before each upload is sent. */
  onSend?(device: BenchDevice, punches: BenchPunch[], sentAt: number): void;
  /** Called with each upload's outcome. */
  onReply?(
    device: BenchDevice,
    punches: BenchPunch[],
    sentAt: number,
    done: number,
    outcome: UploadOutcome,
  ): void;
}

/**
 * Drives the devices open-loop at a target rate: each device sends its uploads on schedule, one at a
 * time as a real device does (it waits for the acknowledgement; one that falls behind sends at once),
 * and records every punch it got acknowledged.
 */
export class OpenLoopLoad {
  readonly agent: Agent;
  /** Acknowledged punches by person id (every punch is its own person). */
  readonly acknowledged = new Map<string, AcknowledgedPunch>();
  readonly history = new Map<string, SentUpload[]>();
  sentPunches = 0;
  refused = 0;
  errors = 0;
  firstError?: string;
  private personSeq: number;

  constructor(private readonly o: OpenLoopOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: o.devices.length + 8 });
    this.personSeq = o.firstPerson ?? 1_000_000_000;
  }

  /** Sends from `start` until `end` (epoch ms); resolves when every device's last upload has its reply. */
  async run(start: number, end: number, shouldStop: () => boolean = () => false): Promise<void> {
    const totalShare = BENCH_FAMILIES.reduce((a, f) => a + this.o.mix[f], 0);
    const deviceLoop = async (d: BenchDevice) => {
      const familyDevices = this.o.devices.filter((x) => x.family === d.family).length;
      const punchesPerS = (this.o.rate * this.o.mix[d.family]) / totalShare / familyDevices;
      const intervalMs = (1000 * this.o.batch[d.family]) / punchesPerS;
      let next = start + Math.random() * intervalMs;
      while (next < end && !shouldStop()) {
        // Waits in short steps so that a stop request is seen at once (a batching device may wait seconds).
        while (next - Date.now() > 0 && !shouldStop()) await sleep(Math.min(200, next - Date.now()));
        // A device that fell behind sends at once, but never past the end: the offered rate is the
        // target, what the gateway absorbs is measured.
        if (Date.now() >= end || shouldStop()) break;
        next += intervalMs;
        const at = new Date(Math.floor(Date.now() / 1000) * 1000);
        const punches: BenchPunch[] = Array.from({ length: this.o.batch[d.family] }, () => ({
          personId: String(this.personSeq++),
          at,
        }));
        if (this.o.keepHistory) {
          const h = this.history.get(d.deviceId) ?? [];
          h.push({ device: d, punches, counterBefore: d.counter });
          this.history.set(d.deviceId, h);
        }
        this.sentPunches += punches.length;
        await this.upload(d, punches);
      }
    };
    await Promise.all(this.o.devices.map(deviceLoop));
  }

  /** Sends everything the device has sent so far again, `times` times, with its original record numbers. */
  async resend(deviceId: string, times: number): Promise<{ uploads: number; punches: number }> {
    const uploads = [...(this.history.get(deviceId) ?? [])];
    let punches = 0;
    for (let i = 0; i < times; i++)
      for (const u of uploads) {
        await this.upload(u.device, u.punches, u.counterBefore);
        punches += u.punches.length;
      }
    return { uploads: uploads.length * times, punches };
  }

  private async upload(d: BenchDevice, punches: BenchPunch[], counterBefore?: number): Promise<void> {
    let req: ReturnType<typeof buildRequest>;
    if (counterBefore === undefined) req = buildRequest(d, punches);
    else {
      // The same records again: the device's record numbers as they were the first time.
      const counter = d.counter;
      d.counter = counterBefore;
      req = buildRequest(d, punches);
      d.counter = counter;
    }
    const sentAt = Date.now();
    this.o.onSend?.(d, punches, sentAt);
    let outcome: UploadOutcome;
    try {
      const res = await sendRequest(this.agent, this.o.gateway, req);
      outcome = req.acknowledged(res.status, res.text)
        ? { kind: 'acknowledged', status: res.status }
        : { kind: 'refused', status: res.status, text: res.text.slice(0, 200) };
    } catch (err) {
      outcome = { kind: 'error', error: String(err) };
    }
    const done = Date.now();
    if (outcome.kind === 'acknowledged') {
      for (const p of punches)
        if (!this.acknowledged.has(p.personId))
          this.acknowledged.set(p.personId, {
            deviceId: d.deviceId,
            family: d.family,
            projectId: d.projectId,
            personId: p.personId,
            at: p.at,
            ackedAt: done,
          });
    } else if (outcome.kind === 'refused') {
      this.refused += punches.length;
      this.firstError ??= `${d.family} ${outcome.status} ${outcome.text}`;
    } else {
      this.errors += punches.length;
      this.firstError ??= `${d.family} ${outcome.error}`;
    }
    this.o.onReply?.(d, punches, sentAt, done, outcome);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Acknowledged punches compared with how often each person's punch was found in a store. */
export interface Exactness {
  acknowledged: number;
  /** Acknowledged punches found at least once. */
  found: number;
  /** Acknowledged but not found. */
  lost: AcknowledgedPunch[];
  /** Found more than once (person id -> times found). */
  doubled: Array<{ personId: string; times: number }>;
  /** Found, but no device had an acknowledgement for it (a reply lost on the way: not an error). */
  unacknowledged: number;
}

export function compareExactness(
  acknowledged: Map<string, AcknowledgedPunch>,
  foundTimes: Map<string, number>,
): Exactness {
  const lost: AcknowledgedPunch[] = [];
  let found = 0;
  for (const [personId, p] of acknowledged) {
    if ((foundTimes.get(personId) ?? 0) > 0) found++;
    else lost.push(p);
  }
  const doubled: Array<{ personId: string; times: number }> = [];
  let unacknowledged = 0;
  for (const [personId, times] of foundTimes) {
    if (times > 1) doubled.push({ personId, times });
    if (!acknowledged.has(personId)) unacknowledged++;
  }
  return { acknowledged: acknowledged.size, found, lost, doubled, unacknowledged };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
