/**
 * The adapter for the representative "Province B" style (not a named province's API; see signature.ts):
 * logs in for a session token, renews it before it expires and once more when the platform says it has
 * expired, signs every call with upper-case MD5 inside a ±6-minute clock window, and takes synchronous
 * answers, so it never hands out tickets to poll.
 */
import { randomBytes } from 'node:crypto';
import { UplinkPlanError } from '../planning';
import { TargetProfile } from '../deadline';
import { classifyHttpStatus, classifyTransportError } from '../national/classify';
import {
  JsonObject,
  JsonValue,
  PlatformKeys,
  PollOutcome,
  ReconcileOutcome,
  SendOutcome,
  UplinkAdapter,
  UplinkBatch,
  UplinkFailure,
  UplinkRecord,
} from '../uplink';
import { ProvinceBCredentials } from './credentials';
import {
  PROVINCE_B_BATCH_LIMITS,
  PROVINCE_B_CODE,
  PROVINCE_B_DEPENDENCY_ORDER,
  PROVINCE_B_LIST_FIELD,
  PROVINCE_B_LOGIN_PATH,
  PROVINCE_B_RESOURCES,
} from './protocol';
import { PROVINCE_B_CLOCK_WINDOW_SECONDS } from './signature';

/**
 * The interface's signing union has one scheme per target, so the MD5 signature is the profile's
 * `signing` and the session is described beside it in `session`.
 */
export interface ProvinceBProfile extends TargetProfile {
  readonly session: { readonly loginPath: string; readonly renewBeforeExpirySeconds: number };
}

const RENEW_BEFORE_EXPIRY_SECONDS = 30;

export const PROVINCE_B_PROFILE: ProvinceBProfile = {
  target: 'province-b-style',
  dependencyOrder: PROVINCE_B_DEPENDENCY_ORDER,
  batchLimits: PROVINCE_B_BATCH_LIMITS,
  signing: {
    scheme: 'sorted-form-md5-uppercase',
    fields: ['appKey', 'token', 'timestamp', 'nonce', 'data'],
    clockWindowSeconds: PROVINCE_B_CLOCK_WINDOW_SECONDS,
  },
  // The style relies on HTTPS alone; no field is encrypted inside the payload.
  encryption: { cipher: 'none' },
  answers: 'synchronous',
  // This style wants attendance in real time (as Hubei asks) and publishes no daily deadline.
  session: { loginPath: PROVINCE_B_LOGIN_PATH, renewBeforeExpirySeconds: RENEW_BEFORE_EXPIRY_SECONDS },
};

export interface ProvinceBUplinkOptions {
  /** The platform's base URL; paths are appended as `<base>/<resource>/add`. */
  readonly baseUrl: string;
  readonly credentials: ProvinceBCredentials;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  readonly nonce?: () => string;
  readonly fetch?: typeof fetch;
}

type CallResult =
  { readonly ok: true; readonly data: JsonValue } | { readonly ok: false; readonly failure: UplinkFailure };

