/**
 * A month of a Xihu (330106) project end to end, from the registry to the payroll findings: the
 * integrity platform (simulated), the worker registry, the device gateway and attendance as processes on
 * the local stack, attendance finalising days every 500 ms.
 *
 * Two teams and a project manager (the general contractor's key person) are registered, enrolled,
 * contracted, trained and entered through the registry's REST API on 2026-11-01; two simulated open
 * protocol terminals punch the whole of November 2026 through the gateway: a gate reporting in/out, and
 * a face terminal reporting no direction (attendance alternates). Day shifts, night shifts 20:00→06:00
 * (one attendance day with the 04:00 boundary), a worker absent three days, the gate offline on
 * 2026-11-18 (its records lost, then fetched by a backfill once the day is finalised: revision 2, on
 * Kafka), a missing out added by the site office and approved by the city supervisor, a day of leave,
 * wage terms for one team and a payroll import with one worker unpaid, one paid below the minimum wage
 * and one paid who never came.
 *
 * Every expected figure is computed here from the shifts the test itself scheduled (start and end of
 * each shift, in minutes), never from attendance's pairing: days present, minutes and hours per day,
 * month totals (JSON and XLSX), the payroll lines, the key person's presence rate, the consecutive
 * absences and the reconciliation findings.
 *
 * November 2026 has no statutory holiday and no adjusted working day (State Council notice for 2026:
 * National Day 10-01..10-07, worked weekends 09-20 and 10-10), so its working days are Monday to Friday;
 * the test checks that against the sheet's own calendar flags before relying on it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { Consumer } from 'kafkajs';
import { fromKafkaRecord, Topics, withTopicPrefix } from '@realname/contracts';
import { OpenV1Device } from '@realname/device-simulator';
import { createKafka, ensureTopics } from '@realname/eventstore';
import { createRng, fakePerson, workerRegistration } from '@realname/fixtures';
import { IntegritySimulator, startIntegritySimulator } from '@realname/integrity-simulator';
import {
  authorizationFor,
  eventually,
  freePort,
  IdentitySelector,
  resourceServerEnv,
  RunningService,
  serviceClientEnv,
  startService,
  testInfrastructure,
  uniqueName,
} from '@realname/testing';

jest.setTimeout(900_000);

// ---- who does what ------------------------------------------------------------------------------------

/** The site office's writes (registry, corrections, wage terms, payroll): Hangzhou's municipal system. */
const OFFICE = 'municipal-hangzhou';
/** Approves corrections and leave, reads sheets and findings: Hangzhou's city supervisor. */
const SUPERVISOR = 'hz-city';
/** Registers the terminals: Hangzhou's device administrator. */
const DEVICE_ADMIN = 'dev-hz';

// ---- the calendar of the month ------------------------------------------------------------------------

