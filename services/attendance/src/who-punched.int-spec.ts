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
import { createKafka, Database, EventStore, migrate } from '@realname/eventstore';
import { attendanceV1 } from '@realname/proto';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import type { AnalyticsQueries } from './analytics/analytics-queries';
import { AttendanceGrpcController } from './api/attendance.grpc.controller';
import { PunchesController } from './api/punches.controller';
import { AttendanceConsumers } from './consumers';
import { Enrolments } from './enrolments/enrolments';
import { RegistryEventsHandler } from './enrolments/registry-events.handler';
import { attendanceMigrations } from './migrations';
import { PunchResolver } from './punches/punch-resolver';
import { RecordPunchHandler } from './punches/record-punch.handler';
import { PunchQueries, PunchView } from './punches/punch-queries';

jest.setTimeout(120_000);

const run = uniqueName('who');
const schema = `att_${run}`;
const prefix = `${run}.`;
const groupId = `attendance-${run}`;
const projectId = `3301${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';

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
      const page = await queries.listPunches({ projectId, day: row.day, pageSize: 1000 });
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
    const resolved = await grpc.listPunches({
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
    const unresolvedOnly = await rest.list(projectId, '2026-11-20', undefined, 'unresolved');
    expect(unresolvedOnly.punches.map((p) => p.eventId)).not.toContain(byPerson.eventId);
    await expect(rest.list(projectId, '2026-11-20', undefined, 'maybe')).rejects.toMatchObject({
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
    const page = await queries.listPunches({ projectId, day: '2026-11-20', personId: '1' });
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
    const r = await rest.unresolved(projectId, '2026-11-01', '2026-11-30');
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
    const exitedOnly = await rest.unresolved(projectId, '2026-11-01', '2026-11-30', 'exited');
    expect(exitedOnly.punches).toHaveLength(1);
    expect(exitedOnly.reasons.exited).toBe(1);
    await expect(rest.unresolved(projectId, '2026-11-30', '2026-11-01')).rejects.toMatchObject({
      status: 400,
    });
    expect(await metric('attendance_unresolved_punches', { reason: 'not-entered' })).toBe(2);
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
});
