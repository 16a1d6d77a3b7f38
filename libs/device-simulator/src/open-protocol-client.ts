import { createHash } from 'node:crypto';
import { AccessTokenSource, accessToken } from './access-token';
import {
  formatLocalTime,
  OPEN_V1_COMMAND_KINDS,
  OPEN_V1_HEADERS,
  OPEN_V1_LIMITS,
  OPEN_V1_PATHS,
  OPEN_V1_PUNCHES_PATH,
  OpenV1Command,
  OpenV1CommandResult,
  OpenV1Heartbeat,
  OpenV1HeartbeatReply,
  OpenV1Punch,
  OpenV1PunchUpload,
  OpenV1ResultStatus,
  OpenV1UploadReply,
  OpenV1WirePunch,
  openV1PhotoPath,
  SHA256_HEX,
  signRequest,
  tryJson,
  zoneOffsetMinutes,
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
    /** The reply's headers (lower-case names): `date` lets a device refused as stale set its clock. */
    readonly headers: Record<string, string> = {},
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

/** A downloaded photo does not hash to the SHA-256 its command gave: not enrolled; fetch it again later. */
export class PhotoMismatchError extends Error {
  readonly retryable = true;

  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`The photo bytes hash to ${actual}, not to ${expected} as the command said`);
    this.name = 'PhotoMismatchError';
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
  /** The zone the device clock shows, for `deviceTime` in heartbeats (default Asia/Shanghai). */
  timeZone?: string;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** How the client waits between attempts (tests make it instant). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** How one call retries: every method of the client takes these. */
export interface CallOptions {
  /** Stops retrying (and the request in flight) when aborted. */
  signal?: AbortSignal;
  /** Overrides the client's maxAttempts for this call. */
  maxAttempts?: number;
  /** Called before each wait between two attempts. */
  onRetry?: (info: RetryInfo) => void;
}

export interface UploadOptions extends CallOptions {
  /** This upload answers a records.query command: its `backfillId`, sent with the batch. */
  backfillId?: string;
}

/**
 * A punch as the reference client takes it: the record, and optionally the JPEG captured at the punch
 * as bytes (the client encodes it as base64 on the wire). A photo given as anything but bytes is not sent.
 */
export interface DevicePunch extends OpenV1Punch {
  photo?: Uint8Array;
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  /** The body as text. */
  text: string;
  /** The body as received. */
  bytes: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** What a successful call returned, with the reply's HTTP status and headers. */
interface Answer<T> {
  value: T;
  reply: RawReply;
}

/**
 * Reference client of the open device protocol v1 (docs/device-protocol.md): punches (with photos, and
 * as answers to record queries), heartbeat, command claim and results, photo download. Every request
 * is signed with the device secret over the exact bytes sent. Transient failures (network, timeout,
 * 5xx, 408, 429) are retried with the very same body and a fresh timestamp and signature; a 4xx is
 * thrown as DeviceProtocolError at once.
 */
export class OpenProtocolClient {
  readonly baseUrl: string;
  readonly deviceId: string;
  readonly timeZone: string;
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
    this.timeZone = options.timeZone ?? 'Asia/Shanghai';
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

  /** The device clock now, in milliseconds (the `now` option). */
  deviceNow(): number {
    return this.now();
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
   * Uploads one batch (1..500 punches), optionally with photos and, when answering a records.query,
   * its backfillId. Resolves with the gateway's reply (one result per punch, in order: accepted,
   * duplicate or collapsed). Throws DeviceProtocolError on 4xx (not retried) and GatewayUnavailableError
   * when every attempt failed transiently (network error, timeout, 5xx, 408, 429).
   */
  async upload(punches: readonly DevicePunch[], options: UploadOptions = {}): Promise<OpenV1UploadReply> {
    const body = encodeUpload(punches, options.backfillId);
    const { value } = await this.call(
      'POST',
      this.punchesUrl,
      body,
      asUploadReply,
      'an upload reply',
      options,
    );
    return value;
  }

  /**
   * `POST /open/v1/heartbeat`: the device's clock (default: its clock now, in its zone) and status.
   * The reply says what work is pending and when to send the next heartbeat.
   */
  async heartbeat(
    status: Partial<OpenV1Heartbeat> = {},
    options: CallOptions = {},
  ): Promise<OpenV1HeartbeatReply> {
    const message: OpenV1Heartbeat = {
      deviceTime: status.deviceTime ?? formatOffsetTime(this.now(), this.timeZone),
      ...(status.firmware !== undefined ? { firmware: status.firmware } : {}),
      ...(status.personCount !== undefined ? { personCount: status.personCount } : {}),
      ...(status.storedRecords !== undefined ? { storedRecords: status.storedRecords } : {}),
    };
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    const url = this.baseUrl + OPEN_V1_PATHS.heartbeat;
    return (await this.call('POST', url, body, asHeartbeatReply, 'a heartbeat reply', options)).value;
  }

  /** `POST /open/v1/commands/claim`: the next commands for this device (none: an empty list). */
  async claim(limit?: number, options: CallOptions = {}): Promise<OpenV1Command[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > OPEN_V1_LIMITS.maxClaim))
      throw new RangeError(`claim: limit must be an integer from 1 to ${OPEN_V1_LIMITS.maxClaim}`);
    const body = Buffer.from(JSON.stringify(limit === undefined ? {} : { limit }), 'utf8');
    const url = this.baseUrl + OPEN_V1_PATHS.claim;
    return (await this.call('POST', url, body, asClaimReply, 'a claim reply', options)).value;
  }

  /** `POST /open/v1/commands/results`: one result per claimed command (1..100 per call). */
  async reportResults(
    results: readonly OpenV1CommandResult[],
    options: CallOptions = {},
  ): Promise<OpenV1ResultStatus[]> {
    if (results.length === 0 || results.length > OPEN_V1_LIMITS.maxResults)
      throw new RangeError(`reportResults: send 1 to ${OPEN_V1_LIMITS.maxResults} results per call`);
    const wire = results.map((r) => ({
      commandId: r.commandId,
      ok: r.ok,
      ...(r.code !== undefined ? { code: r.code } : {}),
      ...(r.message !== undefined ? { message: r.message.slice(0, 500) } : {}),
      ...(r.count !== undefined ? { count: r.count } : {}),
    }));
    const body = Buffer.from(JSON.stringify({ results: wire }), 'utf8');
    const url = this.baseUrl + OPEN_V1_PATHS.results;
    return (await this.call('POST', url, body, asResultsReply, 'a results reply', options)).value;
  }

  /**
   * `GET` of a person's photo (signed over an empty body): by the command's `photoUrl` (absolute, or
   * relative to the claim URL) or by its SHA-256. The bytes are checked against the SHA-256 (the one
   * given, or the one in the URL) before they are returned. Only the gateway's own origin is contacted.
   */
  async fetchPhoto(
    ref: { photoUrl?: string; photoSha256?: string },
    options: CallOptions = {},
  ): Promise<{ bytes: Buffer; contentType: string }> {
    const claimUrl = this.baseUrl + OPEN_V1_PATHS.claim;
    const url = ref.photoUrl
      ? new URL(ref.photoUrl, claimUrl)
      : ref.photoSha256
        ? new URL(this.baseUrl + openV1PhotoPath(ref.photoSha256))
        : undefined;
    if (!url) throw new RangeError('fetchPhoto: give photoUrl or photoSha256');
    if (url.origin !== new URL(this.baseUrl).origin)
      throw new RangeError(
        `fetchPhoto: ${url.origin} is not the gateway's origin; refusing to send a signed request there`,
      );
    const expected = ref.photoSha256 ?? /\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
    if (expected !== undefined && !SHA256_HEX.test(expected))
      throw new RangeError('fetchPhoto: photoSha256 must be 64 lower-case hex digits');
    const { value, reply } = await this.call(
      'GET',
      url.toString(),
      Buffer.alloc(0),
      (_json, raw) => (raw.bytes.length > 0 ? raw.bytes : undefined),
      'photo bytes',
      options,
    );
    if (expected !== undefined) {
      const actual = createHash('sha256').update(value).digest('hex');
      // Not what was promised: a transfer went wrong. Retrying is the device loop's decision.
      if (actual !== expected) throw new PhotoMismatchError(expected, actual);
    }
    return { bytes: value, contentType: reply.headers['content-type'] ?? 'image/jpeg' };
  }

  /**
   * Sends any body, signed by this device unless the given headers say otherwise, and returns what came
   * back without throwing on an HTTP status. For tests of malformed or forged requests: a header given
   * here replaces the computed one (names are case-insensitive); a header set to null is left out.
   * `signBody` signs other bytes than those sent (a body cut off in transit after signing).
   */
  async sendRaw(
    body: string | Buffer,
    headers: Record<string, string | null | undefined> = {},
    options: { signal?: AbortSignal; path?: string; method?: string; signBody?: string | Buffer } = {},
  ): Promise<RawReply> {
    const merged: Record<string, string> = {};
    const computed = this.signedHeaders(options.signBody ?? body);
    for (const [k, v] of Object.entries(computed)) merged[k.toLowerCase()] = v;
    for (const [k, v] of Object.entries(headers)) {
      if (v === null) delete merged[k.toLowerCase()];
      else if (v !== undefined) merged[k.toLowerCase()] = v;
    }
    const url = this.baseUrl + (options.path ?? OPEN_V1_PUNCHES_PATH);
    return httpRequest(
      options.method ?? 'POST',
      url,
      typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      { 'User-Agent': USER_AGENT, ...merged },
      this.timeoutMs,
      options.signal,
    );
  }

  /**
   * One signed call with the retry rules of the protocol: the same bytes every attempt, a new
   * timestamp and signature each time; 2xx with a reply that is not what the route answers is treated
   * as transient (stored or not, resending is safe).
   */
  private async call<T>(
    method: 'GET' | 'POST',
    url: string,
    body: Buffer,
    accept: (json: unknown, raw: RawReply) => T | undefined,
    what: string,
    options: CallOptions,
  ): Promise<Answer<T>> {
    const maxAttempts = Math.max(1, options.maxAttempts ?? this.policy.maxAttempts);
    let lastStatus: number | undefined;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      let retryAfterMs: number | undefined;
      try {
        const headers = this.signedHeaders(body);
        if (method === 'GET') delete headers['Content-Type'];
        const reply = await httpRequest(
          method,
          url,
          method === 'GET' ? undefined : body,
          { 'User-Agent': USER_AGENT, ...headers },
          this.timeoutMs,
          options.signal,
        );
        if (reply.status >= 200 && reply.status < 300) {
          const value = accept(reply.json, reply);
          if (value !== undefined) return { value, reply };
          lastStatus = reply.status;
          lastError = new Error(
            `HTTP ${reply.status} with a body that is not ${what}: ${reply.text.slice(0, 200)}`,
          );
        } else if (isTransientStatus(reply.status)) {
          lastStatus = reply.status;
          lastError = new Error(`HTTP ${reply.status}`);
          retryAfterMs = parseRetryAfter(reply.headers['retry-after']);
        } else {
          throw new DeviceProtocolError(reply.status, asProblem(reply.json), reply.text, reply.headers);
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

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.backoffMaxMs, this.policy.backoffBaseMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the ceiling, so retries of many devices spread out but never bunch at 0.
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }
}

/**
 * The bytes of an upload: only the protocol's fields, in a fixed order (callers may pass richer
 * objects); photos given as bytes are base64-encoded. Throws RangeError for a batch the protocol
 * does not allow (empty, more than 500 punches, a photo that is not bytes of a JPEG).
 */
export function encodeUpload(punches: readonly DevicePunch[], backfillId?: string): Buffer {
  if (!Array.isArray(punches) || punches.length === 0) throw new RangeError('upload: the batch is empty');
  if (punches.length > OPEN_V1_MAX_BATCH) {
    throw new RangeError(
      `upload: ${punches.length} punches in one batch; the protocol allows ${OPEN_V1_MAX_BATCH}`,
    );
  }
  const message: OpenV1PunchUpload = { punches: punches.map(wirePunch) };
  if (backfillId !== undefined) message.backfillId = backfillId;
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** A device clock reading as RFC 3339 with the zone's offset: 2026-11-21T07:41:02+08:00. */
export function formatOffsetTime(ms: number, timeZone: string): string {
  const offset = zoneOffsetMinutes(new Date(ms), timeZone);
  const local = formatLocalTime(new Date(ms), timeZone).replace(' ', 'T');
  if (offset === 0) return `${local}Z`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
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
 * Registers (or updates) a device through the gateway's admin API: `POST /api/v1/devices` with an OAuth
 * 2.0 access token of a device administrator whose scope covers the device's region (a fixed token, or
 * a source asked again on every attempt, so a long retry gets a renewed token). The call is an upsert,
 * so it is retried on network errors and 5xx like an upload.
 */
export async function registerDevice(
  baseUrl: string,
  adminToken: AccessTokenSource,
  registration: DeviceRegistrationInput,
  options: RetryPolicy & { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RegisteredDevice> {
  const url = trimBase(baseUrl) + '/api/v1/devices';
  const body = Buffer.from(JSON.stringify(registration), 'utf8');
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const base = options.backoffBaseMs ?? 250;
  const max = options.backoffMaxMs ?? 8_000;
  let lastStatus: number | undefined;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    // Outside the retry: an issuer that refuses the credentials is no gateway outage.
    const headers = {
      'User-Agent': USER_AGENT,
      'Content-Type': 'application/json',
      Authorization: `Bearer ${await accessToken(adminToken)}`,
    };
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
        throw new DeviceProtocolError(reply.status, asProblem(reply.json), reply.text, reply.headers);
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
function wirePunch(p: DevicePunch): OpenV1WirePunch {
  const out: OpenV1WirePunch = { recordId: p.recordId, personId: p.personId, time: p.time };
  if (p.direction !== undefined) out.direction = p.direction;
  if (p.verifyMode !== undefined) out.verifyMode = p.verifyMode;
  if (p.photo instanceof Uint8Array) {
    const bytes = Buffer.from(p.photo.buffer, p.photo.byteOffset, p.photo.byteLength);
    if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff)
      throw new RangeError(
        `upload: the photo of record ${p.recordId} is not a JPEG (it must start with FF D8 FF)`,
      );
    out.photo = bytes.toString('base64');
  }
  return out;
}

/** 5xx mean "not stored, resend"; 408 and 429 are transient by definition. */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

async function httpRequest(
  method: string,
  url: string,
  body: Buffer | undefined,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RawReply> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { method, headers, body, signal: combined });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    const isJson = /json/i.test(out['content-type'] ?? 'json');
    return { status: res.status, headers: out, text, bytes, json: isJson ? tryJson(text) : undefined };
  } catch (err) {
    if (timeout.aborted && !signal?.aborted)
      throw new Error(`no complete reply within ${timeoutMs} ms from ${url}`);
    throw err;
  }
}

function asProblem(json: unknown): ProblemBody | undefined {
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as ProblemBody) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asUploadReply(json: unknown): OpenV1UploadReply | undefined {
  if (!isObject(json) || !Array.isArray(json.results)) return undefined;
  for (const x of json.results as unknown[]) {
    if (!isObject(x) || typeof x.recordId !== 'string') return undefined;
    if (x.status !== 'accepted' && x.status !== 'duplicate' && x.status !== 'collapsed') return undefined;
  }
  return json as unknown as OpenV1UploadReply;
}

function asHeartbeatReply(json: unknown): OpenV1HeartbeatReply | undefined {
  if (!isObject(json) || typeof json.serverTime !== 'string' || !isObject(json.pending)) return undefined;
  const p = json.pending;
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const personUpserts = n(p.personUpserts);
  const personDeletes = n(p.personDeletes);
  const recordQueries = n(p.recordQueries);
  if (personUpserts === undefined || personDeletes === undefined || recordQueries === undefined)
    return undefined;
  const pollAfterS = typeof json.pollAfterS === 'number' && json.pollAfterS > 0 ? json.pollAfterS : 30;
  return {
    serverTime: json.serverTime,
    pending: { personUpserts, personDeletes, recordQueries },
    pollAfterS,
  };
}

/**
 * The commands of a claim reply. A command of a kind this client does not know is kept out (a newer
 * gateway); one of a known kind without what it needs makes the reply unusable.
 */
function asClaimReply(json: unknown): OpenV1Command[] | undefined {
  if (!isObject(json) || !Array.isArray(json.commands)) return undefined;
  const out: OpenV1Command[] = [];
  for (const c of json.commands as unknown[]) {
    if (!isObject(c) || typeof c.commandId !== 'string' || typeof c.kind !== 'string') return undefined;
    if (!(OPEN_V1_COMMAND_KINDS as readonly string[]).includes(c.kind)) continue;
    if (c.kind === 'records.query') {
      if (!isObject(c.range) || typeof c.range.from !== 'string' || typeof c.range.to !== 'string')
        return undefined;
    } else if (!isObject(c.person) || typeof c.person.personId !== 'string') return undefined;
    else if (c.kind === 'person.upsert' && typeof c.person.name !== 'string') return undefined;
    out.push(c as unknown as OpenV1Command);
  }
  return out;
}

function asResultsReply(json: unknown): OpenV1ResultStatus[] | undefined {
  if (!isObject(json) || !Array.isArray(json.results)) return undefined;
  for (const r of json.results as unknown[]) {
    if (!isObject(r) || typeof r.commandId !== 'string') return undefined;
    if (r.status !== 'recorded' && r.status !== 'unknown') return undefined;
  }
  return json.results as OpenV1ResultStatus[];
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