const MONTH = '2026-11';
const ZONE_OFFSET = '+08:00';
const DAYS = Array.from({ length: 30 }, (_, i) => `${MONTH}-${String(i + 1).padStart(2, '0')}`);
const weekday = (day: string) => new Date(`${day}T12:00:00Z`).getUTCDay();
const WORKING = new Set(DAYS.filter((d) => weekday(d) >= 1 && weekday(d) <= 5));
const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
/** The instant of a local time (Asia/Shanghai) on a day, in ms. */
const at = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00${ZONE_OFFSET}`);
const iso = (ms: number) => new Date(ms).toISOString();
/** Hours of minutes, 2 decimals, as the sheet prints them. */
const hours = (minutes: number) => Math.round((minutes * 100) / 60) / 100;

const ENTERED_ON = '2026-11-01';
const PREPARED_ON = '2026-10-30';
/** The gate is offline the whole of this day; its records come back by a backfill after finalisation. */
const OFFLINE_DAY = '2026-11-18';
/** The day the gate misses a5's out; the site office adds it. */
const MISSING_OUT_DAY = '2026-11-24';
const MISSING_OUT_AT = '17:15';
/** b2's day of leave. */
const LEAVE_DAY = '2026-11-20';

// ---- the shifts the test schedules -------------------------------------------------------------------

type Device = 'gate' | 'face';
/** One shift of a worker, counted into the attendance day it starts on. */
interface Shift {
  day: string;
  device: Device;
  /** Local start and end; `overnight`: the end is on the next day. */
  from: string;
  to: string;
  overnight?: boolean;
  /** Face terminal only: a lunch break out and back in (four reads, no direction). */
  lunch?: [string, string];
}

type Key = 'a1' | 'a2' | 'a3' | 'a4' | 'a5' | 'b1' | 'b2' | 'b3' | 'pm';
const TEAM_A: Key[] = ['a1', 'a2', 'a3', 'a4', 'a5'];
const TEAM_B: Key[] = ['b1', 'b2', 'b3', 'pm'];

function shiftsOf(key: Key): Shift[] {
  const out: Shift[] = [];
  for (const day of DAYS) {
    if (!WORKING.has(day)) continue;
    switch (key) {
      case 'a1': // day shift at the gate
        out.push({ day, device: 'gate', from: '07:30', to: '17:00' });
        break;
      case 'a2': // day shift at the face terminal, out for lunch
        out.push({ day, device: 'face', from: '08:00', to: '17:30', lunch: ['12:00', '13:00'] });
        break;
      case 'a3': // night shifts, except a week of day shifts around the gate's offline day
        if (day >= '2026-11-16' && day <= '2026-11-20')
          out.push({ day, device: 'gate', from: '07:00', to: '16:30' });
        else out.push({ day, device: 'gate', from: '20:00', to: '06:00', overnight: true });
        break;
      case 'a4': // day shift at the face terminal; absent three days
        if (!['2026-11-10', '2026-11-11', '2026-11-12'].includes(day))
          out.push({ day, device: 'face', from: '08:00', to: '17:00' });
        break;
      case 'a5': // day shift at the gate
        out.push({ day, device: 'gate', from: '07:45', to: MISSING_OUT_AT });
        break;
      case 'b1':
        out.push({ day, device: 'face', from: '08:00', to: '16:30' });
        break;
      case 'b2': // a day of leave
        if (day !== LEAVE_DAY) out.push({ day, device: 'gate', from: '08:00', to: '18:00' });
        break;
      case 'b3': // paid, never came
        break;
      case 'pm': // away the week of 11-23
        if (day < '2026-11-23' || day > '2026-11-27')
          out.push({ day, device: 'gate', from: '08:30', to: '18:00' });
        break;
    }
  }
  return out;
}

/** Minutes of a shift: end minus start, less the lunch break. */
function minutesOf(s: Shift): number {
  const end = at(s.overnight ? nextDay(s.day) : s.day, s.to);
  let ms = end - at(s.day, s.from);
  if (s.lunch) ms -= at(s.day, s.lunch[1]) - at(s.day, s.lunch[0]);
  return ms / 60_000;
}

interface PlannedPunch {
  key: Key;
  device: Device;
  at: number;
  direction?: 'in' | 'out';
  /** Lost by the gate while offline; fetched later by the backfill. */
  offline: boolean;
}

/** The reads the terminals make for the shifts (the gate says in/out; the face terminal says nothing). */
function punchesOf(key: Key): PlannedPunch[] {
  const out: PlannedPunch[] = [];
  for (const s of shiftsOf(key)) {
    const offline = s.device === 'gate' && s.day === OFFLINE_DAY;
    const start = at(s.day, s.from);
    const end = at(s.overnight ? nextDay(s.day) : s.day, s.to);
    if (s.device === 'gate') {
      out.push({ key, device: 'gate', at: start, direction: 'in', offline });
      // The gate misses a5's out on MISSING_OUT_DAY.
      if (!(key === 'a5' && s.day === MISSING_OUT_DAY))
        out.push({ key, device: 'gate', at: end, direction: 'out', offline });
    } else {
      const times = s.lunch ? [start, at(s.day, s.lunch[0]), at(s.day, s.lunch[1]), end] : [start, end];
      for (const t of times) out.push({ key, device: 'face', at: t, offline: false });
    }
  }
  return out;
}

/** What the test expects of one worker's day once everything has arrived and been decided. */
interface ExpectedDay {
  status: 'present' | 'absent' | 'leave' | 'rest';
  workedMinutes: number;
}

function expectedDays(key: Key): Map<string, ExpectedDay> {
  const byDay = new Map<string, number>();
  for (const s of shiftsOf(key)) byDay.set(s.day, (byDay.get(s.day) ?? 0) + minutesOf(s));
  const out = new Map<string, ExpectedDay>();
  for (const day of DAYS) {
    const minutes = byDay.get(day);
    if (minutes !== undefined) out.set(day, { status: 'present', workedMinutes: minutes });
    else if (key === 'b2' && day === LEAVE_DAY) out.set(day, { status: 'leave', workedMinutes: 0 });
    else if (WORKING.has(day)) out.set(day, { status: 'absent', workedMinutes: 0 });
    else out.set(day, { status: 'rest', workedMinutes: 0 });
  }
  return out;
}

function expectedTotals(key: Key) {
  const days = [...expectedDays(key).values()];
  const workedMinutes = days.reduce((a, d) => a + d.workedMinutes, 0);
  return {
    daysPresent: days.filter((d) => d.status === 'present').length,
    incompleteDays: 0,
    workedMinutes,
    hours: hours(workedMinutes),
    leaveDays: days.filter((d) => d.status === 'leave').length,
    absentDays: days.filter((d) => d.status === 'absent').length,
  };
}

// ---- wages and payroll ----------------------------------------------------------------------------------

/** Team A is paid by the day; team B has no wage terms (its amounts due are unknown). */
const TEAM_A_DAILY_FEN = 35_000;
/** Hangzhou's minimum wage in force in November 2026 (attendance-profiles.json, region 3301), in fen a month. */
const HANGZHOU_MONTHLY_MINIMUM_FEN = 266_000;
/** What the payroll clerk imports (yuan, as typed); a2 is missing, a4 is paid too little, b3 never came. */
const PAID_YUAN: Partial<Record<Key, string>> = {
  a1: '7350.00',
  a3: '7350',
  a4: '500.00',
  a5: '7350.00',
  b1: '8000.00',
  b2: '8200.50',
  b3: '3000.00',
  pm: '15000.00',
};
const fenOfYuan = (yuan: string) => Math.round(Number(yuan) * 100);
/** Monthly minimum × days present / 21.75 (the statutory average of paid days a month), half up. */
const minimumForDays = (days: number) => Math.round((HANGZHOU_MONTHLY_MINIMUM_FEN * days * 100) / 2175);

// ---- the site ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  json: any;
  text: string;
  body: Buffer;
}

interface Worker {
  key: Key;
  workerId: string;
  enrolmentId: string;
  personId: string;
  name: string;
  idCardNumber: string;
  teamId: string;
}

const run = uniqueName('month');
const services: RunningService[] = [];
let sim: IntegritySimulator;
let consumer: Consumer | undefined;
const urls = { registry: '', gateway: '', attendance: '' };
let projectId = '';
let teamA = '';
let teamB = '';
let generalContractor = '';
const workers = new Map<Key, Worker>();
const devices = new Map<Device, OpenV1Device>();
const deviceIds: Record<Device, string> = {
  gate: `gate-${run}`.slice(0, 64),
  face: `face-${run}`.slice(0, 64),
};
const dayEvents: { type: string; data: any }[] = [];

async function call(
  service: keyof typeof urls,
  who: IdentitySelector | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(urls[service] + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(who === null ? {} : await authorizationFor(who)),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  let json: any = {};
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = {};
    }
  }
  return { status: res.status, json, text, body: buf };
}

async function ok(
  service: keyof typeof urls,
  who: IdentitySelector,
  method: string,
  path: string,
  body?: unknown,
): Promise<any> {
  const r = await call(service, who, method, path, body);
  if (r.status >= 400)
    throw new Error(`${service} ${method} ${path} -> ${r.status}: ${r.text.slice(0, 600)}`);
  return r.json;
}

const w = (key: Key) => workers.get(key)!;
const dayPath = (key: Key, day: string) =>
  `/api/v1/projects/${projectId}/workers/${w(key).workerId}/days/${day}`;

async function enterWorker(
  key: Key,
  teamId: string,
  workType: string,
  workRole: '10' | '20',
): Promise<Worker> {
  const person = fakePerson(createRng(`${run}-${key}`), { ageRange: [24, 50] });
  const headPhoto = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(1200)]).toString(
    'base64',
  );
  const worker = await ok('registry', OFFICE, 'POST', '/api/v1/workers', {
    ...workerRegistration(person),
    headPhoto,
  });
  const enrolment = await ok('registry', OFFICE, 'POST', `/api/v1/projects/${projectId}/enrolments`, {
    workerId: worker.workerId,
    teamId,
    workType,
    workRole,
  });
  const id = enrolment.enrolmentId as string;
  await ok('registry', OFFICE, 'POST', `/api/v1/enrolments/${id}/contract`, {
    periodType: '0',
    startDate: PREPARED_ON,
  });
  await ok('registry', OFFICE, 'POST', `/api/v1/enrolments/${id}/trainings`, {
    typeCode: '003001',
    date: PREPARED_ON,
    passed: true,
    score: 90,
  });
  await ok('registry', OFFICE, 'POST', `/api/v1/enrolments/${id}/entry`, { date: ENTERED_ON });
  return {
    key,
    workerId: worker.workerId,
    enrolmentId: id,
    personId: enrolment.personId,
    name: person.name,
    idCardNumber: person.idCardNumber,
    teamId,
  };
}

async function startDevice(device: Device): Promise<OpenV1Device> {
  const secret = randomBytes(16).toString('hex');
  await ok('gateway', DEVICE_ADMIN, 'POST', '/api/v1/devices', {
    deviceId: deviceIds[device],
    projectId,
    region: '330106',
    family: 'open-v1',
    secret,
    gate: device === 'gate' ? '东门闸机' : '生活区人脸机',
    // The face terminal knows no direction: attendance alternates its reads.
    defaultDirection: device === 'gate' ? 'in' : 'unknown',
  });
  const d = new OpenV1Device({
    baseUrl: urls.gateway,
    deviceId: deviceIds[device],
    secret,
    timeZone: 'Asia/Shanghai',
    heartbeatEveryS: 1,
    batchSize: 200,
    maxAttempts: 5,
    backoffBaseMs: 200,
    // The workers' faces are the gateway's business; these terminals record whoever the test says passed.
    recognisedOnly: false,
    fetchPhotos: false,
  });
  d.start();
  return d;
}

beforeAll(async () => {
  const infra = await testInfrastructure();
  sim = await startIntegritySimulator({ apiKey: run, seed: 11, projects: 1, history: false });
  const project = sim.snapshot().projects[0];
  projectId = project.projectCode;
  const [reg, regGrpc, gw, att, attGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  urls.registry = `http://127.0.0.1:${reg}`;
  urls.gateway = `http://127.0.0.1:${gw}`;
  urls.attendance = `http://127.0.0.1:${att}`;
  const prefix = `${run}.`;
  const common = {
    ...resourceServerEnv(),
    DATABASE_URL: infra.postgresUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
  };
  services.push(
    ...(await Promise.all([
      startService(
        'worker-registry',
        {
          ...common,
          REGISTRY_HTTP_PORT: String(reg),
          REGISTRY_GRPC_URL: `127.0.0.1:${regGrpc}`,
          DATABASE_SCHEMA: `reg_${run}`,
          INTEGRITY_URL: sim.url,
          INTEGRITY_API_KEY: sim.apiKey,
          INTEGRITY_SYNC_INTERVAL_S: '0',
          PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
          PII_ACTIVE_KEY_ID: 'k1',
          PII_HASH_KEY: randomBytes(32).toString('base64'),
        },
        `${urls.registry}/health/ready`,
        240_000,
      ),
      startService(
        'attendance',
        {
          ...common,
          ATTENDANCE_HTTP_PORT: String(att),
          ATTENDANCE_GRPC_URL: `127.0.0.1:${attGrpc}`,
          DATABASE_SCHEMA: `att_${run}`,
          KAFKA_GROUP_ID: `attendance-${run}`,
          KAFKA_SESSION_TIMEOUT_MS: '8000',
          CLICKHOUSE_URL: infra.clickhouseUrl,
          CLICKHOUSE_DATABASE: `month_${run}`.toLowerCase(),
          TIMESHEET_FINALISE_INTERVAL_MS: '500',
        },
        `${urls.attendance}/health/ready`,
        240_000,
      ),
    ])),
  );
  services.push(
    await startService(
      'device-gateway',
      {
        ...common,
        GATEWAY_HTTP_PORT: String(gw),
        DATABASE_SCHEMA: `gw_${run}`,
        DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
        KAFKA_GROUP_ID: `gateway-${run}`,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        DEVICE_OFFLINE_AFTER_S: '30',
        PRESENCE_CHECK_INTERVAL_S: '5',
        COMMAND_ACK_TIMEOUT_S: '30',
        COMMAND_RETRY_DELAY_S: '1',
        BACKFILL_MARGIN_S: '60',
        REGISTRY_URL: urls.registry,
        ...serviceClientEnv('svc-device-gateway'),
      },
      `${urls.gateway}/health/ready`,
      240_000,
    ),
  );
  // Attendance's day events, from the beginning of the run's own topic.
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `test-${run}` });
  const daysTopic = withTopicPrefix(prefix, Topics.attendanceDays);
  await ensureTopics(kafka, [daysTopic]);
  consumer = kafka.consumer({ groupId: `test-days-${run}`, sessionTimeout: 8000 });
  await consumer.connect();
  await consumer.subscribe({ topic: daysTopic.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = fromKafkaRecord(message.headers as any, message.value);
      dayEvents.push({ type: e.type, data: e.data });
    },
  });
  await ok('registry', 'ops', 'POST', '/api/v1/integrity-sync');
});

