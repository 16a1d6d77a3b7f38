/**
 * Hikvision ISAPI end to end, with the Hikvision simulator (a real HTTP client pushing events like a
 * terminal, and a real ISAPI server with Digest authentication) against the real gateway, registry and
 * attendance, and the site agent in-process driving the terminal's ISAPI:
 * - workers entered on the project are put on the terminal (user + face) by the agent, and exit removes
 *   them; the commands succeed;
 * - pushed events (multipart with pictures, bare JSON, old-firmware XML, a body cut inside its JPEG) of
 *   the workers' PINs arrive resolved in attendance; failures and door events do not;
 * - a resend storm (every push three times) gives exact counts;
 * - events lost on the way (a serialNo gap) and an hour of events recorded while the terminal was offline
 *   are recovered by backfills the agent answers with the terminal's AcsEvent search, so the day is
 *   complete.
 */
import { localDay } from '@realname/contracts';
import { HikLoggedEvent, HikvisionTerminal } from '@realname/device-simulator';
import { SiteAgent } from '@realname/site-agent';
import { eventually } from '../src';
import { EnteredWorker, SiteUnderTest, startSite } from './site-under-test.e2e-support';

jest.setTimeout(240_000);

const ZONE = 'Asia/Shanghai';
const suffix = Date.now().toString(36);
const deviceId = `hik-e2e-${suffix}`;
const SKEW_MS = 31_000;
/** MAJOR_EVENT minors that are passes (as the gateway reads them), for the expectations. */
const PASS_MINORS = new Set([1, 38, 75, 77]);

let site: SiteUnderTest;
let terminal: HikvisionTerminal;
let agent: SiteAgent;
let token: string;
let workers: EnteredWorker[];

interface Command {
  seq: number;
  kind: string;
  status: string;
  deviceCode?: string;
  payload: { personId?: string; backfillId?: string };
}
interface Backfill {
  backfillId: string;
  reason: string;
  status: string;
  received: number;
  recovered: number;
  from: string;
  to: string;
}

