#!/usr/bin/env node
// Writes realname-realm.json, the Keycloak realm of the LOCAL stack (tests, demo, development).
//
//   node deploy/local/keycloak/realm.mjs            # rewrite realname-realm.json
//   node deploy/local/keycloak/realm.mjs --check    # exit 1 if the JSON is not what this script writes
//
// Every password and client secret below is a LOCAL TEST VALUE, generated once at random for this
// file and published with the source code. They protect nothing: never reuse them, never load this
// realm into a provider reachable from another machine. A province connects its own IAM instead
// (docs/access.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'realname-realm.json');

/** The audience every token for the platform's APIs carries; also the holder of the permissions. */
const API = 'realname-api';
/** Claim names (the resource server's defaults; configurable there with OIDC_*_CLAIM). */
const CLAIMS = {
  roles: 'realname_roles',
  permissions: 'realname_permissions',
  scopeKind: 'realname_scope_kind',
  scope: 'realname_scope',
};

const ROLES = {
  'province-supervisor': 'Supervises every city and county of a province (scope: province code)',
  'city-supervisor': 'Supervises one city and its counties (scope: city code)',
  'county-supervisor': 'Supervises one county (scope: county code)',
  'project-manager': 'Manages their own project only (scope: project id)',
  'enterprise-user': 'Acts for one enterprise: its own units (scope: unified social credit code)',
  'municipal-integrator': 'A municipal system (machine client, client credentials) of a region',
  'device-administrator': 'Registers and administers the gates and face terminals of a region',
  auditor: 'Reads the audit trails (identity reveals, blacklistings) of a region',
  'platform-operator': 'Runs the platform: dead letters, projections, outbox, keys',
  'internal-service': "One of the platform's own services calling another (machine client)",
};
const PERMISSIONS = {
  'reveal-identity': 'May read an unmasked resident ID number, with a reason, audited',
};

const mapper = (name, protocolMapper, config) => ({
  name,
  protocol: 'openid-connect',
  protocolMapper,
  consentRequired: false,
  config: {
    'access.token.claim': 'true',
    'id.token.claim': 'false',
    'userinfo.token.claim': 'false',
    ...config,
  },
});
const audience = (aud) =>
  mapper(`audience ${aud}`, 'oidc-audience-mapper', {
    [aud === API ? 'included.client.audience' : 'included.custom.audience']: aud,
  });
const roleMappers = [
  mapper('realname roles', 'oidc-usermodel-realm-role-mapper', {
    'claim.name': CLAIMS.roles,
    'jsonType.label': 'String',
    multivalued: 'true',
  }),
  mapper('realname permissions', 'oidc-usermodel-client-role-mapper', {
    'usermodel.clientRoleMapping.clientId': API,
    'claim.name': CLAIMS.permissions,
    'jsonType.label': 'String',
    multivalued: 'true',
  }),
];
const userScopeMappers = [CLAIMS.scopeKind, CLAIMS.scope].map((attr) =>
  mapper(attr, 'oidc-usermodel-attribute-mapper', {
    'user.attribute': attr,
    'claim.name': attr,
    'jsonType.label': 'String',
    multivalued: 'false',
  }),
);
const fixedScopeMappers = (kind, code) => [
  mapper(CLAIMS.scopeKind, 'oidc-hardcoded-claim-mapper', {
    'claim.name': CLAIMS.scopeKind,
    'claim.value': kind,
    'jsonType.label': 'String',
  }),
  mapper(CLAIMS.scope, 'oidc-hardcoded-claim-mapper', {
    'claim.name': CLAIMS.scope,
    'claim.value': code,
    'jsonType.label': 'String',
  }),
];

