/**
 * The national platform adapter: signs each call, encrypts the listed fields, sends one batch per call
 * within the reference's limits, polls `AsyncHandleResult.Query` for the outcome of writes, and
 * reconciles "already exists" by querying the record and adopting the platform's keys.
 */
import { randomBytes } from 'node:crypto';
import {
  JsonObject,
  JsonValue,
  PlatformKeys,
  PollOutcome,
  RecordKind,
  ReconcileOutcome,
  SendOutcome,
  UplinkAdapter,
  UplinkBatch,
  UplinkFailure,
  UplinkProfile,
  UplinkRecord,
  UPLINK_DEPENDENCY_ORDER,
} from '../uplink';
import { UplinkPlanError } from '../planning';
import {
  classifyHttpStatus,
  classifyNationalCode,
  classifyTransportError,
  isAlreadyExistsMessage,
} from './classify';
import { NationalCredentials } from './credentials';
import { NATIONAL_ENCRYPTED_FIELDS } from './field-cipher';
import { ASYNC_RESULT_METHOD, CHECK_SIGN_METHOD, NATIONAL_BATCH_LIMITS, NATIONAL_METHODS } from './methods';
import { NATIONAL_FORM_FIELDS, platformTimestamp } from './signature';

export const NATIONAL_PROFILE: UplinkProfile = {
  target: 'national',
  dependencyOrder: UPLINK_DEPENDENCY_ORDER,
  batchLimits: NATIONAL_BATCH_LIMITS,
  signing: { scheme: 'sorted-form-sha256-lowercase', fields: NATIONAL_FORM_FIELDS },
  encryption: {
    cipher: 'aes-256-cbc-pkcs7-base64',
    key: 'secret',
    iv: 'secret-first-16',
    fields: NATIONAL_ENCRYPTED_FIELDS,
  },
  answers: 'asynchronous-serial-code',
};

export interface NationalUplinkOptions {
  /** The platform's endpoint, conventionally ending in `/open.api`. */
  readonly endpoint: string;
  readonly credentials: NationalCredentials;
  /** `1.0` on the national platform; `1.1` on some clones. */
  readonly version?: string;
  readonly timeoutMs?: number;
  /** Codes a clone uses for "busy, try later", besides the reference's `-5`. */
  readonly busyCodes?: readonly number[];
  /** Overrides the profile for a clone (its target id, limits). */
  readonly profile?: UplinkProfile;
  readonly now?: () => Date;
  readonly nonce?: () => string;
  readonly fetch?: typeof fetch;
}

/** A platform reply with code 0, or the failure it stood for. */
export type CallResult =
  { readonly ok: true; readonly data: JsonValue } | { readonly ok: false; readonly failure: UplinkFailure };

export interface QueryPage {
  readonly totalCount: number;
  /** Rows with the encrypted fields already decrypted. */
  readonly rows: readonly JsonObject[];
}

