import { z } from 'zod';
import { ClaimNames, DEFAULT_CLAIM_NAMES } from './claims';

const claimName = (def: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/,
      'must be a claim name, or a dotted path such as realm_access.roles',
    )
    .default(def);

/**
 * The variables of an OAuth 2.0 resource server (every REST and gRPC service), spread into the
 * service's schema: `z.object({ ...serviceBaseConfig('attendance'), ...authConfig(), ... })`, then
 * `loadConfig` refuses to start with the list of bad ones.
 */
export function authConfig() {
  return {
    /** The OpenID Connect issuer; its discovery document gives the JWKS. Local: REALNAME_OIDC_ISSUER. */
    OIDC_ISSUER_URL: z
      .string()
      .regex(
        /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
        'must be the issuer URL, such as http://127.0.0.1:58180/realms/realname',
      )
      .transform((u) => u.replace(/\/+$/, '')),
    /** The audience (`aud`) a token must name to be accepted here. */
    OIDC_AUDIENCE: z.string().min(1, 'must name the audience tokens carry, such as realname-api'),
    OIDC_ROLES_CLAIM: claimName(DEFAULT_CLAIM_NAMES.roles),
    OIDC_PERMISSIONS_CLAIM: claimName(DEFAULT_CLAIM_NAMES.permissions),
    OIDC_SCOPE_KIND_CLAIM: claimName(DEFAULT_CLAIM_NAMES.scopeKind),
    OIDC_SCOPE_CLAIM: claimName(DEFAULT_CLAIM_NAMES.scope),
    /** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds. */
    OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
    /** Signature algorithms accepted (comma-separated); `none` and HMAC are never accepted. */
    OIDC_ALGORITHMS: z
      .string()
      .default('RS256,PS256,ES256')
      .transform((s) => s.split(',').map((a) => a.trim()))
      .refine(
        (list) => list.length > 0 && list.every((a) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(a)),
        'must list asymmetric JWS algorithms such as RS256,ES256',
      ),
    /** How long discovery and JWKS requests may take, in milliseconds. */
    OIDC_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  };
}

export type AuthConfig = z.infer<z.ZodObject<ReturnType<typeof authConfig>>>;

export interface ResourceServerOptions {
  issuer: string;
  audience: string;
  claims: ClaimNames;
  clockToleranceS: number;
  algorithms: string[];
  httpTimeoutMs: number;
  /**
   * A token with a key id not in the cached key set fetches the set again, but not sooner than this
   * after the last fetch (so forged key ids cannot flood the issuer). Default 30 s.
   */
  jwksCooldownMs?: number;
}

export function resourceServerOptions(config: AuthConfig): ResourceServerOptions {
  return {
    issuer: config.OIDC_ISSUER_URL,
    audience: config.OIDC_AUDIENCE,
    claims: {
      roles: config.OIDC_ROLES_CLAIM,
      permissions: config.OIDC_PERMISSIONS_CLAIM,
      scopeKind: config.OIDC_SCOPE_KIND_CLAIM,
      scope: config.OIDC_SCOPE_CLAIM,
    },
    clockToleranceS: config.OIDC_CLOCK_TOLERANCE_S,
    algorithms: config.OIDC_ALGORITHMS,
    httpTimeoutMs: config.OIDC_HTTP_TIMEOUT_MS,
  };
}
