import {
  OPEN_V1_HEADERS,
  OPEN_V1_PUNCHES_PATH,
  OpenV1Punch,
  OpenV1UploadReply,
  signRequest,
} from '@realname/contracts';

/** Most punches the gateway takes in one request (its OPEN_PROTOCOL_MAX_BATCH default). */
export const OPEN_V1_MAX_BATCH = 500;

const USER_AGENT = 'realname-device-simulator/0.1';

/** An RFC 9457 problem as the gateway sends it with a 4xx. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  correlationId?: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}

/**
 * The gateway refused the request (4xx): resending it unchanged cannot help, so it is never retried.
 * A device must fix or drop the records at fault (see `problem.errors`, fields like `punches[3].time`).
 */
export class DeviceProtocolError extends Error {
  readonly retryable = false;

  constructor(
    readonly status: number,
    readonly problem: ProblemBody | undefined,
    readonly bodyText: string,
  ) {
    super(
      `The gateway refused the request (HTTP ${status})` +
        (problem?.title ? `: ${problem.title}` : '') +
        (problem?.detail
          ? ` - ${problem.detail}`
          : bodyText && !problem
            ? ` - ${bodyText.slice(0, 200)}`
            : ''),
    );
    this.name = 'DeviceProtocolError';
  }

  /** The field problems of a 400 (empty when there are none). */
  get errors(): { field: string; message: string }[] {
    return Array.isArray(this.problem?.errors) ? this.problem.errors : [];
  }

  /** Indexes into the batch of the punches a 400 names (`punches[3].time` -> 3). */
  get badPunchIndexes(): number[] {
    const out = new Set<number>();
    for (const e of this.errors) {
      const m = /^punches\[(\d+)\]/.exec(String(e.field));
      if (m) out.add(Number(m[1]));
    }
    return [...out].sort((a, b) => a - b);
  }
}

/**
 * Every attempt failed with something transient (network error, timeout, 5xx): nothing is known to be
 * stored. Resend the same records later; the gateway deduplicates by record id.
 */
export class GatewayUnavailableError extends Error {
  readonly retryable = true;

  constructor(
    readonly attempts: number,
    readonly lastStatus: number | undefined,
    readonly lastError: unknown,
  ) {
    super(
      `The gateway did not store the request after ${attempts} attempt(s): ${
        lastStatus !== undefined ? `HTTP ${lastStatus}` : describeError(lastError)
      }`,
    );
    this.name = 'GatewayUnavailableError';
  }
}

export interface RetryInfo {
  /** The attempt that failed (1 = the first). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  status?: number;
  error?: unknown;
}

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff (default 250 ms); it doubles per attempt, with jitter, up to backoffMaxMs. */
  backoffBaseMs?: number;
  /** Longest wait between two attempts (default 8000 ms), Retry-After included. */
  backoffMaxMs?: number;
}

export interface OpenProtocolClientOptions extends RetryPolicy {
  /** Gateway base URL, e.g. http://127.0.0.1:8081 (a path prefix is kept). */
  baseUrl: string;
  deviceId: string;
  /** The device's HMAC secret, as registered. */
  secret: string;
  /** Per attempt, the whole response included (default 10 000 ms). */
  timeoutMs?: number;
  /** The device clock in milliseconds since the epoch (default Date.now); X-Timestamp is taken from it. */
  now?: () => number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** How the client waits between attempts (tests make it instant). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface UploadOptions {
  /** Stops retrying (and the request in flight) when aborted. */
  signal?: AbortSignal;
  /** Overrides the client's maxAttempts for this call. */
  maxAttempts?: number;
  /** Called before each wait between two attempts. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * Reference client of the open device protocol v1: `POST /open/v1/punches`, signed with the device
 * secret over the exact bytes sent. Transient failures are retried with the very same records.
 */
export class OpenProtocolClient {
  readonly baseUrl: string;
  readonly deviceId: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly policy: Required<RetryPolicy>;

  constructor(options: OpenProtocolClientOptions) {
    if (!options.baseUrl) throw new Error('OpenProtocolClient: baseUrl is required');
    if (!options.deviceId) throw new Error('OpenProtocolClient: deviceId is required');
    if (!options.secret) throw new Error('OpenProtocolClient: secret is required');
    this.baseUrl = trimBase(options.baseUrl);
    this.deviceId = options.deviceId;
    this.secret = options.secret;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? abortableSleep;
    this.policy = {
      maxAttempts: options.maxAttempts ?? 5,
      backoffBaseMs: options.backoffBaseMs ?? 250,
      backoffMaxMs: options.backoffMaxMs ?? 8_000,
    };
  }

  get punchesUrl(): string {
    return this.baseUrl + OPEN_V1_PUNCHES_PATH;
  }

  /** The protocol headers for this exact body, signed at the device clock's current second. */
  signedHeaders(
    body: string | Buffer,
    timestamp = String(Math.floor(this.now() / 1000)),
  ): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      [OPEN_V1_HEADERS.deviceId]: this.deviceId,
      [OPEN_V1_HEADERS.timestamp]: timestamp,
      [OPEN_V1_HEADERS.signature]: signRequest(this.secret, timestamp, body),
    };
  }

