/**
 * Attendance knows who punched: registry events and device punches published to a real Kafka (own topic
 * prefix), consumed by attendance's real consumer into a real PostgreSQL schema, read back through the
 * same queries and controllers the REST and gRPC APIs use, and through /metrics.
 */
import { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  createEvent,
  EnrolmentCredentialsChanged,
  EventEnvelope,
  PunchRecorded,
  toKafkaRecord,
  WorkerEnrolled,
  WorkerEntered,
  WorkerExited,
} from '@realname/contracts';
import { createKafka, Database, EventStore, migrate, subscribeFromBeginning } from '@realname/eventstore';
import type { Caller, CallerScope } from '@realname/platform';
import { attendanceV1 } from '@realname/proto';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import type { AnalyticsQueries } from './analytics/analytics-queries';
import { AttendanceGrpcController } from './punches/punches.grpc';
import { PunchesController } from './punches/punches.rest';
import { AttendanceConsumers } from './consumers';
import { Enrolments } from './enrolments/enrolments';
import { RegistryEventsHandler } from './enrolments/registry-events.handler';
import { attendanceMigrations } from './migrations';
import { PunchResolver } from './punches/punch-resolver';
import { RecordPunchHandler } from './punches/record-punch.handler';
import { personDayStreamId } from './punches/person-day';
import { ProjectNotFound, PunchQueries, PunchView } from './punches/punch-queries';

jest.setTimeout(120_000);

const run = uniqueName('who');
const schema = `att_${run}`;
const prefix = `${run}.`;
const groupId = `attendance-${run}`;
const projectId = `3301${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
/** The scope the reads of this test run in (the project's county), and a caller with it for the controllers. */
const XIHU: CallerScope = { kind: 'county', code: region };
const caller: Caller = {
  subject: 'test',
  roles: ['county-supervisor'],
  scope: XIHU,
  permissions: [],
  expiresAt: 0,
};

let db: Database;
let kafka: Kafka;
let producer: Producer;
let consumers: AttendanceConsumers;
let registry: Registry;
let queries: PunchQueries;
const topics = AttendanceConsumers.topics(prefix, groupId);

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 8 });
  await migrate(db, schema, attendanceMigrations);
  kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'who-punched-test' });
  registry = new Registry();
  consumers = new AttendanceConsumers({
    db,
    kafka,
    schema,
    groupId,
    topicPrefix: prefix,
    sessionTimeoutMs: 8000,
    registry,
    unresolvedGaugeRefreshMs: 0,
    log: (level, message, extra) => {
      if (process.env.DEBUG_TESTS) console.log(level, message, extra);
    },
  });
  await consumers.start();
  producer = kafka.producer();
  await producer.connect();
  queries = new PunchQueries(db, schema);
});

afterAll(async () => {
  await consumers?.stop();
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name) }).catch(() => undefined);
  await admin.disconnect();
  await db?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

// ---- what the registry and the devices publish ----------------------------------------------------

async function publish(topic: string, events: EventEnvelope[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
}
const registryOpts = (enrolmentId: string) => ({
  source: '/realname/registry',
  subject: `enrolment-${enrolmentId}`,
  region,
});

function enrolled(n: number, over: { personId?: string; cardNumber?: string } = {}) {
  const enrolmentId = `en-${n}`;
  return createEvent(
    WorkerEnrolled,
    {
      enrolmentId,
      projectId,
      workerId: `w-${n}`,
      name: `工人${n}`,
      idHash: `hash-${n}`.padEnd(32, '0'),
      maskedIdNumber: `3301**********${String(n).padStart(4, '0')}`,
      teamId: `team-${n % 2}`,
      teamName: n % 2 ? '钢筋班' : '木工班',
      participantId: 'pa-1',
      creditCode: '91330106MA2XXXXXX1',
      corpName: '杭州某某劳务有限公司',
      workType: n % 2 ? '钢筋工' : '木工',
      workRole: '20',
      isTeamLeader: false,
      credentials: { personId: over.personId ?? String(n), cardNumber: over.cardNumber },
    },
    registryOpts(enrolmentId),
  );
}
const entered = (n: number, date: string) =>
  createEvent(
    WorkerEntered,
    { enrolmentId: `en-${n}`, projectId, workerId: `w-${n}`, date },
    registryOpts(`en-${n}`),
  );
const exited = (n: number, date: string) =>
  createEvent(
    WorkerExited,
    { enrolmentId: `en-${n}`, projectId, workerId: `w-${n}`, date },
    registryOpts(`en-${n}`),
  );

let records = 0;
/** A punch of `personId` at 08:00 Beijing time on `day`. */
function punch(personId: string, day: string, deviceId = 'gate-1') {
  records++;
  const punchedAt = new Date(Date.parse(`${day}T08:00:00+08:00`) + records * 1000).toISOString();
  return createEvent(
    PunchRecorded,
    {
      deviceId,
      projectId,
      region,
      deviceRecordId: String(records).padStart(6, '0'),
      personId,
      deviceTime: `${day} 08:00:00`,
      punchedAt,
      timeZone: 'Asia/Shanghai',
      receivedAt: punchedAt,
      skewMs: 0,
      direction: 'in',
      verifyMode: 'face',
      protocol: 'open-v1',
      rawRequestId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
    },
    { source: '/realname/device-gateway', subject: `device-${deviceId}`, region },
  );
}

// ---- what attendance answers ------------------------------------------------------------------------

/** Publishes the punches and waits until attendance holds each; returns them as the API shows them. */
async function punchAndWait(...events: EventEnvelope[]): Promise<PunchView[]> {
  await publish(topics.punches.name, events);
  return Promise.all(events.map((e) => punchView(e.id, (v) => !!v)));
}

/** The punch as the REST list shows it, once `ready` holds for it. */
async function punchView(punchEventId: string, ready: (v?: PunchView) => boolean): Promise<PunchView> {
  return eventually(
    async () => {
      const [row] = await db.query<{ day: string }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day FROM ${schema}.punches WHERE punch_event_id = $1`,
        [punchEventId],
      );
      if (!row) return undefined;
      const page = await queries.listPunches({ projectId, day: row.day, pageSize: 1000 }, XIHU);
      const view = page.punches.find((p) => p.eventId === punchEventId);
      return ready(view) && view;
    },
    { timeoutMs: 60_000, what: `punch ${punchEventId}` },
  );
}

