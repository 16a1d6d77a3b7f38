/**
 * Attendance learns the registry's projects and who holds their key posts: registry events published to
 * a real Kafka (own topic prefix), consumed by attendance's real consumer into a real PostgreSQL schema.
 */
import { Kafka, Producer } from 'kafkajs';
import {
  createEvent,
  EventEnvelope,
  KeyPersonAppointed,
  ParticipantJoined,
  ProjectSynced,
  toKafkaRecord,
  WorkerEnrolled,
} from '@realname/contracts';
import { createKafka, Database, migrate } from '@realname/eventstore';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { AttendanceConsumers } from '../consumers';
import { attendanceMigrations } from '../migrations';

jest.setTimeout(120_000);

const run = uniqueName('keyp');
const schema = `att_${run}`;
const prefix = `${run}.`;
const groupId = `attendance-${run}`;
const projectId = `3301${run.replace(/[^a-z0-9]/gi, '')}`;
const region = '330106';
const topics = AttendanceConsumers.topics(prefix, groupId);

let db: Database;
let kafka: Kafka;
let producer: Producer;
let consumers: AttendanceConsumers;

beforeAll(async () => {
  const infra = await testInfrastructure();
  db = await Database.connect({ url: infra.postgresUrl, poolSize: 4 });
  await migrate(db, schema, attendanceMigrations);
  kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'registry-projects-test' });
  consumers = new AttendanceConsumers({
    db,
    kafka,
    schema,
    groupId,
    topicPrefix: prefix,
    sessionTimeoutMs: 8000,
    log: (level, message, extra) => {
      if (process.env.DEBUG_TESTS) console.log(level, message, extra);
    },
  });
  await consumers.start();
  producer = kafka.producer();
  await producer.connect();
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

const projectOpts = (time?: string) => ({
  source: '/realname/worker-registry',
  subject: `project-${projectId}`,
  region,
  time: time ? new Date(time) : undefined,
});