export interface AwaitOptions {
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Scalar fields of an async result, which the platform sends as an object or as JSON text. */
function keysOf(result: JsonValue | undefined, only?: readonly string[]): PlatformKeys {
  let value: unknown = result;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (!isObject(value)) return {};
  const keys: Record<string, string | number> = {};
  for (const [key, field] of Object.entries(value)) {
    if ((typeof field === 'string' || typeof field === 'number') && (!only || only.includes(key)))
      keys[key] = field;
  }
  return keys;
}

function resultMessage(result: JsonValue | undefined): string {
  if (typeof result === 'string') return result;
  return result === undefined || result === null ? 'the platform gave no reason' : JSON.stringify(result);
}

/** Entry and exit share `WorkerEntryExit.Add`; the kind decides `type` (1 entry, 0 exit), a contradicting item is a mapping bug. */
function withEntryExitType(kind: RecordKind, record: UplinkRecord): JsonObject {
  if (kind !== 'entry' && kind !== 'exit') return record.item;
  const type = kind === 'entry' ? 1 : 0;
  const given = record.item['type'];
  if (given !== undefined && given !== null && String(given) !== String(type)) {
    throw new UplinkPlanError(`record "${record.key}" is an ${kind} but carries type ${String(given)}`);
  }
  return { ...record.item, type };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class NationalPlatformUplink implements UplinkAdapter {
  readonly profile: UplinkProfile;
  readonly #options: NationalUplinkOptions;
  readonly #fetch: typeof fetch;

  constructor(options: NationalUplinkOptions) {
    this.#options = options;
    this.profile = options.profile ?? NATIONAL_PROFILE;
    this.#fetch = options.fetch ?? fetch;
  }

  /** One signed call; never throws for network or platform failures. */
  async call(method: string, data: JsonObject): Promise<CallResult> {
    const credentials = this.#options.credentials;
    const timestamp = platformTimestamp((this.#options.now ?? (() => new Date()))());
    const fields: Record<string, string> = {
      appid: credentials.appid,
      method,
      version: this.#options.version ?? '1.0',
      format: 'json',
      timestamp,
      nonce: (this.#options.nonce ?? (() => randomBytes(16).toString('hex')))(),
      data: JSON.stringify(credentials.encryptPayload(data)),
    };
    if (credentials.hasCorpKey) fields['corpsign'] = credentials.corpSign(timestamp);
    fields['sign'] = credentials.sign(fields);

    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(this.#options.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams(fields).toString(),
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
      // A gateway's HTML error page with status 200 happens in front of busy platforms.
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: text.slice(0, 200) },
      };
    }
    if (!isObject(reply) || typeof reply['code'] !== 'number') {
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: text.slice(0, 200) },
      };
    }
    const message = typeof reply['message'] === 'string' ? reply['message'] : '';
    const failure = classifyNationalCode(reply['code'], message, this.#options.busyCodes);
    if (failure) return { ok: false, failure };
    return { ok: true, data: reply['data'] ?? null };
  }

  /** `CheckSign.Query`: proves the appid, secret and clock before anything is sent. */
  async checkSign(): Promise<{ outcome: 'accepted' } | UplinkFailure> {
    const result = await this.call(CHECK_SIGN_METHOD, {});
    return result.ok ? { outcome: 'accepted' } : result.failure;
  }

  async send(batch: UplinkBatch): Promise<SendOutcome> {
    const method = NATIONAL_METHODS[batch.kind];
    if (batch.records.length === 0) throw new UplinkPlanError(`an empty ${batch.kind} batch cannot be sent`);
    // A clone's profile may lower a limit; it never raises one past what the method takes.
    const limit = Math.min(method.limit, this.profile.batchLimits[batch.kind] ?? 0);
    if (limit < 1) throw new UplinkPlanError(`${this.profile.target} does not accept ${batch.kind} records`);
    if (batch.records.length > limit) {
      throw new UplinkPlanError(
        `${method.add} takes at most ${limit} records per call, got ${batch.records.length}`,
      );
    }
    const items = batch.records.map((record) => withEntryExitType(batch.kind, record));
    const data: JsonObject = method.listField
      ? { ...batch.header, [method.listField]: items }
      : { ...batch.header, ...items[0] };
    const result = await this.call(method.add, data);
    if (!result.ok) return result.failure;
    const serial = isObject(result.data) ? result.data['requestSerialCode'] : undefined;
    if (typeof serial === 'string' && serial !== '') return { outcome: 'submitted', ticket: serial };
    // Clones that answer writes synchronously return the outcome (and any keys) straight away.
    return { outcome: 'accepted', keys: keysOf(result.data, method.platformKeys) };
  }

  async poll(ticket: string): Promise<PollOutcome> {
    const result = await this.call(ASYNC_RESULT_METHOD, { requestSerialCode: ticket });
    if (!result.ok) return result.failure;
    if (!isObject(result.data) || typeof result.data['status'] !== 'number') {
      return { outcome: 'retriable', reason: 'bad-reply', detail: `no status for ${ticket}` };
    }
    const asyncResult = result.data['result'];
    switch (result.data['status']) {
      case 0:
        return { outcome: 'pending' };
      case 20:
        return { outcome: 'accepted', keys: keysOf(asyncResult) };
      case 10: {
        // A failed result carries a message but no code, so none is made up here.
        const message = resultMessage(asyncResult);
        return isAlreadyExistsMessage(message)
          ? { outcome: 'already-exists', message }
          : { outcome: 'rejected', scope: 'record', message };
      }
      default:
        return {
          outcome: 'retriable',
          reason: 'bad-reply',
          detail: `unknown status ${String(result.data['status'])}`,
        };
    }
  }

  /** Polls until the platform decides or `timeoutMs` passes; retriable failures of a poll just wait for the next. */
  async awaitResult(ticket: string, options: AwaitOptions = {}): Promise<PollOutcome> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const interval = options.intervalMs ?? 1_000;
    for (;;) {
      const outcome = await this.poll(ticket);
      if (outcome.outcome !== 'pending' && outcome.outcome !== 'retriable') return outcome;
      if (Date.now() + interval > deadline) return outcome;
      await sleep(interval);
    }
  }

  /** One page of a `*.Query` method, rows decrypted. */
  async query(
    method: string,
    filter: JsonObject,
    page: { pageIndex?: number; pageSize?: number } = {},
  ): Promise<{ ok: true; page: QueryPage } | { ok: false; failure: UplinkFailure }> {
    const result = await this.call(method, {
      ...filter,
      pageIndex: page.pageIndex ?? 0,
      pageSize: page.pageSize ?? 50,
    });
    if (!result.ok) return result;
    if (!isObject(result.data) || !Array.isArray(result.data['rows'])) {
      return {
        ok: false,
        failure: { outcome: 'retriable', reason: 'bad-reply', detail: `${method} returned no rows` },
      };
    }
    const rows = result.data['rows']
      .filter(isObject)
      .map((row) => this.#options.credentials.decryptPayload(row) as JsonObject);
    const totalCount =
      typeof result.data['totalCount'] === 'number' ? result.data['totalCount'] : rows.length;
    return { ok: true, page: { totalCount, rows } };
  }

  async reconcile(record: UplinkRecord): Promise<ReconcileOutcome> {
    const method = NATIONAL_METHODS[record.kind];
    const fields: JsonObject = { ...record.header, ...record.item };
    const filter: JsonObject = method.queryFilter
      ? method.queryFilter(fields)
      : Object.fromEntries(method.identity.map((key) => [key, fields[key] ?? null]));
    const pageSize = 50;
    for (let pageIndex = 0; ; pageIndex += 1) {
      const result = await this.query(method.query, filter, { pageIndex, pageSize });
      if (!result.ok) {
        const failure = result.failure;
        return failure.outcome === 'already-exists'
          ? { outcome: 'rejected', scope: 'record', code: failure.code, message: failure.message }
          : failure;
      }
      const row = result.page.rows.find((candidate) =>
        method.identity.every((key) => String(candidate[key] ?? '') === String(fields[key] ?? '')),
      );
      if (row) return { outcome: 'found', keys: keysOf(row, method.platformKeys) };
      if ((pageIndex + 1) * pageSize >= result.page.totalCount || result.page.rows.length === 0) {
        return { outcome: 'not-found' };
      }
    }
  }
}