afterAll(async () => {
  for (const d of devices.values()) await d.stop().catch(() => undefined);
  await consumer?.disconnect().catch(() => undefined);
  for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
  await sim?.close().catch(() => undefined);
});

// ---- the month ---------------------------------------------------------------------------------------------

it('the site office registers, enrols, contracts, trains and enters two teams and the project manager', async () => {
  const view = await ok('registry', OFFICE, 'GET', `/api/v1/projects/${projectId}`);
  expect(view.region).toBe('330106');
  const units = view.participants as { creditCode: string; unitType: string }[];
  generalContractor = units.find((u) => u.unitType === '009')!.creditCode;
  const labour =
    units.find((u) => u.unitType === '006' || u.unitType === '001')?.creditCode ?? generalContractor;
  teamA = (
    await ok('registry', OFFICE, 'POST', `/api/v1/projects/${projectId}/teams`, {
      name: '钢筋班组',
      participantId: labour,
    })
  ).teamId;
  teamB = (
    await ok('registry', OFFICE, 'POST', `/api/v1/projects/${projectId}/teams`, {
      name: '模板班组',
      participantId: generalContractor,
    })
  ).teamId;
  for (const key of TEAM_A) workers.set(key, await enterWorker(key, teamA, '020', '20'));
  for (const key of ['b1', 'b2', 'b3'] as Key[]) workers.set(key, await enterWorker(key, teamB, '050', '20'));
  workers.set('pm', await enterWorker('pm', teamB, '900', '10'));
  // The project manager on site for the general contractor: the key person whose presence is watched.
  const pm = w('pm');
  const after = await ok(
    'registry',
    OFFICE,
    'PUT',
    `/api/v1/projects/${projectId}/participants/${generalContractor}/key-persons/project-manager`,
    // On the post since the month began, although assigned in the system today.
    { name: pm.name, idCardNumber: pm.idCardNumber, appointedOn: '2026-11-01' },
  );
  expect(after.keyPersons).toContainEqual(
    expect.objectContaining({
      creditCode: generalContractor,
      post: 'project-manager',
      source: 'local',
      name: pm.name,
    }),
  );
  expect(new Set([...workers.values()].map((x) => x.name)).size).toBe(workers.size);
  const entered = await ok(
    'registry',
    OFFICE,
    'GET',
    `/api/v1/projects/${projectId}/enrolments?status=entered`,
  );
  expect(entered.enrolments).toHaveLength(9);
  for (const e of entered.enrolments) expect(e.enteredOn).toBe(ENTERED_ON);
});

