import { Consumer, Kafka, Producer } from 'kafkajs';
import { deadLetterTopic, EventEnvelope, toKafkaRecord } from '@realname/contracts';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { Database, Sql } from './database';
import { IdempotentConsumer } from './idempotent-consumer';
import { createKafka, ensureTopics, subscribeFromBeginning } from './kafka';
import { freshStore, noted } from './test-support';

describe('idempotent consumer', () => {
  let db: Database;
  let kafka: Kafka;
  let producer: Producer;
  const schema = uniqueName('inbox');
  const topic = uniqueName('test.inbox').replace(/_/g, '-') + '.v1';
  // The batch handler's tests have a topic of their own (without the other tests' poison messages).
  const bulkTopic = uniqueName('test.inbox.bulk').replace(/_/g, '-') + '.v1';

  beforeAll(async () => {
    const infra = await testInfrastructure();
    db = await freshStore(infra.postgresUrl, schema);
    await db.execute(`CREATE TABLE ${schema}.applied (event_id uuid NOT NULL, n int NOT NULL)`);
    kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'inbox-test' });
    await ensureTopics(kafka, [
      { name: topic, partitions: 2 },
      { name: bulkTopic, partitions: 2 },
    ]);
    producer = kafka.producer();
    await producer.connect();
  }, 60_000);
  afterAll(async () => {
    await producer.disconnect();
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  const send = (events: EventEnvelope[], to = topic) =>
    producer.send({ topic: to, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0].n);

  function consumerWith(groupId: string, handler: (tx: Sql, e: EventEnvelope) => Promise<void>) {
    return new IdempotentConsumer(db, {
      kafka,
      groupId,
      topics: [topic],
      schema,
      handler,
      maxAttempts: 3,
      retryDelayMs: 20,
      log: (level, message, extra) => {
        if (process.env.DEBUG_TESTS) console.log(level, message, extra);
      },
    });
  }
  /**
   * A started consumer of the bulk topic whose batch handler writes the whole batch with one statement
   * (and records the batch sizes); its dead-letter topic exists.
   */
  async function startBatchConsumer(
    groupId: string,
    opts: { inboxName?: string; poison?: number; batchSizes?: number[]; maxBatchMessages?: number } = {},
  ) {
    const c = batchConsumerWith(groupId, opts);
    await ensureTopics(kafka, [{ name: c.deadLetterTopic, partitions: 1 }]);
    await c.start();
    return c;
  }
  function batchConsumerWith(
    groupId: string,
    opts: { inboxName?: string; poison?: number; batchSizes?: number[]; maxBatchMessages?: number } = {},
  ) {
    const failIfPoison = (events: EventEnvelope[]) => {
      const bad = events.find((e) => (e.data as { n: number }).n === opts.poison);
      if (bad) throw new Error(`cannot apply ${opts.poison}`);
    };
    return new IdempotentConsumer(db, {
      kafka,
      groupId,
      inboxName: opts.inboxName,
      topics: [bulkTopic],
      schema,
      handler: async (tx, e) => {
        failIfPoison([e]);
        await applyToTable(tx, e);
      },
      batchHandler: async (tx, items) => {
        const events = items.map((i) => i.event);
        failIfPoison(events);
        opts.batchSizes?.push(events.length);
        await tx.execute(
          `INSERT INTO ${schema}.applied (event_id, n) SELECT * FROM unnest($1::uuid[], $2::int[])`,
          [events.map((e) => e.id), events.map((e) => (e.data as { n: number }).n)],
        );
      },
      maxBatchMessages: opts.maxBatchMessages,
      maxAttempts: 3,
      retryDelayMs: 20,
      log: (level, message, extra) => {
        if (process.env.DEBUG_TESTS) console.log(level, message, extra);
      },
    });
  }
  /** Reads what arrives on a dead-letter topic. */
  async function readDeadLetters(dlqTopic: string) {
    const dead: { reason: string; n: number }[] = [];
    const reader: Consumer = kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 100 });
    await reader.connect();
    await subscribeFromBeginning(reader, [dlqTopic]);
    await reader.run({
      eachMessage: async ({ message }) => {
        let n = -1; // a message that was not an event
        try {
          n = JSON.parse(message.value!.toString()).n;
        } catch {
          /* not JSON */
        }
        dead.push({ reason: message.headers!['dlq-reason']!.toString(), n });
      },
    });
    return { dead, stop: () => reader.disconnect() };
  }
  const appliedCounts = async (from: number, to: number) =>
    db.query<{ n: number; times: string }>(
      `SELECT n, count(*)::text AS times FROM ${schema}.applied WHERE n BETWEEN $1 AND $2 GROUP BY n ORDER BY n`,
      [from, to],
    );

  const applyToTable = async (tx: Sql, e: EventEnvelope) => {
    await tx.execute(`INSERT INTO ${schema}.applied (event_id, n) VALUES ($1, $2)`, [
      e.id,
      (e.data as { n: number }).n,
    ]);
  };

  it('applies each event once although Kafka delivers it again', async () => {
    const group = uniqueName('once');
    const events = Array.from({ length: 40 }, (_, i) => noted(`k-${i % 5}`, i));
    await send(events);
    await send(events.slice(0, 15)); // the producer resends (e.g. a relay restarted before its checkpoint)
    const c1 = consumerWith(group, applyToTable);
    await c1.start();
    await eventually(
      async () => (await count(`SELECT count(DISTINCT event_id) AS n FROM ${schema}.applied`)) === 40,
      { timeoutMs: 90_000, what: '40 applied' },
    );
    await c1.stop();

    // A new consumer in a fresh group re-reads the whole topic: the inbox still refuses every repeat.
    const c2 = new IdempotentConsumer(db, {
      kafka,
      groupId: uniqueName('again'),
      inboxName: group,
      topics: [topic],
      schema,
      handler: applyToTable,
    });
    await c2.start();
    await new Promise((r) => setTimeout(r, 3000));
    await c2.stop();
    expect(await count(`SELECT count(*) AS n FROM ${schema}.applied`)).toBe(40);
  }, 90_000);

  it('sends a message that keeps failing to the dead-letter topic and carries on with the next', async () => {
    const group = uniqueName('dlq');
    await db.execute(`TRUNCATE ${schema}.applied`);
    const c = consumerWith(group, async (tx, e) => {
      if ((e.data as { n: number }).n === 1013) throw new Error('cannot apply 1013');
      await applyToTable(tx, e);
    });
    await ensureTopics(kafka, [{ name: c.deadLetterTopic, partitions: 1 }]);
    const dead: { reason: string; n: number; offset: string }[] = [];
    const dlqReader: Consumer = kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 100 });
    await dlqReader.connect();
    await subscribeFromBeginning(dlqReader, [c.deadLetterTopic]);
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        dead.push({
          reason: message.headers!['dlq-reason']!.toString(),
          n: (() => {
            try {
              return JSON.parse(message.value!.toString()).n;
            } catch {
              return -1; // the message that was not an event
            }
          })(),
          offset: message.headers!['dlq-original-offset']!.toString(),
        });
      },
    });
    // Also a message that is not an event at all.
    await producer.send({ topic, messages: [{ key: 'junk', value: Buffer.from('not json'), headers: {} }] });
    await send([1010, 1011, 1012, 1013, 1014, 1015].map((n) => noted('dlq-stream', n)));
    await c.start();
    await eventually(
      async () => (await count(`SELECT count(*) AS n FROM ${schema}.applied WHERE n >= 1000`)) === 5,
      {
        timeoutMs: 60_000,
        what: 'the good messages applied',
      },
    );
    await eventually(async () => dead.some((d) => d.n === 1013), { what: '1013 in the DLQ' });
    expect(dead.find((d) => d.n === 1013)!.reason).toContain('cannot apply 1013');
    await eventually(async () => dead.some((d) => d.n === -1), { what: 'the non-event in the DLQ' });
    expect(dead.find((d) => d.n === -1)!.reason).toContain('no valid ce_id');
    const ns = (
      await db.query<{ n: number }>(`SELECT n FROM ${schema}.applied WHERE n >= 1000 ORDER BY n`)
    ).map((r) => r.n);
    expect(ns).toEqual([1010, 1011, 1012, 1014, 1015]);
    await c.stop();
    await dlqReader.disconnect();
  }, 120_000);

  describe('with a batch handler', () => {
    it('applies a batch in bulk, each event once, although Kafka delivers some again', async () => {
      const group = uniqueName('bulk');
      const batchSizes: number[] = [];
      const events = Array.from({ length: 300 }, (_, i) => noted(`bulk-${i % 7}`, 2000 + i));
      await send(events, bulkTopic);
      // Redelivered: a resend of part of the topic, and an event twice within one send.
      await send([...events.slice(100, 160), events[200], events[200]], bulkTopic);
      const c = await startBatchConsumer(group, { batchSizes, maxBatchMessages: 100 });
      await eventually(
        async () =>
          (await count(
            `SELECT count(DISTINCT n) AS n FROM ${schema}.applied WHERE n >= 2000 AND n < 3000`,
          )) === 300,
        { timeoutMs: 60_000, what: '300 applied' },
      );
      await new Promise((r) => setTimeout(r, 1000)); // let the redeliveries arrive
      await c.stop();
      const counts = await appliedCounts(2000, 2999);
      expect(counts).toHaveLength(300);
      expect(counts.every((r) => r.times === '1')).toBe(true);
      // The batch handler did the work, in batches, never more than the slice size at once.
      expect(Math.max(...batchSizes)).toBeGreaterThan(1);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);
      expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(300);
    }, 90_000);

    it('applies each event once when two members race for the same events', async () => {
      // Two consumers sharing one inbox read the same messages at the same time (as when a partition moves
      // to another member while the first is still applying it): inserting into the inbox is the check,
      // so the second waits for the first and then passes over what it applied.
      const inboxName = uniqueName('race');
      const events = Array.from({ length: 200 }, (_, i) => noted(`race-${i % 5}`, 3000 + i));
      await send(events, bulkTopic);
      const [a, b] = await Promise.all([
        startBatchConsumer(uniqueName('race-a'), { inboxName }),
        startBatchConsumer(uniqueName('race-b'), { inboxName }),
      ]);
      await eventually(
        async () =>
          (await count(
            `SELECT count(DISTINCT n) AS n FROM ${schema}.applied WHERE n >= 3000 AND n < 4000`,
          )) === 200,
        { timeoutMs: 60_000, what: '200 applied' },
      );
      await new Promise((r) => setTimeout(r, 2000));
      await Promise.all([a.stop(), b.stop()]);
      const counts = await appliedCounts(3000, 3999);
      expect(counts).toHaveLength(200);
      expect(counts.every((r) => r.times === '1')).toBe(true);
    }, 90_000);

    it('sends a poison message of a batch to the dead-letter topic alone and applies the rest once', async () => {
      const group = uniqueName('bulk-dlq');
      const dlqTopic = deadLetterTopic(group).name;
      await ensureTopics(kafka, [{ name: dlqTopic, partitions: 1 }]);
      const dlq = await readDeadLetters(dlqTopic);
      // One key (one partition, so one batch): the poison and the non-event sit among good events.
      const good = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => noted('bulk-dlq', from + i));
      await send(good(4000, 4013), bulkTopic);
      await producer.send({
        topic: bulkTopic,
        messages: [{ key: 'bulk-dlq', value: Buffer.from('not json'), headers: {} }],
      });
      const poison = noted('bulk-dlq', 4013);
      await send([poison, ...good(4014, 4030)], bulkTopic);
      const c = await startBatchConsumer(group, { poison: 4013 });
      await eventually(async () => dlq.dead.some((d) => d.n === 4013), {
        timeoutMs: 60_000,
        what: '4013 in the DLQ',
      });
      await eventually(async () => dlq.dead.some((d) => d.n === -1), { what: 'the non-event in the DLQ' });
      await eventually(
        async () =>
          (await count(`SELECT count(*) AS n FROM ${schema}.applied WHERE n >= 4000 AND n < 5000`)) === 29,
        { timeoutMs: 60_000, what: 'the good messages applied' },
      );
      await c.stop();
      await dlq.stop();
      const counts = await appliedCounts(4000, 4999);
      expect(counts.map((r) => r.n)).toEqual(
        [...Array.from({ length: 30 }, (_, i) => 4000 + i)].filter((n) => n !== 4013),
      );
      expect(counts.every((r) => r.times === '1')).toBe(true);
      expect(dlq.dead.filter((d) => d.n >= 4000).map((d) => d.n)).toEqual([4013]);
      expect(dlq.dead.find((d) => d.n === 4013)!.reason).toContain('cannot apply 4013');
      // The dead-lettered event is not in the inbox: it was not applied, and a replay must apply it.
      const marks = await db.query(`SELECT 1 FROM ${schema}.inbox WHERE consumer = $1 AND event_id = $2`, [
        group,
        poison.id,
      ]);
      expect(marks).toHaveLength(0);
    }, 120_000);
  });

  describe('while a dependency is away', () => {
    // A topic of their own: the other tests leave non-events (poison) on theirs.
    const awayTopic = uniqueName('test.inbox.away').replace(/_/g, '-') + '.v1';
    beforeAll(() => ensureTopics(kafka, [{ name: awayTopic, partitions: 2 }]));

    it('retries a transient failure far past maxAttempts and never dead-letters it', async () => {
      const group = uniqueName('transient');
      const dlqTopic = deadLetterTopic(group).name;
      await ensureTopics(kafka, [{ name: dlqTopic, partitions: 1 }]);
      const dlq = await readDeadLetters(dlqTopic);
      let failures = 0;
      // PostgreSQL's "the database system is starting up", 12 times: four times maxAttempts.
      const c = new IdempotentConsumer(db, {
        kafka,
        groupId: group,
        topics: [awayTopic],
        schema,
        handler: async (tx, e) => {
          if ((e.data as { n: number }).n === 5002 && failures < 12) {
            failures++;
            throw Object.assign(new Error('the database system is starting up'), { code: '57P03' });
          }
          await applyToTable(tx, e);
        },
        maxAttempts: 3,
        retryDelayMs: 20,
        maxRetryDelayMs: 200,
      });
      await send(
        [5000, 5001, 5002, 5003, 5004].map((n) => noted('transient', n)),
        awayTopic,
      );
      await c.start();
      await eventually(async () => (await appliedCounts(5000, 5099)).length === 5, {
        timeoutMs: 60_000,
        what: 'all five applied',
      });
      await new Promise((r) => setTimeout(r, 500));
      await c.stop();
      await dlq.stop();
      expect(failures).toBe(12);
      expect((await appliedCounts(5000, 5099)).every((r) => r.times === '1')).toBe(true);
      expect(dlq.dead).toEqual([]);
    }, 90_000);

    it('waits out a failure of no known kind while its database does not answer, instead of dead-lettering it', async () => {
      // The consumer logs in as a role of its own; when the handler fails with an error that carries no
      // code, that role's sessions are cut and it may not connect for 2 s (an outage). With maxAttempts 1
      // the failure would be dead-lettered at once if it counted; it must be waited out instead.
      const infra = await testInfrastructure();
      const role = uniqueName('away_role');
      await db.execute(`CREATE ROLE ${role} LOGIN PASSWORD 'local-test'`);
      await db.execute(`GRANT ALL ON SCHEMA ${schema} TO ${role}`);
      await db.execute(`GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
      const url = new URL(infra.postgresUrl);
      url.username = role;
      url.password = 'local-test';
      const consumerDb = await Database.connect({ url: url.toString(), poolSize: 2 });
      const group = uniqueName('unknown-away');
      const dlqTopic = deadLetterTopic(group).name;
      await ensureTopics(kafka, [{ name: dlqTopic, partitions: 1 }]);
      const dlq = await readDeadLetters(dlqTopic);
      let failed = 0;
      const c = new IdempotentConsumer(consumerDb, {
        kafka,
        groupId: group,
        topics: [awayTopic],
        schema,
        handler: async (tx, e) => {
          // The first failure comes in the batch's one transaction (the consumer then goes one message
          // at a time); the second, on 7001 alone, comes with the outage.
          if ((e.data as { n: number }).n === 7001 && failed < 2) {
            failed++;
            if (failed === 2) {
              await db.execute(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
              await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [
                role,
              ]);
              setTimeout(() => void db.execute(`ALTER ROLE ${role} CONNECTION LIMIT -1`), 2_000);
            }
            throw new Error('the driver failed without saying why');
          }
          await applyToTable(tx, e);
        },
        maxAttempts: 1,
        retryDelayMs: 20,
        maxRetryDelayMs: 300,
      });
      await send(
        [7000, 7001, 7002].map((n) => noted('unknown-away', n)),
        awayTopic,
      );
      await c.start();
      await eventually(async () => (await appliedCounts(7000, 7099)).length === 3, {
        timeoutMs: 60_000,
        what: 'all three applied',
      });
      await new Promise((r) => setTimeout(r, 500));
      await c.stop();
      await dlq.stop();
      await consumerDb.close();
      await db.execute(`DROP OWNED BY ${role}`);
      await db.execute(`DROP ROLE ${role}`);
      expect(failed).toBe(2);
      expect((await appliedCounts(7000, 7099)).every((r) => r.times === '1')).toBe(true);
      expect(dlq.dead).toEqual([]);
    }, 90_000);

    it('loses nothing and dead-letters nothing when its database connections are cut again and again', async () => {
      // The consumer's own pool is terminated by the server (57P01, as in a PostgreSQL restart) every
      // 150 ms for 3 s while events arrive; other tests' connections are left alone.
      const infra = await testInfrastructure();
      const appName = uniqueName('cut');
      const consumerDb = await Database.connect({
        url: infra.postgresUrl,
        poolSize: 4,
        applicationName: appName,
      });
      const group = uniqueName('cut');
      const dlqTopic = deadLetterTopic(group).name;
      await ensureTopics(kafka, [{ name: dlqTopic, partitions: 1 }]);
      const dlq = await readDeadLetters(dlqTopic);
      const c = new IdempotentConsumer(consumerDb, {
        kafka,
        groupId: group,
        topics: [awayTopic],
        schema,
        handler: applyToTable,
        batchHandler: async (tx, items) => {
          for (const i of items) await applyToTable(tx, i.event);
        },
        maxAttempts: 2,
        retryDelayMs: 20,
        maxRetryDelayMs: 300,
      });
      await c.start();
      let cutting = true;
      let cut = 0;
      const cutter = (async () => {
        while (cutting) {
          const killed = await db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
            [appName],
          );
          cut += killed.length;
          await new Promise((r) => setTimeout(r, 150));
        }
      })();
      const events = Array.from({ length: 400 }, (_, i) => noted(`cut-${i % 9}`, 6000 + i));
      for (let i = 0; i < events.length; i += 40) {
        await send(events.slice(i, i + 40), awayTopic);
        await new Promise((r) => setTimeout(r, 300));
      }
      cutting = false;
      await cutter;
      await eventually(async () => (await appliedCounts(6000, 6999)).length === 400, {
        timeoutMs: 60_000,
        what: 'all 400 applied',
      });
      await new Promise((r) => setTimeout(r, 1000));
      await c.stop();
      await dlq.stop();
      await consumerDb.close();
      const counts = await appliedCounts(6000, 6999);
      expect(cut).toBeGreaterThan(5); // connections really were cut while it worked
      expect(counts).toHaveLength(400);
      expect(counts.filter((r) => r.times !== '1')).toEqual([]);
      expect(dlq.dead).toEqual([]);
    }, 120_000);
  });
});