  /**
   * Uploads one batch (1..500 punches). Resolves with the gateway's reply (one result per punch, in order:
   * accepted or duplicate). Throws DeviceProtocolError on 4xx (not retried) and GatewayUnavailableError
   * when every attempt failed transiently (network error, timeout, 5xx, 408, 429).
   */
  async upload(punches: OpenV1Punch[], options: UploadOptions = {}): Promise<OpenV1UploadReply> {
    if (!Array.isArray(punches) || punches.length === 0) throw new RangeError('upload: the batch is empty');
    if (punches.length > OPEN_V1_MAX_BATCH) {
      throw new RangeError(
        `upload: ${punches.length} punches in one batch; the protocol allows ${OPEN_V1_MAX_BATCH}`,
      );
    }
    // One serialisation for every attempt: the same records, the same bytes; only timestamp and signature change.
    const body = Buffer.from(JSON.stringify({ punches: punches.map(wirePunch) }), 'utf8');
    const maxAttempts = Math.max(1, options.maxAttempts ?? this.policy.maxAttempts);

    let lastStatus: number | undefined;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      let retryAfterMs: number | undefined;
      try {
        const reply = await this.post(this.punchesUrl, body, this.signedHeaders(body), options.signal);
        if (reply.status >= 200 && reply.status < 300) {
          const parsed = asUploadReply(reply.json);
          if (parsed) return parsed;
          // A 2xx that is not an upload reply: stored or not, we cannot tell. Resending is safe (dedupe by record id).
          lastStatus = reply.status;
          lastError = new Error(
            `HTTP 200 with a body that is not an upload reply: ${reply.text.slice(0, 200)}`,
          );
        } else if (isTransientStatus(reply.status)) {
          lastStatus = reply.status;
          lastError = new Error(`HTTP ${reply.status}`);
          retryAfterMs = parseRetryAfter(reply.headers['retry-after']);
        } else {
          throw new DeviceProtocolError(reply.status, asProblem(reply.json), reply.text);
        }
      } catch (err) {
        if (err instanceof DeviceProtocolError) throw err;
        if (options.signal?.aborted) throw options.signal.reason ?? err;
        lastStatus = undefined;
        lastError = err;
      }
      if (attempt >= maxAttempts) throw new GatewayUnavailableError(attempt, lastStatus, lastError);
      const delayMs = Math.min(this.policy.backoffMaxMs, retryAfterMs ?? this.backoff(attempt));
      options.onRetry?.({ attempt, delayMs, status: lastStatus, error: lastError });
      await this.sleep(delayMs, options.signal);
    }
  }

  /**
   * Sends any body, signed by this device unless the given headers say otherwise, and returns what came
   * back without throwing on an HTTP status. For tests of malformed or forged requests: a header given
   * here replaces the computed one (names are case-insensitive); a header set to null is left out.
   */
  async sendRaw(
    body: string | Buffer,
    headers: Record<string, string | null | undefined> = {},
    options: { signal?: AbortSignal; path?: string } = {},
  ): Promise<RawReply> {
    const merged: Record<string, string> = {};
    const computed = this.signedHeaders(body);
    for (const [k, v] of Object.entries(computed)) merged[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(headers)) {
      if (v === null) delete merged[k.toLowerCase()];
      else if (v !== undefined) merged[k.toLowerCase()] = v;
    }
    const url = this.baseUrl + (options.path ?? OPEN_V1_PUNCHES_PATH);
    return this.post(
      url,
      typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      merged,
      options.signal,
    );
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.backoffMaxMs, this.policy.backoffBaseMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the ceiling, so retries of many devices spread out but never bunch at 0.
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  private post(
    url: string,
    body: Buffer,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<RawReply> {
    return httpRequest('POST', url, body, { 'User-Agent': USER_AGENT, ...headers }, this.timeoutMs, signal);
  }
}

/** What the device admin API takes to register (or update) a device. */
export interface DeviceRegistrationInput {
  deviceId: string;
  projectId: string;
  /** Six-digit administrative division code, e.g. 330106. */
  region: string;
  /** At least 16 characters. */
  secret: string;
  timeZone?: string;
  defaultDirection?: 'in' | 'out' | 'unknown';
  enabled?: boolean;
}

/** The device as the admin API shows it (never its secret). */
export type RegisteredDevice = Omit<DeviceRegistrationInput, 'secret'> & Record<string, unknown>;

/**
 * Registers (or updates) a device through the gateway's admin API: `POST /api/v1/devices` with the admin
 * bearer token. The call is an upsert, so it is retried on network errors and 5xx like an upload.
 */
export async function registerDevice(
  baseUrl: string,
  adminToken: string,
  registration: DeviceRegistrationInput,
  options: RetryPolicy & { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RegisteredDevice> {
  const url = trimBase(baseUrl) + '/api/v1/devices';
  const body = Buffer.from(JSON.stringify(registration), 'utf8');
  const headers = {
    'User-Agent': USER_AGENT,
    'Content-Type': 'application/json',
    Authorization: `Bearer ${adminToken}`,
  };
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const base = options.backoffBaseMs ?? 250;
  const max = options.backoffMaxMs ?? 8_000;
  let lastStatus: number | undefined;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      const reply = await httpRequest(
        'POST',
        url,
        body,
        headers,
        options.timeoutMs ?? 10_000,
        options.signal,
      );
      if (reply.status >= 200 && reply.status < 300) return (reply.json ?? {}) as RegisteredDevice;
      if (!isTransientStatus(reply.status))
        throw new DeviceProtocolError(reply.status, asProblem(reply.json), reply.text);
      lastStatus = reply.status;
      lastError = new Error(`HTTP ${reply.status}`);
    } catch (err) {
      if (err instanceof DeviceProtocolError) throw err;
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      lastStatus = undefined;
      lastError = err;
    }
    if (attempt >= maxAttempts) throw new GatewayUnavailableError(attempt, lastStatus, lastError);
    const ceiling = Math.min(max, base * 2 ** (attempt - 1));
    await abortableSleep(Math.round(ceiling / 2 + Math.random() * (ceiling / 2)), options.signal);
  }
}

// ---------------------------------------------------------------------------------------------------

/** Only the protocol's fields, in a fixed order: callers may pass richer objects. */
function wirePunch(p: OpenV1Punch): OpenV1Punch {
  const out: OpenV1Punch = { recordId: p.recordId, personId: p.personId, time: p.time };
  if (p.direction !== undefined) out.direction = p.direction;
  if (p.verifyMode !== undefined) out.verifyMode = p.verifyMode;
  return out;
}

/** 5xx mean "not stored, resend"; 408 and 429 are transient by definition. */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

async function httpRequest(
  method: string,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RawReply> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { method, headers, body, signal: combined });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    return { status: res.status, headers: out, text, json: tryJson(text) };
  } catch (err) {
    if (timeout.aborted && !signal?.aborted)
      throw new Error(`no complete reply within ${timeoutMs} ms from ${url}`);
    throw err;
  }
}

function tryJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asProblem(json: unknown): ProblemBody | undefined {
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as ProblemBody) : undefined;
}

function asUploadReply(json: unknown): OpenV1UploadReply | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const r = json as Partial<OpenV1UploadReply>;
  if (!Array.isArray(r.results)) return undefined;
  for (const x of r.results) {
    if (!x || typeof x.recordId !== 'string' || (x.status !== 'accepted' && x.status !== 'duplicate'))
      return undefined;
  }
  return r as OpenV1UploadReply;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeText =
      cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
    return `${err.message}${causeText}`;
  }
  return String(err);
}
