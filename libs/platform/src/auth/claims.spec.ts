import { z } from 'zod';
import { ConfigurationError, loadConfig } from '../config';
import { authConfig, resourceServerOptions } from './auth-config';
import { callerFromClaims, claimAt, DEFAULT_CLAIM_NAMES } from './claims';

const base = {
  sub: 'f60427d3-5b20-4431-9cc6-91f206d343a3',
  azp: 'realname-cli',
  exp: 1_900_000_000,
  realname_roles: ['city-supervisor', 'offline_access'],
  realname_permissions: ['reveal-identity', 'something-else'],
  realname_scope_kind: 'city',
  realname_scope: '330100',
};

describe('callerFromClaims', () => {
  it('maps the default claims to a Caller, leaving out roles and permissions it does not know', () => {
    expect(callerFromClaims(base)).toEqual({
      ok: true,
      caller: {
        subject: base.sub,
        clientId: 'realname-cli',
        roles: ['city-supervisor'],
        scope: { kind: 'city', code: '330100' },
        permissions: ['reveal-identity'],
        expiresAt: 1_900_000_000,
      },
    });
  });

  it('reads configured claim names, dotted paths into nested claims included', () => {
    const names = {
      roles: 'realm_access.roles',
      permissions: 'resource_access.realname-api.roles',
      scopeKind: 'org.scope_kind',
      scope: 'org.scope',
    };
    const r = callerFromClaims(
      {
        sub: 's',
        client_id: 'municipal-hangzhou',
        realm_access: { roles: ['municipal-integrator'] },
        resource_access: { 'realname-api': { roles: ['reveal-identity'] } },
        org: { scope_kind: 'province', scope: '420000' },
      },
      names,
    );
    expect(r.ok && r.caller).toMatchObject({
      clientId: 'municipal-hangzhou',
      roles: ['municipal-integrator'],
      permissions: ['reveal-identity'],
      scope: { kind: 'province', code: '420000' },
    });
  });

  it('accepts a space-separated role string and a one-element scope list', () => {
    const r = callerFromClaims({
      ...base,
      realname_roles: 'auditor platform-operator',
      realname_scope: ['330100'],
    });
    expect(r.ok && r.caller.roles).toEqual(['auditor', 'platform-operator']);
    expect(r.ok && r.caller.scope.code).toBe('330100');
  });

  it.each([
    [{ sub: undefined }, 'no subject'],
    [{ realname_roles: ['offline_access'] }, 'no role of this platform (claim realname_roles)'],
    [{ realname_roles: undefined }, 'no role of this platform'],
    [{ realname_scope_kind: 'country' }, 'no scope kind (claim realname_scope_kind'],
    [{ realname_scope_kind: undefined }, 'no scope kind'],
    [{ realname_scope: undefined }, 'missing or not a valid city code'],
    [{ realname_scope: '330106' }, 'not a valid city code'],
    [{ realname_scope: ['330100', '330200'] }, 'missing or not a valid city code'],
  ])('refuses %j: %s', (patch, reason) => {
    const r = callerFromClaims({ ...base, ...patch });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('finds a claim whose own name has dots before walking a path', () => {
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(claimAt({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(claimAt({ a: 'x' }, 'a.b')).toBeUndefined();
  });
});

describe('authConfig', () => {
  const schema = z.object(authConfig());

  it('has defaults for everything but the issuer and the audience', () => {
    const c = loadConfig(schema, {
      OIDC_ISSUER_URL: 'http://127.0.0.1:58180/realms/realname/',
      OIDC_AUDIENCE: 'realname-api',
    });
    expect(resourceServerOptions(c)).toEqual({
      issuer: 'http://127.0.0.1:58180/realms/realname',
      audience: 'realname-api',
      claims: DEFAULT_CLAIM_NAMES,
      clockToleranceS: 30,
      algorithms: ['RS256', 'PS256', 'ES256'],
      httpTimeoutMs: 5000,
    });
  });

  it('refuses to start, listing every bad variable', () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        OIDC_ISSUER_URL: 'not a url',
        OIDC_ROLES_CLAIM: 'roles claim',
        OIDC_ALGORITHMS: 'HS256,none',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems.map((p) => p.variable).sort()).toEqual([
      'OIDC_ALGORITHMS',
      'OIDC_AUDIENCE',
      'OIDC_ISSUER_URL',
      'OIDC_ROLES_CLAIM',
    ]);
  });
});