it('the terminals punch November; the gate is offline on 11-18 and loses that day', async () => {
  devices.set('gate', await startDevice('gate'));
  devices.set('face', await startDevice('face'));
  const gate = devices.get('gate')!;
  const face = devices.get('face')!;
  const all = [...TEAM_A, ...TEAM_B].flatMap(punchesOf).sort((x, y) => x.at - y.at);
  for (const p of all.filter((x) => !x.offline)) {
    const d = p.device === 'gate' ? gate : face;
    d.punch(w(p.key).personId, { at: p.at, ...(p.direction ? { direction: p.direction } : {}) });
  }
  await eventually(async () => (gate.buffer.size === 0 && face.buffer.size === 0) || undefined, {
    timeoutMs: 120_000,
    what: 'every record of the month uploaded',
  });
  // Offline on 11-18: the gate records the day in its log, and a reboot loses the upload queue.
  gate.online = false;
  await gate.tick();
  const lost = all.filter((x) => x.offline);
  for (const p of lost) gate.punch(w(p.key).personId, { at: p.at, direction: p.direction });
  expect(gate.forgetUnsent()).toBe(lost.length);
  gate.online = true;
  expect(lost.length).toBeGreaterThan(0);
});

it('the offline day is finalised without the gate (revision 1), then the backfill gives revision 2, on Kafka too', async () => {
  const first = await eventually(
    async () => {
      const r = await call('attendance', SUPERVISOR, 'GET', dayPath('a1', OFFLINE_DAY));
      return r.status === 200 && r.json.revision === 1 ? r.json : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000, what: `a1's ${OFFLINE_DAY} finalised` },
  );
  expect(first).toMatchObject({ status: 'absent', workedMinutes: 0, punches: 0, day: OFFLINE_DAY });

  // The device administrator asks the gate for the whole attendance day again.
  const backfill = await ok('gateway', DEVICE_ADMIN, 'POST', `/api/v1/devices/${deviceIds.gate}/backfills`, {
    from: iso(at(OFFLINE_DAY, '04:00')),
    to: iso(at(nextDay(OFFLINE_DAY), '04:00')),
  });
  expect(backfill.backfillId).toBeTruthy();
  const revised = await eventually(
    async () => {
      const r = await call('attendance', SUPERVISOR, 'GET', dayPath('a1', OFFLINE_DAY));
      return r.status === 200 && r.json.revision === 2 ? r.json : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000, what: `a1's ${OFFLINE_DAY} revised` },
  );
  expect(revised).toMatchObject({
    status: 'present',
    revision: 2,
    workedMinutes: 570,
    punches: 2,
    firstIn: iso(at(OFFLINE_DAY, '07:30')),
    lastOut: iso(at(OFFLINE_DAY, '17:00')),
    cause: 'late-punch',
  });
  // Every gate worker's 11-18 has a second revision; the face terminal's workers keep their first.
  for (const key of ['a3', 'a5', 'b2', 'pm'] as Key[]) {
    const expected = expectedDays(key).get(OFFLINE_DAY)!;
    const day = await eventually(
      async () => {
        const r = await call('attendance', SUPERVISOR, 'GET', dayPath(key, OFFLINE_DAY));
        return r.status === 200 && r.json.revision === 2 ? r.json : undefined;
      },
      { timeoutMs: 60_000, what: `${key}'s ${OFFLINE_DAY} revised` },
    );
    expect({ status: day.status, workedMinutes: day.workedMinutes }).toEqual(expected);
  }

  // The team's day: every gate worker's day revised from the backfill (the face terminal's are checked below).
  const teamDay = await ok(
    'attendance',
    SUPERVISOR,
    'GET',
    `/api/v1/projects/${projectId}/timesheets?day=${OFFLINE_DAY}&teamId=${teamA}`,
  );
  const gateWorkers: Key[] = ['a1', 'a3', 'a5'];
  expect(new Set((teamDay.days as any[]).map((d) => d.workerId))).toEqual(
    new Set(TEAM_A.map((k) => w(k).workerId)),
  );
  for (const key of gateWorkers) {
    const d = (teamDay.days as any[]).find((x) => x.workerId === w(key).workerId);
    expect({ key, status: d.status, workedMinutes: d.workedMinutes, revision: d.revision }).toEqual({
      key,
      ...expectedDays(key).get(OFFLINE_DAY)!,
      revision: 2,
    });
  }

  // The history of the day: both revisions, and the two punches counted.
  const history = await ok('attendance', SUPERVISOR, 'GET', `${dayPath('a1', OFFLINE_DAY)}/history`);
  expect(history.revisions.map((r: any) => [r.revision, r.status, r.workedMinutes])).toEqual([
    [1, 'absent', 0],
    [2, 'present', 570],
  ]);
  expect(
    history.punches
      .filter((p: any) => p.countedInDay)
      .map((p: any) => p.punchedAt)
      .sort(),
  ).toEqual([iso(at(OFFLINE_DAY, '07:30')), iso(at(OFFLINE_DAY, '17:00'))]);

  // Downstream consumers get the revision, never a silent change.
  const onKafka = await eventually(
    async () =>
      dayEvents.find(
        (e) =>
          e.type === 'realname.attendance.AttendanceDayRevised' &&
          e.data.enrolmentId === w('a1').enrolmentId &&
          e.data.day === OFFLINE_DAY &&
          e.data.revision === 2,
      ),
    { timeoutMs: 30_000, what: 'AttendanceDayRevised revision 2 on attendance.days.v1' },
  );
  expect(onKafka.data).toMatchObject({
    projectId,
    workerId: w('a1').workerId,
    status: 'present',
    workedMinutes: 570,
    previous: { revision: 1, status: 'absent', workedMinutes: 0 },
  });
  expect(
    dayEvents.some(
      (e) =>
        e.type === 'realname.attendance.AttendanceDayFinalised' &&
        e.data.enrolmentId === w('a1').enrolmentId &&
        e.data.day === OFFLINE_DAY &&
        e.data.revision === 1,
    ),
  ).toBe(true);
});

