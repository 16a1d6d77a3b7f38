import { fakeJpeg, HikvisionTerminal } from '@realname/device-simulator';
import { FakeAgentGateway } from '../test/fake-agent-gateway';
import { AgentEvent, defaultDriver, SiteAgent } from './agent';
import { parseAgentArgs, parseDeviceSpec } from './cli-args';
import { isapiTime, wholeSeconds } from './protocol';

const TOKEN = 'tok_0123456789abcdef';

describe('SiteAgent', () => {
  let gw: FakeAgentGateway;
  let t: HikvisionTerminal;
  let agent: SiteAgent | undefined;
  const events: AgentEvent[] = [];

  beforeEach(async () => {
    events.length = 0;
    gw = await new FakeAgentGateway().start();
    gw.addDevice({ deviceId: 'gate-1', token: TOKEN, family: 'hikvision-isapi', timeZone: 'Asia/Shanghai' });
    t = new HikvisionTerminal({ deviceId: 'gate-1', password: 'Pw12345!' });
    await t.listen();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await t.close();
    await gw.stop();
  });

  const make = (o: Partial<ConstructorParameters<typeof SiteAgent>[0]> = {}) =>
    new SiteAgent({
      gateway: gw.url,
      devices: [
        {
          deviceId: 'gate-1',
          token: TOKEN,
          family: 'hikvision-isapi',
          baseUrl: t.isapiUrl,
          user: 'admin',
          password: 'Pw12345!',
        },
      ],
      pollIntervalMs: 50,
      onCommand: (e) => events.push(e),
      ...o,
    });

  it('claims, executes in order and reports: upsert then delete of the same person', async () => {
    const photoRef = gw.putPhoto(fakeJpeg(1));
    gw.enqueue('gate-1', 'person.upsert', { personId: 'P1', name: 'A', photoRef });
    gw.enqueue('gate-1', 'person.upsert', { personId: 'P2', name: 'B' });
    gw.enqueue('gate-1', 'person.delete', { personId: 'P1' });
    agent = make();
    expect(await agent.runOnce()).toBe(3);
    expect(gw.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect([...t.users.keys()]).toEqual(['P2']);
    expect(events.map((e) => [e.command.kind, e.outcome.ok, e.reported])).toEqual([
      ['person.upsert', true, true],
      ['person.upsert', true, true],
      ['person.delete', true, true],
    ]);
    expect(agent.stats).toMatchObject({ claimed: 3, succeeded: 3, failed: 0 });
  });

  it('keeps outcomes the gateway could not take and reports them before claiming again', async () => {
    gw.enqueue('gate-1', 'person.upsert', { personId: 'P1', name: 'A' });
    gw.failNext('/result', 503, 2);
    agent = make();
    await agent.runOnce(); // executed; the report fails and is kept
    expect(gw.commands[0].status).toBe('sent');
    expect(events[0].reported).toBe(false);
    gw.enqueue('gate-1', 'person.upsert', { personId: 'P2', name: 'B' });
    await expect(agent.runOnce()).rejects.toThrow(/503/); // still failing: nothing new is claimed
    expect(gw.commands[1].status).toBe('queued');
    await agent.runOnce(); // the old outcome first, then the new command
    expect(gw.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('drops a late report the gateway no longer waits for (the command expired meanwhile)', async () => {
    const c = gw.enqueue('gate-1', 'person.upsert', { personId: 'P1', name: 'A' });
    agent = make({
      driverFor: (d) => {
        const real = defaultDriver(d);
        return {
          ...real,
          family: real.family,
          personUpsert: async (p, ctx) => {
            c.status = 'queued'; // the gateway's acknowledgement timeout passed while the device worked
            return real.personUpsert(p, ctx);
          },
          personDelete: (p, ctx) => real.personDelete(p, ctx),
          recordsQuery: (r, ctx) => real.recordsQuery(r, ctx),
          recordsVerify: (r, ctx) => real.recordsVerify(r, ctx),
        };
      },
    });
    await agent.runOnce();
    expect(agent.stats.reportsDropped).toBe(1);
    expect(events[0]).toMatchObject({ reported: false, outcome: { ok: true } });
    expect(t.users.has('P1')).toBe(true);
  });

  it('runs a loop per device that keeps polling until stopped', async () => {
    agent = make();
    agent.start();
    gw.enqueue('gate-1', 'person.upsert', { personId: 'P7', name: 'G' });
    for (let i = 0; i < 100 && gw.commands[0].status !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(gw.commands[0].status).toBe('succeeded');
    gw.enqueue('gate-1', 'person.delete', { personId: 'P7' });
    for (let i = 0; i < 100 && gw.commands[1].status !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(t.users.has('P7')).toBe(false);
    await agent.stop();
    const claims = gw.requests.filter((r) => r.path.endsWith('/claim')).length;
    await new Promise((r) => setTimeout(r, 150));
    expect(gw.requests.filter((r) => r.path.endsWith('/claim')).length).toBe(claims);
  });

  it('refuses bad configurations', () => {
    expect(() => new SiteAgent({ gateway: gw.url, devices: [] })).toThrow(/no device/);
    const d = { deviceId: 'a', token: TOKEN, family: 'uface' as const, baseUrl: 'http://x', password: 'p' };
    expect(() => new SiteAgent({ gateway: gw.url, devices: [d, d] })).toThrow(/twice/);
  });
});

describe('CLI arguments', () => {
  it('parses device specs whose URLs and passwords contain colons', () => {
    expect(parseDeviceSpec(`gate-1:${TOKEN}:hikvision-isapi:http://192.168.1.64:8080:admin:pa:ss`)).toEqual({
      deviceId: 'gate-1',
      token: TOKEN,
      family: 'hikvision-isapi',
      baseUrl: 'http://192.168.1.64:8080',
      user: 'admin',
      password: 'pa:ss',
    });
    expect(parseDeviceSpec(`uf-1:${TOKEN}:uface:http://10.0.0.5:8090/api::devpass`)).toEqual({
      deviceId: 'uf-1',
      token: TOKEN,
      family: 'uface',
      baseUrl: 'http://10.0.0.5:8090/api',
      password: 'devpass',
    });
    expect(parseDeviceSpec(`g:${TOKEN}:zkteco-push:http://x:a:b`)).toHaveProperty('error');
    expect(parseDeviceSpec(`g:short:uface:http://x::b`)).toHaveProperty('error');
    expect(parseDeviceSpec(`g:${TOKEN}:hikvision-isapi:http://x::b`)).toHaveProperty('error');
    expect(parseDeviceSpec(`g:${TOKEN}:uface:ftp://x::b`)).toHaveProperty('error');
  });

  it('parses options, devices from the environment, and reports mistakes', () => {
    const r = parseAgentArgs(
      [
        '--gateway',
        'http://gw:8081',
        '--poll-interval=0.5',
        '--kinds',
        'records.query',
        '--face-via',
        'url',
        '--once',
      ],
      { REALNAME_AGENT_DEVICES: `uf-1:${TOKEN}:uface:http://10.0.0.5:8090::p\n` },
    );
    expect(r).toEqual({
      kind: 'run',
      args: expect.objectContaining({
        gateway: 'http://gw:8081',
        pollIntervalMs: 500,
        once: true,
        devices: [expect.objectContaining({ deviceId: 'uf-1', kinds: ['records.query'], faceVia: 'url' })],
      }),
    });
    expect(parseAgentArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseAgentArgs(['--device', `a:${TOKEN}:uface:http://x::p`])).toMatchObject({
      kind: 'error',
      message: /gateway/,
    });
    expect(parseAgentArgs(['--gateway', 'http://gw'])).toMatchObject({ kind: 'error', message: /device/ });
    expect(parseAgentArgs(['--gateway', 'http://gw', '--kinds', 'reboot'])).toMatchObject({ kind: 'error' });
    expect(parseAgentArgs(['--bogus'])).toMatchObject({ kind: 'error', message: /--bogus/ });
    expect(parseAgentArgs(['--gateway', 'http://gw', '--claim-limit', '99'])).toMatchObject({
      kind: 'error',
      message: '--claim-limit must be 1-50',
    });
    expect(parseAgentArgs(['--gateway', 'http://gw', '--once=1'])).toMatchObject({
      kind: 'error',
      message: '--once takes no value',
    });
  });
});

describe('device time forms', () => {
  it('formats instants in the device zone and narrows ranges to whole seconds', () => {
    const at = new Date('2026-11-20T23:41:02.700Z');
    expect(isapiTime(at, 'Asia/Shanghai')).toBe('2026-11-21T07:41:02+08:00');
    expect(isapiTime(at, 'America/Sao_Paulo')).toBe('2026-11-20T20:41:02-03:00');
    expect(wholeSeconds({ from: at, to: new Date('2026-11-20T23:50:00.300Z') })).toEqual({
      from: new Date('2026-11-20T23:41:03Z'),
      to: new Date('2026-11-20T23:50:00Z'),
    });
  });
});
