/**
 * The site-agent routes over real HTTP, with the core (devices, ingestion, presence, command queue,
 * backfills, photos) replaced by in-memory stand-ins that keep the core's contracts, driven by the real
 * site agent (`@realname/site-agent`) against the Hikvision simulator's ISAPI server.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { ProblemDetailsFilter } from '@realname/platform';
import { fakeJpeg, HikvisionTerminal } from '@realname/device-simulator';
import { SiteAgent } from '@realname/site-agent';
import type { Device } from '../devices/device';
import { CoreStandIns, serveController } from '../families/shared/core-stand-ins.spec-support';
import { SiteAgentController } from './site-agent.controller';

const hik: Device = {
  deviceId: 'hik-1',
  projectId: 'P1',
  region: '330106',
  family: 'hikvision-isapi',
  token: 'tok_0123456789abcdef',
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in',
  enabled: true,
  online: true,
};
const zk: Device = {
  ...hik,
  deviceId: 'zk-1',
  family: 'zkteco-push',
  serial: 'ZK1',
  token: 'tok_zk_0123456789abc',
};
const BACKFILL = '0190f0e4-0000-7000-8000-0000000000b1';

let fakes: CoreStandIns;
let app: INestApplication;
let base: string;
let terminal: HikvisionTerminal;

beforeAll(async () => {
  fakes = new CoreStandIns([hik, zk]);
  fakes.knownBackfills.set(BACKFILL, { backfillId: BACKFILL, deviceId: 'hik-1' });
  ({ app, base } = await serveController(SiteAgentController, '/agent', fakes.providers(), (a) =>
    a.useGlobalFilters(new ProblemDetailsFilter()),
  ));
  terminal = new HikvisionTerminal({
    deviceId: 'hik-1',
    password: 'Pw12345!',
    gatewayUrl: 'http://127.0.0.1:9',
    token: hik.token,
  });
  await terminal.listen();
});
afterAll(async () => {
  await terminal?.close();
  await app?.close();
});

const agent = () =>
  new SiteAgent({
    gateway: base,
    devices: [
      {
        deviceId: 'hik-1',
        token: hik.token!,
        family: 'hikvision-isapi',
        baseUrl: terminal.isapiUrl,
        user: 'admin',
        password: 'Pw12345!',
      },
    ],
  });

async function call(method: string, path: string, body?: unknown, token: string | null = hik.token!) {
  const res = await fetch(`${base}/agent/v1/devices/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json, text };
}

describe('site agent routes with the real agent', () => {
  it('person commands: claimed, executed on the terminal, results recorded; the photo comes from the gateway', async () => {
    const ref = fakes.addPhoto(fakeJpeg(42));
    fakes.enqueue('person.upsert', { personId: 'P1', name: 'Worker One', photoRef: ref });
    fakes.enqueue('person.upsert', { personId: 'P2', name: 'Worker Two' });
    fakes.enqueue('person.delete', { personId: 'P2' });
    expect(await agent().runOnce()).toBe(3);
    expect(fakes.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(terminal.users.get('P1')?.face?.bytes).toBe(fakeJpeg(42).length);
    expect(terminal.users.has('P2')).toBe(false);
    expect(fakes.seen.map((s) => s.via)).toEqual(['agent', 'agent', 'agent']);
  });

  it('records.query: the AcsEvent pages are uploaded and ingested with the backfill id', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 21, 1, m, 0));
    for (let i = 0; i < 5; i++)
      await terminal.punch({ employeeNo: `P${i}`, at: at(i), form: 'json', attendanceStatus: 'checkIn' });
    await terminal.event(5, 0x19, at(2));
    const q = fakes.enqueue('records.query', {
      from: at(0).toISOString(),
      to: at(10).toISOString(),
      backfillId: BACKFILL,
    });
    await agent().runOnce();
    const done = fakes.commands.find((c) => c.commandId === q.commandId)!;
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ count: 5, deviceMatches: 6, accepted: 5, ignored: 1 });
    const mine = fakes.punches.filter((p) => p.backfillId === BACKFILL);
    expect(mine.map((p) => [p.key, p.personId, p.direction])).toEqual([
      ['1', 'P0', 'in'],
      ['2', 'P1', 'in'],
      ['3', 'P2', 'in'],
      ['4', 'P3', 'in'],
      ['5', 'P4', 'in'],
    ]);
    expect(mine[0].deviceTime).toBe('2026-11-21T09:00:00+08:00');
  });
});

describe('site agent routes, directly', () => {
  it('refuses a missing or wrong token and unknown devices (401), other families (403)', async () => {
    expect((await call('POST', 'hik-1/commands/claim', {}, null)).status).toBe(401);
    const wrong = await call('POST', 'hik-1/commands/claim', {}, 'tok_wrongwrongwrong');
    expect(wrong.status).toBe(401);
    expect(wrong.type).toContain('application/problem+json');
    expect((await call('POST', 'nobody/commands/claim', {})).status).toBe(401);
    const family = await call('POST', 'zk-1/commands/claim', {}, zk.token!);
    expect(family.status).toBe(403);
    expect(family.json?.detail).toContain('zkteco-push');
    expect(fakes.refused.filter((r) => r.outcome === 'unauthenticated').length).toBeGreaterThanOrEqual(3);
  });

  it('validates bodies and names the fields', async () => {
    const empty = await call('POST', 'hik-1/commands/claim', '');
    expect(empty.status).toBe(200);
    expect(empty.json).toMatchObject({
      device: { deviceId: 'hik-1', family: 'hikvision-isapi', timeZone: 'Asia/Shanghai' },
      commands: [],
    });
    const limit = await call('POST', 'hik-1/commands/claim', { limit: 500, kinds: ['reboot'], extra: 1 });
    expect(limit.status).toBe(400);
    const fields = (limit.json?.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['limit', 'kinds[0]', '(body)']));
    expect((await call('POST', 'hik-1/commands/claim', '{nope')).json?.errors).toEqual([
      { field: '(body)', message: 'must be a JSON object' },
    ]);
    const result = await call('POST', 'hik-1/commands/not-a-uuid/result', { ok: true });
    expect(result.json?.errors).toEqual([expect.objectContaining({ field: 'commandId' })]);
    const records = await call('POST', 'hik-1/records', { backfillId: 'x', records: 'no' });
    expect((records.json?.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'backfillId',
      'records',
    ]);
    const unknownBackfill = await call('POST', 'hik-1/records', {
      backfillId: '0190f0e4-0000-7000-8000-0000000000ff',
      records: [],
    });
    expect(unknownBackfill).toMatchObject({ status: 400, json: { errors: [{ field: 'backfillId' }] } });
  });

  it('answers 404 for a command of another device and 409 for one not waiting for a result', async () => {
    expect(
      (await call('POST', 'hik-1/commands/0190f0e4-0000-7000-8000-000000009999/result', { ok: true })).status,
    ).toBe(404);
    const c = fakes.enqueue('person.delete', { personId: 'P9' });
    await call('POST', 'hik-1/commands/claim', { kinds: ['person.delete'] });
    const seen = fakes.seen.length;
    const first = await call('POST', `hik-1/commands/${c.commandId}/result`, {
      ok: false,
      code: 'unreachable',
      detail: 'no route',
    });
    expect(first).toMatchObject({
      status: 200,
      json: { status: 'queued', attempts: 1, deviceCode: 'unreachable' },
    });
    expect(fakes.seen.length).toBe(seen); // an unreachable device is no sign of life
    const again = await call('POST', `hik-1/commands/${c.commandId}/result`, { ok: true });
    expect(again).toMatchObject({
      status: 409,
      json: { type: expect.stringContaining('command-not-outstanding') },
    });
  });

  it('uploads report unreadable records by field and keep the rest', async () => {
    const r = await call('POST', 'hik-1/records', {
      backfillId: BACKFILL,
      records: [
        { major: 5, minor: 75, time: '2026-11-21T10:00:00+08:00', employeeNoString: 'Q1', serialNo: 901 },
        { major: 5, minor: 75, time: 'later', employeeNoString: 'Q2', serialNo: 902 },
        { major: 5, minor: 76, time: '2026-11-21T10:00:05+08:00', serialNo: 903 },
        7,
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ received: 4, punches: 1, accepted: 1, duplicate: 0, ignored: 1 });
    expect((r.json?.invalid as { field: string }[]).map((e) => e.field)).toEqual([
      'records[1].time',
      'records[3]',
    ]);
  });

  it('serves photos by reference to the device token, in the header or the query', async () => {
    const ref = fakes.addPhoto(fakeJpeg(5));
    const hex = ref.slice(7);
    const byHeader = await fetch(`${base}/agent/v1/devices/hik-1/photos/${ref}`, {
      headers: { authorization: `Bearer ${hik.token}` },
    });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await byHeader.arrayBuffer()).equals(fakeJpeg(5))).toBe(true);
    const byQuery = await fetch(`${base}/agent/v1/devices/hik-1/photos/${hex}.jpg?access_token=${hik.token}`);
    expect(byQuery.status).toBe(200);
    expect((await fetch(`${base}/agent/v1/devices/hik-1/photos/${hex}.jpg`)).status).toBe(401);
    expect((await call('GET', `hik-1/photos/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await call('GET', 'hik-1/photos/not-a-ref')).json?.errors).toEqual([
      expect.objectContaining({ field: 'ref' }),
    ]);
  });
});
