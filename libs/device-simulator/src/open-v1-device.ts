import { createHash } from 'node:crypto';
import {
  OPEN_V1_LIMITS,
  OpenV1Command,
  OpenV1CommandResult,
  OpenV1HeartbeatReply,
  OpenV1PunchStatus,
  OpenV1ResultStatus,
  formatLocalTime,
  parseDeviceTime,
  signRequest,
} from '@realname/contracts';
import { DeviceBuffer, FlushResult } from './device-buffer';
import { DeviceLoop, startLoop, stopLoop } from './device-loop';
import {
  abortableSleep,
  DevicePunch,
  DeviceProtocolError,
  describeError,
  encodeUpload,
  OpenProtocolClient,
  OpenProtocolClientOptions,
  RawReply,
} from './open-protocol-client';

/** A person as the device holds them after a person.upsert. */
export interface StoredPerson {
  personId: string;
  name: string;
  cardNumber?: string;
  /** The hex SHA-256 of the face photo the device enrolled, when it has one. */
  photoSha256?: string;
  photoBytes?: number;
}

/** One record in the device's own log (kept after upload, as real terminals keep theirs). */
export interface LoggedRecord {
  punch: DevicePunch;
  /** The instant of `punch.time`, by the device clock. */
  at: number;
}

export type DeviceEvent =
  | { type: 'heartbeat'; reply: OpenV1HeartbeatReply }
  | { type: 'command'; command: OpenV1Command; result: OpenV1CommandResult }
  | { type: 'results'; statuses: OpenV1ResultStatus[] }
  | { type: 'flush'; result: FlushResult }
  | { type: 'clock-set'; skewMs: number; reason: string }
  | { type: 'error'; during: string; error: Error };

export interface OpenV1DeviceOptions extends Omit<
  OpenProtocolClientOptions,
  'now' | 'deviceId' | 'secret' | 'baseUrl'
> {
  baseUrl: string;
  deviceId: string;
  secret: string;
  /** Device clock minus true time, in ms (a skewed clock; default 0). */
  clockSkewMs?: number;
  /**
   * When the device sets its clock from the gateway: `never`; `when-refused` (default) after a 401
   * stale-timestamp, from the reply's Date header; `always` from every heartbeat's serverTime.
   */
  clockSync?: 'never' | 'when-refused' | 'always';
  /** Reported in heartbeats. */
  firmware?: string;
  /** Fixed seconds between heartbeats; default: the gateway's `pollAfterS`. */
  heartbeatEveryS?: number;
  /** Punches per upload (default 100). */
  batchSize?: number;
  /** Commands per claim (default 10). */
  claimLimit?: number;
  /** Download and check the face photos of person.upsert (default true). */
  fetchPhotos?: boolean;
  /** People the device can hold; a new person beyond it is refused as `storage-full` (default 100 000). */
  maxPersons?: number;
  /** Record only punches of people the device holds, as a real terminal does (default true). */
  recognisedOnly?: boolean;
  /** Record ids: `<prefix><zero-padded sequence>` (default no prefix, from 1). */
  recordIdPrefix?: string;
  firstSequence?: number;
  /** Told about everything the device does (for logs and tests). */
  onEvent?: (e: DeviceEvent) => void;
  /** Real time in ms (default Date.now); the device clock is this plus the skew. */
  realNow?: () => number;
}

export interface TickResult {
  /** False when the device is offline (nothing was sent). */
  online: boolean;
  heartbeat?: OpenV1HeartbeatReply;
  commands: number;
  flushed?: FlushResult;
  error?: Error;
}

export interface StormResult {
  requests: number;
  records: number;
  statuses: Record<OpenV1PunchStatus, number>;
}

/**
 * A simulated open-v1 terminal around the reference client: it holds people (person.upsert /
 * person.delete pulled from the gateway), records punches of the people it holds in its record log
 * and upload buffer, heartbeats, claims and applies commands, answers records.query from its log, and
 * reports every result. It can go offline (buffering), lose its upload queue (a reboot), run a skewed
 * clock and resend its log in a storm. `tick()` is one round; `start()` runs rounds until `stop()`.
 */
export class OpenV1Device {
  readonly client: OpenProtocolClient;
  readonly buffer: DeviceBuffer;
  readonly persons = new Map<string, StoredPerson>();
  readonly log: LoggedRecord[] = [];
  /** Device clock minus true time, in ms. */
  clockSkewMs: number;
  /** Offline: nothing is sent; punches wait in the buffer. */
  online = true;
  /** Punches of people the device does not hold, ignored (recognisedOnly). */
  unrecognised = 0;
  /** Results not yet delivered (the report failed): sent first in the next round. */
  readonly unreported: OpenV1CommandResult[] = [];
  /** Every command result the device produced, in order. */
  readonly applied: { command: OpenV1Command; result: OpenV1CommandResult }[] = [];

