import { Consumer, Kafka, Producer } from 'kafkajs';
import { EventEnvelope, toKafkaRecord } from '@realname/contracts';
import { eventually, testInfrastructure, uniqueName } from '@realname/testing';
import { Database, Sql } from './database';
import { IdempotentConsumer } from './idempotent-consumer';
import { createKafka, ensureTopics } from './kafka';
import { freshStore, noted } from './test-support';

describe('idempotent consumer', () => {
  let db: Database;
  let kafka: Kafka;
  let producer: Producer;
  const schema = uniqueName('inbox');
  const topic = uniqueName('test.inbox').replace(/_/g, '-') + '.v1';

  beforeAll(async () => {
    const infra = await testInfrastructure();
    db = await freshStore(infra.postgresUrl, schema);
    await db.execute(`CREATE TABLE ${schema}.applied (event_id uuid NOT NULL, n int NOT NULL)`);
    kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: 'inbox-test' });
    await ensureTopics(kafka, [{ name: topic, partitions: 2 }]);
    producer = kafka.producer();
    await producer.connect();
  }, 60_000);
  afterAll(async () => {
    await producer.disconnect();
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  const send = (events: EventEnvelope[]) =>
    producer.send({ topic, acks: -1, messages: events.map((e) => toKafkaRecord(e)) });
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
    await dlqReader.subscribe({ topic: c.deadLetterTopic, fromBeginning: true });
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
});
