import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testIdentity, testIssuer } from '@realname/testing';
import { DEFAULT_CLAIM_NAMES } from './claims';
import { DependencyUnavailable, classifyFailure } from '../failures';
import { ClientCredentials } from './client-credentials';
import { TokenVerifier } from './token-verifier';

// Against the REAL OpenID Connect provider of the local stack (Keycloak, deploy/local/stack.sh up).

const issuer = testIssuer();
const verifier = new TokenVerifier({
  issuer,
  audience: 'realname-api',
  claims: DEFAULT_CLAIM_NAMES,
  clockToleranceS: 0,
  algorithms: ['RS256', 'PS256', 'ES256'],
  httpTimeoutMs: 5_000,
});

describe('ClientCredentials (client credentials grant at the local Keycloak)', () => {
  it('gets a token the resource server accepts as the machine client, and reuses it', async () => {
    const gateway = testIdentity('svc-device-gateway');
    const client = new ClientCredentials({ issuer, clientId: gateway.name, clientSecret: gateway.secret });
    const [a, b] = await Promise.all([client.token(), client.token()]);
    expect(a).toBe(b);
    const caller = await verifier.verifyAuthorization(await client.authorization());
    expect(caller.roles).toEqual(['internal-service']);
    expect(caller.scope).toEqual({ kind: 'province', code: '330000' });
    expect(await client.token()).toBe(a);
    client.invalidate();
    expect(await client.token()).not.toBe(a);
  });

  it('refuses wrong credentials at once, naming the client and the variables to check', async () => {
    const client = new ClientCredentials({ issuer, clientId: 'svc-device-gateway', clientSecret: 'wrong' });
    const started = Date.now();
    await expect(client.token()).rejects.toThrow(
      /refused the client credentials of svc-device-gateway \(401 unauthorized_client.*OIDC_CLIENT_SECRET/,
    );
    expect(Date.now() - started).toBeLessThan(4_000);
    // Not the fault of whatever message needed the token: a consumer waits, it never dead-letters.
    expect(classifyFailure(await client.token().catch((e: unknown) => e))).toBe('transient');
  });

  it('gives up on an issuer that does not answer after maxWaitMs, as a transient failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new ClientCredentials({
      issuer: `http://127.0.0.1:${port}/realms/realname`,
      clientId: 'svc-device-gateway',
      clientSecret: 'x',
      maxWaitMs: 1_500,
    });
    const err = await client.token().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailable);
    expect(String(err)).toMatch(/could not be reached within 1500 ms/);
    expect(classifyFailure(err)).toBe('transient');
  });

  it('waits out an issuer that answers 503 for a while, then gets its token', async () => {
    const gateway = testIdentity('svc-device-gateway');
    let failures = 2;
    // A proxy in front of the real issuer that fails its first two discovery requests.
    const proxy = createServer((req, res) => {
      if (failures-- > 0) {
        res.writeHead(503).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fetch(new URL(req.url ?? '/', new URL(issuer).origin), {
          method: req.method,
          headers: { ...(req.headers as Record<string, string>), host: new URL(issuer).host },
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        }).then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const path = new URL(issuer).pathname;
      const client = new ClientCredentials({
        issuer: `http://127.0.0.1:${port}${path}`,
        clientId: gateway.name,
        clientSecret: gateway.secret,
      });
      const token = await client.token();
      expect((await verifier.verifyAuthorization(`Bearer ${token}`)).subject).toBeTruthy();
      expect(failures).toBeLessThan(0);
    } finally {
      proxy.close();
    }
  });
});
