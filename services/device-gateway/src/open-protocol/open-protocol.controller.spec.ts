/**
 * The open-v1 controller with stand-ins for the repository, ingestion, presence, queue and photo
 * store: authentication, refusals kept, nothing half-accepted, and what each route hands the core.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { ArgumentsHost } from '@nestjs/common';
import type { Request, Response } from 'express';
import { signRequest } from '@realname/contracts';
import { Problem } from '@realname/platform';
import type { GatewayConfig } from '../config';
import type { CommandQueue, DeviceCommand } from '../commands/command-queue';
import type { Device } from '../devices/device';
import type { DeviceRepository } from '../devices/device-repository';
import type { DevicePresence } from '../devices/presence';
import type { NormalisedPunch, PunchIngestion } from '../ingest/punch-ingestion';
import type { PhotoStore } from '../photos/photo-store';
import { OpenProtocolController } from './open-protocol.controller';
import { OpenV1ProblemFilter } from './open-v1-problem.filter';

const SECRET = 'open-v1-test-secret-0123';
const UUID = '019aa3c1-7d2e-7c3a-9f1e-2b3c4d5e6f70';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 3)]);
const SHA = createHash('sha256').update(JPEG).digest('hex');

const device: Device = {
  deviceId: 'gate-01',
  projectId: '330106202611210001',
  region: '330106',
  family: 'open-v1',
  secret: SECRET,
  timeZone: 'Asia/Shanghai',
  defaultDirection: 'in',
  enabled: true,
  online: true,
};

function harness(devices: Device[] = [device]) {
  const calls = {
    ingest: [] as { punches: NormalisedPunch[]; opts: unknown }[],
    refuse: [] as { outcome: string; detail: string; count?: number }[],
    keep: [] as string[],
    seen: [] as { via: string; deviceClock?: Date }[],
    claim: [] as { limit: number; kinds?: string[] }[],
    complete: [] as { ref: unknown; outcome: unknown }[],
  };
  let queued: Partial<DeviceCommand>[] = [];
  const fakes = {
    devices: { find: async (id: string) => devices.find((d) => d.deviceId === id) },
    ingestion: {
      ingest: async (_d: Device, _raw: unknown, punches: NormalisedPunch[], opts: unknown) => {
        calls.ingest.push({ punches, opts });
        return {
          requestId: 'req-1',
          results: punches.map((p, i) => ({
            key: p.recordId!,
            status: i === 1 ? 'duplicate' : 'accepted',
            eventId: `ev-${i}`,
          })),
        };
      },
      refuse: async (_id: string, _raw: unknown, outcome: string, detail: string, count?: number) => {
        calls.refuse.push({ outcome, detail, count });
      },
      keep: async (_id: string, _raw: unknown, _o: string, detail: string) => {
        calls.keep.push(detail);
        return 'req-k';
      },
    },
    presence: {
      seen: async (_d: Device, o: { via: string; deviceClock?: Date }) => {
        calls.seen.push(o);
      },
    },
    commands: {
      pendingCounts: async () => ({
        'person.upsert': 2,
        'person.delete': 1,
        'records.query': 1,
        'records.verify': 4,
      }),
      claim: async (_id: string, limit: number, kinds?: string[]) => {
        calls.claim.push({ limit, kinds });
        const out = queued;
        queued = [];
        return out;
      },
      complete: async (_id: string, ref: { commandId: string }, outcome: { ok: boolean }) => {
        calls.complete.push({ ref, outcome });
        return ref.commandId === UUID ? { status: outcome.ok ? 'succeeded' : 'queued' } : undefined;
      },
    },
    photos: {
      get: async (sha: string) => (sha === SHA ? { bytes: JPEG, contentType: 'image/jpeg' } : undefined),
    },
  };
  const config = {
    OPEN_PROTOCOL_TIMESTAMP_WINDOW_S: 300,
    OPEN_PROTOCOL_MAX_BATCH: 500,
    OPEN_PROTOCOL_POLL_AFTER_S: 30,
    PHOTO_MAX_BYTES: 1000,
    GATEWAY_PUBLIC_URL: undefined,
  } as unknown as GatewayConfig;
  const logger = { event: () => undefined };
  const controller = new OpenProtocolController(
    fakes.devices as unknown as DeviceRepository,
    fakes.ingestion as unknown as PunchIngestion,
    fakes.presence as unknown as DevicePresence,
    fakes.commands as unknown as CommandQueue,
    fakes.photos as unknown as PhotoStore,
    config,
    logger as never,
  );
  return { controller, calls, queue: (c: Partial<DeviceCommand>[]) => (queued = c) };
}

function signed(
  body: string | Buffer,
  o: { secret?: string; deviceId?: string; ts?: number; method?: string; path?: string } = {},
): Request {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-device-id': o.deviceId ?? device.deviceId,
    'x-timestamp': ts,
    'x-signature': signRequest(o.secret ?? SECRET, ts, bytes),
  };
  return {
    body: o.method === 'GET' ? undefined : bytes,
    method: o.method ?? 'POST',
    path: o.path ?? '/open/v1/punches',
    originalUrl: o.path ?? '/open/v1/punches',
    header: (name: string) => headers[name.toLowerCase()],
  } as unknown as Request;
}

async function problemOf(p: Promise<unknown>): Promise<Problem> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Problem);
  return err as Problem;
}

const punch = (n: number, extra: Record<string, unknown> = {}) => ({
  recordId: String(n),
  personId: '10001',
  time: '2026-11-21 08:00:00',
  ...extra,
});

describe('open-v1 controller', () => {
  it('ingests a signed batch with photos and backfill id, one result per punch in order', async () => {
    const h = harness();
    const body = JSON.stringify({
      punches: [punch(1, { photo: JPEG.toString('base64'), verifyMode: 'face' }), punch(2)],
      backfillId: UUID,
    });
    const reply = await h.controller.punches(signed(body));
    expect(h.calls.ingest).toHaveLength(1);
    expect(h.calls.ingest[0].opts).toEqual({ backfillId: UUID });
    expect(h.calls.ingest[0].punches[0]).toMatchObject({
      recordId: '1',
      personId: '10001',
      deviceTime: '2026-11-21 08:00:00',
      verifyMode: 'face',
      photo: { bytes: JPEG, contentType: 'image/jpeg' },
    });
    expect(h.calls.ingest[0].punches[0].punchedAt.toISOString()).toBe('2026-11-21T00:00:00.000Z');
    expect(reply.results).toEqual([
      { recordId: '1', status: 'accepted', eventId: 'ev-0' },
      { recordId: '2', status: 'duplicate', eventId: 'ev-1' },
    ]);
    expect(h.calls.seen).toEqual([{ via: 'upload' }]);
  });

  it('refuses and keeps a bad signature, a stale timestamp, an unknown or non-open-v1 device', async () => {
    const zk: Device = {
      ...device,
      deviceId: 'zk-01',
      family: 'zkteco-push',
      secret: undefined,
      serial: 'ABC',
    };
    const h = harness([device, zk]);
    const body = JSON.stringify({ punches: [punch(1)] });
    expect(
      (await problemOf(h.controller.punches(signed(body, { secret: 'another-secret-0000000' })))).slug,
    ).toBe('bad-signature');
    expect(
      (await problemOf(h.controller.punches(signed(body, { ts: Math.floor(Date.now() / 1000) - 900 })))).slug,
    ).toBe('stale-timestamp');
    expect((await problemOf(h.controller.punches(signed(body, { deviceId: 'nobody' })))).slug).toBe(
      'unknown-device',
    );
    expect((await problemOf(h.controller.heartbeat(signed(body, { deviceId: 'zk-01' })))).slug).toBe(
      'unknown-device',
    );
    expect(h.calls.refuse.map((r) => r.outcome)).toEqual([
      'unauthenticated',
      'unauthenticated',
      'unauthenticated',
      'unauthenticated',
    ]);
    expect(h.calls.ingest).toHaveLength(0);
    expect(h.calls.seen).toHaveLength(0);
  });

  it('refuses a batch with one bad punch as a whole, naming it', async () => {
    const h = harness();
    const body = JSON.stringify({
      punches: [punch(1), punch(2, { photo: Buffer.alloc(2000, 0xff).toString('base64') })],
    });
    const p = await problemOf(h.controller.punches(signed(body)));
    expect(p.getStatus()).toBe(400);
    expect(p.errors?.map((e) => e.field)).toEqual(['punches[1].photo']);
    expect(h.calls.ingest).toHaveLength(0);
    expect(h.calls.refuse).toMatchObject([{ outcome: 'malformed', count: 2 }]);
  });

  it('heartbeat: presence with the device clock, pending work of open-v1 kinds', async () => {
    const h = harness();
    const reply = await h.controller.heartbeat(
      signed(JSON.stringify({ deviceTime: '2026-11-21T07:41:02+08:00', personCount: 3 }), {
        path: '/open/v1/heartbeat',
      }),
    );
    expect(reply.pending).toEqual({ personUpserts: 2, personDeletes: 1, recordQueries: 1 });
    expect(reply.pollAfterS).toBe(30);
    expect(h.calls.seen).toEqual([{ via: 'heartbeat', deviceClock: new Date('2026-11-20T23:41:02Z') }]);
    const bad = await problemOf(h.controller.heartbeat(signed('{"deviceTime":"now"}')));
    expect(bad.errors?.map((e) => e.field)).toEqual(['deviceTime']);
  });

  it('claim: open-v1 kinds only; a command that cannot be rendered is answered, not sent', async () => {
    const h = harness();
    h.queue([
      {
        commandId: UUID,
        kind: 'person.upsert',
        payload: { personId: '1', name: 'Li Lei', photoRef: `sha256:${SHA}` },
      },
      { commandId: 'bad', kind: 'person.upsert', payload: { personId: '2' } as never },
    ]);
    const reply = await h.controller.claim(signed('{"limit":5}'));
    expect(h.calls.claim).toEqual([{ limit: 5, kinds: ['person.upsert', 'person.delete', 'records.query'] }]);
    expect(reply.commands).toEqual([
      {
        commandId: UUID,
        kind: 'person.upsert',
        person: { personId: '1', name: 'Li Lei', photoUrl: `/open/v1/photos/${SHA}`, photoSha256: SHA },
      },
    ]);
    expect(h.calls.complete).toEqual([
      { ref: { commandId: 'bad' }, outcome: expect.objectContaining({ ok: false, code: 'unrenderable' }) },
    ]);
  });

  it('results: kept, each completed by command id, each answered', async () => {
    const h = harness();
    const other = UUID.replace('70', '71');
    const reply = await h.controller.results(
      signed(
        JSON.stringify({
          results: [
            { commandId: UUID, ok: true, count: 7 },
            { commandId: other, ok: false, code: 'storage-full', message: 'full' },
          ],
        }),
      ),
    );
    expect(h.calls.keep).toHaveLength(1);
    expect(h.calls.complete).toEqual([
      { ref: { commandId: UUID }, outcome: { ok: true, result: { count: 7 } } },
      { ref: { commandId: other }, outcome: { ok: false, code: 'storage-full', detail: 'full' } },
    ]);
    expect(reply.results).toEqual([
      { commandId: UUID, status: 'recorded', commandStatus: 'succeeded' },
      { commandId: other, status: 'unknown' },
    ]);
  });

  it('photo: a signed GET over an empty body gets the bytes; an unknown one is photo-not-found', async () => {
    const h = harness();
    const sent: { status?: number; type?: string; headers: Record<string, string>; body?: Buffer } = {
      headers: {},
    };
    const res = {
      status(s: number) {
        sent.status = s;
        return this;
      },
      type(t: string) {
        sent.type = t;
        return this;
      },
      setHeader(k: string, v: string) {
        sent.headers[k] = v;
        return this;
      },
      send(b: Buffer) {
        sent.body = b;
        return this;
      },
    } as unknown as Response;
    await h.controller.photo(
      signed(Buffer.alloc(0), { method: 'GET', path: `/open/v1/photos/${SHA}` }),
      res,
      SHA,
    );
    expect(sent).toMatchObject({
      status: 200,
      type: 'image/jpeg',
      body: JPEG,
      headers: { ETag: `"${SHA}"` },
    });
    const missing = await problemOf(
      h.controller.photo(signed(Buffer.alloc(0), { method: 'GET' }), res, '0'.repeat(64)),
    );
    expect(missing.slug).toBe('photo-not-found');
  });

  it('renders problems with the versioned code', () => {
    let out: { status?: number; type?: string; body?: string } = {};
    const res = {
      status(s: number) {
        out.status = s;
        return this;
      },
      type(t: string) {
        out.type = t;
        return this;
      },
      send(b: string) {
        out.body = b;
        return this;
      },
    };
    const host = {
      switchToHttp: () => ({
        getRequest: () => ({ originalUrl: '/open/v1/punches' }),
        getResponse: () => res,
      }),
    } as unknown as ArgumentsHost;
    new OpenV1ProblemFilter().catch(Problem.unauthorized('bad-signature', 'no'), host);
    expect(out.status).toBe(401);
    expect(out.type).toBe('application/problem+json');
    expect(JSON.parse(out.body!)).toMatchObject({
      type: 'urn:realname:problem:bad-signature',
      code: 'open-v1/bad-signature',
      status: 401,
    });
    out = {};
    new OpenV1ProblemFilter().catch(Problem.conflict('something-else', 'x'), host);
    expect(JSON.parse(out.body!).code).toBeUndefined();
  });

  it('any signed body: either every punch is ingested, or none and the refusal is kept', async () => {
    const item = fc.oneof(
      fc.record({
        recordId: fc.stringMatching(/^[0-9]{1,4}$/),
        personId: fc.constant('10001'),
        time: fc.constant('2026-11-21 08:00:00'),
      }),
      fc.record({ recordId: fc.string(), personId: fc.string(), time: fc.string() }),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ punches: fc.array(item, { maxLength: 5 }) }), fc.jsonValue()),
        async (m) => {
          const h = harness();
          const outcome = await h.controller.punches(signed(JSON.stringify(m))).then(
            (r) => r,
            (e: unknown) => e,
          );
          if (outcome instanceof Problem) {
            expect(h.calls.ingest).toHaveLength(0);
            expect(h.calls.refuse).toHaveLength(1);
          } else {
            expect(h.calls.refuse).toHaveLength(0);
            expect(h.calls.ingest).toHaveLength(1);
            expect(h.calls.ingest[0].punches).toHaveLength((m as { punches: unknown[] }).punches.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
