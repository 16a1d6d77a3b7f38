import { FaultController } from './faults';
import { IntegritySimulator, startIntegritySimulator } from './server';

const API_KEY = 'test-key-not-secret';

describe('FaultController', () => {
  it('affects `count` requests after letting `afterRequests` through, then switches itself off', () => {
    const f = new FaultController();
    f.set({ mode: 'error', status: 502, count: 2, afterRequests: 1 });
    expect([f.next(), f.next(), f.next(), f.next()]).toEqual([
      undefined,
      { mode: 'error', status: 502 },
      { mode: 'error', status: 502 },
      undefined,
    ]);
    expect(f.state()).toMatchObject({ mode: 'none', injected: 2 });
  });

  it('keeps going without a count, and uses the documented defaults', () => {
    const f = new FaultController();
    f.set({ mode: 'slow' });
    for (let i = 0; i < 5; i++) expect(f.next()).toEqual({ mode: 'slow', delayMs: 2000 });
    f.set({ mode: 'timeout' });
    expect(f.next()).toEqual({ mode: 'timeout', holdMs: 60_000 });
    f.set({ mode: 'error' });
    expect(f.next()).toEqual({ mode: 'error', status: 503 });
    f.set({ mode: 'none' });
    expect(f.next()).toBeUndefined();
  });
});

describe('faults over HTTP', () => {
  let sim: IntegritySimulator;
  const changes = (init: RequestInit = {}) =>
    fetch(`${sim.url}/api/v1/changes?limit=5`, { ...init, headers: { 'X-Api-Key': API_KEY } });
  const setFault = async (fault: unknown) => {
    const res = await fetch(`${sim.url}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify(fault),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    sim = await startIntegritySimulator({ apiKey: API_KEY, seed: 3, projects: 2 });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.reset());

  it('answers error statuses the way the application and its nginx do', async () => {
    await setFault({ mode: 'error', status: 500, count: 1 });
    const r500 = await changes();
    expect(r500.status).toBe(500);
    expect(await r500.json()).toEqual({ code: 500, message: expect.any(String) });

    await setFault({ mode: 'error', status: 502, count: 1 });
    const r502 = await changes();
    expect(r502.status).toBe(502);
    expect(r502.headers.get('content-type')).toMatch(/text\/html/);
    expect(await r502.text()).toContain('502 Bad Gateway');

    await setFault({ mode: 'error', count: 1 });
    const r503 = await changes();
    expect(r503.status).toBe(503);
    expect(r503.headers.get('retry-after')).toBe('1');
    expect(((await r503.json()) as { code: number }).code).toBe(503);

    expect((await changes()).status).toBe(200);
  });

  it('fails exactly `count` requests after `afterRequests` good ones', async () => {
    await setFault({ mode: 'error', status: 503, count: 2, afterRequests: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await changes();
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 503, 503, 200, 200]);
    expect(sim.state().requests).toMatchObject({ api: 6, faulted: 2 });
  });

  it('checks faults before the key: a gateway error does not care who asks', async () => {
    sim.injectFault({ mode: 'error', status: 502, count: 1 });
    const res = await fetch(`${sim.url}/api/v1/changes`);
    expect(res.status).toBe(502);
    await res.arrayBuffer();
  });

  it('answers slowly: a slow request started first finishes after a quick one started later', async () => {
    sim.injectFault({ mode: 'slow', delayMs: 400, count: 1 });
    const order: string[] = [];
    const slow = changes().then(async (r) => {
      expect(r.status).toBe(200);
      await r.json();
      order.push('slow');
    });
    await new Promise((r) => setTimeout(r, 20));
    const quick = changes().then(async (r) => {
      await r.json();
      order.push('quick');
    });
    await Promise.all([slow, quick]);
    expect(order).toEqual(['quick', 'slow']);
  });

  it('never answers a request under a timeout fault: the client gives up', async () => {
    sim.injectFault({ mode: 'timeout', count: 1 });
    const started = Date.now();
    await expect(changes({ signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const after = await changes();
    expect(after.status).toBe(200);
    await after.json();
  });

  it('closes a held connection after delayMs under a timeout fault', async () => {
    sim.injectFault({ mode: 'timeout', delayMs: 100, count: 1 });
    await expect(changes()).rejects.toThrow();
  });

  it('cuts the body in half under a truncate fault: the JSON does not parse', async () => {
    const whole = await (await changes()).text();
    sim.injectFault({ mode: 'truncate', count: 1 });
    const res = await changes();
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const all = Buffer.from(whole);
    expect(bytes.equals(all.subarray(0, Math.floor(all.length / 2)))).toBe(true);
    expect(() => JSON.parse(bytes.toString('utf8'))).toThrow(SyntaxError);
    expect(JSON.parse(await (await changes()).text())).toEqual(JSON.parse(whole));
  });

  it('refuses an invalid fault with 400', async () => {
    for (const body of [{ mode: 'explode' }, { mode: 'error', status: 404 }, { mode: 'slow', delayMs: -1 }]) {
      const res = await fetch(`${sim.url}/__admin/faults`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      await res.arrayBuffer();
    }
    expect(() => sim.injectFault({ mode: 'nope' } as never)).toThrow();
  });

  it('ends held connections on close() and leaves nothing running', async () => {
    const own = await startIntegritySimulator({ apiKey: API_KEY, seed: 3, projects: 1 });
    own.injectFault({ mode: 'timeout' });
    const pending = fetch(`${own.url}/api/v1/changes`, { headers: { 'X-Api-Key': API_KEY } });
    const outcome = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await outcome).toBe('failed');
  });
});