/** People: password grant through the public client `realname-cli` (direct access grants, local only). */
const users = [
  [
    'zj-province',
    'province-supervisor',
    'province',
    '330000',
    'Zhejiang province supervisor',
    'NMdmQvK5q-HeXaYM',
  ],
  [
    'hb-province',
    'province-supervisor',
    'province',
    '420000',
    'Hubei province supervisor',
    '5XYTAJoYH8anckjE',
  ],
  ['hz-city', 'city-supervisor', 'city', '330100', 'Hangzhou city supervisor', 'UZ90AWS36vrANBJo'],
  ['nb-city', 'city-supervisor', 'city', '330200', 'Ningbo city supervisor', 'zsxc4-w7n6qSNZoz'],
  ['wh-city', 'city-supervisor', 'city', '420100', 'Wuhan city supervisor', 'sZ5TJjKqiZCU_Jx1'],
  [
    'xh-county',
    'county-supervisor',
    'county',
    '330106',
    'Xihu district (Hangzhou) supervisor',
    'dXKAoc5cmb6UF1DM',
  ],
  [
    'pm-xihu',
    'project-manager',
    'project',
    '330106202401150001',
    'Project manager of project 330106202401150001',
    'M9bola8j3xHE2l-f',
  ],
  [
    'ent-hz',
    'enterprise-user',
    'enterprise',
    '91330106MA2H4K7N15',
    'User of enterprise 91330106MA2H4K7N15',
    'sMUp8Zdkl7Coi8dV',
  ],
  ['dev-hz', 'device-administrator', 'city', '330100', 'Hangzhou device administrator', 'G24dqBsLlhsCIDEc'],
  ['audit-zj', 'auditor', 'province', '330000', 'Zhejiang auditor', 'Lz0NSWhTlvCrXeip'],
  [
    'ops',
    'platform-operator',
    'province',
    '330000',
    'Platform operator (Zhejiang platform)',
    '_A9KDeof3m6EmM8j',
  ],
  [
    'hz-revealer',
    'city-supervisor',
    'city',
    '330100',
    'Hangzhou supervisor allowed to reveal identities',
    '89vkPMiie-1mYW1_',
    ['reveal-identity'],
  ],
];

/**
 * Machines: client credentials. [clientId, role, scope kind, scope, description, secret, options]; options:
 * `lifespan` (seconds), `audience`, `permissions` (client roles of the API, e.g. reveal-identity).
 */
const machines = [
  [
    'municipal-hangzhou',
    'municipal-integrator',
    'city',
    '330100',
    'Hangzhou municipal system',
    'GG9fZ__ZtluUjgJl',
  ],
  [
    'municipal-ningbo',
    'municipal-integrator',
    'city',
    '330200',
    'Ningbo municipal system',
    '_m75TGdpL3YbTur3',
  ],
  ['municipal-wuhan', 'municipal-integrator', 'city', '420100', 'Wuhan municipal system', 'APAV2Hu9-6CNKSQw'],
  [
    'svc-device-gateway',
    'internal-service',
    'province',
    '330000',
    'The device gateway calling the registry',
    'QSYTnelR2-Bkbdor',
  ],
  [
    'svc-reporting',
    'internal-service',
    'province',
    '330000',
    "Reporting revealing workers' ID numbers in the registry for the uploads",
    'ItF9yEBHJ7HKZs-q',
    { permissions: ['reveal-identity'] },
  ],
  // Test-only clients for the resource server's integration tests (libs/platform auth.int-spec.ts).
  [
    'test-short-lived',
    'municipal-integrator',
    'city',
    '330100',
    'Tokens that expire after 1 second',
    'Ft3q0yJmB7cWx2Lk',
    { lifespan: 1 },
  ],
  [
    'test-other-audience',
    'municipal-integrator',
    'city',
    '330100',
    'Tokens for another API, not realname-api',
    'Hn8vR2sKc4Tz6PqY',
    { audience: 'other-api' },
  ],
];

const LOCAL = 'LOCAL TEST VALUE, published with the source code';

