import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentials, JsonLogger } from '@realname/platform';
import { REVEAL_PURPOSE, RegistryIdentities } from './registry-identities';

/**
 * RegistryIdentities against a real HTTP server of this test playing the worker registry and the
 * issuer of its tokens (discovery and token endpoint, client credentials): the real ClientCredentials.
 */
const WORKER = '0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b';
const ID_NUMBER = '33010619900101123X';
const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

interface Call {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

type Answer = (req: IncomingMessage, res: ServerResponse, call: Call) => void;

let server: Server;
let base: string;
let issued = 0;
/** The token the registry takes; anything else is answered 401. */
let accepted = 'token-1';
let tokenEndpointDown = false;
let revealAnswer: Answer;
let photoAnswer: Answer;
const calls: Call[] = [];
const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
const logger = {
  event: (level: string, msg: string, fields: Record<string, unknown> = {}) =>
    logged.push({ level, msg, fields }),
} as unknown as JsonLogger;

const ok: Answer = (_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      idCardNumber: ID_NUMBER,
      phone: null,
      birthDate: '1990-01-01',
      address: '杭州市西湖区',
      issuingAuthority: '杭州市公安局西湖分局',
    }),
  );
const photo: Answer = (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO);
const status =
  (code: number): Answer =>
  (_req, res) =>
    res.writeHead(code, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: code }));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const call = { method: req.method ?? '', path, authorization: req.headers.authorization, body: '' };
      call.body = Buffer.concat(chunks).toString();
      calls.push(call);
      if (path === '/issuer/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token_endpoint: `${base}/issuer/token` }));
        return;
      }
      if (path === '/issuer/token') {
        if (tokenEndpointDown) return void res.writeHead(503).end();
        issued += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 300, token_type: 'Bearer' }));
        return;
      }
      if (req.headers.authorization !== `Bearer ${accepted}`) return void res.writeHead(401).end();
      if (req.method === 'POST' && path === `/api/v1/workers/${WORKER}/identity-reveals`)
        return revealAnswer(req, res, call);
      if (req.method === 'GET' && path === `/api/v1/workers/${WORKER}/head-photo`)
        return photoAnswer(req, res, call);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls.length = 0;
  logged.length = 0;
  issued = 0;
  accepted = 'token-1';
  tokenEndpointDown = false;
  revealAnswer = ok;
  photoAnswer = photo;
});

function client(timeoutMs = 2_000, issuer = `${base}/issuer`): RegistryIdentities {
  const credentials = new ClientCredentials({
    issuer,
    clientId: 'svc-reporting',
    clientSecret: 'local-secret',
    httpTimeoutMs: 500,
    maxWaitMs: 1_000,
  });
  return new RegistryIdentities({ url: `${base}/`, credentials }, logger, timeoutMs);
}

const registryCalls = () => calls.filter((c) => c.path.startsWith('/api/'));

describe('identities from the worker registry', () => {
  it('reveals the ID number with a purpose and the client’s token, and base64s the head photo', async () => {
    const answer = await client().identityOf(WORKER);
    expect(answer).toEqual({
      outcome: 'found',
      identity: { idCardType: '01', idCardNumber: ID_NUMBER, headImage: PHOTO.toString('base64') },
    });
    const [head, reveal] = registryCalls();
    expect(reveal).toMatchObject({ method: 'POST', authorization: 'Bearer token-1' });
    expect(JSON.parse(reveal.body)).toEqual({ purpose: REVEAL_PURPOSE });
    expect(head).toMatchObject({ method: 'GET', authorization: 'Bearer token-1' });
    expect(JSON.stringify(logged)).not.toContain(ID_NUMBER);
  });

  it('after a 401 takes a new token from the issuer, once, and goes on with it', async () => {
    accepted = 'token-2';
    const answer = await client().identityOf(WORKER);
    expect(answer.outcome).toBe('found');
    expect(registryCalls().map((c) => [c.method, c.authorization])).toEqual([
      ['GET', 'Bearer token-1'],
      ['GET', 'Bearer token-2'],
      ['POST', 'Bearer token-2'],
    ]);
    expect(issued).toBe(2);
  });

  it('does not loop when the new token is refused too: unavailable, naming what the client needs', async () => {
    accepted = 'never';
    const answer = await client().identityOf(WORKER);
    expect(answer).toEqual({ outcome: 'unavailable', detail: expect.stringContaining('reveal-identity') });
    expect(registryCalls()).toHaveLength(2);
  });

  it('a worker the registry does not know (404) is unknown, warned about once, without any number', async () => {
    revealAnswer = status(404);
    photoAnswer = status(404);
    const registry = client();
    expect(await registry.identityOf(WORKER)).toEqual({ outcome: 'unknown' });
    expect(await registry.identityOf(WORKER)).toEqual({ outcome: 'unknown' });
    const warnings = logged.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({ fields: { workerId: WORKER, waitingFor: `identity:${WORKER}` } }),
    ]);
  });

  it('a worker without a head photo is found without a head image', async () => {
    photoAnswer = status(404);
    expect(await client().identityOf(WORKER)).toEqual({
      outcome: 'found',
      identity: { idCardType: '01', idCardNumber: ID_NUMBER },
    });
  });

  it('hands over the card’s validity when the registry holds it (Zhejiang V2.0 asks for it)', async () => {
    photoAnswer = status(404);
    revealAnswer = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          idCardNumber: ID_NUMBER,
          phone: null,
          birthDate: '1990-01-01',
          address: '杭州市西湖区',
          issuingAuthority: '杭州市公安局西湖分局',
          idValidFrom: '2016-05-01',
          idValidTo: '2036-05-01',
        }),
      );
    expect(await client().identityOf(WORKER)).toEqual({
      outcome: 'found',
      identity: {
        idCardType: '01',
        idCardNumber: ID_NUMBER,
        validity: { from: '2016-05-01', to: '2036-05-01' },
      },
    });
  });

  it('a registry answering 503 leaves the worker to be asked again; the warning comes once, then the recovery', async () => {
    revealAnswer = status(503);
    const registry = client();
    expect(await registry.identityOf(WORKER)).toEqual({
      outcome: 'unavailable',
      detail: 'worker registry: the identity reveal answered 503',
    });
    photoAnswer = status(502);
    revealAnswer = ok;
    const before = registryCalls().length;
    expect(await registry.identityOf(WORKER)).toEqual({
      outcome: 'unavailable',
      detail: 'worker registry: the head photo answered 502',
    });
    // No reveal (an audit row) for a worker whose photo could not be had: it is asked again whole.
    expect(
      registryCalls()
        .slice(before)
        .map((c) => c.method),
    ).toEqual(['GET']);
    photoAnswer = photo;
    expect((await registry.identityOf(WORKER)).outcome).toBe('found');
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      ['warn', expect.stringContaining('worker registry unavailable')],
      ['info', expect.stringContaining('reachable again')],
    ]);
    expect(JSON.stringify(logged)).not.toContain(ID_NUMBER);
  });

  it('a registry that does not answer in time is unavailable after the timeout, not later', async () => {
    revealAnswer = () => undefined; // never answers
    const started = Date.now();
    const answer = await client(300).identityOf(WORKER);
    expect(answer).toEqual({ outcome: 'unavailable', detail: expect.stringMatching(/^worker registry: /) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an issuer that is away is unavailable within the timeout, and the registry is not called', async () => {
    tokenEndpointDown = true;
    const started = Date.now();
    const answer = await client(400).identityOf(WORKER);
    expect(answer.outcome).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(registryCalls()).toEqual([]);
  });
});
