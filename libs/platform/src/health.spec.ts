import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import { cachedCheck, Readiness } from './health';
import { JsonLogger } from './logger';
import { PlatformModule } from './platform.module';

describe('readiness', () => {
  it('is ready when every dependency answers', async () => {
    const r = new Readiness();
    r.add({ name: 'postgres', required: true, check: async () => true });
    r.add({ name: 'kafka', required: false, check: async () => true });
    expect(await r.evaluate()).toMatchObject({
      status: 'ready',
      ready: true,
      failed: [],
      dependencies: { postgres: { state: 'up', required: true }, kafka: { state: 'up', required: false } },
      checks: { postgres: 'ok', kafka: 'ok' },
    });
  });

  it('is not ready when a required dependency fails, and names it with the reason', async () => {
    const r = new Readiness();
    r.add({
      name: 'postgres',
      required: true,
      check: async () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    r.add({ name: 'clickhouse', required: false, check: async () => true });
    expect(await r.evaluate()).toMatchObject({
      status: 'not ready',
      ready: false,
      failed: ['postgres'],
      dependencies: { postgres: { state: 'down', required: true, reason: 'connect ECONNREFUSED' } },
    });
  });

  it('is degraded, still ready, when only an optional dependency fails', async () => {
    const r = new Readiness();
    r.add({ name: 'postgres', required: true, check: async () => true });
    r.add({ name: 'clickhouse', required: false, check: async () => 'ECONNREFUSED 127.0.0.1:58123' });
    expect(await r.evaluate()).toMatchObject({
      status: 'degraded',
      ready: true,
      failed: ['clickhouse'],
      dependencies: { clickhouse: { state: 'down', reason: 'ECONNREFUSED 127.0.0.1:58123' } },
    });
  });

  it('counts a check that does not answer within 2 s as down', async () => {
    const r = new Readiness();
    r.add({ name: 'kafka', required: true, check: () => new Promise(() => undefined) });
    const started = Date.now();
    const report = await r.evaluate();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(report).toMatchObject({ ready: false, failed: ['kafka'] });
    expect(report.dependencies.kafka.reason).toMatch(/no answer/);
  });

  it('fails at once when shutdown starts, whatever the dependencies say', async () => {
    const r = new Readiness();
    r.add({ name: 'postgres', required: true, check: async () => true });
    r.markShuttingDown();
    expect(await r.evaluate()).toMatchObject({ status: 'not ready', checks: { shutdown: 'in progress' } });
  });

  it('shows each dependency as a dependency_up gauge', async () => {
    const registry = new Registry();
    const r = new Readiness(registry);
    r.add({ name: 'postgres', required: true, check: async () => true });
    r.add({ name: 'clickhouse', required: false, check: async () => false });
    const text = await registry.metrics();
    expect(text).toContain('dependency_up{dependency="postgres"} 1');
    expect(text).toContain('dependency_up{dependency="clickhouse"} 0');
  });

  it('asks a cached dependency at most once per period, and never twice at the same time', async () => {
    let calls = 0;
    const check = cachedCheck(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return true;
    }, 10_000);
    await Promise.all([check(), check(), check()]);
    await check();
    expect(calls).toBe(1);
  });
});

describe('/health over HTTP', () => {
  let app: INestApplication;
  let url: string;
  let readiness: Readiness;
  let clickhouseUp = true;
  let postgresUp = true;

  beforeAll(async () => {
    @Module({
      imports: [
        PlatformModule.forRoot({
          service: 'test',
          config: {},
          logger: new JsonLogger('test', 'error', () => undefined),
        }),
      ],
    })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false });
    readiness = app.get(Readiness);
    readiness.add({
      name: 'postgres',
      required: true,
      check: async () => postgresUp || 'connection refused',
    });
    readiness.add({ name: 'clickhouse', required: false, check: async () => clickhouseUp });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => app.close());

  async function get(path: string) {
    const res = await fetch(url + path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('answers live with the process only, and ready with each dependency and the pid', async () => {
    postgresUp = false;
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'ok', pid: process.pid } });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'not ready',
      failed: ['postgres'],
      dependencies: { postgres: { state: 'down', required: true, reason: 'connection refused' } },
      pid: process.pid,
    });
  });

  it('answers 200 degraded naming the optional dependency that is down', async () => {
    postgresUp = true;
    clickhouseUp = false;
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', failed: ['clickhouse'], pid: process.pid });
    clickhouseUp = true;
    expect(await get('/health/ready')).toMatchObject({ status: 200, body: { status: 'ready', failed: [] } });
  });
});
