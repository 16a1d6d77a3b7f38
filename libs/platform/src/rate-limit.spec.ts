import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Server } from 'node:http';
import { bodyErrorHandler, bodyParsers } from './bootstrap';
import {
  apiRateLimit,
  RateLimited,
  rememberVerifiedToken,
  TokenBuckets,
  verifiedSubject,
} from './rate-limit';
import { toProblem } from './problem';

describe('TokenBuckets', () => {
  it('allows the burst, then refuses with the seconds until the next token', () => {
    const b = new TokenBuckets({ ratePerS: 2, burst: 3 });
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(b.take('a', t0)).toEqual({ ok: true });
    expect(b.take('a', t0)).toEqual({ ok: false, retryAfterS: 1 });
    // Another key has its own bucket.
    expect(b.take('b', t0)).toEqual({ ok: true });
  });

  it('refills at the rate, never above the burst', () => {
    const b = new TokenBuckets({ ratePerS: 1, burst: 2 });
    const t0 = 5_000;
    b.take('a', t0);
    b.take('a', t0);
    expect(b.take('a', t0).ok).toBe(false);
    expect(b.take('a', t0 + 999).ok).toBe(false);
    expect(b.take('a', t0 + 2000).ok).toBe(true); // one token back after a second (the refusals cost none)
    // A long quiet spell gives back the burst, not more.
    const later = t0 + 60_000;
    expect(b.take('a', later).ok).toBe(true);
    expect(b.take('a', later).ok).toBe(true);
    expect(b.take('a', later).ok).toBe(false);
  });

  it('asks a slow-rate client to wait several seconds', () => {
    const b = new TokenBuckets({ ratePerS: 0.25, burst: 1 });
    expect(b.take('a', 0).ok).toBe(true);
    expect(b.take('a', 0)).toEqual({ ok: false, retryAfterS: 4 });
  });

  it('is off at rate 0', () => {
    const b = new TokenBuckets({ ratePerS: 0, burst: 1 });
    for (let i = 0; i < 1000; i++) expect(b.take('a').ok).toBe(true);
    expect(b.size).toBe(0);
  });

  it('keeps at most maxKeys buckets, dropping the least recently used', () => {
    const b = new TokenBuckets({ ratePerS: 1, burst: 1, maxKeys: 2 });
    b.take('a', 0);
    b.take('b', 0);
    b.take('a', 0);
    b.take('c', 0);
    expect(b.size).toBe(2);
    expect(b.take('a', 0).ok).toBe(false); // a was kept (recently used), still empty
    expect(b.take('b', 0).ok).toBe(true); // b was dropped: a fresh bucket
  });
});

describe('RateLimited', () => {
  it('is a 429 problem of type rate-limited carrying Retry-After seconds', () => {
    const p = new RateLimited(7);
    expect(p.retryAfterS).toBe(7);
    expect(toProblem(p, '/x')).toMatchObject({
      type: 'urn:realname:problem:rate-limited',
      status: 429,
      detail: expect.stringContaining('7 second'),
    });
  });
});

describe('verified callers', () => {
  it('remembers the subject of a verified bearer token until it expires', () => {
    rememberVerifiedToken('Bearer abc.def.ghi', 'user-1', 1000, 0);
    expect(verifiedSubject('Bearer abc.def.ghi', 500)).toBe('user-1');
    expect(verifiedSubject('Bearer other', 500)).toBeUndefined();
    expect(verifiedSubject('Bearer abc.def.ghi', 2000)).toBeUndefined();
  });
});

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    );
  });
}

describe('apiRateLimit (the per-client REST limit runService applies)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(
      apiRateLimit({
        ratePerS: 0.01,
        burst: 2,
        exclude: ['/health', '/metrics', '/iclock'],
        reject: (req, res, retryAfterS) => {
          const body = toProblem(new RateLimited(retryAfterS), req.originalUrl);
          res.setHeader('Retry-After', String(retryAfterS));
          res.status(429).type('application/problem+json').send(JSON.stringify(body));
        },
      }),
    );
    app.get('/api/v1/things', (_req, res) => void res.json({ ok: true }));
    app.get('/health/ready', (_req, res) => void res.json({ ok: true }));
    app.get('/iclock/getrequest', (_req, res) => void res.send('OK'));
    ({ server, base } = await listen(app));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 429 problem details with Retry-After after the burst, keyed by address', async () => {
    expect((await fetch(`${base}/api/v1/things`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/things`)).status).toBe(200);
    const res = await fetch(`${base}/api/v1/things`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('100');
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'urn:realname:problem:rate-limited', status: 429 });
  });

  it('counts a verified caller by subject, not by address', async () => {
    rememberVerifiedToken('Bearer token-of-ann', 'ann');
    const auth = { headers: { authorization: 'Bearer token-of-ann' } };
    expect((await fetch(`${base}/api/v1/things`, auth)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/things`, auth)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/things`, auth)).status).toBe(429);
    // An unverified token counts against the address (already used up above).
    expect(
      (await fetch(`${base}/api/v1/things`, { headers: { authorization: 'Bearer forged' } })).status,
    ).toBe(429);
  });

  it('never limits health, metrics or device routes', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect((await fetch(`${base}/iclock/getrequest`)).status).toBe(200);
    }
  });
});

describe('bodyParsers: body size limits per route', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(
      bodyParsers(
        ['/device'],
        [
          { path: '/api/v1/small', limit: '1kb' },
          {
            path: '/device',
            limit: '2kb',
            tooLarge: (_req, res, limit) => void res.status(413).send(`ERROR: over ${limit}`),
          },
        ],
        '4kb',
      ),
    );
    app.use(bodyErrorHandler());
    app.post('/api/v1/small', (req, res) => void res.json({ got: Object.keys(req.body as object).length }));
    app.post('/api/v1/other', (req, res) => void res.json({ got: Object.keys(req.body as object).length }));
    app.post('/device/up', (req, res) => void res.json({ bytes: (req.body as Buffer).length }));
    ({ server, base } = await listen(app));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (path: string, body: string, type = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const jsonOf = (bytes: number) => JSON.stringify({ a: 'x'.repeat(bytes) });

  it('answers 413 problem details naming the route limit', async () => {
    expect((await post('/api/v1/small', jsonOf(500))).status).toBe(200);
    const res = await post('/api/v1/small', jsonOf(2000));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      type: 'urn:realname:problem:payload-too-large',
      status: 413,
      detail: expect.stringContaining('1kb'),
    });
  });

  it('takes the default limit elsewhere', async () => {
    expect((await post('/api/v1/other', jsonOf(2000))).status).toBe(200);
    const res = await post('/api/v1/other', jsonOf(5000));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toContain('4kb');
  });

  it('keeps raw bytes under raw paths and answers over the limit in the route own terms', async () => {
    const ok = await post('/device/up', 'x'.repeat(1500), 'text/plain');
    expect(await ok.json()).toEqual({ bytes: 1500 });
    const res = await post('/device/up', 'x'.repeat(3000), 'text/plain');
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('ERROR: over 2kb');
  });

  it('still answers 400 for a body that is not JSON', async () => {
    const res = await post('/api/v1/other', '{not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'urn:realname:problem:invalid-request' });
  });
});