  private readonly realNow: () => number;
  private readonly opts: OpenV1DeviceOptions;
  private pollAfterS: number;
  private loop?: DeviceLoop;
  private running?: Promise<TickResult>;

  constructor(options: OpenV1DeviceOptions) {
    this.opts = options;
    this.realNow = options.realNow ?? Date.now;
    this.clockSkewMs = options.clockSkewMs ?? 0;
    this.pollAfterS = options.heartbeatEveryS ?? 30;
    this.client = new OpenProtocolClient({ ...options, now: () => this.now() });
    this.buffer = new DeviceBuffer(options.deviceId, {
      recordIdPrefix: options.recordIdPrefix,
      firstSequence: options.firstSequence,
    });
  }

  get deviceId(): string {
    return this.client.deviceId;
  }

  get timeZone(): string {
    return this.client.timeZone;
  }

  /** The device clock, in ms. */
  now(): number {
    return this.realNow() + this.clockSkewMs;
  }

  /** Seconds until the next heartbeat: fixed, or as the gateway last asked. */
  get heartbeatEveryS(): number {
    return this.opts.heartbeatEveryS ?? this.pollAfterS;
  }

  /**
   * Records a punch at the device clock's now (or at `at`, a device-clock instant), as local time in
   * the device zone; returns the record, or undefined for a person the device does not hold.
   */
  punch(
    personId: string,
    o: Partial<Pick<DevicePunch, 'direction' | 'verifyMode' | 'photo'>> & { at?: number } = {},
  ): DevicePunch | undefined {
    if ((this.opts.recognisedOnly ?? true) && !this.persons.has(personId)) {
      this.unrecognised++;
      return undefined;
    }
    const at = Math.floor((o.at ?? this.now()) / 1000) * 1000;
    const record = this.buffer.append({
      personId,
      time: formatLocalTime(new Date(at), this.timeZone),
      ...(o.direction ? { direction: o.direction } : {}),
      verifyMode: o.verifyMode ?? 'face',
      ...(o.photo ? { photo: o.photo } : {}),
    });
    this.log.push({ punch: record, at });
    return record;
  }

