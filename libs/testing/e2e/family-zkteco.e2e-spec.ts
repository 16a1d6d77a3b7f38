/**
 * ZKTeco PUSH end to end, with the ZKTeco simulator (a real HTTP client behaving like the firmware)
 * against the real gateway, registry and attendance: the options exchange corrects the device clock;
 * people entered on the project reach the device as DATA UPDATE USERINFO (and BIOPHOTO) on getrequest,
 * exit removes them with DATA DELETE USERINFO; PIN punches (one with an ATTPHOTO) arrive resolved in
 * attendance; a resend storm changes no count; an hour offline with some uploads lost is completed by
 * the DATA QUERY ATTLOG the gateway sends when the device comes back.
 */
import { randomBytes } from 'node:crypto';
import { formatLocalTime, localDay, parseDeviceTime } from '@realname/contracts';
import { ZkAttRecord, ZktecoBehaviour, ZktecoDevice } from '@realname/device-simulator';
import { eventually } from '../src';
import { EnteredWorker, SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

const ZONE = 'Asia/Shanghai';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);
const suffix = Date.now().toString(36);
const deviceId = `zk-e2e-${suffix}`;
const serial = `CKJE${suffix}`.toUpperCase();

let site: SiteUnderTest;
let device: ZktecoDevice;
let workers: EnteredWorker[];
/** Changed while the device runs (the simulator reads it on every upload). */
const behaviour: ZktecoBehaviour = { clockSkewMs: 7 * 60_000 + 13_000 };

interface Command {
  seq: number;
  kind: string;
  status: string;
  payload: { personId?: string; backfillId?: string };
  result?: { count?: number };
}

