import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './service-process';

/**
 * Access tokens from the local stack's OpenID Connect provider (Keycloak, realm
 * deploy/local/keycloak/realname-realm.json), for integration and end-to-end tests. The passwords and
 * client secrets are read from that realm file: they are local test values.
 */

export const REALM_FILE = join(REPO_ROOT, 'deploy', 'local', 'keycloak', 'realname-realm.json');
const DEFAULT_ISSUER = 'http://127.0.0.1:58180/realms/realname';

/** A person (password grant through `realname-cli`) or a machine client (client credentials). */
export interface TestIdentity {
  kind: 'user' | 'client';
  /** The username, or the client id. */
  name: string;
  roles: string[];
  permissions: string[];
  scopeKind: string;
  scope: string;
  /** The password or the client secret (local test values). */
  secret: string;
}

/** Pick an identity by name (`hz-city`, `municipal-ningbo`), by role, or by role and scope. */
export type IdentitySelector = string | { role: string; scope?: string; permission?: string };

interface RealmFile {
  clients: {
    clientId: string;
    secret?: string;
    serviceAccountsEnabled?: boolean;
    protocolMappers?: { protocolMapper: string; config: Record<string, string> }[];
  }[];
  users: {
    username: string;
    serviceAccountClientId?: string;
    realmRoles?: string[];
    clientRoles?: Record<string, string[]>;
    attributes?: Record<string, string[]>;
    credentials?: { value: string }[];
  }[];
}

let identities: TestIdentity[] | undefined;

/** Every test identity of the local realm, people first, in the order of the realm file. */
export function testIdentities(): TestIdentity[] {
  if (identities) return identities;
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as RealmFile;
  const people: TestIdentity[] = realm.users
    .filter((u) => !u.serviceAccountClientId)
    .map((u) => ({
      kind: 'user',
      name: u.username,
      roles: u.realmRoles ?? [],
      permissions: u.clientRoles?.['realname-api'] ?? [],
      scopeKind: u.attributes?.realname_scope_kind?.[0] ?? '',
      scope: u.attributes?.realname_scope?.[0] ?? '',
      secret: u.credentials?.[0]?.value ?? '',
    }));
  const machines: TestIdentity[] = realm.clients
    .filter((c) => c.serviceAccountsEnabled && c.secret)
    .map((c) => {
      const account = realm.users.find((u) => u.serviceAccountClientId === c.clientId);
      const fixed = (claim: string) =>
        c.protocolMappers?.find(
          (m) => m.protocolMapper === 'oidc-hardcoded-claim-mapper' && m.config['claim.name'] === claim,
        )?.config['claim.value'] ?? '';
      return {
        kind: 'client',
        name: c.clientId,
        roles: account?.realmRoles ?? [],
        permissions: account?.clientRoles?.['realname-api'] ?? [],
        scopeKind: fixed('realname_scope_kind'),
        scope: fixed('realname_scope'),
        secret: c.secret ?? '',
      };
    });
  identities = [...people, ...machines];
  return identities;
}

/** The identity a selector names; a role alone gives its first identity that is not a test-only client. */
export function testIdentity(who: IdentitySelector): TestIdentity {
  const all = testIdentities();
  const found =
    typeof who === 'string'
      ? (all.find((i) => i.name === who) ??
        all.find((i) => i.roles.includes(who) && !i.name.startsWith('test-')))
      : all.find(
          (i) =>
            i.roles.includes(who.role) &&
            !i.name.startsWith('test-') &&
            (who.scope === undefined || i.scope === who.scope) &&
            (who.permission === undefined || i.permissions.includes(who.permission)),
        );
  if (!found) {
    throw new Error(
      `no test identity ${JSON.stringify(who)} in ${REALM_FILE}: add one with deploy/local/keycloak/realm.mjs`,
    );
  }
  return found;
}

/** The local issuer: REALNAME_OIDC_ISSUER (`eval "$(deploy/local/stack.sh env)"`), else the default port. */
export function testIssuer(): string {
  return (process.env.REALNAME_OIDC_ISSUER ?? DEFAULT_ISSUER).replace(/\/+$/, '');
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: string;
}

/** Requests a fresh token for an identity from the issuer's token endpoint (no cache). */
export async function requestToken(identity: TestIdentity, issuer = testIssuer()): Promise<TokenResponse> {
  const form: Record<string, string> =
    identity.kind === 'user'
      ? {
          grant_type: 'password',
          client_id: 'realname-cli',
          username: identity.name,
          password: identity.secret,
          scope: 'openid',
        }
      : { grant_type: 'client_credentials', client_id: identity.name, client_secret: identity.secret };
  const url = `${issuer}/protocol/openid-connect/token`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Error(
      `the local OpenID Connect provider does not answer at ${url} (${err instanceof Error ? err.message : String(err)}): ` +
        'start it with `bash deploy/local/stack.sh up` and export its address with `eval "$(bash deploy/local/stack.sh env)"`',
    );
  }
  const body = (await res.json().catch(() => ({}))) as Partial<TokenResponse> & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token) {
    throw new Error(
      `no token for ${identity.kind} ${identity.name} from ${url}: HTTP ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`,
    );
  }
  return body as TokenResponse;
}

const cache = new Map<string, { token: string; until: number }>();

/**
 * An access token for a test identity, e.g. `tokenFor('city-supervisor')` (Hangzhou),
 * `tokenFor({ role: 'city-supervisor', scope: '330200' })` (Ningbo), `tokenFor('municipal-wuhan')`.
 * Tokens are reused until 30 seconds before they expire.
 */
export async function tokenFor(who: IdentitySelector, issuer = testIssuer()): Promise<string> {
  const identity = testIdentity(who);
  const key = `${issuer} ${identity.name}`;
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.token;
  const res = await requestToken(identity, issuer);
  cache.set(key, { token: res.access_token, until: Date.now() + (res.expires_in - 30) * 1000 });
  return res.access_token;
}

/** `{ authorization: 'Bearer ...' }` for fetch headers or gRPC metadata. */
export async function authorizationFor(
  who: IdentitySelector,
  issuer?: string,
): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await tokenFor(who, issuer)}` };
}

/** The audience the local realm puts in the platform's tokens: REALNAME_OIDC_AUDIENCE, else `realname-api`. */
export function testAudience(): string {
  return process.env.REALNAME_OIDC_AUDIENCE ?? 'realname-api';
}

/** What every service started in a test needs to check tokens: the local issuer and the audience. */
export function resourceServerEnv(): { OIDC_ISSUER_URL: string; OIDC_AUDIENCE: string } {
  return { OIDC_ISSUER_URL: testIssuer(), OIDC_AUDIENCE: testAudience() };
}

/**
 * A service's own machine client, for the calls it makes to another service (the gateway fetching head
 * photos from the registry: `serviceClientEnv('svc-device-gateway')`).
 */
export function serviceClientEnv(client: string): { OIDC_CLIENT_ID: string; OIDC_CLIENT_SECRET: string } {
  const identity = testIdentity(client);
  if (identity.kind !== 'client') throw new Error(`${client} is a person, not a machine client`);
  return { OIDC_CLIENT_ID: identity.name, OIDC_CLIENT_SECRET: identity.secret };
}