/** Publishes events and waits until the consumer has applied every one (inbox). */
async function publishAndWait(topic: string, events: EventEnvelope[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
  await eventually(
    async () => {
      const [{ n }] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${schema}.inbox WHERE event_id = ANY($1::uuid[])`,
        [events.map((e) => e.id)],
      );
      return Number(n) === events.length;
    },
    { timeoutMs: 60_000, what: `${events.length} events applied` },
  );
}

const synced = (name: string) =>
  createEvent(
    ProjectSynced,
    {
      projectId,
      name,
      region,
      category: '01',
      status: '003',
      address: 'Xihu district, Hangzhou',
      generalContractor: { creditCode: 'GC', name: 'General contractor Co.' },
      constructionOwner: { creditCode: 'OWN', name: 'Owner Co.' },
      changeCursor: '1',
    },
    projectOpts(),
  );

const person = (n: number, name = `负责人${n}`) => ({
  name,
  idHash: `hash-${n}`.padEnd(32, '0'),
  maskedIdNumber: `3301**********00${n}X`,
});
const appointed = (p: ReturnType<typeof person> | null, time: string, appointedOn?: string) =>
  createEvent(
    KeyPersonAppointed,
    {
      projectId,
      participantId: 'GC',
      creditCode: 'GC',
      post: 'project-manager',
      person: p,
      source: 'local',
      ...(appointedOn ? { appointedOn } : {}),
    },
    projectOpts(time),
  );

async function keyPersons() {
  return db.query<Record<string, string>>(
    `SELECT participant_id, post, id_hash, name, masked_id_number, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS since
       FROM ${schema}.key_persons WHERE project_id = $1`,
    [projectId],
  );
}

describe('attendance keeps the registry projects topic', () => {
  it('records a synced project with its region, and its new name when it is synced again', async () => {
    const joined = createEvent(
      ParticipantJoined,
      {
        projectId,
        participantId: 'GC',
        creditCode: 'GC',
        corpName: 'General contractor Co.',
        unitType: '009',
      },
      projectOpts(),
    );
    await publishAndWait(topics.projects.name, [synced('Riverside block 1'), joined]);
    const read = () =>
      db.query(`SELECT project_id, region, name FROM ${schema}.projects WHERE project_id = $1`, [projectId]);
    expect(await read()).toEqual([{ project_id: projectId, region, name: 'Riverside block 1' }]);
    await publishAndWait(topics.projects.name, [synced('Riverside block 1 (phase 2)')]);
    expect(await read()).toEqual([{ project_id: projectId, region, name: 'Riverside block 1 (phase 2)' }]);
  });

  it('records who holds a key post from when, keeps the start when the same person is re-published, and removes a vacated post', async () => {
    await publishAndWait(topics.projects.name, [appointed(person(1), '2026-11-02T01:00:00Z')]);
    expect(await keyPersons()).toEqual([
      {
        participant_id: 'GC',
        post: 'project-manager',
        id_hash: person(1).idHash,
        name: '负责人1',
        masked_id_number: person(1).maskedIdNumber,
        since: '2026-11-02T01:00:00',
      },
    ]);

    await publishAndWait(topics.projects.name, [appointed(person(1, '负责人一'), '2026-11-05T01:00:00Z')]);
    expect(await keyPersons()).toEqual([
      expect.objectContaining({ name: '负责人一', since: '2026-11-02T01:00:00' }),
    ]);

    await publishAndWait(topics.projects.name, [appointed(person(2), '2026-11-09T01:00:00Z')]);
    expect(await keyPersons()).toEqual([
      expect.objectContaining({ id_hash: person(2).idHash, since: '2026-11-09T01:00:00' }),
    ]);

    await publishAndWait(topics.projects.name, [appointed(null, '2026-11-20T01:00:00Z')]);
    expect(await keyPersons()).toEqual([]);
  });

  it('counts a holder from the day they took the post, and moves that start only to a corrected earlier day', async () => {
    // Assigned in the system on 3 December for a post held since 1 November (Asia/Shanghai midnight).
    await publishAndWait(topics.projects.name, [appointed(person(3), '2026-12-03T01:00:00Z', '2026-11-01')]);
    expect(await keyPersons()).toEqual([
      expect.objectContaining({ id_hash: person(3).idHash, since: '2026-10-31T16:00:00' }),
    ]);

    await publishAndWait(topics.projects.name, [appointed(person(3), '2026-12-04T01:00:00Z', '2026-11-15')]);
    expect(await keyPersons()).toEqual([expect.objectContaining({ since: '2026-10-31T16:00:00' })]);

    await publishAndWait(topics.projects.name, [appointed(person(3), '2026-12-05T01:00:00Z')]);
    expect(await keyPersons()).toEqual([expect.objectContaining({ since: '2026-10-31T16:00:00' })]);

    await publishAndWait(topics.projects.name, [appointed(person(3), '2026-12-06T01:00:00Z', '2026-10-20')]);
    expect(await keyPersons()).toEqual([expect.objectContaining({ since: '2026-10-19T16:00:00' })]);

    await publishAndWait(topics.projects.name, [appointed(null, '2026-12-07T01:00:00Z')]);
    expect(await keyPersons()).toEqual([]);
  });

  it("stores the enrolled worker's id hash, which links a key person to their punches", async () => {
    const e = createEvent(
      WorkerEnrolled,
      {
        enrolmentId: 'en-1',
        projectId,
        workerId: 'w-1',
        ...person(1),
        teamId: 'team-1',
        teamName: '管理班组',
        participantId: 'GC',
        creditCode: 'GC',
        corpName: 'General contractor Co.',
        workType: '管理人员',
        workRole: '10',
        isTeamLeader: false,
        credentials: { personId: '1001' },
      },
      { source: '/realname/worker-registry', subject: 'enrolment-en-1', region },
    );
    await publishAndWait(topics.enrolments.name, [e]);
    expect(
      await db.query(`SELECT enrolment_id, id_hash FROM ${schema}.enrolments WHERE project_id = $1`, [
        projectId,
      ]),
    ).toEqual([{ enrolment_id: 'en-1', id_hash: person(1).idHash }]);
  });
});
