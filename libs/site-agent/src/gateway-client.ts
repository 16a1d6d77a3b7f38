/** The agent's calls to the gateway (`/agent/v1/devices/<deviceId>/...`, docs/site-agent.md). */
import { SITE_AGENT_PREFIX, tryJson } from '@realname/contracts';
import { httpRequest, HttpReply, sleep, TransportError, trimBase } from './http';
import type {
  AgentCommandKind,
  ClaimReply,
  ClaimRequest,
  CommandOutcome,
  CommandResultReply,
  RecordsUpload,
  RecordsUploadReply,
} from '@realname/contracts';

const USER_AGENT = 'realname-site-agent/0.1';

/**
 * The gateway did not do what was asked. `retryable`: a network failure, a timeout or a 5xx/408/429 —
 * the same request may be sent again. Otherwise the gateway refused it (4xx) and a resend cannot help.
 */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly problem?: { title?: string; detail?: string; errors?: { field: string; message: string }[] },
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface GatewayClientOptions {
  /** e.g. http://gateway.example:8081 (a path prefix is kept). */
  baseUrl: string;
  deviceId: string;
  /** The device's token (the path token of its push URL). */
  token: string;
  timeoutMs?: number;
  /** Attempts for uploads and photo downloads (default 4). */
  maxAttempts?: number;
  /** First backoff between attempts (default 500 ms, doubling). */
  backoffMs?: number;
}

export class GatewayClient {
  readonly baseUrl: string;
  readonly deviceId: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(o: GatewayClientOptions) {
    this.baseUrl = trimBase(o.baseUrl);
    this.deviceId = o.deviceId;
    this.token = o.token;
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 4);
    this.backoffMs = o.backoffMs ?? 500;
  }

  private get deviceBase(): string {
    return `${this.baseUrl}${SITE_AGENT_PREFIX}/${encodeURIComponent(this.deviceId)}`;
  }

  /** Claims up to `limit` due commands (queued → sent). */
  async claim(limit: number, kinds?: readonly AgentCommandKind[], signal?: AbortSignal): Promise<ClaimReply> {
    const body: ClaimRequest = { limit, ...(kinds ? { kinds: [...kinds] } : {}) };
    const reply = await this.call('POST', '/commands/claim', body, signal);
    const json = tryJson(reply.body) as ClaimReply | undefined;
    if (!json || !Array.isArray(json.commands) || !json.device)
      throw new GatewayError('the claim reply is not {device, commands}', true, reply.status);
    return json;
  }

  /**
   * Reports a command's outcome. Resolves `gone` when the gateway no longer waits for it (404/409: it was
   * answered already, or expired and was handed out again): the report must then be dropped.
   */
  async report(
    commandId: string,
    outcome: CommandOutcome,
    signal?: AbortSignal,
  ): Promise<
    { recorded: true; status: CommandResultReply['status'] | 'unknown' } | { recorded: false; reason: string }
  > {
    try {
      const reply = await this.call(
        'POST',
        `/commands/${encodeURIComponent(commandId)}/result`,
        outcome,
        signal,
      );
      const json = tryJson(reply.body) as Partial<CommandResultReply> | undefined;
      return { recorded: true, status: json?.status ?? 'unknown' };
    } catch (err) {
      if (err instanceof GatewayError && (err.status === 404 || err.status === 409))
        return { recorded: false, reason: err.message };
      throw err;
    }
  }

  /** Uploads one page of records fetched for a backfill; transient failures are retried (it is idempotent). */
  async uploadRecords(
    backfillId: string,
    commandId: string | undefined,
    records: unknown[],
    signal?: AbortSignal,
  ): Promise<RecordsUploadReply> {
    const body: RecordsUpload = { backfillId, ...(commandId ? { commandId } : {}), records };
    const reply = await this.withRetries(() => this.call('POST', '/records', body, signal), signal);
    const json = tryJson(reply.body) as RecordsUploadReply | undefined;
    if (!json || typeof json.received !== 'number')
      throw new GatewayError('the records reply is not an upload reply', true, reply.status);
    return json;
  }

  /** The bytes of a person's face photo. */
  async photo(ref: string, signal?: AbortSignal): Promise<{ bytes: Buffer; contentType: string }> {
    const reply = await this.withRetries(
      () => this.call('GET', `/photos/${encodeURIComponent(ref)}`, undefined, signal),
      signal,
    );
    return { bytes: reply.body, contentType: reply.headers['content-type']?.split(';')[0] ?? 'image/jpeg' };
  }

  /**
   * A URL a device can fetch the photo from without headers (Uface `face/createByUrl`): the token goes in
   * the query (`access_token`, RFC 6750 §2.3). The device must be able to reach the gateway.
   */
  photoUrl(ref: string): string {
    const hex = ref.replace(/^sha256:/, '');
    return `${this.deviceBase}/photos/${hex}.jpg?access_token=${encodeURIComponent(this.token)}`;
  }

  private async withRetries(op: () => Promise<HttpReply>, signal?: AbortSignal): Promise<HttpReply> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof GatewayError) || !err.retryable || attempt >= this.maxAttempts) throw err;
        await sleep(this.backoffMs * 2 ** (attempt - 1), signal);
      }
    }
  }

  private async call(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<HttpReply> {
    let reply: HttpReply;
    try {
      reply = await httpRequest(method, this.deviceBase + path, {
        headers: {
          'User-Agent': USER_AGENT,
          Authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        timeoutMs: this.timeoutMs,
        signal,
      });
    } catch (err) {
      if (err instanceof TransportError) throw new GatewayError(`gateway: ${err.message}`, true);
      throw err;
    }
    if (reply.status >= 200 && reply.status < 300) return reply;
    const problem = tryJson(reply.body) as GatewayError['problem'];
    const retryable = reply.status >= 500 || reply.status === 408 || reply.status === 429;
    const what = problem?.detail ?? problem?.title ?? reply.body.toString('utf8').slice(0, 200);
    throw new GatewayError(
      `gateway: ${method} ${path} -> HTTP ${reply.status}: ${what}`,
      retryable,
      reply.status,
      problem,
    );
  }
}
