import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import { DEFAULT_CLAIM_NAMES } from './claims';
import { AuthUnavailable, TokenVerifier, Unauthenticated } from './token-verifier';

// The verifier against an in-process issuer (discovery + JWKS on loopback) whose keys the test controls:
// the parts a real provider will not do on request (wrong iss with a good signature, key rotation).

interface Key {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

describe('TokenVerifier', () => {
  let server: Server;
  let issuer: string;
  let published: Key[];
  let discoveryIssuer: string | undefined;
  let jwksRequests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/realms/test/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer: discoveryIssuer ?? issuer, jwks_uri: `${issuer}/certs` }));
      } else if (req.url === '/realms/test/certs') {
        jwksRequests++;
        res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/test`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const options = () => ({
    issuer,
    audience: 'realname-api',
    claims: DEFAULT_CLAIM_NAMES,
    clockToleranceS: 0,
    algorithms: ['RS256'],
    httpTimeoutMs: 2_000,
  });
  const claims = {
    realname_roles: ['county-supervisor'],
    realname_scope_kind: 'county',
    realname_scope: '330106',
  };
  const sign = (key: Key, patch: { iss?: string; aud?: string; exp?: number; typ?: string } = {}) =>
    new SignJWT({ ...claims, ...(patch.typ ? { typ: patch.typ } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setSubject('user-1')
      .setIssuer(patch.iss ?? issuer)
      .setAudience(patch.aud ?? 'realname-api')
      .setIssuedAt()
      .setExpirationTime(patch.exp ?? Math.floor(Date.now() / 1000) + 300)
      .sign(key.privateKey);
  const reason = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err instanceof Unauthenticated ? err.reason : err;
    }
    return 'accepted';
  };

  beforeEach(() => {
    discoveryIssuer = undefined;
  });

  it('accepts a good token and refuses a good signature with the wrong issuer, audience or type', async () => {
    const k1 = await newKey('k1');
    published = [k1];
    const v = new TokenVerifier(options());
    expect((await v.verify(await sign(k1))).scope).toEqual({ kind: 'county', code: '330106' });
    expect(await reason(v.verify(await sign(k1, { iss: 'http://evil.example/realms/test' })))).toContain(
      'was not issued by',
    );
    expect(await reason(v.verify(await sign(k1, { aud: 'other-api' })))).toContain('not for this service');
    expect(await reason(v.verify(await sign(k1, { typ: 'Refresh' })))).toContain('not an access token');
    expect(await reason(v.verify(await sign(k1, { exp: Math.floor(Date.now() / 1000) - 5 })))).toBe(
      'the token has expired',
    );
  });

  it('follows a key rotation: a token signed with a newly published key is accepted', async () => {
    const k1 = await newKey('k1');
    published = [k1];
    const v = new TokenVerifier({ ...options(), jwksCooldownMs: 0 });
    await v.verify(await sign(k1));
    const before = jwksRequests;
    const k2 = await newKey('k2');
    published = [k2];
    expect((await v.verify(await sign(k2))).subject).toBe('user-1');
    expect(jwksRequests).toBe(before + 1);
  });

  it('refuses a discovery document naming another issuer, as unavailable', async () => {
    discoveryIssuer = 'http://elsewhere.example/realms/test';
    const k1 = await newKey('k1');
    published = [k1];
    const err = await reason(new TokenVerifier(options()).verify(await sign(k1)));
    expect(err).toBeInstanceOf(AuthUnavailable);
    expect((err as Error).message).toContain('names issuer http://elsewhere.example/realms/test');
  });

  it('refuses a token signed with HMAC or none, whatever its claims', async () => {
    const k1 = await newKey('k1');
    published = [k1];
    const v = new TokenVerifier(options());
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer(issuer)
      .setAudience('realname-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'));
    expect(await reason(v.verify(hs))).toContain('algorithm is not accepted');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${hs.split('.')[1]}.`;
    expect(await reason(v.verify(none))).toMatch(/algorithm is not accepted|malformed/);
  });
});