it('a night shift 20:00→06:00 is one attendance day (04:00 boundary)', async () => {
  const night = '2026-11-09';
  const day = await ok('attendance', SUPERVISOR, 'GET', dayPath('a3', night));
  expect(day).toMatchObject({
    status: 'present',
    workedMinutes: 600,
    firstIn: iso(at(night, '20:00')),
    lastOut: iso(at(nextDay(night), '06:00')),
  });
  expect(day.intervals).toHaveLength(1);
  // The Friday night ends on Saturday morning: Saturday stays a rest day.
  const saturday = await ok('attendance', SUPERVISOR, 'GET', dayPath('a3', '2026-11-14'));
  expect(saturday).toMatchObject({ status: 'rest', workedMinutes: 0 });
});

it('the face terminal without direction: four reads alternate into two intervals', async () => {
  const day = await ok('attendance', SUPERVISOR, 'GET', dayPath('a2', '2026-11-04'));
  expect(day).toMatchObject({ status: 'present', workedMinutes: 510, punches: 4 });
  expect(day.intervals).toHaveLength(2);
  expect(day.intervals.every((i: any) => i.in.inferred && i.out.inferred)).toBe(true);
});

it('a missing out is added by the site office and approved by the city supervisor; leave likewise', async () => {
  const before = await eventually(
    async () => {
      const r = await call('attendance', SUPERVISOR, 'GET', dayPath('a5', MISSING_OUT_DAY));
      return r.status === 200 ? r.json : undefined;
    },
    { timeoutMs: 60_000, what: `a5's ${MISSING_OUT_DAY}` },
  );
  expect(before).toMatchObject({ status: 'incomplete', workedMinutes: 0 });

  const addOut = await ok('attendance', OFFICE, 'POST', `${dayPath('a5', MISSING_OUT_DAY)}/corrections`, {
    kind: 'add-out',
    at: `${MISSING_OUT_DAY}T${MISSING_OUT_AT}:00${ZONE_OFFSET}`,
    reason: '东门闸机 17:00 后故障，班组长确认 17:15 离场',
  });
  const leave = await ok('attendance', OFFICE, 'POST', `${dayPath('b2', LEAVE_DAY)}/corrections`, {
    kind: 'leave',
    reason: '事假一天，已批准',
  });
  // Hangzhou asks a supervisor to approve.
  expect(addOut.status).toBe('pending');
  expect(leave.status).toBe('pending');
  const pending = await ok(
    'attendance',
    SUPERVISOR,
    'GET',
    `/api/v1/timesheet-corrections?status=pending&projectId=${projectId}`,
  );
  expect(new Set(pending.corrections.map((c: any) => c.correctionId))).toEqual(
    new Set([addOut.correctionId, leave.correctionId]),
  );
  for (const c of [addOut, leave]) {
    const decided = await ok(
      'attendance',
      SUPERVISOR,
      'POST',
      `/api/v1/timesheet-corrections/${c.correctionId}/approve`,
      {
        note: '核对闸机日志及请假条',
      },
    );
    expect(decided.status).toBe('approved');
  }
  const corrected = await eventually(
    async () => {
      const r = await call('attendance', SUPERVISOR, 'GET', dayPath('a5', MISSING_OUT_DAY));
      return r.json.status === 'present' ? r.json : undefined;
    },
    { timeoutMs: 60_000, what: 'the corrected day' },
  );
  expect(corrected).toMatchObject({
    workedMinutes: 570,
    firstIn: iso(at(MISSING_OUT_DAY, '07:45')),
    lastOut: iso(at(MISSING_OUT_DAY, MISSING_OUT_AT)),
    cause: 'correction',
  });
  expect(corrected.corrections).toEqual([
    expect.objectContaining({ correctionId: addOut.correctionId, kind: 'add-out', status: 'approved' }),
  ]);
  // The original punch was never changed: one punch, the added out stands in from the correction.
  expect(corrected.punches).toBe(1);
  expect(corrected.intervals[0].out).toMatchObject({ correctionId: addOut.correctionId });
  await eventually(
    async () => {
      const r = await call('attendance', SUPERVISOR, 'GET', dayPath('b2', LEAVE_DAY));
      return r.json.status === 'leave' || undefined;
    },
    { timeoutMs: 60_000, what: 'the day of leave' },
  );
});