  /**
   * One round: heartbeat; while commands are pending, claim, apply and report them; upload what is
   * buffered. Offline, nothing happens. Never throws: a failure ends the round and is in `error`.
   */
  tick(signal?: AbortSignal): Promise<TickResult> {
    if (this.running) return this.running;
    this.running = this.round(signal).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Runs rounds every heartbeatEveryS seconds until stop(). */
  start(): void {
    if (this.loop) return;
    this.loop = startLoop(async (signal) => {
      await this.tick(signal);
      await abortableSleep(this.heartbeatEveryS * 1000, signal).catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.loop = undefined;
    await stopLoop(loop, new Error('device stopped'));
    await this.running?.catch(() => undefined);
  }

  /** Forgets the unsent records (a reboot that wiped the upload queue); the log keeps them. */
  forgetUnsent(): number {
    return this.buffer.discard();
  }

  /** The logged records from `from` to `to` (device-clock instants, both included), oldest first. */
  recordsBetween(from: number, to: number): DevicePunch[] {
    return this.log.filter((r) => r.at >= from && r.at <= to).map((r) => r.punch);
  }

  /**
   * A resend storm: the whole log (or the given records) uploaded `times` times at once, as a device
   * does that lost its acknowledgements. Every copy must come back as duplicate (or, the first time, accepted).
   */
  async storm(
    times: number,
    records: readonly DevicePunch[] = this.log.map((r) => r.punch),
  ): Promise<StormResult> {
    const out: StormResult = {
      requests: 0,
      records: 0,
      statuses: { accepted: 0, duplicate: 0, collapsed: 0 },
    };
    const batchSize = this.opts.batchSize ?? 100;
    const batches: DevicePunch[][] = [];
    for (let i = 0; i < records.length; i += batchSize) batches.push(records.slice(i, i + batchSize));
    await Promise.all(
      Array.from({ length: times }, async () => {
        for (const batch of batches) {
          const reply = await this.client.upload(batch);
          out.requests++;
          out.records += batch.length;
          for (const r of reply.results) out.statuses[r.status]++;
        }
      }),
    );
    return out;
  }

  // -------------------------------------------------------------------------------------------------

  private async round(signal?: AbortSignal): Promise<TickResult> {
    const result: TickResult = { online: this.online, commands: 0 };
    if (!this.online) return result;
    try {
      const hb = await this.heartbeat(signal);
      result.heartbeat = hb;
      const pending = hb.pending.personUpserts + hb.pending.personDeletes + hb.pending.recordQueries;
      // The connection may have gone while the round ran: an offline device sends nothing more.
      if (this.online && (pending > 0 || this.unreported.length > 0))
        result.commands = await this.work(signal);
      if (this.online && this.buffer.size > 0) {
        result.flushed = await this.buffer.flush(this.client, this.opts.batchSize ?? 100, { signal });
        this.emit({ type: 'flush', result: result.flushed });
        if (result.flushed.error) result.error = result.flushed.error;
      }
    } catch (err) {
      result.error = err instanceof Error ? err : new Error(String(err));
      this.emit({ type: 'error', during: 'round', error: result.error });
    }
    return result;
  }

  private async heartbeat(signal?: AbortSignal): Promise<OpenV1HeartbeatReply> {
    const status = {
      ...(this.opts.firmware ? { firmware: this.opts.firmware } : {}),
      personCount: this.persons.size,
      storedRecords: this.buffer.size,
    };
    let reply: OpenV1HeartbeatReply;
    try {
      reply = await this.client.heartbeat(status, { signal });
    } catch (err) {
      // Refused for its clock: set the clock from the gateway and try once more.
      if (!(err instanceof DeviceProtocolError) || !this.setClockFromRefusal(err)) throw err;
      reply = await this.client.heartbeat(status, { signal });
    }
    if (this.opts.heartbeatEveryS === undefined) this.pollAfterS = reply.pollAfterS;
    if ((this.opts.clockSync ?? 'when-refused') === 'always') {
      const serverMs = Date.parse(reply.serverTime);
      if (Number.isFinite(serverMs) && Math.abs(serverMs - this.now()) > 1000)
        this.setClock(this.clockSkewMs + (serverMs - this.now()), 'serverTime');
    }
    this.emit({ type: 'heartbeat', reply });
    return reply;
  }

  private setClockFromRefusal(err: DeviceProtocolError): boolean {
    if ((this.opts.clockSync ?? 'when-refused') === 'never') return false;
    if (err.status !== 401 || !String(err.problem?.type ?? '').endsWith(':stale-timestamp')) return false;
    const date = Date.parse(String(err.headers?.date ?? ''));
    if (!Number.isFinite(date)) return false;
    this.setClock(date - this.realNow(), 'refused as stale');
    return true;
  }

  private setClock(skewMs: number, reason: string): void {
    this.clockSkewMs = Math.round(skewMs);
    this.emit({ type: 'clock-set', skewMs: this.clockSkewMs, reason });
  }

  /** Claims, applies and reports until no command is left; returns how many were applied. */
  private async work(signal?: AbortSignal): Promise<number> {
    let applied = 0;
    await this.report(signal);
    for (let round = 0; round < 1000; round++) {
      const commands = await this.client.claim(this.opts.claimLimit ?? 10, { signal });
      if (commands.length === 0) break;
      for (const command of commands) {
        const result = await this.apply(command, signal);
        this.applied.push({ command, result });
        this.unreported.push(result);
        this.emit({ type: 'command', command, result });
        applied++;
      }
      await this.report(signal);
    }
    return applied;
  }

  /** Delivers the results not yet reported (kept for the next round when the gateway cannot be reached). */
  private async report(signal?: AbortSignal): Promise<void> {
    while (this.unreported.length > 0) {
      const chunk = this.unreported.slice(0, OPEN_V1_LIMITS.maxResults);
      const statuses = await this.client.reportResults(chunk, { signal });
      this.unreported.splice(0, chunk.length);
      this.emit({ type: 'results', statuses });
    }
  }

  private async apply(command: OpenV1Command, signal?: AbortSignal): Promise<OpenV1CommandResult> {
    const { commandId } = command;
    switch (command.kind) {
      case 'person.upsert': {
        const p = command.person;
        const known = this.persons.get(p.personId);
        if (!known && this.persons.size >= (this.opts.maxPersons ?? 100_000))
          return {
            commandId,
            ok: false,
            code: 'storage-full',
            message: `the device holds ${this.persons.size} people`,
          };
        const stored: StoredPerson = {
          personId: p.personId,
          name: p.name,
          ...(p.cardNumber ? { cardNumber: p.cardNumber } : {}),
        };
        if (p.photoUrl || p.photoSha256) {
          if (known?.photoSha256 && known.photoSha256 === p.photoSha256) {
            stored.photoSha256 = known.photoSha256;
            stored.photoBytes = known.photoBytes;
          } else if (this.opts.fetchPhotos ?? true) {
            try {
              const photo = await this.client.fetchPhoto(p, { signal, maxAttempts: 2 });
              stored.photoSha256 = createHash('sha256').update(photo.bytes).digest('hex');
              stored.photoBytes = photo.bytes.length;
            } catch (err) {
              return {
                commandId,
                ok: false,
                code: 'photo-unusable',
                message: describeError(err).slice(0, 500),
              };
            }
          }
        }
        this.persons.set(p.personId, stored);
        return { commandId, ok: true };
      }
      case 'person.delete':
        // Deleting someone the device does not hold is done already: ok.
        this.persons.delete(command.person.personId);
        return { commandId, ok: true };
      case 'records.query': {
        const from = Date.parse(command.range.from);
        const to = Date.parse(command.range.to);
        if (!Number.isFinite(from) || !Number.isFinite(to))
          return { commandId, ok: false, code: 'invalid-range', message: 'from/to are not RFC 3339' };
        const records = this.recordsBetween(from, to);
        const batchSize = this.opts.batchSize ?? 100;
        try {
          for (let i = 0; i < records.length; i += batchSize) {
            await this.client.upload(records.slice(i, i + batchSize), {
              signal,
              ...(command.backfillId ? { backfillId: command.backfillId } : {}),
            });
          }
        } catch (err) {
          return { commandId, ok: false, code: 'busy', message: describeError(err).slice(0, 500) };
        }
        return { commandId, ok: true, count: records.length };
      }
    }
  }

  private emit(e: DeviceEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // A listener's failure is not the device's.
    }
  }
}

/** Runs a device until the signal aborts (a `runDeviceLoop` for scripts): start, wait, stop. */
export async function runDeviceLoop(device: OpenV1Device, signal: AbortSignal): Promise<void> {
  device.start();
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await device.stop();
}

/** The instant of a record's `time` in the device zone (undefined when it is not a time). */
export function recordInstant(record: DevicePunch, timeZone: string): number | undefined {
  return parseDeviceTime(record.time, timeZone)?.getTime();
}

// ---------------------------------------------------------------------------------------------------
// Faulty requests, as broken firmware and bad networks produce them.

export type MalformedKind =
  /** The body was cut off after it was signed (a dropped connection behind a proxy): 401 bad-signature. */
  | 'truncated-in-transit'
  /** Firmware that cuts its own body and signs what it sends: 400 naming (body). */
  | 'truncated-signed'
  /** A form body instead of JSON: 400 naming (body). */
  | 'not-json'
  /** An unknown field in a punch (a typo): 400 naming punches[0].temperature. */
  | 'unknown-field'
  /** Signed with another secret: 401 bad-signature. */
  | 'wrong-secret'
  /** A clock an hour behind: 401 stale-timestamp. */
  | 'stale-clock'
  /** No signature headers: 401 missing-headers. */
  | 'unsigned';

/** Sends one faulty punch upload of the given kind for these records and returns the raw reply. */
export async function sendMalformed(
  client: OpenProtocolClient,
  kind: MalformedKind,
  records: readonly DevicePunch[],
): Promise<RawReply> {
  const body = encodeUpload(records);
  switch (kind) {
    case 'truncated-in-transit':
      return client.sendRaw(body.subarray(0, Math.floor(body.length / 2)), {}, { signBody: body });
    case 'truncated-signed':
      return client.sendRaw(body.subarray(0, Math.floor(body.length / 2)));
    case 'not-json':
      return client.sendRaw(
        records
          .map((r) => `recordId=${encodeURIComponent(r.recordId)}&time=${encodeURIComponent(r.time)}`)
          .join('&'),
        { 'Content-Type': 'application/x-www-form-urlencoded' },
      );
    case 'unknown-field': {
      const json = JSON.parse(body.toString('utf8')) as { punches: Record<string, unknown>[] };
      json.punches[0].temperature = 36.6;
      return client.sendRaw(JSON.stringify(json));
    }
    case 'wrong-secret': {
      const ts = String(Math.floor(client.deviceNow() / 1000));
      return client.sendRaw(body, {
        'X-Signature': signRequest('not-the-device-secret', ts, body),
        'X-Timestamp': ts,
      });
    }
    case 'stale-clock': {
      const ts = String(Math.floor(client.deviceNow() / 1000) - 3600);
      return client.sendRaw(body, {
        'X-Timestamp': ts,
        'X-Signature': client.signedHeaders(body, ts)['X-Signature'],
      });
    }
    case 'unsigned':
      return client.sendRaw(body, { 'X-Signature': null, 'X-Timestamp': null });
  }
}
