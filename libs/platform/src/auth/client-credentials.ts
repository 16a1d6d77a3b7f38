import { z } from 'zod';
import { secret } from '../config';
import { DependencyUnavailable, retryTransient } from '../failures';

/**
 * The variables of a service that calls another platform service as a machine client (OAuth 2.0 client
 * credentials grant at the issuer of `OIDC_ISSUER_URL`). Both or neither.
 */
export function clientCredentialsConfig() {
  return {
    /** The client id this service holds at the issuer (locally `svc-device-gateway`). */
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** That client's secret. */
    OIDC_CLIENT_SECRET: secret(z.string().min(1).optional()),
  };
}

export interface ClientCredentialsOptions {
  /** The issuer URL; its discovery document names the token endpoint. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How long one discovery or token request may take. Default 5 s. */
  httpTimeoutMs?: number;
  /** Renew this long before the token expires. Default 30 s. */
  renewBeforeMs?: number;
  /** How long one {@link ClientCredentials.token} call waits for an unreachable issuer. Default 30 s. */
  maxWaitMs?: number;
  fetchImpl?: typeof fetch;
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().default(60),
  token_type: z.string().optional(),
});

/** What the token endpoint gave: a token, or a refusal that waiting will not cure. */
type TokenAnswer = z.infer<typeof tokenResponse> | { refused: string };

/**
 * Access tokens of a machine client (client credentials grant), kept until shortly before they expire
 * and shared by concurrent callers. An issuer that is briefly unreachable is waited out (transient
 * failures retried, up to `maxWaitMs`); refused credentials are not retried. Whatever fails is a
 * {@link DependencyUnavailable} naming the client: a token problem is never the fault of the message
 * being handled, so a consumer waits instead of dead-lettering it.
 */
export class ClientCredentials {
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  private tokenEndpoint?: string;

  constructor(private readonly opts: ClientCredentialsOptions) {}

  /** A valid access token. */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.current && this.current.renewAt > Date.now()) return this.current.token;
    this.pending ??= this.fetchToken(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** `Bearer <token>`, for an `Authorization` header or gRPC metadata. */
  async authorization(signal?: AbortSignal): Promise<string> {
    return `Bearer ${await this.token(signal)}`;
  }

  /** Forget the cached token (after a 401 from the resource server, e.g. a revoked session). */
  invalidate(): void {
    this.current = undefined;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    const waitMs = this.opts.maxWaitMs ?? 30_000;
    const deadline = AbortSignal.timeout(waitMs);
    let answer: TokenAnswer;
    try {
      // Only an unreachable or busy issuer is retried; its refusals come back as an answer.
      answer = await retryTransient(() => this.requestToken(), {
        name: 'client credentials',
        maxDelayMs: 2_000,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new DependencyUnavailable(
        `no access token for ${this.opts.clientId}: the issuer ${this.opts.issuer} could not be reached ` +
          `within ${waitMs} ms (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
    if ('refused' in answer) throw new DependencyUnavailable(answer.refused);
    this.current = {
      token: answer.access_token,
      renewAt: Date.now() + Math.max(answer.expires_in * 1000 - (this.opts.renewBeforeMs ?? 30_000), 5_000),
    };
    return answer.access_token;
  }

  private async requestToken(): Promise<TokenAnswer> {
    const endpoint = (this.tokenEndpoint ??= await this.discoverTokenEndpoint());
    if (endpoint === undefined) {
      return { refused: `the issuer's discovery document (${this.discoveryUrl}) names no token_endpoint` };
    }
    const res = await this.fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(
          `${encodeURIComponent(this.opts.clientId)}:${encodeURIComponent(this.opts.clientSecret)}`,
        ).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    if (res.status >= 500 || res.status === 429) {
      throw Object.assign(new Error(`token endpoint answered ${res.status}`), { code: 'ECONNRESET' });
    }
    const body = (await res.json().catch(() => undefined)) as unknown;
    if (!res.ok) {
      const error = (body as { error?: string; error_description?: string } | undefined) ?? {};
      return {
        refused:
          `the issuer refused the client credentials of ${this.opts.clientId} (${res.status} ${error.error ?? ''}` +
          `${error.error_description ? `: ${error.error_description}` : ''}); check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET`,
      };
    }
    const parsed = tokenResponse.safeParse(body);
    if (!parsed.success) return { refused: 'the token endpoint answered without an access_token' };
    return parsed.data;
  }

  private get discoveryUrl(): string {
    return `${this.opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  }

  /** The token endpoint; undefined when the discovery document names none (asked again next time). */
  private async discoverTokenEndpoint(): Promise<string | undefined> {
    const res = await this.fetch(this.discoveryUrl, {});
    if (!res.ok) {
      throw Object.assign(new Error(`discovery document answered ${res.status}`), { code: 'ECONNRESET' });
    }
    const doc = (await res.json()) as { token_endpoint?: unknown };
    return typeof doc.token_endpoint === 'string' ? doc.token_endpoint : undefined;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await (this.opts.fetchImpl ?? fetch)(url, {
        ...init,
        signal: AbortSignal.timeout(this.opts.httpTimeoutMs ?? 5_000),
      });
    } catch (err) {
      // A request that timed out is an issuer briefly away, like a refused connection.
      if ((err as { name?: string }).name === 'TimeoutError') {
        throw Object.assign(new Error(`${url} did not answer in time`), { code: 'ETIMEDOUT', cause: err });
      }
      throw err;
    }
  }
}
