import { createRemoteJWKSet, errors, jwtVerify, JWTPayload } from 'jose';
import type { Caller } from './caller';
import { callerFromClaims } from './claims';
import type { ResourceServerOptions } from './auth-config';

/** The request carries no valid access token for this resource server (401). */
export class Unauthenticated extends Error {
  constructor(
    /** Plain-language reason, safe to show the caller. */
    readonly reason: string,
    /** RFC 6750 error code for `WWW-Authenticate`; absent when no token was sent at all. */
    readonly oauthError?: 'invalid_request' | 'invalid_token',
  ) {
    super(reason);
    this.name = 'Unauthenticated';
  }
}

/** The issuer (discovery or JWKS) cannot be reached, so no token can be checked now (503). */
export class AuthUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AuthUnavailable';
  }
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** Seconds the verifier waits before asking the issuer's discovery document again after a failure. */
const DISCOVERY_RETRY_MS = 2_000;

/**
 * Validates bearer access tokens (JWT) for one resource server: signature against the issuer's JWKS
 * (found through OpenID Connect discovery, cached; an unknown key id fetches the set again, so the
 * issuer's key rotation needs nothing here), issuer, audience, expiry and not-before, then maps the
 * claims to a {@link Caller}.
 */
export class TokenVerifier {
  private keys?: Promise<KeySet>;
  private lastFailure = 0;

  constructor(
    readonly options: ResourceServerOptions,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Verifies an `Authorization` header value (`Bearer <jwt>`). */
  async verifyAuthorization(header: string | undefined): Promise<Caller> {
    if (header === undefined || header.trim() === '') {
      throw new Unauthenticated('this request needs an access token: send "Authorization: Bearer <token>"');
    }
    const m = /^Bearer\s+([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header.trim());
    if (!m) {
      throw new Unauthenticated(
        'the Authorization header must be "Bearer <token>" with one access token',
        'invalid_request',
      );
    }
    return this.verify(m[1]);
  }

  /** Verifies a compact JWT access token. */
  async verify(token: string): Promise<Caller> {
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockToleranceS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw this.classify(err);
    }
    // Keycloak marks its token types in `typ`; ID and refresh tokens are not access tokens.
    if (typeof payload.typ === 'string' && !/^(bearer|at\+jwt)$/i.test(payload.typ)) {
      throw new Unauthenticated(`the token is not an access token (typ ${payload.typ})`, 'invalid_token');
    }
    const mapped = callerFromClaims(payload, this.options.claims);
    if (!mapped.ok) throw new Unauthenticated(mapped.reason, 'invalid_token');
    return mapped.caller;
  }

  /** Fetches the discovery document (once, or again after a failure) and checks it names the issuer. */
  private keySet(): Promise<KeySet> {
    if (this.keys === undefined) {
      if (Date.now() - this.lastFailure < DISCOVERY_RETRY_MS) {
        return Promise.reject(
          new AuthUnavailable(`the token issuer ${this.options.issuer} cannot be reached`),
        );
      }
      this.keys = this.discover().catch((err: unknown) => {
        this.keys = undefined;
        this.lastFailure = Date.now();
        throw err;
      });
    }
    return this.keys;
  }

  private async discover(): Promise<KeySet> {
    const url = `${this.options.issuer}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await this.fetchImpl(url, {
        signal: AbortSignal.timeout(this.options.httpTimeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      throw new AuthUnavailable(
        `the token issuer's discovery document ${url} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (doc.issuer !== this.options.issuer) {
      throw new AuthUnavailable(
        `the discovery document at ${url} names issuer ${String(doc.issuer)}, not ${this.options.issuer}`,
      );
    }
    if (typeof doc.jwks_uri !== 'string')
      throw new AuthUnavailable(`the discovery document at ${url} has no jwks_uri`);
    return createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: this.options.httpTimeoutMs,
      cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }

  private classify(err: unknown): Error {
    if (err instanceof errors.JWTExpired)
      return new Unauthenticated('the token has expired', 'invalid_token');
    if (err instanceof errors.JWTClaimValidationFailed) {
      const what: Record<string, string> = {
        aud: `the token is not for this service (audience must include ${this.options.audience})`,
        iss: `the token was not issued by ${this.options.issuer}`,
        nbf: 'the token is not valid yet',
        iat: 'the token was issued in the future',
      };
      return new Unauthenticated(
        what[err.claim] ?? `the token's ${err.claim} claim is not valid`,
        'invalid_token',
      );
    }
    if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) {
      return new Unauthenticated(
        "the token's signature does not verify with the issuer's keys",
        'invalid_token',
      );
    }
    if (err instanceof errors.JOSEAlgNotAllowed) {
      return new Unauthenticated(`the token's signature algorithm is not accepted here`, 'invalid_token');
    }
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
      return new AuthUnavailable(`the token issuer's keys cannot be read: ${err.message}`);
    }
    if (err instanceof errors.JOSEError)
      return new Unauthenticated('the token is malformed', 'invalid_token');
    // Anything else comes from fetching the key set (connection refused, reset, DNS).
    return new AuthUnavailable(
      `the token issuer's keys cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