/** Publishes registry events and waits until the consumer has applied every one (inbox). */
async function registryAndWait(...events: EventEnvelope[]): Promise<void> {
  await publish(topics.enrolments.name, events);
  await eventually(
    async () => {
      const [{ n }] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${schema}.inbox WHERE event_id = ANY($1::uuid[])`,
        [events.map((e) => e.id)],
      );
      return Number(n) === events.length;
    },
    { timeoutMs: 60_000, what: `${events.length} registry events applied` },
  );
}

async function eventCounts(): Promise<Record<string, number>> {
  const rows = await db.query<{ event_type: string; n: string }>(
    `SELECT event_type, count(*)::text AS n FROM ${schema}.events GROUP BY event_type`,
  );
  return Object.fromEntries(rows.map((r) => [r.event_type, Number(r.n)]));
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getSingleMetric(name)!.get()).values.find((v) =>
    Object.entries(labels).every(([k, val]) => v.labels[k] === val),
  );
  return m?.value ?? 0;
}

const WORKER_1 = {
  resolutionStatus: 'resolved',
  unresolvedReason: null,
  enrolmentId: 'en-1',
  workerId: 'w-1',
  workerName: '工人1',
  maskedIdNumber: '3301**********0001',
  teamId: 'team-1',
  teamName: '钢筋班',
  participantId: 'pa-1',
  corpName: '杭州某某劳务有限公司',
  workType: '钢筋工',
};

describe('attendance knows who punched', () => {
  it('resolves a punch of an enrolled, entered worker to name, team and unit', async () => {
    await registryAndWait(enrolled(1, { cardNumber: 'CARD-1' }), entered(1, '2026-11-01'));
    const [byPerson, byCard] = await punchAndWait(punch('1', '2026-11-20'), punch('CARD-1', '2026-11-20'));
    expect(byPerson).toMatchObject(WORKER_1);
    expect(byCard).toMatchObject(WORKER_1);

    // The same through gRPC, and the resolution filter of both APIs.
    const grpc = new AttendanceGrpcController(queries);
    const resolved = await grpc.listPunchesIn(XIHU, {
      projectId,
      day: '2026-11-20',
      pageSize: 100,
      pageToken: '',
      personId: '1',
      resolution: attendanceV1.ResolutionStatus.RESOLUTION_STATUS_RESOLVED,
    });
    expect(resolved.punches).toEqual([
      expect.objectContaining({
        personId: '1',
        workerId: 'w-1',
        workerName: '工人1',
        teamName: '钢筋班',
        corpName: '杭州某某劳务有限公司',
        resolutionStatus: attendanceV1.ResolutionStatus.RESOLUTION_STATUS_RESOLVED,
        unresolvedReason: '',
      }),
    ]);
    const rest = new PunchesController(queries, undefined as unknown as AnalyticsQueries);
    const unresolvedOnly = await rest.list(caller, projectId, '2026-11-20', undefined, 'unresolved');
    expect(unresolvedOnly.punches.map((p) => p.eventId)).not.toContain(byPerson.eventId);
    await expect(rest.list(caller, projectId, '2026-11-20', undefined, 'maybe')).rejects.toMatchObject({
      status: 400,
    });
    expect(await metric('attendance_punches_total', { resolution: 'resolved', reason: '' })).toBe(2);
  });

  it('keeps a punch of an unknown person, unresolved unknown-person, counted in the metrics', async () => {
    const [p] = await punchAndWait(punch('9999', '2026-11-20'));
    expect(p).toMatchObject({
      resolutionStatus: 'unresolved',
      unresolvedReason: 'unknown-person',
      workerId: null,
    });
    expect(
      await metric('attendance_punches_total', { resolution: 'unresolved', reason: 'unknown-person' }),
    ).toBe(1);
    expect(await metric('attendance_unresolved_punches', { reason: 'unknown-person' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('attendance_punches_total{resolution="unresolved",reason="unknown-person"} 1');
  });

  it('keeps a punch of a worker who has not entered, unresolved not-entered, naming the enrolment', async () => {
    await registryAndWait(enrolled(2));
    const [p] = await punchAndWait(punch('2', '2026-11-20'));
    expect(p).toMatchObject({
      resolutionStatus: 'unresolved',
      unresolvedReason: 'not-entered',
      workerId: 'w-2',
    });
  });

  it('keeps a punch after the exit date, unresolved exited; a punch before it resolves', async () => {
    await registryAndWait(enrolled(3), entered(3, '2026-11-01'), exited(3, '2026-11-10'));
    const [after, before, onExitDay] = await punchAndWait(
      punch('3', '2026-11-12'),
      punch('3', '2026-11-05'),
      punch('3', '2026-11-10'),
    );
    expect(after).toMatchObject({
      resolutionStatus: 'unresolved',
      unresolvedReason: 'exited',
      workerId: 'w-3',
    });
    expect(before).toMatchObject({ resolutionStatus: 'resolved', workerId: 'w-3' });
    expect(onExitDay).toMatchObject({ resolutionStatus: 'resolved', workerId: 'w-3' });
  });

  it('resolves earlier punches when the registry learns late who it was; redelivery changes nothing', async () => {
    const [early, onTime] = await punchAndWait(punch('4', '2026-11-18'), punch('4', '2026-11-20'));
    expect([early.unresolvedReason, onTime.unresolvedReason]).toEqual(['unknown-person', 'unknown-person']);
    const late = [enrolled(4), entered(4, '2026-11-19')];
    await registryAndWait(...late);

    const resolved = await punchView(onTime.eventId, (v) => v?.resolutionStatus === 'resolved');
    expect(resolved).toMatchObject({
      workerId: 'w-4',
      workerName: '工人4',
      teamName: '木工班',
      unresolvedReason: null,
    });
    // The punch before the entry date is still unresolved, now with the precise reason.
    expect(await punchView(early.eventId, (v) => v?.unresolvedReason === 'not-entered')).toMatchObject({
      resolutionStatus: 'unresolved',
      workerId: 'w-4',
    });
    // On the punch's person-day stream: AttendanceRecorded, then PunchResolved from each registry event.
    const stream = await db.query<{
      event_type: string;
      data: { resolution: { status: string; reason?: string } };
    }>(`SELECT event_type, data FROM ${schema}.events WHERE stream_id = $1 ORDER BY stream_position`, [
      `attendance-${projectId}-4-2026-11-20`,
    ]);
    expect(stream.map((e) => [e.event_type, e.data.resolution.status, e.data.resolution.reason])).toEqual([
      ['realname.attendance.AttendanceRecorded', 'unresolved', 'unknown-person'],
      ['realname.attendance.PunchResolved', 'unresolved', 'not-entered'],
      ['realname.attendance.PunchResolved', 'resolved', undefined],
    ]);
    expect(await metric('attendance_punches_reresolved_total', { resolution: 'resolved', reason: '' })).toBe(
      1,
    );

    // The registry (or Kafka) delivers the same events again, and republishes them under new ids.
    const before = await eventCounts();
    const rows = () =>
      db.query(`SELECT * FROM ${schema}.punches WHERE project_id = $1 ORDER BY punch_event_id`, [projectId]);
    const readModel = await rows();
    await publish(topics.enrolments.name, late);
    const republished = [enrolled(4), entered(4, '2026-11-19')];
    await registryAndWait(...republished);
    expect(await eventCounts()).toEqual(before);
    expect(await rows()).toEqual(readModel);
  });

  it('keeps a resolved punch resolved for the days before a later exit', async () => {
    await registryAndWait(exited(1, '2026-11-25'));
    const page = await queries.listPunches({ projectId, day: '2026-11-20', personId: '1' }, XIHU);
    expect(page.punches[0]).toMatchObject(WORKER_1);
  });

  it('resolves by new credentials: a card issued late resolves the punches made with it', async () => {
    const [p] = await punchAndWait(punch('CARD-5', '2026-11-20'));
    expect(p.unresolvedReason).toBe('unknown-person');
    await registryAndWait(enrolled(5), entered(5, '2026-11-01'));
    await registryAndWait(
      createEvent(
        EnrolmentCredentialsChanged,
        {
          enrolmentId: 'en-5',
          projectId,
          workerId: 'w-5',
          credentials: { personId: '5', cardNumber: 'CARD-5' },
        },
        registryOpts('en-5'),
      ),
    );
    expect(await punchView(p.eventId, (v) => v?.resolutionStatus === 'resolved')).toMatchObject({
      workerId: 'w-5',
    });
  });

  it('lists the unresolved punches of a range with the count per reason', async () => {
    const rest = new PunchesController(queries, undefined as unknown as AnalyticsQueries);
    const r = await rest.unresolved(caller, projectId, '2026-11-01', '2026-11-30');
    expect(r.reasons).toEqual({
      'unknown-person': 1,
      'not-entered': 2,
      exited: 1,
      'recorded-before-resolution': 0,
    });
    expect(r.totalCount).toBe(4);
    expect(r.punches.map((p) => [p.personId, p.day, p.unresolvedReason])).toEqual([
      ['3', '2026-11-12', 'exited'],
      ['4', '2026-11-18', 'not-entered'],
      ['9999', '2026-11-20', 'unknown-person'],
      ['2', '2026-11-20', 'not-entered'],
    ]);
    const exitedOnly = await rest.unresolved(caller, projectId, '2026-11-01', '2026-11-30', 'exited');
    expect(exitedOnly.punches).toHaveLength(1);
    expect(exitedOnly.reasons.exited).toBe(1);
    await expect(rest.unresolved(caller, projectId, '2026-11-30', '2026-11-01')).rejects.toMatchObject({
      status: 400,
    });
    expect(await metric('attendance_unresolved_punches', { reason: 'not-entered' })).toBe(2);
  });

  it('answers within the caller scope only, in the queries: region, project, enterprise (by its enrolments)', async () => {
    const range = { projectId, from: '2026-11-01', to: '2026-11-30' };
    const counts = { projectId, fromDay: '2026-11-01', toDay: '2026-11-30' };
    const all = await queries.unresolvedPunches(range, XIHU);
    expect(all.totalCount).toBe(4);
    // Hangzhou covers Xihu; the project manager of this project sees it all as well.
    for (const scope of [
      { kind: 'city', code: '330100' },
      { kind: 'project', code: projectId },
    ] as const) {
      expect((await queries.unresolvedPunches(range, scope)).totalCount).toBe(4);
      expect(await queries.countPerDay(counts, scope)).toEqual(await queries.countPerDay(counts, XIHU));
    }
    // Ningbo, another county, another project, another enterprise: not found, like an unknown project.
    for (const scope of [
      { kind: 'city', code: '330200' },
      { kind: 'county', code: '330108' },
      { kind: 'project', code: `${projectId}X` },
      { kind: 'enterprise', code: '91330106MA2H4K7N15' },
    ] as const) {
      await expect(queries.unresolvedPunches(range, scope)).rejects.toBeInstanceOf(ProjectNotFound);
      await expect(queries.countPerDay(counts, scope)).rejects.toBeInstanceOf(ProjectNotFound);
      await expect(queries.listPunches({ projectId, day: '2026-11-20' }, scope)).rejects.toBeInstanceOf(
        ProjectNotFound,
      );
    }
    await expect(
      queries.listPunches({ projectId: `${projectId}-unknown`, day: '2026-11-20' }, XIHU),
    ).rejects.toBeInstanceOf(ProjectNotFound);
    // The unit the workers were enrolled through sees their punches (resolved or matched), not a stranger's.
    const unit = { kind: 'enterprise', code: '91330106ma2xxxxxx1' } as const;
    const ofUnit = await queries.unresolvedPunches(range, unit);
    expect(ofUnit.punches.map((p) => p.unresolvedReason).sort()).toEqual([
      'exited',
      'not-entered',
      'not-entered',
    ]);
    expect(ofUnit.reasons['unknown-person']).toBe(0);
    const day = await queries.listPunches({ projectId, day: '2026-11-20', pageSize: 1000 }, unit);
    const everything = await queries.listPunches({ projectId, day: '2026-11-20', pageSize: 1000 }, XIHU);
    expect(day.punches.every((p) => p.enrolmentId !== null)).toBe(true);
    expect(day.totalCount).toBe(everything.punches.filter((p) => p.enrolmentId !== null).length);
    const unitCounts = await queries.countPerDay(counts, unit);
    expect(unitCounts.find((d) => d.day === '2026-11-20')?.punches).toBe(day.totalCount);
  });

  it('misses no punch recorded while the enrolment that resolves it arrives', async () => {
    // Punches from six gates (six partitions, consumed concurrently) race the worker's enrolment and entry.
    const punches = Array.from({ length: 60 }, (_, i) => punch('6', '2026-11-21', `gate-${i % 6}`));
    await Promise.all([
      publish(topics.punches.name, punches),
      publish(topics.enrolments.name, [enrolled(6), entered(6, '2026-11-01')]),
    ]);
    for (const p of punches) await punchView(p.id, (v) => v?.resolutionStatus === 'resolved');
    const [{ n }] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${schema}.punches WHERE project_id = $1 AND person_id = '6'
         AND resolution_status = 'resolved' AND worker_id = 'w-6'`,
      [projectId],
    );
    expect(Number(n)).toBe(60);
  });

  it('a punch and the enrolment that resolves it, in transactions open at the same time, never miss each other', async () => {
    // Directly on the handlers, to hold the punch's transaction open while the registry change starts.
    const store = new EventStore(db, schema);
    const enrolments = new Enrolments(schema);
    const recordPunch = new RecordPunchHandler(store, schema);
    const registryEvents = new RegistryEventsHandler(enrolments, new PunchResolver(store, enrolments));
    const p = punch('7', '2026-11-22');
    let recorded!: () => void;
    let commit!: () => void;
    const punchRecorded = new Promise<void>((r) => (recorded = r));
    const mayCommit = new Promise<void>((r) => (commit = r));
    const punchTx = db.transaction(async (tx) => {
      await recordPunch.handle(tx, p); // finds no enrolment: unresolved unknown-person, not committed yet
      recorded();
      await mayCommit;
    });
    await punchRecorded;
    let registryCommitted = false;
    const registryTx = db
      .transaction(async (tx) => {
        await registryEvents.handle(tx, enrolled(7));
        await registryEvents.handle(tx, entered(7, '2026-11-01'));
      })
      .then(() => (registryCommitted = true));
    await new Promise((r) => setTimeout(r, 500));
    // The registry change waits for the punch (exclusive lock on the identifier against the punch's
    // shared one) instead of looking for unresolved punches that it could not see yet.
    expect(registryCommitted).toBe(false);
    commit();
    await Promise.all([punchTx, registryTx]);
    expect(await punchView(p.id, (v) => !!v)).toMatchObject({
      resolutionStatus: 'resolved',
      workerId: 'w-7',
    });
  });

  // ---- punches applied in bulk: a fetched batch of punches in one transaction ----------------------

  it('records a batch of punches across people and days exactly once, redeliveries and repeats included', async () => {
    const batchSizes = jest.spyOn(RecordPunchHandler.prototype, 'handleBatch');
    // Ten enrolled, entered workers and ten unknown persons, three days each, four punches a day from
    // four gates (four partitions).
    await registryAndWait(...range(100, 110).flatMap((n) => [enrolled(n), entered(n, '2026-12-01')]));
    const persons = [...range(100, 110).map(String), ...range(0, 10).map((i) => `unknown-${i}`)];
    const days = ['2026-12-01', '2026-12-02', '2026-12-03'];
    const punches = persons.flatMap((person) =>
      days.flatMap((day) => range(0, 4).map((g) => punch(person, day, `bulk-gate-${g}`))),
    );
    // The gateway reports some device records twice (new event ids); Kafka delivers some events twice.
    const repeats = punches
      .slice(0, 30)
      .map((p) =>
        createEvent(PunchRecorded, p.data, { source: p.source, subject: p.subject, region: p.region }),
      );
    await publish(topics.punches.name, punches);
    await publish(topics.punches.name, [...repeats, ...punches.slice(100, 160)]);
    await eventually(
      async () => (await countPunches(persons, '2026-12-01', '2026-12-03')) === punches.length,
      { timeoutMs: 60_000, what: `${punches.length} punches recorded` },
    );
    await waitForInbox([...repeats, ...punches]);
    expect(await countPunches(persons, '2026-12-01', '2026-12-03')).toBe(punches.length);

    // Punches were recorded many at a time.
    expect(Math.max(...batchSizes.mock.calls.map(([, events]) => events.length))).toBeGreaterThan(1);
    batchSizes.mockRestore();
    // Every person-day stream holds its four punches once, in positions 1-4.
    const streams = await db.query<{ stream_id: string; n: string; max: string }>(
      `SELECT stream_id, count(*)::text AS n, max(stream_position)::text AS max FROM ${schema}.events
       WHERE stream_id LIKE $1 AND stream_id LIKE '%-2026-12-0_' GROUP BY stream_id`,
      [`attendance-${projectId}-%`],
    );
    expect(streams).toHaveLength(persons.length * days.length);
    expect(streams.every((s) => s.n === '4' && s.max === '4')).toBe(true);
    // The day summaries count four punches, from the first to the last.
    const summaries = await db.query<{
      person_id: string;
      day: string;
      punches: number;
      first: string;
      last: string;
    }>(
      `SELECT person_id, to_char(day, 'YYYY-MM-DD') AS day, punches, first_punch_at::text AS first, last_punch_at::text AS last
       FROM ${schema}.person_days WHERE project_id = $1 AND person_id = ANY($2::text[]) AND day >= '2026-12-01'`,
      [projectId, persons],
    );
    expect(summaries).toHaveLength(persons.length * days.length);
    for (const s of summaries) {
      const own = punches.filter(
        (p) => p.data.personId === s.person_id && p.data.punchedAt.startsWith(s.day),
      );
      expect(s.punches).toBe(4);
      expect(new Date(s.first).toISOString()).toBe(own[0].data.punchedAt);
      expect(new Date(s.last).toISOString()).toBe(own[3].data.punchedAt);
    }
    // Resolved against the enrolments looked up for the whole batch.
    const byStatus = await db.query<{
      person_id: string;
      resolution_status: string;
      worker_id: string | null;
    }>(
      `SELECT DISTINCT person_id, resolution_status, worker_id FROM ${schema}.punches
       WHERE project_id = $1 AND person_id = ANY($2::text[]) AND day >= '2026-12-01' ORDER BY person_id`,
      [projectId, persons],
    );
    expect(byStatus).toHaveLength(persons.length);
    for (const r of byStatus) {
      if (r.person_id.startsWith('unknown-'))
        expect(r).toMatchObject({ resolution_status: 'unresolved', worker_id: null });
      else expect(r).toMatchObject({ resolution_status: 'resolved', worker_id: `w-${r.person_id}` });
    }
  });

  it('sends a punch that breaks the contract to the dead-letter topic alone; the rest of its batch is recorded', async () => {
    const dead: string[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('who-dlq'), maxWaitTimeInMs: 100 });
    await reader.connect();
    await subscribeFromBeginning(reader, [topics.dlq.name]);
    await reader.run({
      eachMessage: async ({ message }) => void dead.push(message.headers!['ce_id']!.toString()),
    });
    try {
      // One gate: one partition, so the bad punch sits among good ones in the batches.
      const good = range(0, 40).map((i) => punch(`dlq-${i}`, '2026-12-05', 'dlq-gate'));
      const bad = punch('dlq-bad', '2026-12-05', 'dlq-gate');
      const broken = { ...bad, data: { ...bad.data, personId: '' } };
      await publish(topics.punches.name, [...good.slice(0, 20), broken, ...good.slice(20)]);
      await eventually(async () => dead.includes(bad.id), {
        timeoutMs: 60_000,
        what: 'the bad punch dead-lettered',
      });
      await eventually(
        async () =>
          (await countPunches(
            good.map((p) => p.data.personId),
            '2026-12-05',
            '2026-12-05',
          )) === 40,
        { timeoutMs: 60_000, what: 'the good punches recorded' },
      );
      expect(dead.filter((id) => good.some((p) => p.id === id))).toEqual([]);
      // Dead-lettered events stay out of the inbox, so that replaying them applies them.
      const marks = await db.query<{ outcome: string }>(
        `SELECT outcome FROM ${schema}.inbox WHERE event_id = $1`,
        [bad.id],
      );
      expect(marks).toEqual([]);
    } finally {
      await reader.disconnect();
    }
  });

  it('misses no punch of many workers recorded in batches while their enrolments arrive', async () => {
    const workers = range(200, 210);
    const punches = workers.flatMap((n) =>
      range(0, 12).map((i) => punch(String(n), '2026-12-07', `race-gate-${i % 6}`)),
    );
    await Promise.all([
      publish(topics.punches.name, punches),
      publish(
        topics.enrolments.name,
        workers.flatMap((n) => [enrolled(n), entered(n, '2026-12-01')]),
      ),
    ]);
    for (const p of punches) await punchView(p.id, (v) => v?.resolutionStatus === 'resolved');
    const rows = await db.query<{ person_id: string; worker_id: string; n: string }>(
      `SELECT person_id, worker_id, count(*)::text AS n FROM ${schema}.punches
       WHERE project_id = $1 AND day = '2026-12-07' AND resolution_status = 'resolved' GROUP BY person_id, worker_id`,
      [projectId],
    );
    expect(rows.map((r) => [r.person_id, r.worker_id, r.n]).sort()).toEqual(
      workers.map((n) => [String(n), `w-${n}`, '12']).sort(),
    );
  });

  it('a batch of punches and the enrolments that resolve them, in transactions open at the same time, never miss each other', async () => {
    const store = new EventStore(db, schema);
    const enrolments = new Enrolments(schema);
    const recordPunch = new RecordPunchHandler(store, schema);
    const registryEvents = new RegistryEventsHandler(enrolments, new PunchResolver(store, enrolments));
    const hold = () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      return { release, released };
    };

    // The batch first: the registry change waits for it, then resolves its punches.
    const batch = [punch('300', '2026-12-09'), punch('301', '2026-12-09'), punch('300', '2026-12-10')];
    const recorded = hold();
    const mayCommit = hold();
    const punchTx = db.transaction(async (tx) => {
      expect(await recordPunch.handleBatch(tx, batch)).toBe(3); // nobody known yet: all unresolved
      recorded.release();
      await mayCommit.released;
    });
    await recorded.released;
    let registryCommitted = false;
    const registryTx = db
      .transaction(async (tx) => {
        await registryEvents.handle(tx, enrolled(300));
        await registryEvents.handle(tx, entered(300, '2026-12-01'));
      })
      .then(() => (registryCommitted = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(registryCommitted).toBe(false);
    mayCommit.release();
    await Promise.all([punchTx, registryTx]);
    for (const p of [batch[0], batch[2]])
      expect(await punchView(p.id, (v) => !!v)).toMatchObject({
        resolutionStatus: 'resolved',
        workerId: 'w-300',
      });
    expect(await punchView(batch[1].id, (v) => !!v)).toMatchObject({
      resolutionStatus: 'unresolved',
      unresolvedReason: 'unknown-person',
    });

    // The registry change first: the batch waits for it, then sees the enrolment when it records.
    const changed = hold();
    const registryMayCommit = hold();
    const registryFirst = db.transaction(async (tx) => {
      await registryEvents.handle(tx, enrolled(302));
      await registryEvents.handle(tx, entered(302, '2026-12-01'));
      changed.release();
      await registryMayCommit.released;
    });
    await changed.released;
    const later = [punch('302', '2026-12-09'), punch('303', '2026-12-09')];
    let batchCommitted = false;
    const batchTx = db
      .transaction((tx) => recordPunch.handleBatch(tx, later))
      .then(() => (batchCommitted = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(batchCommitted).toBe(false);
    registryMayCommit.release();
    await Promise.all([registryFirst, batchTx]);
    expect(await punchView(later[0].id, (v) => !!v)).toMatchObject({
      resolutionStatus: 'resolved',
      workerId: 'w-302',
    });
    const stream = await store.readStream(personDayStreamId(projectId, '302', '2026-12-09'));
    expect(stream.map((e) => e.type)).toEqual(['realname.attendance.AttendanceRecorded']); // resolved when recorded
  });

  it('two batches writing the same person-day at once both land: the later one re-reads and decides again', async () => {
    const store = new EventStore(db, schema);
    const recordPunch = new RecordPunchHandler(store, schema);
    const first = punch('400', '2026-12-11', 'gate-a');
    // The same device record reported twice by the gateway (another event id), and another punch.
    const again = createEvent(PunchRecorded, first.data, {
      source: first.source,
      subject: first.subject,
      region,
    });
    const second = punch('400', '2026-12-11', 'gate-b');
    let appended!: () => void;
    let commit!: () => void;
    const firstAppended = new Promise<void>((r) => (appended = r));
    const mayCommit = new Promise<void>((r) => (commit = r));
    const a = db.transaction(async (tx) => {
      const n = await recordPunch.handleBatch(tx, [first]);
      appended();
      await mayCommit;
      return n;
    });
    await firstAppended;
    // Reads the day while it is still empty, then waits on the first batch's uncommitted position 1.
    const b = db.transaction((tx) => recordPunch.handleBatch(tx, [again, second]));
    await new Promise((r) => setTimeout(r, 300));
    commit();
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    const stream = await store.readStream(personDayStreamId(projectId, '400', '2026-12-11'));
    expect(stream.map((e) => [e.streamPosition, (e.data as { punchEventId: string }).punchEventId])).toEqual([
      [1n, first.id],
      [2n, second.id],
    ]);
    expect(await countPunches(['400'], '2026-12-11', '2026-12-11')).toBe(2);
    const [day] = await db.query<{ punches: number }>(
      `SELECT punches FROM ${schema}.person_days WHERE project_id = $1 AND person_id = '400' AND day = '2026-12-11'`,
      [projectId],
    );
    expect(day.punches).toBe(2);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** How many punches of these persons attendance holds for the days. */
async function countPunches(persons: string[], fromDay: string, toDay: string): Promise<number> {
  const [{ n }] = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${schema}.punches
     WHERE project_id = $1 AND person_id = ANY($2::text[]) AND day BETWEEN $3::date AND $4::date`,
    [projectId, persons, fromDay, toDay],
  );
  return Number(n);
}

/** Waits until the consumer has seen every one of these events (applied, or passed over as a repeat). */
async function waitForInbox(events: EventEnvelope[]): Promise<void> {
  await eventually(
    async () => {
      const [{ n }] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${schema}.inbox WHERE event_id = ANY($1::uuid[])`,
        [events.map((e) => e.id)],
      );
      return Number(n) === new Set(events.map((e) => e.id)).size;
    },
    { timeoutMs: 60_000, what: `${events.length} events in the inbox` },
  );
}
