/**
 * The operator commands against the real local stack (own schema, topic prefix and consumer group per
 * run): a message dead-lettered by a real IdempotentConsumer is listed, replayed after the cause was
 * fixed and applied exactly once, however often it is replayed; a projection rebuilt from the event
 * store equals the read model the live path built.
 */
import { join } from 'node:path';
import { Kafka, Producer } from 'kafkajs';
import { z } from 'zod';
import {
  createEvent,
  defineEvent,
  EventEnvelope,
  PunchRecorded,
  PunchResolved,
  toKafkaRecord,
  WorkerEnrolled,
  WorkerEntered,
} from '@realname/contracts';
import {
  createKafka,
  Database,
  ensureTopics,
  eventStoreMigrations,
  EventStore,
  IdempotentConsumer,
  migrate,
  Migration,
  PermanentFailure,
  Sql,
} from '@realname/eventstore';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { runOps } from './commands';
import { deadLetterTopicOf, listDeadLetters, readWholeTopic } from './dlq';
import { REPO_ROOT } from './projections';

jest.setTimeout(120_000);

const Fixed = defineEvent({
  type: 'realname.test.OpsFixed',
  version: 1,
  topic: 'test.ops.v1',
  schema: z.object({ n: z.number().int() }),
});

/** Runs a command line as the CLI would, with the test's environment; returns exit code and output. */
async function ops(argv: string[], env: Record<string, string>, projectionModules?: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    projectionModules,
    progressStream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
  if (process.env.DEBUG_TESTS) console.log(`$ ops ${argv.join(' ')}\n${out.join('\n')}\n${err.join('\n')}`);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dlq list and replay', () => {
  const run = uniqueName('ops');
  const schema = run;
  const prefix = `${run}.`;
  const group = `ops-${run}`;
  const topic = `${prefix}test.ops.v1`;
  const dlqTopic = deadLetterTopicOf(prefix, group);
  let db: Database;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: IdempotentConsumer;
  let env: Record<string, string>;
  /** Values the handler cannot apply (a "domain rejection" until the operator fixes the cause). */
  const broken = new Set<number>();

  beforeAll(async () => {
    const infra = await testInfrastructure();
    env = {
      DATABASE_URL: infra.postgresUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
    };
    db = await Database.connect({ url: infra.postgresUrl, poolSize: 6 });
    await migrate(db, schema, eventStoreMigrations);
    await db.execute(`CREATE TABLE ${schema}.applied (event_id uuid NOT NULL, n int NOT NULL)`);
    kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'ops-test' });
    await ensureTopics(kafka, [
      { name: topic, partitions: 2 },
      { name: dlqTopic, partitions: 1 },
    ]);
    producer = kafka.producer();
    await producer.connect();
    consumer = newConsumer();
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  /** The service's consumer: its handler rejects the values in `broken` for good. */
  function newConsumer() {
    return new IdempotentConsumer(db, {
      kafka,
      groupId: group,
      topics: [topic],
      deadLetterTopic: dlqTopic,
      schema,
      maxAttempts: 2,
      retryDelayMs: 20,
      sessionTimeoutMs: 8000,
      handler: async (tx: Sql, e: EventEnvelope) => {
        const n = (e.data as { n: number }).n;
        if (broken.has(n)) throw new PermanentFailure(`value ${n} is not allowed here`);
        await tx.execute(`INSERT INTO ${schema}.applied (event_id, n) VALUES ($1, $2)`, [e.id, n]);
      },
    });
  }

  const timesApplied = async (n: number) =>
    Number(
      (
        await db.query<{ c: string }>(`SELECT count(*)::text AS c FROM ${schema}.applied WHERE n = $1`, [n])
      )[0].c,
    );

  /** The consumer group has committed past every message on the topic. */
  async function consumedToEnd(): Promise<boolean> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return ends.every(
        (e) =>
          committed.partitions.find((p) => p.partition === e.partition)?.offset === e.high || e.high === '0',
      );
    } finally {
      await admin.disconnect();
    }
  }

  it('lists a dead-lettered message, replays it once fixed, and it is applied exactly once', async () => {
    broken.add(3);
    broken.add(5);
    const events = [1, 2, 3, 4, 5].map((n) =>
      createEvent(Fixed, { n }, { source: '/test', subject: `ops-${n}`, region: '330106' }),
    );
    const poison = events[2];
    const legacy = events[4];
    await producer.send({ topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
    await eventually(
      async () => (await timesApplied(1)) + (await timesApplied(2)) + (await timesApplied(4)) === 3,
      { what: 'the good events applied' },
    );

    // Listed, by the library and by the command.
    const [listing] = await eventually(
      async () => {
        const l = await listDeadLetters(kafka, { prefix, consumerGroup: group });
        return l[0].messages?.length === 2 ? l : undefined;
      },
      { what: 'two messages on the dead-letter topic' },
    );
    const dead = listing.messages!.find((m) => m.eventId === poison.id)!;
    expect(dead).toMatchObject({
      eventId: poison.id,
      eventType: Fixed.type,
      originalTopic: topic,
      consumerGroup: group,
    });
    expect(dead.reason).toContain('value 3 is not allowed here');
    expect(dead.key?.toString()).toBe('ops-3');
    const listed = await ops(['dlq', 'list', '--consumer', group], env);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(dlqTopic);
    expect(listed.out).toContain(poison.id);
    expect(listed.out).toContain('PermanentFailure: value 3 is not allowed');
    const asJson = await ops(['dlq', 'list', '--consumer', group, '--json'], env);
    expect(asJson.out.split('\n').map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ eventId: poison.id, value: '{"n":3}' }),
    );

    // Consumers before this kernel recorded a dead-lettered event in the inbox ('dead-lettered'), which
    // made a replay a no-op: the replay must clear that row. Event 5 gets one as such a consumer wrote it.
    await db.execute(
      `INSERT INTO ${schema}.inbox (consumer, event_id, outcome) VALUES ($1, $2, 'dead-lettered')
       ON CONFLICT (consumer, event_id) DO UPDATE SET outcome = 'dead-lettered'`,
      [group, legacy.id],
    );

    // A dry run changes nothing.
    const dry = await ops(
      ['dlq', 'replay', '--consumer', group, '--all', '--schema', schema, '--dry-run'],
      env,
    );
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('dry run, nothing changed: 2 would be replayed');
    expect(dry.out).toContain("would delete the inbox's 'dead-lettered' row and replay");

    // The operator fixes the cause and replays, twice, while the service is down: two copies of event 3
    // wait on the topic, and the inbox lets it apply once.
    broken.clear();
    await consumer.stop();
    const first = await ops(
      ['dlq', 'replay', '--consumer', group, '--event-id', poison.id, '--schema', schema],
      env,
    );
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/1 replayed/);
    const second = await ops(['dlq', 'replay', '--consumer', group, '--all', '--schema', schema], env);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/2 replayed/);
    expect(second.out).toContain("replayed (deleted the inbox's 'dead-lettered' row first)");
    consumer = newConsumer();
    await consumer.start();
    await eventually(async () => (await timesApplied(3)) === 1 && (await timesApplied(5)) === 1, {
      what: 'the replayed events applied',
    });
    await eventually(consumedToEnd, { what: 'the consumer past every replayed copy' });
    expect(await timesApplied(3)).toBe(1);
    expect(await timesApplied(5)).toBe(1);
    const inbox = await db.query<{ event_id: string; outcome: string }>(
      `SELECT event_id::text AS event_id, outcome FROM ${schema}.inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
      [group, [poison.id, legacy.id]],
    );
    expect(inbox.map((r) => r.outcome)).toEqual(['processed', 'processed']);

    // The republished copies carry the original key, value and ce_* headers, without the dlq-* ones.
    const copies = (await readWholeTopic(kafka, topic))!.filter((m) => m.eventId === poison.id);
    expect(copies).toHaveLength(3); // the original and two replays
    const replayed = copies[copies.length - 1];
    expect(replayed.key?.toString()).toBe('ops-3');
    expect(replayed.value?.toString()).toBe('{"n":3}');
    expect(replayed.headers['ce_type'].toString()).toBe(Fixed.type);
    expect(replayed.headers['dlq-replayed-at']).toBeDefined();
    expect(
      Object.keys(replayed.headers).filter((k) => k.startsWith('dlq-') && k !== 'dlq-replayed-at'),
    ).toEqual([]);
    expect(replayed.partition).toBe(dead.originalPartition);

    // Once applied, replaying again says so and changes nothing.
    const again = await ops(
      ['dlq', 'replay', '--consumer', group, '--all', '--schema', schema, '--wait', '5'],
      env,
    );
    expect(again.code).toBe(0);
    expect(again.out).toContain('already applied');
    expect(again.out).toMatch(/0 replayed.*2 already applied/);
    await eventually(consumedToEnd, { what: 'the consumer at the end' });
    for (const n of [1, 2, 3, 4, 5]) expect(await timesApplied(n)).toBe(1);
  });

  it('says what is wrong with a command line or a setting', async () => {
    const unknown = await ops(
      [
        'dlq',
        'replay',
        '--consumer',
        group,
        '--event-id',
        '01a23aae-cf28-743c-9e0d-e9c0b7781670',
        '--schema',
        schema,
      ],
      env,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(`not on ${dlqTopic}: 01a23aae-cf28-743c-9e0d-e9c0b7781670`);
    const noTarget = await ops(['dlq', 'replay', '--consumer', group], env);
    expect(noTarget.code).toBe(2);
    expect(noTarget.err).toContain('--event-id <uuid>');
    const noUrl = await ops(['outbox', 'status'], { KAFKA_BROKERS: env.KAFKA_BROKERS });
    expect(noUrl.code).toBe(1);
    expect(noUrl.err).toContain('DATABASE_URL is not set');
    const badBrokers = await ops(['dlq', 'list'], { KAFKA_BROKERS: 'localhost' });
    expect(badBrokers.err).toContain('KAFKA_BROKERS must be host:port');
    const help = await ops(['dlq', 'replay', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('exactly once');
  });
});

describe('projection rebuild', () => {
  const schema = `att_${uniqueName('ops')}`;
  const projectionModule = join(REPO_ROOT, 'services', 'attendance', 'src', 'projections.ts');
  let db: Database;
  let env: Record<string, string>;

  beforeAll(async () => {
    const infra = await testInfrastructure();
    env = { DATABASE_URL: infra.postgresUrl };
    db = await Database.connect({ url: infra.postgresUrl, poolSize: 6 });
    // The service's own migrations and handler, loaded by path as the CLI loads the projections (a
    // library may not import a service).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { attendanceMigrations } = require(join(REPO_ROOT, 'services/attendance/src/migrations')) as {
      attendanceMigrations: Migration[];
    };
    await migrate(db, schema, attendanceMigrations);
  });

  afterAll(async () => {
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  /** Attendance's handler of registry events (enrolments, late resolution), loaded by path. */
  async function registryHandler(): Promise<{ handle(tx: Sql, e: EventEnvelope): Promise<number> }> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Enrolments } = require(join(REPO_ROOT, 'services/attendance/src/enrolments/enrolments'));
    const { PunchResolver } = require(join(REPO_ROOT, 'services/attendance/src/punches/punch-resolver'));
    const { RegistryEventsHandler } = require(
      join(REPO_ROOT, 'services/attendance/src/enrolments/registry-events.handler'),
    );
    /* eslint-enable @typescript-eslint/no-require-imports */
    const enrolments = new Enrolments(schema);
    return new RegistryEventsHandler(enrolments, new PunchResolver(new EventStore(db, schema), enrolments));
  }

  const readModel = async () => ({
    punches: await db.query(`SELECT * FROM ${schema}.punches ORDER BY punch_event_id`),
    personDays: await db.query(`SELECT * FROM ${schema}.person_days ORDER BY project_id, day, person_id`),
  });

  it('rebuilds attendance.punches from the event store into what the live path built', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RecordPunchHandler } = require(
      join(REPO_ROOT, 'services/attendance/src/punches/record-punch.handler'),
    );
    const handler = new RecordPunchHandler(new EventStore(db, schema), schema) as {
      handleBatch(tx: Sql, events: EventEnvelope[]): Promise<number>;
    };
    const projectId = '330106ops';
    const punches = Array.from({ length: 240 }, (_, i) => {
      const day = `2026-12-0${1 + (i % 3)}`;
      const punchedAt = new Date(Date.parse(`${day}T00:00:00Z`) + i * 60_000).toISOString();
      return createEvent(
        PunchRecorded,
        {
          deviceId: 'gate-1',
          projectId,
          region: '330106',
          deviceRecordId: String(i).padStart(6, '0'),
          personId: `p${i % 7}`,
          deviceTime: punchedAt.slice(0, 19).replace('T', ' '),
          punchedAt,
          timeZone: 'Asia/Shanghai',
          receivedAt: punchedAt,
          skewMs: 0,
          direction: i % 2 ? 'out' : 'in',
          verifyMode: 'face',
          protocol: 'open-v1',
          rawRequestId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
        },
        { source: '/realname/device-gateway', subject: 'device-gate-1', region: '330106' },
      );
    });
    for (let i = 0; i < punches.length; i += 40)
      await db.transaction((tx) => handler.handleBatch(tx, punches.slice(i, i + 40)));
    // Then p1 and p2 are enrolled and entered: their stored punches are resolved late (PunchResolved on
    // their person-days, after the AttendanceRecorded), as attendance does on registry events.
    const registryEvents = await registryHandler();
    for (const n of [1, 2]) {
      const opts = { source: '/realname/registry', subject: `enrolment-en-${n}`, region: '330106' };
      const enrolled = createEvent(
        WorkerEnrolled,
        {
          enrolmentId: `en-${n}`,
          projectId,
          workerId: `w-${n}`,
          name: `工人${n}`,
          idHash: `hash-${n}`.padEnd(32, '0'),
          maskedIdNumber: `3301**********000${n}`,
          teamId: 'team-1',
          teamName: '钢筋班',
          participantId: 'pa-1',
          creditCode: '91330106MA2XXXXXX1',
          corpName: '杭州某某劳务有限公司',
          workType: '钢筋工',
          workRole: '20',
          isTeamLeader: false,
          credentials: { personId: `p${n}` },
        },
        opts,
      );
      const entered = createEvent(
        WorkerEntered,
        { enrolmentId: `en-${n}`, projectId, workerId: `w-${n}`, date: '2026-12-01' },
        opts,
      );
      for (const e of [enrolled, entered]) await db.transaction((tx) => registryEvents.handle(tx, e));
    }
    const live = await readModel();
    expect(live.punches).toHaveLength(240);
    const resolvedEvents = await db.query(`SELECT 1 FROM ${schema}.events WHERE event_type = $1`, [
      PunchResolved.type,
    ]);
    expect(resolvedEvents.length).toBeGreaterThan(0);
    expect(live.punches.filter((p) => p.worker_id === 'w-1').length).toBeGreaterThan(0);
    expect(live.personDays.length).toBeGreaterThan(7);

    // The read model drifts (a lost write, a bad manual fix) and is rebuilt from the events.
    await db.execute(`DELETE FROM ${schema}.punches WHERE device_record_id < '000050'`);
    await db.execute(`UPDATE ${schema}.person_days SET punches = 99`);
    expect(await readModel()).not.toEqual(live);

    const listed = await ops(['projection', 'list'], env, [projectionModule]);
    expect(listed.out).toContain('attendance.punches');
    const rebuilt = await ops(
      ['projection', 'rebuild', 'attendance.punches', '--schema', schema, '--batch-size', '50'],
      env,
      [projectionModule],
    );
    expect(rebuilt.err).toMatch(/: \d+ events \(tables punches, person_days locked/);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.out).toMatch(
      new RegExp(
        `rebuilt attendance\\.punches in att_.*: ${240 + resolvedEvents.length} events in [\\d.]+ s \\(\\d+ events/s\\)`,
      ),
    );
    expect(await readModel()).toEqual(live);

    // Rebuilding an intact read model changes nothing.
    await ops(['projection', 'rebuild', 'attendance.punches', '--schema', schema], env, [projectionModule]);
    expect(await readModel()).toEqual(live);

    // The outbox status of the same schema: nothing published yet (no relay ran), so all is backlog.
    const status = await ops(['outbox', 'status', '--schema', schema, '--json'], env);
    expect(status.code).toBe(0);
    const figures = JSON.parse(status.out) as {
      schemas: { events: number; checkpoints: { name: string; backlog: number }[] }[];
    };
    const stored = figures.schemas[0].events;
    expect(stored).toBe(240 + resolvedEvents.length);
    expect(figures.schemas[0].checkpoints[0]).toMatchObject({ name: 'outbox:kafka', backlog: stored });

    const unknown = await ops(['projection', 'rebuild', 'attendance.nothing', '--schema', schema], env, [
      projectionModule,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('there are: attendance.punches');
  });
});
