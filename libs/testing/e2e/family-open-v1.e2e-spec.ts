/**
 * The open protocol v1 end to end, with the reference device (OpenV1Device around OpenProtocolClient)
 * against the real gateway, registry and attendance: people entered on the project reach the device
 * through heartbeat and claim (faces fetched from the gateway), exit removes them; its punches (one
 * with a photo) arrive resolved in attendance; a resend storm changes no count; an hour of punches the
 * device never uploaded comes back through a gateway-initiated records.query, completing the day.
 */
import { randomBytes } from 'node:crypto';
import { localDay } from '@realname/contracts';
import { DeviceEvent, OpenV1Device } from '@realname/device-simulator';
import { eventually } from '../src';
import { EnteredWorker, SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

const ZONE = 'Asia/Shanghai';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);

let site: SiteUnderTest;
let device: OpenV1Device;
let workers: EnteredWorker[];
const deviceId = `open-e2e-${Date.now().toString(36)}`;
const events: DeviceEvent[] = [];

interface Command {
  commandId: string;
  kind: string;
  status: string;
  payload: { personId?: string; backfillId?: string };
  result?: { count?: number };
}

async function commands(query = ''): Promise<Command[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/commands?limit=500${query}`)).json.commands;
}

/** Attendance's punches of this device, by record id, over the days its log spans. */
async function attendanceOfDevice(): Promise<
  Map<string, { resolutionStatus: string; workerName?: string; direction: string }>
> {
  return site.devicePunches(
    deviceId,
    device.log.map((r) => localDay(new Date(r.at), ZONE)),
  );
}

beforeAll(async () => {
  site = await startSite();
  const secret = randomBytes(16).toString('hex');
  await site.registerDevice({
    deviceId,
    family: 'open-v1',
    secret,
    gate: 'East gate',
    defaultDirection: 'in',
  });
  device = new OpenV1Device({
    baseUrl: site.urls.gateway,
    deviceId,
    secret,
    timeZone: ZONE,
    firmware: 'reference-1.0',
    // The gateway under test calls a device offline after 3 s of silence.
    heartbeatEveryS: 1,
    batchSize: 50,
    maxAttempts: 3,
    backoffBaseMs: 100,
    onEvent: (e) => events.push(e),
  });
  device.start();
});

afterAll(async () => {
  await device?.stop();
  await site?.stop();
});

it('entered workers reach the device through heartbeat and claim, with their faces; exit removes them', async () => {
  workers = await site.enterWorkers(3);
  const ids = workers.map((w) => w.personId);
  await eventually(async () => ids.every((id) => device.persons.has(id)) || undefined, {
    timeoutMs: 60_000,
    what: 'the entered workers on the device',
  });
  for (const w of workers) {
    const held = device.persons.get(w.personId)!;
    expect(held.name).toBe(w.name);
    // The face was fetched from the gateway (signed GET) and matched the SHA-256 of the command.
    expect(held.photoSha256).toMatch(/^[0-9a-f]{64}$/);
  }
  const upserts = await eventually(
    async () => {
      const list = (await commands('&kind=person.upsert')).filter((c) => ids.includes(c.payload.personId!));
      return list.length === 3 && list.every((c) => c.status === 'succeeded') ? list : undefined;
    },
    { timeoutMs: 20_000, what: 'the upserts marked succeeded' },
  );
  expect(upserts).toHaveLength(3);

  await site.exitWorker(workers[2]);
  await eventually(async () => !device.persons.has(workers[2].personId) || undefined, {
    timeoutMs: 60_000,
    what: 'the exited worker removed from the device',
  });
  await eventually(
    async () =>
      (await commands('&kind=person.delete')).find(
        (c) => c.payload.personId === workers[2].personId && c.status === 'succeeded',
      ),
    { timeoutMs: 20_000, what: 'the delete marked succeeded' },
  );
  expect(events.some((e) => e.type === 'heartbeat')).toBe(true);
  // The exited worker is no longer recognised at the gate.
  expect(device.punch(workers[2].personId)).toBeUndefined();
});

it("the device's punches (one with its capture photo) arrive resolved in attendance", async () => {
  const at = Date.now() - 150 * 60_000;
  device.punch(workers[0].personId, { at, direction: 'in', photo: JPEG });
  device.punch(workers[1].personId, { at: at + 40_000, direction: 'in' });
  device.punch(workers[0].personId, { at: at + 90 * 60_000, direction: 'out', verifyMode: 'card' });
  const resolved = await eventually(
    async () => {
      const seen = await attendanceOfDevice();
      return seen.size === 3 && [...seen.values()].every((p) => p.resolutionStatus === 'resolved')
        ? seen
        : undefined;
    },
    { timeoutMs: 60_000, what: 'three resolved punches in attendance' },
  );
  const names = new Set([...resolved.values()].map((p) => p.workerName));
  expect(names).toEqual(new Set([workers[0].name, workers[1].name]));
  const records = (
    await site.gateway(
      'GET',
      `/api/v1/devices/${deviceId}/records?from=${new Date(at - 1000).toISOString()}&to=${new Date().toISOString()}`,
    )
  ).json.records as { key: string; photoRef?: string }[];
  expect(records.find((r) => r.key === device.log[0].punch.recordId)?.photoRef).toMatch(
    /^sha256:[0-9a-f]{64}$/,
  );
});

it('a resend storm (three copies of the whole log at once) yields exact counts', async () => {
  await eventually(async () => device.buffer.size === 0 || undefined, { what: 'the buffer empty' });
  const storm = await device.storm(3);
  expect(storm.records).toBe(3 * device.log.length);
  expect(storm.statuses).toEqual({ accepted: 0, duplicate: 3 * device.log.length, collapsed: 0 });
  // Give the pipeline time to (wrongly) add anything, then count exactly.
  await new Promise((r) => setTimeout(r, 3000));
  const seen = await attendanceOfDevice();
  expect(seen.size).toBe(device.log.length);
  expect(new Set(seen.keys())).toEqual(new Set(device.log.map((r) => r.punch.recordId)));
});

it('an hour offline, records never uploaded, then a gateway-initiated records.query completes the day', async () => {
  device.online = false;
  await device.tick(); // no round still in flight
  const now = Date.now();
  for (let m = 60; m >= 2; m -= 4) {
    device.punch(workers[m % 8 === 0 ? 0 : 1].personId, {
      at: now - m * 60_000,
      direction: m % 8 ? 'in' : 'out',
    });
  }
  const offlineRecords = device.buffer.size;
  expect(offlineRecords).toBe(15);
  // The device restarts and loses its upload queue; its record log survives.
  expect(device.forgetUnsent()).toBe(15);
  await eventually(
    async () => (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json.online === false || undefined,
    { timeoutMs: 20_000, what: 'the gateway to see the device offline' },
  );
  device.online = true;

  // The gateway asks for the whole day again; the device answers from its log.
  const from = new Date(Math.min(...device.log.map((r) => r.at)) - 60_000);
  const backfill = (
    await site.gateway('POST', `/api/v1/devices/${deviceId}/backfills`, {
      from: from.toISOString(),
      to: new Date().toISOString(),
    })
  ).json;
  const done = await eventually(
    async () => {
      const list = (await site.gateway('GET', `/api/v1/devices/${deviceId}/backfills`)).json.backfills as {
        backfillId: string;
        status: string;
        deviceCount?: number;
        platformCount?: number;
        recovered: number;
      }[];
      const b = list.find((x) => x.backfillId === backfill.backfillId);
      return b && b.status !== 'requested' && b.status !== 'running' ? { b, list } : undefined;
    },
    { timeoutMs: 30_000, what: 'the backfill answered' },
  );
  expect(done.b).toMatchObject({ status: 'complete', deviceCount: device.log.length });
  expect(done.b.platformCount).toBeGreaterThanOrEqual(device.log.length);
  // Coming back after the gap also made the gateway ask for it (reason came-online).
  expect(done.list.some((b) => (b as { reason?: string }).reason === 'came-online')).toBe(true);
  const query = (await commands('&kind=records.query')).find(
    (c) => c.payload.backfillId === backfill.backfillId,
  );
  expect(query).toMatchObject({ status: 'succeeded', result: { count: device.log.length } });

  const seen = await eventually(
    async () => {
      const s = await attendanceOfDevice();
      return s.size === device.log.length ? s : undefined;
    },
    { timeoutMs: 60_000, what: 'the complete day in attendance' },
  );
  expect(new Set(seen.keys())).toEqual(new Set(device.log.map((r) => r.punch.recordId)));
  expect([...seen.values()].every((p) => p.resolutionStatus === 'resolved')).toBe(true);
});
