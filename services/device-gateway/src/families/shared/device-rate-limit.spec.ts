/**
 * The per-device request limit, controller by controller: over its burst a device gets its own
 * family's "later" reply with 429 and Retry-After (served over real HTTP with the core stand-ins).
 */
import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY, ProblemDetailsFilter, SERVICE_CONFIG } from '@realname/platform';
import type { Device } from '../../devices/device';
import { OpenProtocolController } from '../../open-protocol/open-protocol.controller';
import { SiteAgentController } from '../../site-agent/site-agent.controller';
import { HikvisionController } from '../hikvision/hikvision.controller';
import { HttpV2Controller } from '../httpv2/httpv2.controller';
import { UfaceController } from '../uface/uface.controller';
import { ZktecoController } from '../zkteco/zkteco.controller';
import { CoreStandIns, serveController } from './core-stand-ins.spec-support';
import { DeviceRateLimiter } from './device-rate-limit';

const TOKEN = 'tok_0123456789abcdef';
const BURST = 2;

function device(over: Partial<Device> & Pick<Device, 'deviceId' | 'family'>): Device {
  return {
    projectId: 'P1',
    region: '330106',
    token: TOKEN,
    timeZone: 'Asia/Shanghai',
    defaultDirection: 'in',
    enabled: true,
    online: true,
    ...over,
  };
}

const devices: Device[] = [
  device({ deviceId: 'zk-1', family: 'zkteco-push', serial: 'ZK0001', token: undefined }),
  device({ deviceId: 'hik-1', family: 'hikvision-isapi' }),
  device({ deviceId: 'uf-1', family: 'uface', serial: 'UF0001' }),
  device({ deviceId: 'v2-1', family: 'httpv2', serial: 'V2-0001' }),
];

interface Served {
  app: INestApplication;
  base: string;
  registry: Registry;
}

/** `controller` with a limiter allowing BURST requests and (practically) no refill during the test. */
async function serve(controller: Type<unknown>, mount: string, problems = false): Promise<Served> {
  const registry = new Registry();
  const fakes = new CoreStandIns(devices);
  const limiter = new DeviceRateLimiter({ ratePerS: 0.01, burst: BURST }, registry);
  const { app, base } = await serveController(
    controller,
    mount,
    [
      ...fakes.providers(),
      { provide: DeviceRateLimiter, useValue: limiter },
      { provide: METRICS_REGISTRY, useValue: registry },
      {
        provide: SERVICE_CONFIG,
        useValue: {
          COMMAND_ACK_TIMEOUT_S: 120,
          DEVICE_OFFLINE_AFTER_S: 6,
          OPEN_PROTOCOL_TIMESTAMP_WINDOW_S: 300,
        },
      },
    ],
    problems ? (a) => a.useGlobalFilters(new ProblemDetailsFilter()) : undefined,
  );
  return { app, base, registry };
}

/** Sends the same request BURST + 1 times; the last reply. */
async function overBurst(url: string, init: RequestInit = {}): Promise<Response> {
  for (let i = 0; i < BURST; i++) {
    const ok = await fetch(url, init);
    expect(ok.status).not.toBe(429);
    await ok.arrayBuffer();
  }
  return fetch(url, init);
}

async function limitedCount(registry: Registry, family: string): Promise<number> {
  const metric = await registry.getSingleMetric('gateway_device_requests_rate_limited_total')?.get();
  return metric?.values.find((v) => v.labels.family === family)?.value ?? 0;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('per-device rate limit: each family answers its own "later" with 429', () => {
  let s: Served | undefined;
  afterEach(async () => {
    await s?.app.close();
    s = undefined;
  });

  it('ZKTeco: ERROR text, Retry-After, the Date header the device sets its clock from', async () => {
    s = await serve(ZktecoController, '/iclock');
    const res = await overBurst(`${s.base}/iclock/getrequest?SN=ZK0001`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('date')).toBeTruthy();
    expect(await res.text()).toMatch(/^ERROR: too many requests/);
    expect(await limitedCount(s.registry, 'zkteco-push')).toBe(1);
  });

  it('Hikvision: ResponseStatus deviceBusy', async () => {
    s = await serve(HikvisionController, '/isapi');
    const res = await overBurst(
      `${s.base}/isapi/v1/hik-1/${TOKEN}/events`,
      json({ eventType: 'heartBeat', dateTime: '2026-12-03T08:00:00+08:00' }),
    );
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ statusCode: 4, subStatusCode: 'deviceBusy' });
    expect(await limitedCount(s.registry, 'hikvision-isapi')).toBe(1);
  });

  it('Uface: result 0, success false', async () => {
    s = await serve(UfaceController, '/uface');
    const res = await overBurst(`${s.base}/uface/v1/uf-1/${TOKEN}/heartbeat`, json({ deviceKey: 'UF0001' }));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ result: 0, success: false });
    expect(await limitedCount(s.registry, 'uface')).toBe(1);
  });

  it('HTTPv2: ErrorCode 1003 (unavailable, send again)', async () => {
    s = await serve(HttpV2Controller, '/httpv2');
    const res = await overBurst(`${s.base}/httpv2/${TOKEN}/Device/Keepalive`, json({ SN: 'V2-0001' }));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ Success: 0, ErrorCode: 1003 });
    expect(await limitedCount(s.registry, 'httpv2')).toBe(1);
  });

  it('open-v1: problem details with code open-v1/rate-limited (unauthenticated: by address)', async () => {
    s = await serve(OpenProtocolController, '/open');
    const init = json({ deviceClock: '2026-12-03T08:00:00+08:00' });
    const res = await overBurst(`${s.base}/open/v1/heartbeat`, init);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      type: 'urn:realname:problem:rate-limited',
      status: 429,
      code: 'open-v1/rate-limited',
    });
    expect(await limitedCount(s.registry, 'open-v1')).toBe(1);
  });

  it('site agent: problem details rate-limited, per device', async () => {
    s = await serve(SiteAgentController, '/agent', true);
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{}',
    };
    const res = await overBurst(`${s.base}/agent/v1/devices/hik-1/commands/claim`, init);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ type: 'urn:realname:problem:rate-limited', status: 429 });
    expect(await limitedCount(s.registry, 'site-agent')).toBe(1);
    // Another device of the same agent has its own budget.
    const other = await fetch(`${s.base}/agent/v1/devices/uf-1/commands/claim`, init);
    expect(other.status).toBe(200);
  });
});
