/**
 * OAuth 2.0 access tokens for the gateway's admin API: a fixed token, or credentials with which the
 * simulator asks the OpenID Connect issuer itself (password grant of a person through a public client
 * such as `realname-cli`, or the client credentials grant of a machine client). Tokens are kept until
 * shortly before they expire and renewed on the next use.
 */

/** A bearer token, or a function that gives a valid one each time it is called. */
export type AccessTokenSource = string | (() => Promise<string>);

/** The token of a source now. */
export async function accessToken(source: AccessTokenSource): Promise<string> {
  return typeof source === 'string' ? source : source();
}

/** How to get tokens from an OpenID Connect issuer. */
export type OidcCredentials =
  | {
      kind: 'password';
      /** Issuer URL, e.g. http://127.0.0.1:58180/realms/realname (its discovery names the token endpoint). */
      issuer: string;
      /** The public client the person signs in through (locally `realname-cli`). */
      clientId: string;
      username: string;
      password: string;
    }
  | { kind: 'client'; issuer: string; clientId: string; clientSecret: string };

export interface OidcTokenSourceOptions {
  /** Renew this long before the token expires. Default 30 s. */
  renewBeforeMs?: number;
  /** How long one discovery or token request may take. Default 10 s. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Tokens from an issuer's token endpoint (found through its discovery document), cached until
 * `renewBeforeMs` before they expire and shared by concurrent callers. Refused credentials and an
 * unreachable issuer are errors that name the issuer and the identity.
 */
export class OidcTokenSource {
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  private endpoint?: string;

  constructor(
    readonly credentials: OidcCredentials,
    private readonly options: OidcTokenSourceOptions = {},
  ) {}

  /** Who the tokens are for, for messages: `user dev-hz` or `client svc-x`. */
  get identity(): string {
    const c = this.credentials;
    return c.kind === 'password' ? `user ${c.username}` : `client ${c.clientId}`;
  }

  /** A valid access token. */
  token(): Promise<string> {
    if (this.current && this.current.renewAt > Date.now()) return Promise.resolve(this.current.token);
    this.pending ??= this.request().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** This source as an {@link AccessTokenSource}. */
  asSource(): () => Promise<string> {
    return () => this.token();
  }

  /** Forget the cached token (e.g. after a 401). */
  invalidate(): void {
    this.current = undefined;
  }

  private async request(): Promise<string> {
    const c = this.credentials;
    this.endpoint ??= await this.discover();
    const form: Record<string, string> =
      c.kind === 'password'
        ? {
            grant_type: 'password',
            client_id: c.clientId,
            username: c.username,
            password: c.password,
            scope: 'openid',
          }
        : { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret };
    const res = await this.fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || typeof body.access_token !== 'string' || !body.access_token) {
      throw new Error(
        `the issuer ${c.issuer} gave no token for ${this.identity}: HTTP ${res.status}` +
          `${body.error ? ` ${body.error}` : ''}${body.error_description ? `: ${body.error_description}` : ''}`,
      );
    }
    const expiresS = Number(body.expires_in) > 0 ? Number(body.expires_in) : 60;
    this.current = {
      token: body.access_token,
      renewAt: Date.now() + Math.max(expiresS * 1000 - (this.options.renewBeforeMs ?? 30_000), 5_000),
    };
    return body.access_token;
  }

  private async discover(): Promise<string> {
    const url = `${this.credentials.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await this.fetch(url, {});
    const doc = (await res.json().catch(() => ({}))) as { token_endpoint?: unknown };
    if (!res.ok || typeof doc.token_endpoint !== 'string')
      throw new Error(`${url} answered ${res.status} without a token_endpoint: is that the issuer URL?`);
    return doc.token_endpoint;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await (this.options.fetchImpl ?? fetch)(url, {
        ...init,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new Error(
        `the OpenID Connect issuer does not answer at ${url} (${err instanceof Error ? err.message : String(err)})`,
        { cause: err },
      );
    }
  }
}
