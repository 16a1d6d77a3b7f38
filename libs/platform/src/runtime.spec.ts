import { Registry } from 'prom-client';
import { Readiness } from './health';
import { JsonLogger } from './logger';
import { periodicJob, ServiceComponent, ServiceRuntime } from './runtime';

function setup() {
  const lines: string[] = [];
  const logger = new JsonLogger('test', 'debug', (l) => lines.push(l));
  const registry = new Registry();
  const readiness = new Readiness();
  const runtime = new ServiceRuntime(readiness, logger, registry);
  const logged = () => lines.map((l) => JSON.parse(l) as { level: string; msg: string });
  return { runtime, readiness, registry, logged };
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('the service runtime', () => {
  it('starts foreground components in order, background ones beside the servers, and stops in reverse', async () => {
    const { runtime, logged } = setup();
    const events: string[] = [];
    const component = (name: string, background = false): ServiceComponent => ({
      name,
      background,
      start: async () => void events.push(`start ${name}`),
      stop: async () => void events.push(`stop ${name}`),
    });
    await runtime.startForeground({
      components: [
        component('pool'),
        component('relay', true),
        component('devices'),
        component('consumer', true),
      ],
      dependencies: [],
    });
    expect(events).toEqual(['start pool', 'start devices']);
    runtime.startBackground();
    await until(() => logged().filter((l) => / started$/.test(l.msg)).length === 2);
    expect(events).toEqual(['start pool', 'start devices', 'start relay', 'start consumer']);
    events.length = 0;
    await runtime.stop();
    expect(events).toEqual(['stop consumer', 'stop devices', 'stop relay', 'stop pool']);
  });

  it('keeps retrying a background component whose dependency is away, each retry a warning', async () => {
    const { runtime, logged, registry } = setup();
    let attempts = 0;
    await runtime.startForeground({
      components: [
        {
          name: 'kafka consumers',
          background: true,
          start: async () => {
            if (++attempts < 3) throw refused();
          },
          stop: async () => undefined,
        },
      ],
      dependencies: [],
    });
    runtime.startBackground();
    await until(() => logged().some((l) => l.msg === 'kafka consumers: started'), 10_000);
    expect(attempts).toBe(3);
    const retries = logged().filter((l) => l.msg === 'kafka consumers: cannot start yet, will retry');
    expect(retries.map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(await registry.metrics()).toContain('service_component_up{component="kafka consumers"} 1');
    await runtime.stop();
  });

  it('stops a component whose start is still pending (a group join) without waiting for it to finish', async () => {
    const { runtime, readiness } = setup();
    let release: () => void = () => undefined;
    const stops: string[] = [];
    await runtime.startForeground({
      components: [
        {
          name: 'consumer',
          background: true,
          // The join ends when the consumer is told to disconnect.
          start: () => new Promise<void>((r) => (release = r)),
          stop: async () => {
            stops.push('stop');
            release();
          },
        },
      ],
      dependencies: [{ name: 'postgres', required: true, check: async () => true }],
    });
    runtime.startBackground();
    expect((await readiness.evaluate()).ready).toBe(true);
    const started = Date.now();
    await runtime.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    // Once to interrupt the join, once more after it ended, in case it had connected meanwhile.
    expect(stops).toEqual(['stop', 'stop']);
    expect((await readiness.evaluate()).ready).toBe(false);
  });

  it('abandons a pending start at shutdown when the component cannot be interrupted', async () => {
    const { runtime, logged } = setup();
    await runtime.startForeground({
      components: [
        {
          name: 'consumer',
          background: true,
          start: () => new Promise<void>(() => undefined),
          // Like a client that only disconnects once its join has completed.
          stop: () => new Promise<void>(() => undefined),
        },
      ],
      dependencies: [],
    });
    runtime.startBackground();
    const started = Date.now();
    await runtime.stop();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(logged().map((l) => l.msg)).toContain('consumer: still starting; abandoned at shutdown');
  });

  it('gives up on a component that can never start, and keeps the service up', async () => {
    const { runtime, logged } = setup();
    const { PermanentFailure } = await import('./failures');
    await runtime.startForeground({
      components: [
        {
          name: 'sink',
          background: true,
          start: async () => {
            throw new PermanentFailure('the ClickHouse database name is not valid');
          },
        },
      ],
      dependencies: [],
    });
    runtime.startBackground();
    await until(() => logged().some((l) => l.msg === 'sink: cannot start, giving up'));
    await runtime.stop();
  });

  it('a periodic job runs one at a time, and stop waits for the run in hand', async () => {
    const lines: string[] = [];
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const job = periodicJob({
      name: 'presence',
      intervalMs: 5,
      logger: new JsonLogger('test', 'info', (l) => lines.push(l)),
      run: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        finished++;
      },
    });
    await job.start!(new AbortController().signal);
    await until(() => running === 1 && finished >= 1);
    await job.stop!();
    expect(running).toBe(0);
    expect(maxRunning).toBe(1);
  });
});