async function commands(kind: string): Promise<Command[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/commands?limit=500&kind=${kind}`)).json
    .commands;
}

async function backfills(): Promise<Backfill[]> {
  return (await site.gateway('GET', `/api/v1/devices/${deviceId}/backfills`)).json.backfills;
}

/** The terminal's passes that name a person: what attendance must hold, keyed by serialNo. */
function passes(): HikLoggedEvent[] {
  return terminal.log.filter((e) => e.major === 5 && PASS_MINORS.has(e.minor) && e.employeeNo);
}

/** Attendance's punches of this device on the days the terminal has events (all of them, duplicates kept). */
/** The fields of attendance's punches these tests look at. */
interface AttendancePunch {
  deviceId: string;
  deviceRecordId: string;
  resolutionStatus: string;
  workerName?: string;
  direction: string;
}

async function attendanceOfDevice(): Promise<AttendancePunch[]> {
  const days = new Set(terminal.log.map((e) => localDay(new Date(e.time), ZONE)));
  const out: AttendancePunch[] = [];
  for (const day of days)
    for (const p of await site.attendancePunches(day)) if (p.deviceId === deviceId) out.push(p);
  return out;
}

/** Waits until attendance holds exactly the terminal's passes, once each and resolved. */
async function expectAttendanceHoldsPasses(what: string): Promise<AttendancePunch[]> {
  const want = passes().map((e) => String(e.serialNo));
  await eventually(
    async () => {
      const got = await attendanceOfDevice();
      return got.length >= want.length ? got : undefined;
    },
    { timeoutMs: 60_000, what },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await attendanceOfDevice();
  expect(settled.map((p) => p.deviceRecordId).sort()).toEqual([...want].sort());
  expect(settled.every((p) => p.resolutionStatus === 'resolved')).toBe(true);
  return settled;
}

/** A device-clock instant `minutesAgo` before the terminal's now, on a whole second. */
function ago(minutesAgo: number): Date {
  return new Date(Math.floor((terminal.deviceNow().getTime() - minutesAgo * 60_000) / 1000) * 1000);
}

async function waitBackfill(pick: (b: Backfill) => boolean, what: string): Promise<Backfill> {
  return eventually(
    async () => {
      const b = (await backfills()).find(pick);
      return b && !['requested', 'running'].includes(b.status) ? b : undefined;
    },
    { timeoutMs: 60_000, what },
  );
}

beforeAll(async () => {
  // An offline period of an hour is simulated in seconds: the backfill after it reaches two hours back.
  site = await startSite({ gatewayEnv: { BACKFILL_MARGIN_S: '7200' } });
  const reg = await site.registerDevice({
    deviceId,
    family: 'hikvision-isapi',
    gate: 'North gate',
    defaultDirection: 'in',
  });
  token = reg.token;
  expect(token).toEqual(expect.any(String));
  expect(reg.endpoints.httpHost).toBe(`${site.urls.gateway}/isapi/v1/${deviceId}/${token}/events`);
  terminal = new HikvisionTerminal({
    gatewayUrl: site.urls.gateway,
    deviceId,
    token,
    timeZone: ZONE,
    user: 'admin',
    password: 'Isapi-Pass-1',
    behaviour: { clockSkewMs: SKEW_MS },
  });
  await terminal.listen();
  // The site's gateway declares a device offline after 3 s without a sign of life.
  terminal.startHeartbeats(500);
  agent = new SiteAgent({
    gateway: site.urls.gateway,
    devices: [
      {
        deviceId,
        token,
        family: 'hikvision-isapi',
        baseUrl: terminal.isapiUrl,
        user: 'admin',
        password: 'Isapi-Pass-1',
        pageSize: 5,
      },
    ],
    pollIntervalMs: 300,
  });
  agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await terminal?.close();
  await site?.stop();
});

it('heartbeats keep the terminal online and measure its clock; wrong tokens and garbage are refused', async () => {
  const d = await eventually(
    async () => {
      const r = (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json;
      return r.online && typeof r.clockSkewMs === 'number' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'the terminal online with a measured clock' },
  );
  expect(Math.abs(d.clockSkewMs - SKEW_MS)).toBeLessThan(3000);
  const forged = await terminal.sendRaw(
    '{"eventType":"heartBeat"}',
    'application/json',
    `${site.urls.gateway}/isapi/v1/${deviceId}/not-the-token-of-this-device/events`,
  );
  expect(forged.status).toBe(401);
  const garbage = await terminal.sendRaw('this is not an event', 'text/plain');
  expect(garbage.status).toBe(400);
  expect(JSON.parse(garbage.text)).toMatchObject({ statusCode: 4, subStatusCode: 'badJsonContent' });
  const agentForged = await fetch(`${site.urls.gateway}/agent/v1/devices/${deviceId}/commands/claim`, {
    method: 'POST',
    headers: { authorization: 'Bearer not-the-token-of-this-device', 'content-type': 'application/json' },
    body: '{}',
  });
  expect(agentForged.status).toBe(401);
});

it('entered workers are put on the terminal by the site agent, with their faces; the commands succeed', async () => {
  workers = await site.enterWorkers(4);
  const ids = workers.map((w) => w.personId);
  await eventually(async () => ids.every((id) => terminal.users.get(id)?.face) || undefined, {
    timeoutMs: 60_000,
    what: 'the entered workers and their faces on the terminal',
  });
  for (const w of workers) expect(terminal.users.get(w.personId)).toMatchObject({ userType: 'normal' });
  await eventually(
    async () => {
      const list = (await commands('person.upsert')).filter((c) => ids.includes(c.payload.personId!));
      return list.length === 4 && list.every((c) => c.status === 'succeeded') ? list : undefined;
    },
    { timeoutMs: 20_000, what: 'the upserts marked succeeded' },
  );
  // Digest authentication: every ISAPI call after a challenge was authorised.
  expect(terminal.isapiLog.filter((r) => r.authorised).length).toBeGreaterThanOrEqual(8);
});

it('pushed events (multipart with pictures, JSON, XML, a cut-off body) arrive resolved; non-passes do not', async () => {
  terminal.behaviour.doorEvents = true;
  await terminal.punch({ employeeNo: workers[0].personId, at: ago(170), attendanceStatus: 'checkIn' });
  await terminal.punch({ employeeNo: workers[1].personId, at: ago(169), minor: 77 });
  terminal.behaviour.doorEvents = false;
  await terminal.punch({ employeeNo: workers[2].personId, at: ago(168), form: 'json', minor: 38 });
  await terminal.punch({
    employeeNo: workers[3].personId,
    at: ago(167),
    form: 'json',
    attendanceStatus: 'checkOut',
  });
  await terminal.punch({
    employeeNo: workers[0].personId,
    at: ago(166),
    form: 'xml',
    minor: 1,
    cardNo: '9001',
  });
  await terminal.punch({ employeeNo: workers[1].personId, at: ago(165), truncate: true });
  await terminal.punch({ employeeNo: workers[2].personId, at: ago(164), minor: 76 }); // face failure
  await terminal.event(5, 0x19, ago(163)); // door opened without a person
  expect(terminal.log.every((e) => e.delivered)).toBe(true);
  const got = await expectAttendanceHoldsPasses('six resolved punches in attendance');
  expect(got).toHaveLength(6);
  expect(new Set(got.map((p) => p.workerName))).toEqual(new Set(workers.map((w) => w.name)));
  const bySerial = new Map(got.map((p) => [p.deviceRecordId, p]));
  const out = passes().find((e) => e.attendanceStatus === 'checkOut')!;
  expect(bySerial.get(String(out.serialNo))?.direction).toBe('out');
});

it('a resend storm (every push three times) yields exact counts', async () => {
  terminal.behaviour.resendTimes = 3;
  for (let i = 0; i < 5; i++) {
    const { replies } = await terminal.punch({
      employeeNo: workers[i % 4].personId,
      at: ago(160 - i),
      form: i === 2 ? 'xml' : i === 3 ? 'json' : 'multipart',
    });
    expect(replies.map((r) => r?.status)).toEqual([200, 200, 200]);
  }
  terminal.behaviour.resendTimes = 1;
  const got = await expectAttendanceHoldsPasses('the storm punches in attendance, once each');
  expect(got).toHaveLength(11);
});

it('events lost on the way (a serialNo gap) are fetched back by the agent with an AcsEvent search', async () => {
  const lost = [];
  for (let i = 0; i < 4; i++)
    lost.push(
      (await terminal.punch({ employeeNo: workers[i].personId, at: ago(150 - i), lose: true })).event,
    );
  expect(lost.every((e) => !e.delivered)).toBe(true);
  // The next event names its predecessor: the gateway sees the gap and asks for its time range.
  await terminal.punch({ employeeNo: workers[0].personId, at: ago(145), form: 'json' });
  const b = await waitBackfill((x) => x.reason === 'serial-gap', 'the serial-gap backfill answered');
  expect(b.status).toBe('complete');
  expect(b.recovered).toBe(4);
  const query = (await commands('records.query')).find((c) => c.payload.backfillId === b.backfillId);
  expect(query?.status).toBe('succeeded');
  expect(terminal.isapiLog.some((r) => r.path === '/ISAPI/AccessControl/AcsEvent')).toBe(true);
  await expectAttendanceHoldsPasses('the lost events recovered in attendance');
});

it('an hour offline: events the terminal kept only in its log are backfilled when it comes back', async () => {
  terminal.behaviour.discardWhileOffline = true;
  terminal.stopHeartbeats();
  await terminal.setOnline(false);
  await eventually(
    async () => (await site.gateway('GET', `/api/v1/devices/${deviceId}`)).json.online === false || undefined,
    { timeoutMs: 20_000, what: 'the terminal marked offline' },
  );
  const before = new Set((await backfills()).map((b) => b.backfillId));
  // An hour of passes at the gate while the terminal cannot reach the platform.
  for (let i = 0; i < 7; i++)
    await terminal.punch({
      employeeNo: workers[i % 4].personId,
      at: ago(65 - i * 10),
      minor: i % 2 ? 75 : 1,
    });
  expect(terminal.log.slice(-7).every((e) => e.abandoned && !e.delivered)).toBe(true);

  await terminal.setOnline(true);
  terminal.startHeartbeats(500);
  const b = await waitBackfill(
    (x) => x.reason === 'came-online' && !before.has(x.backfillId),
    'the came-online backfill answered',
  );
  expect(b.status).toBe('complete');
  expect(b.recovered).toBe(7);
  const days = await expectAttendanceHoldsPasses('the day complete after the offline hour');
  expect(days).toHaveLength(passes().length);
});

it('exiting a worker removes them from the terminal', async () => {
  const leaving = workers[3];
  await site.exitWorker(leaving);
  await eventually(async () => !terminal.users.has(leaving.personId) || undefined, {
    timeoutMs: 60_000,
    what: 'the exited worker removed from the terminal',
  });
  await eventually(
    async () =>
      (await commands('person.delete')).find(
        (c) => c.payload.personId === leaving.personId && c.status === 'succeeded',
      ),
    { timeoutMs: 20_000, what: 'the delete marked succeeded' },
  );
  expect(terminal.users.has(workers[0].personId)).toBe(true);
});
