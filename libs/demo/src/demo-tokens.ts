import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OidcCredentials, OidcTokenSource } from '@realname/device-simulator';

/** Gives a valid access token each time it is called (renewed before it expires). */
export type TokenProvider = () => Promise<string>;

/** The local stack's issuer when REALNAME_OIDC_ISSUER is not set. */
export const LOCAL_ISSUER = 'http://127.0.0.1:58180/realms/realname';

/** The local realm: test users and clients with their local passwords and secrets. */
export const LOCAL_REALM_FILE = resolve(
  __dirname,
  '..',
  '..',
  '..',
  'deploy',
  'local',
  'keycloak',
  'realname-realm.json',
);

/**
 * Who the demo acts as, all test identities of the local realm (deploy/local/keycloak/realname-realm.json):
 * the gates are registered by a device administrator of Hangzhou, workers are entered by the Hangzhou
 * municipal system (a site writer of every project in the city), reads are a Hangzhou supervisor's,
 * and the integrity sync is pulled by the platform operator.
 */
export const DEMO_IDENTITIES = {
  deviceAdmin: 'dev-hz',
  reader: 'hz-city',
  siteWriter: 'municipal-hangzhou',
  syncTrigger: 'ops',
} as const;

export type DemoTokens = Record<keyof typeof DEMO_IDENTITIES, TokenProvider>;

interface RealmFile {
  users: { username: string; credentials?: { value?: string }[] }[];
  clients: { clientId: string; secret?: string; serviceAccountsEnabled?: boolean }[];
}

/**
 * How to get tokens of a test identity of the realm file: a person signs in through the public client
 * `realname-cli` (password grant), a machine client with its secret (client credentials grant).
 */
export function realmCredentials(
  name: string,
  issuer: string,
  realmFile = LOCAL_REALM_FILE,
): OidcCredentials {
  const realm = JSON.parse(readFileSync(realmFile, 'utf8')) as RealmFile;
  const password = realm.users.find((u) => u.username === name)?.credentials?.[0]?.value;
  if (password) return { kind: 'password', issuer, clientId: 'realname-cli', username: name, password };
  const client = realm.clients.find((c) => c.clientId === name && c.serviceAccountsEnabled && c.secret);
  if (client?.secret) return { kind: 'client', issuer, clientId: name, clientSecret: client.secret };
  throw new Error(`no test user or machine client ${name} with a password or secret in ${realmFile}`);
}

/**
 * Tokens of the demo's identities from the issuer (default: REALNAME_OIDC_ISSUER, else the local
 * stack's), each kept until 30 s before it expires and then renewed (tokens live 5 minutes).
 */
export function demoTokens(
  issuer = process.env.REALNAME_OIDC_ISSUER || LOCAL_ISSUER,
  realmFile = LOCAL_REALM_FILE,
): DemoTokens {
  const of = (name: string): TokenProvider =>
    new OidcTokenSource(realmCredentials(name, issuer.replace(/\/+$/, ''), realmFile)).asSource();
  return {
    deviceAdmin: of(DEMO_IDENTITIES.deviceAdmin),
    reader: of(DEMO_IDENTITIES.reader),
    siteWriter: of(DEMO_IDENTITIES.siteWriter),
    syncTrigger: of(DEMO_IDENTITIES.syncTrigger),
  };
}