const realm = {
  realm: 'realname',
  displayName: 'Real-name platform (LOCAL TEST REALM)',
  enabled: true,
  sslRequired: 'external',
  registrationAllowed: false,
  loginWithEmailAllowed: false,
  bruteForceProtected: false,
  accessTokenLifespan: 300,
  ssoSessionIdleTimeout: 1800,
  roles: {
    realm: Object.entries(ROLES).map(([name, description]) => ({ name, description })),
    client: {
      [API]: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })),
    },
  },
  clients: [
    {
      clientId: API,
      name: 'Real-name platform APIs (the audience of every token)',
      description: 'Resource server: never gets tokens itself',
      enabled: true,
      bearerOnly: true,
      publicClient: false,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      protocol: 'openid-connect',
    },
    {
      clientId: 'realname-cli',
      name: 'Command line and test users (LOCAL)',
      description: 'Public client; password grant (direct access grants) for the local test users only',
      enabled: true,
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: true,
      serviceAccountsEnabled: false,
      redirectUris: ['http://127.0.0.1/*', 'http://localhost/*'],
      webOrigins: ['+'],
      protocol: 'openid-connect',
      fullScopeAllowed: true,
      protocolMappers: [audience(API), ...roleMappers, ...userScopeMappers],
    },
    ...machines.map(([clientId, , kind, code, description, secret, opts = {}]) => ({
      clientId,
      name: description,
      description: `Machine client (client credentials). Secret: ${LOCAL}`,
      enabled: true,
      publicClient: false,
      clientAuthenticatorType: 'client-secret',
      secret,
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: true,
      protocol: 'openid-connect',
      fullScopeAllowed: true,
      attributes: opts.lifespan ? { 'access.token.lifespan': String(opts.lifespan) } : {},
      protocolMappers: [audience(opts.audience ?? API), ...roleMappers, ...fixedScopeMappers(kind, code)],
    })),
  ],
  users: [
    ...users.map(([username, role, kind, code, name, password, permissions = []]) => ({
      username,
      enabled: true,
      email: `${username}@realname.local`,
      emailVerified: true,
      firstName: name,
      lastName: '(local test user)',
      credentials: [{ type: 'password', value: `local-${password}`, temporary: false }],
      realmRoles: [role],
      clientRoles: permissions.length ? { [API]: permissions } : {},
      attributes: { [CLAIMS.scopeKind]: [kind], [CLAIMS.scope]: [code] },
    })),
    ...machines.map(([clientId, role, , , , , opts = {}]) => ({
      username: `service-account-${clientId}`,
      enabled: true,
      serviceAccountClientId: clientId,
      realmRoles: [role],
      ...(opts.permissions ? { clientRoles: { [API]: opts.permissions } } : {}),
    })),
  ],
  components: {
    'org.keycloak.userprofile.UserProfileProvider': [
      {
        providerId: 'declarative-user-profile',
        subComponents: {},
        config: {
          'kc.user.profile.config': [
            JSON.stringify({
              unmanagedAttributePolicy: 'ADMIN_VIEW',
              attributes: [
                {
                  name: 'username',
                  displayName: 'Username',
                  validations: { length: { min: 3, max: 255 } },
                  permissions: { view: ['admin', 'user'], edit: ['admin'] },
                  multivalued: false,
                },
                {
                  name: 'email',
                  displayName: 'Email',
                  validations: { email: {} },
                  permissions: { view: ['admin', 'user'], edit: ['admin'] },
                  multivalued: false,
                },
                {
                  name: 'firstName',
                  displayName: 'First name',
                  permissions: { view: ['admin', 'user'], edit: ['admin'] },
                  multivalued: false,
                },
                {
                  name: 'lastName',
                  displayName: 'Last name',
                  permissions: { view: ['admin', 'user'], edit: ['admin'] },
                  multivalued: false,
                },
                {
                  name: CLAIMS.scopeKind,
                  displayName: 'Scope kind (province, city, county, project, enterprise)',
                  validations: {
                    options: { options: ['province', 'city', 'county', 'project', 'enterprise'] },
                  },
                  permissions: { view: ['admin'], edit: ['admin'] },
                  multivalued: false,
                },
                {
                  name: CLAIMS.scope,
                  displayName: 'Scope (GB/T 2260 code, project id or credit code)',
                  permissions: { view: ['admin'], edit: ['admin'] },
                  multivalued: false,
                },
              ],
              groups: [],
            }),
          ],
        },
      },
    ],
  },
};

const text = JSON.stringify(realm, null, 2) + '\n';
if (process.argv.includes('--check')) {
  // Compared as data, so a formatter may lay the file out its own way.
  if (JSON.stringify(JSON.parse(readFileSync(out, 'utf8'))) !== JSON.stringify(realm)) {
    console.error(`${out} is stale: run node ${join('deploy/local/keycloak', 'realm.mjs')}`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