/** Each worker's cells and totals of a team's sheet, as the test expects them. */
function expectedSheet(keys: Key[]) {
  return keys.map((key) => ({
    workerId: w(key).workerId,
    days: DAYS.map((day) => ({ day, ...expectedDays(key).get(day)! })),
    totals: expectedTotals(key),
  }));
}

function sheetRows(sheet: any) {
  return (sheet.workers as any[])
    .map((x) => ({
      workerId: x.workerId,
      days: x.days.map((c: any) => ({ day: c.day, status: c.status, workedMinutes: c.workedMinutes })),
      totals: x.totals,
    }))
    .sort((p, q) => p.workerId.localeCompare(q.workerId));
}

it('the monthly team sheets hold exactly the days and hours scheduled (JSON, and the XLSX the same)', async () => {
  // Both teams and both formats are read before anything is asserted, so that one report shows every difference.
  const got: unknown[] = [];
  const want: unknown[] = [];
  for (const [teamId, keys] of [
    [teamA, TEAM_A],
    [teamB, TEAM_B],
  ] as [string, Key[]][]) {
    const wantRows = expectedSheet(keys).sort((p, q) => p.workerId.localeCompare(q.workerId));
    const path = `/api/v1/projects/${projectId}/teams/${teamId}/sheets/${MONTH}`;
    // Waits for the last revisions to land; an error answer ends the wait at once.
    const answer = await eventually(
      async () => {
        const r = await call('attendance', SUPERVISOR, 'GET', path);
        return r.status !== 200 || JSON.stringify(sheetRows(r.json)) === JSON.stringify(wantRows)
          ? r
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: `the sheet of team ${teamId}` },
    ).catch(() => call('attendance', SUPERVISOR, 'GET', path));
    expect({ status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({
      status: 200,
      text: '',
    });
    const sheet = answer.json;
    got.push({ teamId, json: sheetRows(sheet) });
    want.push({ teamId, json: wantRows });
    // The calendar the expectations rely on: Monday to Friday are November's working days.
    expect(sheet.days.filter((d: any) => d.working).map((d: any) => d.day)).toEqual([...WORKING]);

    const xlsx = await call('attendance', SUPERVISOR, 'GET', `${path}?format=xlsx`);
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as any);
    const ws = book.worksheets[0];
    const header = (ws.getRow(2).values as any[]).map((v) =>
      v === undefined || v === null ? '' : String(v),
    );
    const col = (name: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`no column ${name} in ${header.join(',')}`);
      return i;
    };
    const byName = new Map<string, { days: number; hours: number; leave: number; absent: number }>();
    ws.eachRow((row, n) => {
      if (n <= 2) return;
      const name = row.getCell(col('姓名')).value;
      if (typeof name !== 'string' || !name) return;
      byName.set(name, {
        days: Number(row.getCell(col('出勤天数')).value),
        hours: Number(row.getCell(col('工时合计')).value),
        leave: Number(row.getCell(col('请假天数')).value),
        absent: Number(row.getCell(col('缺勤天数')).value),
      });
    });
    for (const key of keys) {
      const t = expectedTotals(key);
      got.push({ key, xlsx: byName.get(w(key).name) });
      want.push({
        key,
        xlsx: { days: t.daysPresent, hours: t.hours, leave: t.leaveDays, absent: t.absentDays },
      });
    }
  }
  expect(got).toEqual(want);
});