/** What a reply code means for the caller; `token-invalid` is handled inside by logging in again. */
export function classifyProvinceBCode(
  code: string,
  message: string,
): UplinkFailure | 'token-invalid' | undefined {
  switch (code) {
    case PROVINCE_B_CODE.ok:
      return undefined;
    case PROVINCE_B_CODE.tokenInvalid:
      return 'token-invalid';
    case PROVINCE_B_CODE.rateLimited:
      return { outcome: 'retriable', reason: 'rate-limited', detail: message };
    case PROVINCE_B_CODE.busy:
      return { outcome: 'retriable', reason: 'busy', detail: message };
    case PROVINCE_B_CODE.badSignature:
    case PROVINCE_B_CODE.loginFailed:
    // Our clock is off: every record of the project waits until it is fixed, as with wrong credentials.
    case PROVINCE_B_CODE.clockWindow:
      return { outcome: 'rejected', scope: 'credentials', message: `${code} ${message}` };
    case PROVINCE_B_CODE.alreadyExists:
      return { outcome: 'already-exists', message };
    default:
      return { outcome: 'rejected', scope: 'record', message: `${code} ${message}` };
  }
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function keysOf(value: JsonValue, only: readonly string[]): PlatformKeys {
  if (!isObject(value)) return {};
  const keys: Record<string, string | number> = {};
  for (const key of only) {
    const field = value[key];
    if (typeof field === 'string' || typeof field === 'number') keys[key] = field;
  }
  return keys;
}

export class ProvinceBUplink implements UplinkAdapter {
  readonly profile: ProvinceBProfile = PROVINCE_B_PROFILE;
  readonly #options: ProvinceBUplinkOptions;
  readonly #fetch: typeof fetch;
  #session: { token: string; expiresAt: number } | undefined;
  /** One login at a time: concurrent calls wait for the same one instead of each logging in. */
  #login: Promise<CallResult> | undefined;
  #logins = 0;

  constructor(options: ProvinceBUplinkOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Logins made so far (the first one and every renewal), for metrics and tests. */
  get loginCount(): number {
    return this.#logins;
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }

  async #post(
    path: string,
    fields: Record<string, string>,
  ): Promise<
    { ok: true; code: string; message: string; data: JsonValue } | { ok: false; failure: UplinkFailure }
  > {
    const body = { ...fields, sign: this.#options.credentials.sign(fields) };
    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(`${this.#options.baseUrl.replace(/\/+$/, '')}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=UTF-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 15_000),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      return { ok: false, failure: classifyTransportError(error) };
    }
    if (status < 200 || status > 299) return { ok: false, failure: classifyHttpStatus(status, text) };
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: text.slice(0, 200) },
      };
    }
    if (!isObject(reply) || typeof reply['resultCode'] !== 'string') {
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: text.slice(0, 200) },
      };
    }
    const message = typeof reply['resultMsg'] === 'string' ? reply['resultMsg'] : '';
    return { ok: true, code: reply['resultCode'], message, data: reply['data'] ?? null };
  }

  #stamp(): { timestamp: string; nonce: string } {
    return {
      timestamp: String(this.#now().getTime()),
      nonce: (this.#options.nonce ?? (() => randomBytes(12).toString('hex')))(),
    };
  }

  async #doLogin(): Promise<CallResult> {
    this.#logins += 1;
    const requestedAt = this.#now().getTime();
    const reply = await this.#post(PROVINCE_B_LOGIN_PATH, {
      appKey: this.#options.credentials.appKey,
      ...this.#stamp(),
    });
    if (!reply.ok) return reply;
    const failure = classifyProvinceBCode(reply.code, reply.message);
    if (failure === 'token-invalid')
      return {
        ok: false,
        failure: { outcome: 'rejected', scope: 'credentials', message: `${reply.code} ${reply.message}` },
      };
    if (failure) return { ok: false, failure };
    const token = isObject(reply.data) ? reply.data['token'] : undefined;
    const expiresIn = isObject(reply.data) ? reply.data['expiresIn'] : undefined;
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number')
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: 'login gave no token' },
      };
    // Counted from when we asked, so the time the answer took never makes us think the token lives longer.
    this.#session = { token, expiresAt: requestedAt + expiresIn * 1000 };
    return { ok: true, data: null };
  }

  async #token(
    forceRenewal: boolean,
  ): Promise<{ ok: true; token: string } | { ok: false; failure: UplinkFailure }> {
    const renewAt = (this.#session?.expiresAt ?? 0) - RENEW_BEFORE_EXPIRY_SECONDS * 1000;
    if (forceRenewal || !this.#session || this.#now().getTime() >= renewAt) {
      this.#session = undefined;
      this.#login ??= this.#doLogin().finally(() => {
        this.#login = undefined;
      });
      const result = await this.#login;
      if (!result.ok) return result;
    }
    if (!this.#session)
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: 'no session after login' },
      };
    return { ok: true, token: this.#session.token };
  }

  /** One signed business call; a token the platform calls expired is renewed once and the call repeated. */
  async call(path: string, data: JsonObject): Promise<CallResult> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const token = await this.#token(attempt > 0);
      if (!token.ok) return token;
      const reply = await this.#post(path, {
        appKey: this.#options.credentials.appKey,
        token: token.token,
        ...this.#stamp(),
        data: JSON.stringify(data),
      });
      if (!reply.ok) return reply;
      const failure = classifyProvinceBCode(reply.code, reply.message);
      if (failure === 'token-invalid') continue;
      if (failure) return { ok: false, failure };
      return { ok: true, data: reply.data };
    }
    // A token refused right after a fresh login means the app key lost its rights, not a timing matter.
    return {
      ok: false,
      failure: {
        outcome: 'rejected',
        scope: 'credentials',
        message: 'the platform refuses a freshly issued token',
      },
    };
  }

  async send(batch: UplinkBatch): Promise<SendOutcome> {
    const resource = PROVINCE_B_RESOURCES[batch.kind];
    if (!resource) throw new UplinkPlanError(`${this.profile.target} does not accept ${batch.kind} records`);
    if (batch.records.length === 0) throw new UplinkPlanError(`an empty ${batch.kind} batch cannot be sent`);
    if (batch.records.length > resource.limit) {
      throw new UplinkPlanError(
        `${resource.resource}/add takes at most ${resource.limit} records per call, got ${batch.records.length}`,
      );
    }
    const data: JsonObject = resource.listed
      ? { ...batch.header, [PROVINCE_B_LIST_FIELD]: batch.records.map((record) => record.item) }
      : { ...batch.header, ...batch.records[0].item };
    const result = await this.call(`${resource.resource}/add`, data);
    if (!result.ok) return result.failure;
    return { outcome: 'accepted', keys: keysOf(result.data, resource.platformKeys) };
  }

  /** Writes are answered at once, so there is never a ticket: a poll is a caller's mistake. */
  poll(ticket: string): Promise<PollOutcome> {
    return Promise.reject(
      new UplinkPlanError(`${this.profile.target} answers synchronously and issued no ticket "${ticket}"`),
    );
  }

  async reconcile(record: UplinkRecord): Promise<ReconcileOutcome> {
    const resource = PROVINCE_B_RESOURCES[record.kind];
    if (!resource) throw new UplinkPlanError(`${this.profile.target} does not accept ${record.kind} records`);
    const fields: JsonObject = { ...record.header, ...record.item };
    const filter = Object.fromEntries(resource.identity.map((key) => [key, fields[key] ?? null]));
    const pageSize = 100;
    for (let pageNo = 1; ; pageNo += 1) {
      const result = await this.call(`${resource.resource}/query`, { ...filter, pageNo, pageSize });
      if (!result.ok) {
        const failure = result.failure;
        return failure.outcome === 'already-exists'
          ? { outcome: 'rejected', scope: 'record', message: failure.message }
          : failure;
      }
      const list =
        isObject(result.data) && Array.isArray(result.data['list'])
          ? result.data['list'].filter(isObject)
          : undefined;
      const total =
        isObject(result.data) && typeof result.data['total'] === 'number' ? result.data['total'] : undefined;
      if (!list || total === undefined)
        return {
          outcome: 'retriable',
          reason: 'bad-reply',
          detail: `${resource.resource}/query returned no list`,
        };
      const row = list.find((candidate) =>
        resource.identity.every((key) => String(candidate[key] ?? '') === String(fields[key] ?? '')),
      );
      if (row) return { outcome: 'found', keys: keysOf(row, resource.platformKeys) };
      if (pageNo * pageSize >= total || list.length === 0) return { outcome: 'not-found' };
    }
  }
}