async function commands(kind: string): Promise<Command[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/commands?limit=500&kind=${kind}`)).json
    .commands;
}

/** The key the gateway gives a ZKTeco punch (no record id in ATTLOG): `<PIN>@<instant>`. */
function keyOf(r: ZkAttRecord): string {
  return `${r.pin}@${parseDeviceTime(r.time, ZONE)!.toISOString()}`;
}

/** Attendance's punches of this device by key, over the days the device's log spans. */
async function attendanceOfDevice(): Promise<
  Map<string, { resolutionStatus: string; workerName?: string; direction: string }>
> {
  return site.devicePunches(
    deviceId,
    device.log.map((r) => localDay(parseDeviceTime(r.time, ZONE)!, ZONE)),
  );
}

/** A device-local time `minutesAgo` before the device's clock. */
function ago(minutesAgo: number): string {
  return formatLocalTime(new Date(device.deviceNow() - minutesAgo * 60_000), ZONE);
}

beforeAll(async () => {
  // Gaps are asked for from two hours before the last sign of life: the offline hour below is back-dated.
  site = await startSite({ gatewayEnv: { BACKFILL_MARGIN_S: '7200' } });
  await site.registerDevice({
    deviceId,
    family: 'zkteco-push',
    serial,
    gate: 'North gate',
    defaultDirection: 'in',
  });
  device = new ZktecoDevice({
    baseUrl: site.urls.gateway,
    serial,
    timeZone: ZONE,
    language: '83',
    batchSize: 10,
    behaviour,
  });
});

afterAll(async () => {
  await device?.stop();
  await site?.stop();
});

it('the options exchange sets the device clock; an unknown SN is refused', async () => {
  expect(device.clockErrorMs).toBeGreaterThan(400_000);
  await device.connect();
  expect(Math.abs(device.clockErrorMs)).toBeLessThan(2000);
  // DEVICE_OFFLINE_AFTER_S=3 in the site: the device is told to poll every second.
  expect(device.options['delay']).toBe('1');
  expect(device.options['timezone']).toBe('8');
  device.start();
  const stranger = new ZktecoDevice({ baseUrl: site.urls.gateway, serial: `NOPE${suffix}` });
  await expect(stranger.connect()).rejects.toThrow(/HTTP 403/);
});

it('entered workers reach the device as USERINFO with their face; the commands succeed', async () => {
  workers = await site.enterWorkers(3);
  const ids = workers.map((w) => w.personId);
  await eventually(async () => ids.every((id) => device.users.has(id)) || undefined, {
    timeoutMs: 60_000,
    what: 'the entered workers on the device',
  });
  for (const w of workers) {
    expect(device.users.get(w.personId)?.name).toBe(w.name);
    expect(device.users.get(w.personId)?.photo?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  }
  const received = device.commandsReceived.map((c) => c.command);
  for (const id of ids)
    expect(received.some((c) => c.startsWith(`DATA UPDATE USERINFO PIN=${id}\t`))).toBe(true);
  await eventually(
    async () => {
      const list = (await commands('person.upsert')).filter((c) => ids.includes(c.payload.personId!));
      return list.length === 3 && list.every((c) => c.status === 'succeeded') ? list : undefined;
    },
    { timeoutMs: 20_000, what: 'the upserts marked succeeded' },
  );
});

it('PIN punches (one with its ATTPHOTO) arrive resolved in attendance', async () => {
  const first = device.punch(workers[0].personId, { at: ago(150), status: 0, verify: 15, photo: JPEG });
  device.punch(workers[1].personId, { at: ago(149), status: 0, verify: 1 });
  device.punch(workers[2].personId, { at: ago(148), status: 0, verify: 4 });
  device.punch(workers[0].personId, { at: ago(60), status: 1, verify: 15 });
  const seen = await eventually(
    async () => {
      const s = await attendanceOfDevice();
      return s.size === 4 && [...s.values()].every((p) => p.resolutionStatus === 'resolved') ? s : undefined;
    },
    { timeoutMs: 60_000, what: 'four resolved punches in attendance' },
  );
  expect(new Set(seen.keys())).toEqual(new Set(device.log.map(keyOf)));
  expect(new Set([...seen.values()].map((p) => p.workerName))).toEqual(new Set(workers.map((w) => w.name)));
  const at = parseDeviceTime(first.time, ZONE)!;
  const records = await eventually(
    async () => {
      const r = (
        await site.gateway(
          'GET',
          `/api/v1/devices/${deviceId}/records?from=${new Date(at.getTime() - 1000).toISOString()}&to=${new Date(at.getTime() + 1000).toISOString()}`,
        )
      ).json.records as { key: string; photoRef?: string }[];
      return r[0]?.photoRef ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'the ATTPHOTO joined to its punch' },
  );
  expect(records[0]).toMatchObject({
    key: keyOf(first),
    photoRef: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
  });
});

it('a resend storm (every upload three times, the whole log again) yields exact counts', async () => {
  behaviour.resendTimes = 3;
  device.punch(workers[1].personId, { at: ago(30), status: 1, verify: 1 });
  device.punch(workers[2].personId, { at: ago(29), status: 1, verify: 4 });
  await eventually(async () => device.pendingRecords.length === 0 || undefined, { what: 'the queue empty' });
  expect(await device.uploadRecords(device.log)).toBe(true);
  behaviour.resendTimes = 1;
  await new Promise((r) => setTimeout(r, 3000));
  const seen = await eventually(
    async () => {
      const s = await attendanceOfDevice();
      return s.size >= device.log.length ? s : undefined;
    },
    { timeoutMs: 30_000, what: 'the storm punches in attendance' },
  );
  expect(seen.size).toBe(device.log.length);
  expect(new Set(seen.keys())).toEqual(new Set(device.log.map(keyOf)));
});

it('an hour offline with lost uploads: on return the gateway queries the gap and the day is complete', async () => {
  await eventually(async () => device.pendingRecords.length === 0 || undefined, { what: 'the queue empty' });
  const offlineAt = Date.now();
  device.setOnline(false);
  await eventually(
    async () => (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json.online === false || undefined,
    { timeoutMs: 20_000, what: 'the gateway to see the device offline' },
  );
  // Every third punch of the hour is lost on its way (firmware bug, dropped connection): only the
  // device's own log keeps it.
  let n = 0;
  behaviour.dropUpload = () => n++ % 3 === 0;
  const before = device.log.length;
  for (let m = 58; m >= 2; m -= 4) {
    device.punch(workers[m % 3].personId, { at: ago(m), status: m % 8 === 2 ? 1 : 0, verify: 15 });
  }
  const offline = device.log.slice(before);
  expect(offline).toHaveLength(15);
  expect(device.counters.recordsLost).toBe(5);
  behaviour.dropUpload = undefined;
  device.setOnline(true);

  const backfill = await eventually(
    async () => {
      const list = (await site.gateway('GET', `/api/v1/devices/${deviceId}/backfills`)).json.backfills as {
        reason: string;
        status: string;
        createdAt: string;
        backfillId: string;
        deviceCount?: number;
        platformCount?: number;
        recovered: number;
      }[];
      // The first came-online backfill after the device went silent (the list is newest first).
      const b = list.filter((x) => x.reason === 'came-online' && Date.parse(x.createdAt) > offlineAt).pop();
      return b && !['requested', 'running'].includes(b.status) ? b : undefined;
    },
    { timeoutMs: 30_000, what: 'the came-online backfill answered' },
  );
  expect(backfill.status).toBe('complete');
  expect(backfill.recovered).toBe(5);
  const query = (await commands('records.query')).find((c) => c.payload.backfillId === backfill.backfillId);
  expect(query?.status).toBe('succeeded');
  expect(device.commandsReceived.some((c) => c.command.startsWith('DATA QUERY ATTLOG StartTime='))).toBe(
    true,
  );
  expect(device.commandsReceived.some((c) => c.command.startsWith('VERIFY SUM ATTLOG StartTime='))).toBe(
    true,
  );
  expect(backfill.deviceCount).toBe(query?.result?.count);

  const seen = await eventually(
    async () => {
      const s = await attendanceOfDevice();
      return s.size >= device.log.length ? s : undefined;
    },
    { timeoutMs: 60_000, what: 'the complete day in attendance' },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await attendanceOfDevice();
  expect(settled.size).toBe(device.log.length);
  expect(new Set(seen.keys())).toEqual(new Set(device.log.map(keyOf)));
  expect([...settled.values()].every((p) => p.resolutionStatus === 'resolved')).toBe(true);
});

it('exiting a worker removes them from the device with DATA DELETE USERINFO', async () => {
  const leaving = workers[2];
  await site.exitWorker(leaving);
  await eventually(async () => !device.users.has(leaving.personId) || undefined, {
    timeoutMs: 60_000,
    what: 'the exited worker removed from the device',
  });
  expect(device.commandsReceived.map((c) => c.command)).toContain(
    `DATA DELETE USERINFO PIN=${leaving.personId}`,
  );
  await eventually(
    async () =>
      (await commands('person.delete')).find(
        (c) => c.payload.personId === leaving.personId && c.status === 'succeeded',
      ),
    { timeoutMs: 20_000, what: 'the delete marked succeeded' },
  );
  expect(device.users.has(workers[0].personId)).toBe(true);
});
