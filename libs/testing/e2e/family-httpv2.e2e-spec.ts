/**
 * Generic "HTTPv2" face terminals end to end, with the HTTPv2 simulator (a real HTTP client behaving like
 * the firmware: keepalive, people download with per-person results, multipart record uploads retried
 * until {"Success":1}) against the real gateway, registry and attendance: entered workers reach the
 * terminal through DownloadPeopleList (photo checked by MD5) and exit removes them through
 * DownloadDeleteList; records of the workers arrive resolved with their IsEntry direction; a resend storm
 * changes no count; an offline stretch is buffered on the terminal and uploaded when it is back, giving
 * the complete day.
 */
import { localDay } from '@realname/contracts';
import { HttpV2Device, HttpV2Record } from '@realname/device-simulator';
import { eventually } from '../src';
import { EnteredWorker, SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

const ZONE = 'Asia/Shanghai';
const suffix = Date.now().toString(36);
const deviceId = `v2-e2e-${suffix}`;
const serial = `V2SN${suffix}`.toUpperCase();
const SKEW_MS = -25_000;

let site: SiteUnderTest;
let device: HttpV2Device;
let token: string;
let workers: EnteredWorker[];

interface Command {
  seq: number;
  kind: string;
  status: string;
  deviceCode?: string;
  payload: { personId?: string };
}

async function commands(kind: string): Promise<Command[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/commands?limit=500&kind=${kind}`)).json
    .commands;
}

/** Every record the terminal made for a known person (acknowledged or still queued). */
function personRecords(): HttpV2Record[] {
  return [...device.uploaded, ...device.pending].filter((r) => r.UserID !== '');
}

async function attendanceOfDevice(): Promise<
  Map<string, { resolutionStatus: string; workerName?: string; direction: string }>
> {
  return site.devicePunches(
    deviceId,
    personRecords().map((r) => localDay(new Date(r.RecordDate * 1000), ZONE)),
  );
}

/** Waits until attendance holds exactly the terminal's records (RecordID is the key), then checks it stays so. */
async function expectAttendanceHoldsRecords(what: string): Promise<void> {
  const want = new Set(personRecords().map((r) => String(r.RecordID)));
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

/** A device-clock time `minutesAgo` before the device's now (ms). */
function ago(minutesAgo: number): number {
  return device.deviceNow() - minutesAgo * 60_000;
}

beforeAll(async () => {
  site = await startSite();
  const reg = await site.registerDevice({
    deviceId,
    family: 'httpv2',
    serial,
    gate: 'West gate',
    defaultDirection: 'unknown',
  });
  token = reg.token;
  expect(reg.endpoints.base).toBe(`${site.urls.gateway}/httpv2/${token}`);
  device = new HttpV2Device({
    baseUrl: reg.endpoints.base,
    sn: serial,
    clockSkewMs: SKEW_MS,
    // The firmware waits 10 s between attempts; compressed here.
    retryIntervalMs: 300,
    downloadLimit: 2,
  });
  device.start(500);
});

afterAll(async () => {
  await device?.stop();
  await site?.stop();
});

it('the keepalive keeps the terminal online and measures its clock; a wrong token or SN is refused', async () => {
  const d = await eventually(
    async () => {
      const r = (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json;
      return r.online && typeof r.clockSkewMs === 'number' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'the terminal online with a measured clock' },
  );
  // DeviceTime is whole seconds: the measurement is within a second or two of the skew.
  expect(Math.abs(d.clockSkewMs - SKEW_MS)).toBeLessThan(3000);
  const forged = new HttpV2Device({
    baseUrl: `${site.urls.gateway}/httpv2/someone-elses-token-xyz`,
    sn: serial,
  });
  await expect(forged.keepalive()).rejects.toThrow(/HTTP 401/);
  const stranger = new HttpV2Device({ baseUrl: `${site.urls.gateway}/httpv2/${token}`, sn: `${serial}X` });
  const r = stranger.identify('10001');
  expect(await stranger.uploadOnce(r)).toMatchObject({ status: 401, json: { Success: 0, ErrorCode: 1002 } });
});

it('entered workers reach the terminal through DownloadPeopleList with their face; the commands succeed', async () => {
  workers = await site.enterWorkers(3);
  const ids = workers.map((w) => w.personId);
  await eventually(async () => ids.every((id) => device.persons.get(id)?.photoMd5) || undefined, {
    timeoutMs: 60_000,
    what: 'the entered workers and their faces on the terminal',
  });
  for (const w of workers) expect(device.persons.get(w.personId)?.Name).toBe(w.name);
  // Every entered worker reported as added (ErrorCode 0), none refused; the order is the queue's.
  const adds = device.resultLog.filter((r) => r.kind === 'add' && ids.includes(r.UserID));
  expect(new Set(adds.map((r) => r.UserID))).toEqual(new Set(ids));
  expect(adds.every((r) => r.ErrorCode === 0)).toBe(true);
  await eventually(
    async () => {
      const list = (await commands('person.upsert')).filter((c) => ids.includes(c.payload.personId!));
      return list.length === 3 && list.every((c) => c.status === 'succeeded' && c.deviceCode === '0')
        ? list
        : undefined;
    },
    { timeoutMs: 20_000, what: 'the upserts marked succeeded' },
  );
});

it('records of the workers arrive resolved, with IsEntry as the direction; strangers do not', async () => {
  device.identify(workers[0].personId, { at: ago(150), isEntry: 1 });
  device.identify(workers[1].personId, { at: ago(149), isEntry: 1, recordType: 1 });
  device.identify(workers[2].personId, { at: ago(148), isEntry: 1 });
  device.identify('', { at: ago(147) });
  const out = device.identify(workers[0].personId, { at: ago(100), isEntry: 0 });
  await expectAttendanceHoldsRecords('four resolved punches in attendance');
  const seen = await attendanceOfDevice();
  expect(seen.get(String(out.RecordID))?.direction).toBe('out');
  expect(
    [...seen.entries()].filter(([k]) => k !== String(out.RecordID)).every(([, p]) => p.direction === 'in'),
  ).toBe(true);
  expect(new Set([...seen.values()].map((p) => p.workerName))).toEqual(new Set(workers.map((w) => w.name)));
});

it('a resend storm (each record three times) yields exact counts', async () => {
  await eventually(async () => device.pending.length === 0 || undefined, { what: 'the queue empty' });
  const records = [0, 1, 2, 3].map((i) =>
    device.identify(workers[i % 3].personId, { at: ago(90 - i), isEntry: 1 }),
  );
  await eventually(async () => device.pending.length === 0 || undefined, { what: 'the records uploaded' });
  for (const r of records) {
    const replies = await device.storm(r, 3);
    expect(replies.map((x) => x?.text)).toEqual(['{"Success":1}', '{"Success":1}', '{"Success":1}']);
  }
  await expectAttendanceHoldsRecords('the storm records in attendance, once each');
});

it('an offline stretch is buffered on the terminal and uploaded when it is back: the day is complete', async () => {
  await eventually(async () => device.pending.length === 0 || undefined, { what: 'the queue empty' });
  device.online = false;
  await eventually(
    async () => (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json.online === false || undefined,
    { timeoutMs: 20_000, what: 'the gateway to see the terminal offline' },
  );
  for (let m = 58; m >= 2; m -= 4)
    device.identify(workers[m % 3].personId, { at: ago(m), isEntry: m % 8 === 2 ? 0 : 1 });
  await new Promise((r) => setTimeout(r, 1000));
  expect(device.pending).toHaveLength(15);
  const before = await attendanceOfDevice();
  for (const r of device.pending) expect(before.has(String(r.RecordID))).toBe(false);
  device.online = true;
  await eventually(async () => device.pending.length === 0 || undefined, {
    timeoutMs: 30_000,
    what: 'the backlog uploaded',
  });
  expect(device.counters.failedAttempts).toBeGreaterThan(0);
  await expectAttendanceHoldsRecords('the complete day in attendance');
});

it('exiting a worker removes them from the terminal through DownloadDeleteList', async () => {
  const leaving = workers[2];
  await site.exitWorker(leaving);
  await eventually(async () => !device.persons.has(leaving.personId) || undefined, {
    timeoutMs: 60_000,
    what: 'the exited worker removed from the terminal',
  });
  expect(device.resultLog).toContainEqual({ kind: 'delete', UserID: leaving.personId, ErrorCode: 0 });
  await eventually(
    async () =>
      (await commands('person.delete')).find(
        (c) => c.payload.personId === leaving.personId && c.status === 'succeeded',
      ),
    { timeoutMs: 20_000, what: 'the delete marked succeeded' },
  );
  expect(device.persons.has(workers[0].personId)).toBe(true);
});
