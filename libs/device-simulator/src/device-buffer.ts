import { OPEN_V1_LIMITS, OpenV1UploadReply } from '@realname/contracts';
import { DevicePunch, DeviceProtocolError, OPEN_V1_MAX_BATCH, UploadOptions } from './open-protocol-client';

/** What a buffer needs of a client: OpenProtocolClient, or a stand-in in tests. */
export interface PunchUploader {
  upload(punches: DevicePunch[], options?: UploadOptions): Promise<OpenV1UploadReply>;
}

/** Photos in one upload are kept under this many bytes of body (the gateway takes 10 MB). */
const PHOTO_BODY_BUDGET = Math.floor(OPEN_V1_LIMITS.maxBodyBytes * 0.8);

export interface DeviceBufferOptions {
  /** Digits of the zero-padded sequence in generated record ids (default 10: 0000000001). */
  recordIdWidth?: number;
  /** Put before the sequence in generated record ids (default none). */
  recordIdPrefix?: string;
  /** The first sequence number handed out (default 1). */
  firstSequence?: number;
}

/** Running totals of one device. `sent` = accepted + duplicate + rejected: punches the gateway answered for. */
export interface BufferCounters {
  appended: number;
  sent: number;
  accepted: number;
  duplicate: number;
  /** Dropped because the gateway refused them (400 naming them); they will never be stored. */
  rejected: number;
  /** Attempts repeated after a transient failure (network error, timeout, 5xx). */
  retries: number;
  /** Requests answered by the gateway (200 or 4xx). */
  requests: number;
  /** Flushes that stopped with records left because the gateway could not be reached or refused the device. */
  failedFlushes: number;
  /** Photos left out of a resend because the gateway refused them (the punch itself was kept). */
  photosDropped: number;
}

export interface RejectedRecord {
  punch: DevicePunch;
  status: number;
  reason: string;
}

export interface FlushResult {
  sent: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  retries: number;
  /** Records still pending after this flush. */
  remaining: number;
  /** Why the flush stopped early (the records stay for the next flush). */
  error?: Error;
}

export interface FlushOptions {
  signal?: AbortSignal;
  /** Attempts per batch for this flush (default: the client's). */
  maxAttempts?: number;
}

/**
 * A device's local record store. Punches get increasing record ids when appended; `flush` uploads them in
 * order and forgets a record only once the gateway acknowledged it (accepted or duplicate) or refused it
 * as invalid. A flush that cannot reach the gateway keeps everything for the next one, so an offline
 * device buffers and catches up later, resending exactly the same records.
 */
export class DeviceBuffer {
  readonly counters: BufferCounters = {
    appended: 0,
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    retries: 0,
    requests: 0,
    failedFlushes: 0,
    photosDropped: 0,
  };
  /** The records the gateway refused, with its reason (kept for inspection, most recent last). */
  readonly rejectedRecords: RejectedRecord[] = [];
  /** Why the last flush stopped early; cleared by a flush that empties the buffer. */
  lastError?: Error;

  private readonly queue: DevicePunch[] = [];
  private nextSequence: number;
  private readonly width: number;
  private readonly prefix: string;
  private inFlight?: Promise<FlushResult>;

  constructor(
    readonly deviceId: string,
    options: DeviceBufferOptions = {},
  ) {
    this.width = options.recordIdWidth ?? 10;
    this.prefix = options.recordIdPrefix ?? '';
    this.nextSequence = options.firstSequence ?? 1;
  }

  /** Records not yet acknowledged, oldest first. */
  get pending(): readonly DevicePunch[] {
    return this.queue;
  }

  get size(): number {
    return this.queue.length;
  }

  get flushing(): boolean {
    return this.inFlight !== undefined;
  }

  /** The record id the next appended punch without one will get. */
  peekNextRecordId(): string {
    return this.prefix + String(this.nextSequence).padStart(this.width, '0');
  }

  /**
   * Stores a punch. Without a recordId it gets the device's next one; with one (a simulated day, or a
   * deliberate resend of a record already sent) that id is kept as is.
   */
  append(punch: Omit<DevicePunch, 'recordId'> & { recordId?: string }): DevicePunch {
    let recordId = punch.recordId;
    if (recordId === undefined) {
      recordId = this.peekNextRecordId();
      this.nextSequence++;
    }
    const record: DevicePunch = { ...punch, recordId };
    this.queue.push(record);
    this.counters.appended++;
    return record;
  }

  /**
   * Forgets every pending record without sending it (a device whose upload queue was wiped, e.g. by a
   * reboot, while its record log survived: only a records.query brings those records to the gateway).
   * Returns how many were dropped.
   */
  discard(): number {
    const n = this.queue.length;
    this.queue.splice(0, n);
    return n;
  }

