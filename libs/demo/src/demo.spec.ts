import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_IDENTITIES, realmCredentials } from './demo-tokens';
import { RegistryClient } from './registry-client';

describe('realmCredentials', () => {
  it("signs the demo's people in through realname-cli and its machine clients with their secrets", () => {
    const issuer = 'http://127.0.0.1:58180/realms/realname';
    expect(realmCredentials(DEMO_IDENTITIES.deviceAdmin, issuer)).toMatchObject({
      kind: 'password',
      clientId: 'realname-cli',
      username: 'dev-hz',
      password: expect.stringMatching(/.+/),
    });
    expect(realmCredentials(DEMO_IDENTITIES.siteWriter, issuer)).toMatchObject({
      kind: 'client',
      clientId: 'municipal-hangzhou',
      clientSecret: expect.stringMatching(/.+/),
    });
    expect(() => realmCredentials('nobody', issuer)).toThrow(/no test user or machine client nobody/);
  });
});

describe('RegistryClient', () => {
  let server: Server;
  let url: string;
  const seen: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'GET' ? JSON.stringify({ projects: [] }) : '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => (seen.length = 0));

  it('sends the reader token with reads, the writer token with writes and the sync token with a sync', async () => {
    const registry = new RegistryClient(url, {
      read: async () => 'r',
      write: async () => 'w',
      sync: async () => 's',
    });
    await registry.sync();
    await registry.projects(3);
    await registry.exitWorker('e1');
    expect(seen.map((s) => [s.method, s.path, s.headers.authorization])).toEqual([
      ['POST', '/api/v1/integrity-sync', 'Bearer s'],
      ['GET', '/api/v1/projects?pageSize=3', 'Bearer r'],
      ['POST', '/api/v1/enrolments/e1/exit', 'Bearer w'],
    ]);
  });

  it('sends no Authorization header without tokens', async () => {
    await new RegistryClient(url).projects(1);
    expect(seen[0].headers.authorization).toBeUndefined();
  });
});