it('payroll: wage terms for team A, an import, and the findings come out exactly', async () => {
  await ok('attendance', OFFICE, 'PUT', `/api/v1/projects/${projectId}/teams/${teamA}/wage-terms`, {
    basis: 'daily',
    rateFen: TEAM_A_DAILY_FEN,
    effectiveFrom: MONTH,
  });
  const records = (Object.entries(PAID_YUAN) as [Key, string][]).map(([key, yuan], i) => ({
    workerId: w(key).workerId,
    month: MONTH,
    amountPaid: key === 'a3' ? Number(yuan) : yuan,
    paidOn: '2026-12-02',
    bankReference: `CCB2026120200${String(i + 1).padStart(4, '0')}`,
  }));
  const imported = await ok('attendance', OFFICE, 'POST', `/api/v1/projects/${projectId}/payroll-records`, {
    records,
  });
  expect(imported).toMatchObject({ received: records.length, stored: records.length, alreadyRecorded: 0 });
  // The same file again stores nothing.
  const again = await ok('attendance', OFFICE, 'POST', `/api/v1/projects/${projectId}/payroll-records`, {
    records,
  });
  expect(again).toMatchObject({ received: records.length, stored: 0, alreadyRecorded: records.length });

  const payroll = await ok(
    'attendance',
    SUPERVISOR,
    'GET',
    `/api/v1/projects/${projectId}/teams/${teamA}/payroll/${MONTH}`,
  );
  const lines = new Map((payroll.lines as any[]).map((l) => [l.workerId, l]));
  const gotLines = TEAM_A.map((key) => ({
    key,
    ...pick(lines.get(w(key).workerId), ['daysPresent', 'workedMinutes', 'amountDueFen', 'amountPaidFen']),
  }));
  const wantLines = TEAM_A.map((key) => {
    const t = expectedTotals(key);
    return {
      key,
      daysPresent: t.daysPresent,
      workedMinutes: t.workedMinutes,
      amountDueFen: t.daysPresent * TEAM_A_DAILY_FEN,
      amountPaidFen: PAID_YUAN[key] ? fenOfYuan(PAID_YUAN[key]!) : 0,
    };
  });

  // Reconciliation, computed here: paid nothing with days present (team payroll begun), paid without a
  // day present, paid under monthly minimum × days present / 21.75.
  const want: { kind: string; workerId: string; amountPaidFen: number | null; minimumFen: number | null }[] =
    [];
  for (const key of [...TEAM_A, ...TEAM_B]) {
    const t = expectedTotals(key);
    const paid = PAID_YUAN[key] ? fenOfYuan(PAID_YUAN[key]!) : undefined;
    if (paid === undefined && t.daysPresent > 0)
      want.push({
        kind: 'attended-not-paid',
        workerId: w(key).workerId,
        amountPaidFen: null,
        minimumFen: null,
      });
    if (paid !== undefined && t.daysPresent === 0)
      want.push({
        kind: 'paid-not-attended',
        workerId: w(key).workerId,
        amountPaidFen: paid,
        minimumFen: null,
      });
    if (paid !== undefined && t.daysPresent > 0 && paid < minimumForDays(t.daysPresent))
      want.push({
        kind: 'below-minimum-wage',
        workerId: w(key).workerId,
        amountPaidFen: paid,
        minimumFen: minimumForDays(t.daysPresent),
      });
  }
  expect(want.map((f) => f.kind).sort()).toEqual([
    'attended-not-paid',
    'below-minimum-wage',
    'paid-not-attended',
  ]);
  const findings = await eventually(
    async () => {
      const r = await ok(
        'attendance',
        SUPERVISOR,
        'GET',
        `/api/v1/projects/${projectId}/payroll-findings?month=${MONTH}`,
      );
      const open = (r.findings as any[]).filter((f) => f.open);
      return open.length >= want.length ? open : undefined;
    },
    { timeoutMs: 60_000, what: 'the findings' },
  );
  const got = findings
    .map((f: any) => ({
      kind: f.kind,
      workerId: f.workerId,
      amountPaidFen: f.kind === 'attended-not-paid' ? null : f.amountPaidFen,
      minimumFen: f.kind === 'below-minimum-wage' ? f.minimumFen : null,
    }))
    .sort((p: any, q: any) => p.kind.localeCompare(q.kind));
  // Findings and payroll lines together: one report shows every difference.
  expect({ findings: got, lines: gotLines }).toEqual({
    findings: want.sort((p, q) => p.kind.localeCompare(q.kind)),
    lines: wantLines,
  });
});