  /**
   * Uploads the pending records in order, `batchSize` per request, until none are left or a batch fails.
   * Never throws for what the gateway does: the result says what happened and `error` why it stopped.
   * A flush already running is joined, not doubled.
   */
  flush(client: PunchUploader, batchSize = 50, options: FlushOptions = {}): Promise<FlushResult> {
    if (this.inFlight) return this.inFlight;
    const run = this.run(client, Math.max(1, Math.min(OPEN_V1_MAX_BATCH, Math.floor(batchSize))), options);
    this.inFlight = run.finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async run(client: PunchUploader, batchSize: number, options: FlushOptions): Promise<FlushResult> {
    const result: FlushResult = { sent: 0, accepted: 0, duplicate: 0, rejected: 0, retries: 0, remaining: 0 };
    let size = batchSize;
    while (this.queue.length > 0) {
      const batch = withinPhotoBudget(this.queue.slice(0, size));
      try {
        const reply = await client.upload(batch, {
          signal: options.signal,
          maxAttempts: options.maxAttempts,
          onRetry: () => {
            result.retries++;
            this.counters.retries++;
          },
        });
        this.counters.requests++;
        // The gateway committed the whole request before answering: every record in it is safe.
        this.queue.splice(0, batch.length);
        let accepted = 0;
        for (const r of reply.results) if (r.status === 'accepted') accepted++;
        const duplicate = batch.length - accepted;
        result.sent += batch.length;
        result.accepted += accepted;
        result.duplicate += duplicate;
        this.counters.sent += batch.length;
        this.counters.accepted += accepted;
        this.counters.duplicate += duplicate;
        size = Math.min(batchSize, size * 2);
      } catch (err) {
        if (err instanceof DeviceProtocolError && err.status === 413 && batch.length > 1) {
          // Larger than the gateway takes: halve the batch and try again.
          this.counters.requests++;
          size = Math.ceil(batch.length / 2);
          continue;
        }
        if (err instanceof DeviceProtocolError && err.status === 400) {
          const photoOnly = photoOnlyIndexes(err, batch);
          if (photoOnly.length > 0) {
            // The gateway refused only the photos of these punches: keep the punches, send them without.
            this.counters.requests++;
            for (const i of photoOnly) {
              const at = this.queue.indexOf(batch[i]);
              if (at >= 0) {
                const { photo: _photo, ...rest } = batch[i];
                this.queue[at] = rest;
                this.counters.photosDropped++;
              }
            }
            continue;
          }
          const bad = err.badPunchIndexes.filter((i) => i < batch.length);
          if (bad.length > 0) {
            this.counters.requests++;
            // Drop exactly the records the gateway named; the rest of the batch goes again.
            this.reject(
              bad.map((i) => ({ punch: batch[i], reason: reasonFor(err, i) })),
              err.status,
              result,
            );
            continue;
          }
          if (batch.length > 1) {
            this.counters.requests++;
            // A refusal of the batch as a whole (too large for this gateway?): halve it and try again.
            size = Math.ceil(batch.length / 2);
            continue;
          }
          // A single record refused without naming it: not something to drop blindly; keep and stop.
        }
        if (err instanceof DeviceProtocolError) this.counters.requests++;
        this.counters.failedFlushes++;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        result.error = this.lastError;
        break;
      }
    }
    if (this.queue.length === 0) this.lastError = undefined;
    result.remaining = this.queue.length;
    return result;
  }

  private reject(
    entries: { punch: DevicePunch; reason: string }[],
    status: number,
    result: FlushResult,
  ): void {
    const drop = new Set(entries.map((e) => e.punch));
    for (let i = this.queue.length - 1; i >= 0; i--) if (drop.has(this.queue[i])) this.queue.splice(i, 1);
    for (const e of entries) this.rejectedRecords.push({ ...e, status });
    if (this.rejectedRecords.length > 1000)
      this.rejectedRecords.splice(0, this.rejectedRecords.length - 1000);
    result.rejected += entries.length;
    result.sent += entries.length;
    this.counters.rejected += entries.length;
    this.counters.sent += entries.length;
  }
}

function reasonFor(err: DeviceProtocolError, index: number): string {
  const own = err.errors.filter(
    (e) => e.field === `punches[${index}]` || e.field.startsWith(`punches[${index}].`),
  );
  return own.length > 0 ? own.map((e) => `${e.field}: ${e.message}`).join('; ') : err.message;
}

/** The punches of a batch whose only faults named by a 400 are their photos. */
function photoOnlyIndexes(err: DeviceProtocolError, batch: readonly DevicePunch[]): number[] {
  const faults = new Map<number, boolean>();
  for (const e of err.errors) {
    const m = /^punches\[(\d+)\](\.\w+)?/.exec(String(e.field));
    if (!m) continue;
    const i = Number(m[1]);
    const onPhoto = m[2] === '.photo';
    faults.set(i, (faults.get(i) ?? true) && onPhoto);
  }
  return [...faults]
    .filter(([i, onlyPhoto]) => onlyPhoto && i < batch.length && batch[i].photo !== undefined)
    .map(([i]) => i);
}

/** The longest head of the batch whose photos fit the body budget (at least one punch). */
function withinPhotoBudget(batch: DevicePunch[]): DevicePunch[] {
  let bytes = 0;
  for (let i = 0; i < batch.length; i++) {
    // base64 grows bytes by 4/3; the record itself is ~150 bytes of JSON.
    bytes += 160 + Math.ceil(((batch[i].photo?.byteLength ?? 0) * 4) / 3);
    if (bytes > PHOTO_BODY_BUDGET && i > 0) return batch.slice(0, i);
  }
  return batch;
}
