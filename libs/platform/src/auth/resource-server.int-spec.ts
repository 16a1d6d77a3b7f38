import { Controller, Get, INestApplication, Module, UseGuards } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RpcException } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { requestToken, testIdentity, testIssuer, tokenFor } from '@realname/testing';
import { ProblemDetailsFilter } from '../problem';
import type { Caller } from './caller';
import { DEFAULT_CLAIM_NAMES } from './claims';
import {
  CurrentCaller,
  RequirePermissions,
  RequireRoles,
  ResourceServerGuard,
  ResourceServerModule,
} from './guards';
import { inScope } from './scope';
import { AuthUnavailable, TokenVerifier, Unauthenticated } from './token-verifier';

// Against the REAL OpenID Connect provider of the local stack (deploy/local/stack.sh up starts Keycloak;
// eval "$(bash deploy/local/stack.sh env)" exports REALNAME_OIDC_ISSUER). Nothing is skipped: if the
// provider is not up, every test fails saying so.

const issuer = testIssuer();
const options = {
  issuer,
  audience: 'realname-api',
  claims: DEFAULT_CLAIM_NAMES,
  clockToleranceS: 0,
  algorithms: ['RS256', 'PS256', 'ES256'],
  httpTimeoutMs: 5_000,
};

async function providerUp(): Promise<void> {
  const url = `${issuer}/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new Error(
      `the local OpenID Connect provider is not up (${url}: ${err instanceof Error ? err.message : String(err)}). ` +
        'Start it with `bash deploy/local/stack.sh up`, then `eval "$(bash deploy/local/stack.sh env)"`.',
    );
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('resource server against the local OpenID Connect provider', () => {
  const verifier = new TokenVerifier(options);

  beforeAll(providerUp, 15_000);

  it.each([
    ['zj-province', ['province-supervisor'], { kind: 'province', code: '330000' }],
    ['hz-city', ['city-supervisor'], { kind: 'city', code: '330100' }],
    ['nb-city', ['city-supervisor'], { kind: 'city', code: '330200' }],
    ['wh-city', ['city-supervisor'], { kind: 'city', code: '420100' }],
    ['xh-county', ['county-supervisor'], { kind: 'county', code: '330106' }],
    ['pm-xihu', ['project-manager'], { kind: 'project', code: '330106202401150001' }],
    ['ent-hz', ['enterprise-user'], { kind: 'enterprise', code: '91330106MA2H4K7N15' }],
    ['dev-hz', ['device-administrator'], { kind: 'city', code: '330100' }],
    ['audit-zj', ['auditor'], { kind: 'province', code: '330000' }],
    ['ops', ['platform-operator'], { kind: 'province', code: '330000' }],
    ['municipal-hangzhou', ['municipal-integrator'], { kind: 'city', code: '330100' }],
    ['municipal-ningbo', ['municipal-integrator'], { kind: 'city', code: '330200' }],
    ['municipal-wuhan', ['municipal-integrator'], { kind: 'city', code: '420100' }],
    ['svc-device-gateway', ['internal-service'], { kind: 'province', code: '330000' }],
  ])('%s: a real token validates to its roles and scope', async (who, roles, scope) => {
    const caller = await verifier.verify(await tokenFor(who));
    expect(caller.roles).toEqual(roles);
    expect(caller.scope).toEqual(scope);
    expect(caller.subject).toMatch(/^[0-9a-f-]{36}$/);
    expect(caller.permissions).toEqual([]);
    expect(caller.expiresAt).toBeGreaterThan(Date.now() / 1000);
    if (testIdentity(who).kind === 'client') expect(caller.clientId).toBe(who);
  });

  it('carries the reveal-identity permission only for the user granted it', async () => {
    const revealer = await verifier.verify(
      await tokenFor({ role: 'city-supervisor', permission: 'reveal-identity' }),
    );
    expect(revealer.permissions).toEqual(['reveal-identity']);
    expect(revealer.scope).toEqual({ kind: 'city', code: '330100' });
  });

  it('scopes from real tokens: Hangzhou sees Xihu, not Ningbo; Zhejiang sees both, not Wuhan', async () => {
    const hz = await verifier.verify(await tokenFor({ role: 'city-supervisor', scope: '330100' }));
    const zj = await verifier.verify(await tokenFor('province-supervisor'));
    expect(inScope(hz, { region: '330106' })).toBe(true);
    expect(inScope(hz, { region: '330203' })).toBe(false);
    expect(inScope(zj, { region: '330203' })).toBe(true);
    expect(inScope(zj, { region: '420102' })).toBe(false);
  });

  it('rejects an expired token', async () => {
    const { access_token: token } = await requestToken(testIdentity('test-short-lived'));
    const { exp = 0 } = decodeJwt(token);
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1_100));
    const err = await rejection(verifier.verify(token));
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Unauthenticated).reason).toBe('the token has expired');
  }, 20_000);

  it('rejects a token issued for another audience', async () => {
    const token = await tokenFor('test-other-audience');
    expect(decodeJwt(token).aud).toBe('other-api');
    const err = await rejection(verifier.verify(token));
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Unauthenticated).reason).toContain('not for this service');
  });

  it('rejects a token with the same claims and key id signed by another key', async () => {
    const real = await tokenFor('hz-city');
    const { kid, alg } = decodeProtectedHeader(real);
    const { privateKey } = await generateKeyPair(alg ?? 'RS256');
    const forged = await new SignJWT(decodeJwt(real))
      .setProtectedHeader({ alg: alg ?? 'RS256', kid, typ: 'JWT' })
      .sign(privateKey);
    const err = await rejection(verifier.verify(forged));
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Unauthenticated).reason).toContain('signature does not verify');
    // And with a key id the issuer never published.
    const unknownKid = await new SignJWT(decodeJwt(real))
      .setProtectedHeader({ alg: alg ?? 'RS256', kid: 'not-a-key-of-the-issuer' })
      .sign(privateKey);
    expect(((await rejection(verifier.verify(unknownKid))) as Unauthenticated).reason).toContain(
      'signature does not verify',
    );
  });

  it('rejects a missing token, and a header that is not a bearer token', async () => {
    const missing = await rejection(verifier.verifyAuthorization(undefined));
    expect(missing).toBeInstanceOf(Unauthenticated);
    expect((missing as Unauthenticated).oauthError).toBeUndefined();
    const basic = await rejection(verifier.verifyAuthorization('Basic dXNlcjpwYXNz'));
    expect((basic as Unauthenticated).oauthError).toBe('invalid_request');
  });

  it('rejects the token of one realm at a resource server trusting another realm of the same provider', async () => {
    const other = new TokenVerifier({
      ...options,
      issuer: `${issuer.replace(/\/realms\/.*/, '')}/realms/master`,
    });
    const err = await rejection(other.verify(await tokenFor('hz-city')));
    expect(err).toBeInstanceOf(Unauthenticated);
    // Each realm has its own keys: the signature fails first (the issuer check would fail next).
    expect((err as Unauthenticated).reason).toMatch(/signature does not verify|was not issued by/);
  });

  it('answers unavailable (not unauthenticated) when the issuer cannot be reached', async () => {
    const down = new TokenVerifier({
      ...options,
      issuer: 'http://127.0.0.1:9/realms/realname',
      httpTimeoutMs: 1_000,
    });
    expect(await rejection(down.verify(await tokenFor('hz-city')))).toBeInstanceOf(AuthUnavailable);
  });

  describe('REST guard', () => {
    @Controller('probe')
    @UseGuards(ResourceServerGuard)
    class ProbeController {
      @Get('city')
      @RequireRoles('city-supervisor', 'province-supervisor')
      city(@CurrentCaller() caller: Caller) {
        return caller;
      }

      @Get('reveal')
      @RequireRoles('city-supervisor')
      @RequirePermissions('reveal-identity')
      reveal(@CurrentCaller() caller: Caller) {
        return { subject: caller.subject };
      }
    }

    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      @Module({ imports: [ResourceServerModule.forRoot(options)], controllers: [ProbeController] })
      class ProbeModule {}
      app = await NestFactory.create(ProbeModule, { logger: false });
      app.useGlobalFilters(new ProblemDetailsFilter());
      await app.listen(0, '127.0.0.1');
      base = `${await app.getUrl()}/probe`.replace('[::1]', '127.0.0.1');
    });
    afterAll(() => app?.close());

    const get = (path: string, token?: string) =>
      fetch(`${base}/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('200 with the caller for a role the route accepts', async () => {
      const res = await get('city', await tokenFor('nb-city'));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        roles: ['city-supervisor'],
        scope: { kind: 'city', code: '330200' },
      });
    });

    it('401 problem unauthenticated with WWW-Authenticate, without a token or with a forged one', async () => {
      const res = await get('city');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="realname"');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'urn:realname:problem:unauthenticated', status: 401 });

      const expiredLike = await get('city', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
      expect(expiredLike.status).toBe(401);
      expect(expiredLike.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="realname", error="invalid_token"/,
      );
    });

    it('403 problem forbidden naming the missing role, or the missing permission', async () => {
      const res = await get('city', await tokenFor('municipal-hangzhou'));
      expect(res.status).toBe(403);
      const body = (await res.json()) as { type: string; detail: string };
      expect(body.type).toBe('urn:realname:problem:forbidden');
      expect(body.detail).toContain('city-supervisor, province-supervisor');
      expect(body.detail).toContain('municipal-integrator');
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');

      const noPermission = await get('reveal', await tokenFor('hz-city'));
      expect(noPermission.status).toBe(403);
      expect(((await noPermission.json()) as { detail: string }).detail).toContain('reveal-identity');
      const revealer = await get('reveal', await tokenFor('hz-revealer'));
      expect(revealer.status).toBe(200);
    });
  });

  describe('gRPC guard', () => {
    class Service {
      @RequireRoles('municipal-integrator')
      getThing(): void {}
    }
    const guard = new ResourceServerGuard(verifier, new Reflector());

    const call = async (authorization?: string) => {
      const metadata = new Metadata();
      if (authorization) metadata.set('authorization', authorization);
      const ctx = new ExecutionContextHost([{}, metadata, {}], Service, Service.prototype.getThing);
      ctx.setType('rpc');
      try {
        await guard.canActivate(ctx);
        return { code: status.OK, metadata };
      } catch (err) {
        expect(err).toBeInstanceOf(RpcException);
        return (err as RpcException).getError() as { code: number; message: string };
      }
    };

    it('lets a token with the role through', async () => {
      expect((await call(`Bearer ${await tokenFor('municipal-wuhan')}`)).code).toBe(status.OK);
    });

    it('UNAUTHENTICATED without a token, with a forged or expired one', async () => {
      const none = await call();
      expect(none.code).toBe(status.UNAUTHENTICATED);
      expect((none as { message: string }).message).toContain('authorization: Bearer');
      expect((await call('Bearer not.a.jwt')).code).toBe(status.UNAUTHENTICATED);
    });

    it('PERMISSION_DENIED naming the role for a token without it', async () => {
      const r = (await call(`Bearer ${await tokenFor('wh-city')}`)) as { code: number; message: string };
      expect(r.code).toBe(status.PERMISSION_DENIED);
      expect(r.message).toContain('municipal-integrator');
    });
  });
});