function pick(o: any, keys: string[]) {
  return Object.fromEntries(keys.map((k) => [k, o?.[k]]));
}

it("the project manager's presence rate over November", async () => {
  const r = await ok(
    'attendance',
    SUPERVISOR,
    'GET',
    `/api/v1/projects/${projectId}/key-personnel/presence?from=${MONTH}-01&to=${MONTH}-30`,
  );
  const mine = (r.persons as any[]).find(
    (p) => p.post === 'project-manager' && p.participantId === generalContractor,
  );
  const days = [...expectedDays('pm').entries()].filter(([d]) => WORKING.has(d));
  const workingDays = days.length;
  const present = days.filter(([, d]) => d.status === 'present').length;
  const leave = days.filter(([, d]) => d.status === 'leave').length;
  const rate = Math.round((present / (workingDays - leave)) * 10_000) / 10_000;
  expect(r.presenceMinimum).toBe(0.8);
  expect(mine).toMatchObject({
    name: w('pm').name,
    enrolled: true,
    entered: true,
    workingDays,
    daysPresent: present,
    leaveDays: leave,
    presenceRate: rate,
    belowMinimum: rate < 0.8,
  });
  expect([workingDays, present, rate]).toEqual([21, 16, 0.7619]);
});

it('consecutive absences of entered workers as of three days', async () => {
  /** Working days without a day present up to asOf (leave not counted), from the day after the last present. */
  function streaks(asOf: string, minDays: number) {
    const out: {
      workerId: string;
      lastPresent: string | null;
      absentSince: string;
      absentWorkingDays: number;
    }[] = [];
    for (const key of [...TEAM_A, ...TEAM_B]) {
      const days = expectedDays(key);
      const upTo = DAYS.filter((d) => d <= asOf);
      const lastPresent = [...upTo].reverse().find((d) => days.get(d)!.status === 'present') ?? null;
      const streak = upTo.filter((d) => (lastPresent === null || d > lastPresent) && WORKING.has(d));
      const absent = streak.filter((d) => days.get(d)!.status === 'absent').length;
      if (absent >= minDays)
        out.push({
          workerId: w(key).workerId,
          lastPresent,
          absentSince: lastPresent ? nextDay(lastPresent) : ENTERED_ON,
          absentWorkingDays: absent,
        });
    }
    return out.sort(
      (p, q) => q.absentWorkingDays - p.absentWorkingDays || p.workerId.localeCompare(q.workerId),
    );
  }
  for (const asOf of ['2026-11-12', '2026-11-27', '2026-11-30']) {
    const r = await ok(
      'attendance',
      SUPERVISOR,
      'GET',
      `/api/v1/projects/${projectId}/absences?asOf=${asOf}&minDays=2`,
    );
    const got = (r.workers as any[])
      .map((x) => pick(x, ['workerId', 'lastPresent', 'absentSince', 'absentWorkingDays']))
      .sort(
        (p: any, q: any) => q.absentWorkingDays - p.absentWorkingDays || p.workerId.localeCompare(q.workerId),
      );
    expect({ asOf, workers: got }).toEqual({ asOf, workers: streaks(asOf, 2) });
  }
  expect(streaks('2026-11-12', 2).map((s) => s.workerId)).toEqual([w('b3').workerId, w('a4').workerId]);
  expect(streaks('2026-11-27', 2).map((s) => s.workerId)).toEqual([w('b3').workerId, w('pm').workerId]);
});
