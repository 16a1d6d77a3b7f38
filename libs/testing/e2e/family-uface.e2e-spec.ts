/**
 * Uni-Ubi "Uface" end to end, with the Uface simulator (a real HTTP client and device-API server behaving
 * like the firmware) against the real gateway, registry and attendance, and the site agent in-process:
 * people entered on the project reach the terminal through its heartbeat and task pull (person, then face
 * by URL), and exit removes them; recognition callbacks (JSON and form) of the workers arrive resolved in
 * attendance; the device's skewed clock is measured from its heartbeat; a resend storm changes no count;
 * callbacks the device lost (it does not retry them) are recovered by a backfill that the site agent runs
 * against the terminal's own /findRecords.
 */
import { localDay } from '@realname/contracts';
import { UfaceDevice, UfaceRecord } from '@realname/device-simulator';
import { SiteAgent } from '@realname/site-agent';
import { eventually } from '../src';
import { EnteredWorker, SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

const ZONE = 'Asia/Shanghai';
const suffix = Date.now().toString(36);
const deviceId = `uf-e2e-${suffix}`;
const serial = `UFK${suffix}`.toUpperCase();
const pass = 'uface-pass-8090';
const SKEW_MS = 47_000;

let site: SiteUnderTest;
let device: UfaceDevice;
let agent: SiteAgent;
let workers: EnteredWorker[];

interface Command {
  seq: number;
  kind: string;
  status: string;
  deviceCode?: string;
  payload: { personId?: string; backfillId?: string };
}

async function commands(kind: string): Promise<Command[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/commands?limit=500&kind=${kind}`)).json
    .commands;
}

/** The key the gateway gives a Uface punch (no record id): `<personId>@<instant>`. */
function keyOf(r: UfaceRecord): string {
  return `${r.personId}@${new Date(r.time).toISOString()}`;
}

/** The device's recognised passes of known persons: what must end up in attendance. */
function passes(): UfaceRecord[] {
  return device.records.filter((r) => /_0$/.test(r.type) && r.personId !== 'STRANGERBABY');
}

async function attendanceOfDevice(): Promise<
  Map<string, { resolutionStatus: string; workerName?: string; direction: string }>
> {
  return site.devicePunches(
    deviceId,
    device.records.map((r) => localDay(new Date(r.time), ZONE)),
  );
}

/** Waits until attendance holds exactly the device's passes, then checks nothing more arrives. */
async function expectAttendanceHoldsPasses(what: string): Promise<void> {
  const want = new Set(passes().map(keyOf));
  await eventually(
    async () => {
      const s = await attendanceOfDevice();
      return s.size >= want.size ? s : undefined;
    },
    { timeoutMs: 60_000, what },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await attendanceOfDevice();
  expect(new Set(settled.keys())).toEqual(want);
  expect([...settled.values()].every((p) => p.resolutionStatus === 'resolved')).toBe(true);
}

/** A device-clock time `minutesAgo` before the device's now, on a whole second. */
function ago(minutesAgo: number): number {
  return Math.floor((device.deviceNow() - minutesAgo * 60_000) / 1000) * 1000;
}

beforeAll(async () => {
  site = await startSite();
  const reg = await site.registerDevice({
    deviceId,
    family: 'uface',
    serial,
    gate: 'East gate',
    defaultDirection: 'in',
  });
  expect(reg.token).toEqual(expect.any(String));
  expect(reg.endpoints.base).toBe(`${site.urls.gateway}/uface/v1/${deviceId}/${reg.token}`);
  device = new UfaceDevice({
    gatewayUrl: reg.endpoints.base,
    deviceKey: serial,
    pass,
    timeZone: ZONE,
    clockSkewMs: SKEW_MS,
  });
  await device.listen();
  // Heartbeat + task pull every half second (the site's gateway declares a device offline after 3 s).
  device.start(500);
  // The terminal pulls its own person tasks; the site agent only queries its records.
  agent = new SiteAgent({
    gateway: site.urls.gateway,
    devices: [
      {
        deviceId,
        token: reg.token,
        family: 'uface',
        baseUrl: device.apiUrl,
        password: pass,
        kinds: ['records.query', 'records.verify'],
        pageSize: 7,
      },
    ],
    pollIntervalMs: 500,
  });
  agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await device?.stop();
  await device?.close();
  await site?.stop();
});

it('the heartbeat keeps the device online and measures its skewed clock; a wrong token is refused', async () => {
  const d = await eventually(
    async () => {
      const r = (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json;
      return r.online && typeof r.clockSkewMs === 'number' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'the device online with a measured clock' },
  );
  expect(Math.abs(d.clockSkewMs - SKEW_MS)).toBeLessThan(3000);
  const forged = new UfaceDevice({
    gatewayUrl: `${site.urls.gateway}/uface/v1/${deviceId}/not-the-token-of-this-device`,
    deviceKey: serial,
  });
  const { delivered, reply } = await forged.recognise('10001');
  expect(delivered).toBe(false);
  expect(reply).toMatchObject({ status: 401, json: { result: 0, success: false } });
});

it('entered workers reach the terminal through the task pull, with their face; the commands succeed', async () => {
  workers = await site.enterWorkers(3);
  const ids = workers.map((w) => w.personId);
  await eventually(async () => ids.every((id) => device.persons.get(id)?.faces.length === 1) || undefined, {
    timeoutMs: 60_000,
    what: 'the entered workers and their faces on the terminal',
  });
  for (const w of workers) expect(device.persons.get(w.personId)?.name).toBe(w.name);
  const tasks = device.taskLog.map((t) => `${t.task.interfaceName}:${t.outcome.success}`);
  expect(tasks.filter((t) => t === 'person/create:true').length).toBeGreaterThanOrEqual(3);
  expect(tasks.filter((t) => t === 'face/createByUrl:true').length).toBeGreaterThanOrEqual(3);
  await eventually(
    async () => {
      const list = (await commands('person.upsert')).filter((c) => ids.includes(c.payload.personId!));
      return list.length === 3 && list.every((c) => c.status === 'succeeded') ? list : undefined;
    },
    { timeoutMs: 20_000, what: 'the upserts marked succeeded' },
  );
});

it('recognition callbacks of the workers (JSON and form) arrive resolved; strangers do not', async () => {
  await device.recognise(workers[0].personId, { at: ago(120) });
  await device.recognise(workers[1].personId, { at: ago(119) });
  device.callbackFormat = 'form';
  await device.recognise(workers[2].personId, { at: ago(118) });
  device.callbackFormat = 'json';
  await device.recognise('STRANGERBABY', { at: ago(117), type: 'face_2' });
  await device.recognise(workers[0].personId, { at: ago(116), type: 'face_1' });
  expect(device.undeliveredRecords()).toEqual([]);
  await expectAttendanceHoldsPasses('three resolved punches in attendance');
  const seen = await attendanceOfDevice();
  expect(new Set([...seen.values()].map((p) => p.workerName))).toEqual(new Set(workers.map((w) => w.name)));
});

it('a resend storm (each callback three times) yields exact counts', async () => {
  const records = [];
  for (let i = 0; i < 4; i++) {
    const { record, delivered } = await device.recognise(workers[i % 3].personId, { at: ago(90 - i) });
    expect(delivered).toBe(true);
    records.push(record);
  }
  for (const r of records) {
    const replies = await device.storm(r, 3);
    expect(replies.every((x) => x?.status === 200)).toBe(true);
  }
  await expectAttendanceHoldsPasses('the storm punches in attendance, once each');
});

it('callbacks the terminal lost are recovered by a backfill the site agent runs with /findRecords', async () => {
  const lostFrom = ago(61);
  const lost = [];
  for (let i = 0; i < 9; i++)
    lost.push((await device.recognise(workers[i % 3].personId, { at: ago(60 - i * 2), lose: true })).record);
  expect(device.undeliveredRecords()).toEqual(lost);
  // Nothing of them reached the platform.
  const before = await attendanceOfDevice();
  for (const r of lost) expect(before.has(keyOf(r))).toBe(false);

  // The daily reconcile: ask the device for the range again (device-clock instants are what it holds).
  const requested = (
    await site.gateway('POST', `/api/v1/devices/${deviceId}/backfills`, {
      from: new Date(lostFrom).toISOString(),
      to: new Date(ago(30)).toISOString(),
    })
  ).json;
  const backfill = await eventually(
    async () => {
      const list = (await site.gateway('GET', `/api/v1/devices/${deviceId}/backfills`)).json.backfills as {
        backfillId: string;
        status: string;
        recovered: number;
        received: number;
      }[];
      const b = list.find((x) => x.backfillId === requested.backfillId);
      return b && !['requested', 'running'].includes(b.status) ? b : undefined;
    },
    { timeoutMs: 40_000, what: 'the backfill answered by the site agent' },
  );
  expect(backfill.status).toBe('complete');
  expect(backfill.recovered).toBe(9);
  const query = (await commands('records.query')).find((c) => c.payload.backfillId === requested.backfillId);
  expect(query?.status).toBe('succeeded');
  expect(device.counters.apiRequests).toBeGreaterThanOrEqual(2); // paged: 9 records, 7 a page
  await expectAttendanceHoldsPasses('the lost callbacks recovered in attendance');
});

it('exiting a worker removes them from the terminal with a person/delete task', async () => {
  const leaving = workers[2];
  await site.exitWorker(leaving);
  await eventually(async () => !device.persons.has(leaving.personId) || undefined, {
    timeoutMs: 60_000,
    what: 'the exited worker removed from the terminal',
  });
  expect(
    device.taskLog.some(
      (t) =>
        t.task.interfaceName === 'person/delete' &&
        (t.task as { id?: string }).id === leaving.personId &&
        t.outcome.success,
    ),
  ).toBe(true);
  await eventually(
    async () =>
      (await commands('person.delete')).find(
        (c) => c.payload.personId === leaving.personId && c.status === 'succeeded',
      ),
    { timeoutMs: 20_000, what: 'the delete marked succeeded' },
  );
  expect(device.persons.has(workers[0].personId)).toBe(true);
});
