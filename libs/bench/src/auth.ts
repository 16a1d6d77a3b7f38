import { testIdentity, testIssuer, tokenFor } from '@realname/testing';

/**
 * OAuth 2.0 for the services the benchmarks and the fault suite start: the variables that make them
 * resource servers of an OpenID Connect issuer (the local stack's Keycloak, or the suite's own), the
 * gateway's machine client, and the device administrator that registers the simulated devices. All are
 * test identities of deploy/local/keycloak/realname-realm.json.
 */
export const OIDC_AUDIENCE = 'realname-api';

/** Registers devices: a device administrator of Hangzhou (city 330100: covers region 330106). */
export const DEVICE_ADMINISTRATOR = 'dev-hz';

/** The gateway's own client at the issuer (head photos from the registry, client credentials). */
export const GATEWAY_CLIENT = 'svc-device-gateway';

/** OIDC_ISSUER_URL and OIDC_AUDIENCE of every service. */
export function resourceServerEnv(issuer = testIssuer()): Record<string, string> {
  return { OIDC_ISSUER_URL: issuer, OIDC_AUDIENCE };
}

/** OIDC_CLIENT_ID and OIDC_CLIENT_SECRET of the device gateway (local test values from the realm file). */
export function gatewayClientEnv(): Record<string, string> {
  return { OIDC_CLIENT_ID: GATEWAY_CLIENT, OIDC_CLIENT_SECRET: testIdentity(GATEWAY_CLIENT).secret };
}

/** A device administrator's access token on every call, renewed 30 s before it expires. */
export function deviceAdminToken(issuer = testIssuer()): () => Promise<string> {
  return () => tokenFor(DEVICE_ADMINISTRATOR, issuer);
}
