import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { deadLetterTopic } from '@realname/contracts';
import { connectOrderedProducer, Database, identifier, subscribeFromBeginning } from '@realname/eventstore';
import { OpsError } from './errors';

/** One message of a dead-letter topic, with what the consumer wrote about it in its headers. */
export interface DeadLetter {
  /** The dead-letter topic and where the message is on it. */
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** All headers, first value of each. */
  headers: Record<string, Buffer>;
  /** ce_id; undefined when the message had none (it can then not be replayed by id). */
  eventId?: string;
  eventType?: string;
  originalTopic?: string;
  originalPartition?: number;
  originalOffset?: string;
  consumerGroup?: string;
  failedAt?: string;
  reason?: string;
  /** Set when this message was itself a replay that failed again. */
  replayedAt?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The dead-letter topic of a consumer group, under the environment's topic prefix. */
export function deadLetterTopicOf(prefix: string, consumerGroup: string): string {
  return prefix + deadLetterTopic(consumerGroup).name;
}

/** The dead-letter topics on the cluster (under the prefix), by consumer group. */
export async function findDeadLetterTopics(kafka: Kafka, prefix: string): Promise<Map<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const found = new Map<string, string>();
    for (const t of (await admin.listTopics()).sort()) {
      if (!t.startsWith(prefix)) continue;
      const m = /^dlq\.(.+)\.v1$/.exec(t.slice(prefix.length));
      if (m) found.set(m[1], t);
    }
    return found;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every message on a topic, read from the beginning up to its end as it was when the read started.
 * Reads with a throwaway consumer group that never commits and is deleted afterwards, so no service's
 * group (nor its offsets) is touched. Returns undefined when the topic does not exist.
 */
export async function readWholeTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs = 60_000,
): Promise<DeadLetter[] | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(
      offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
    );
    if (ends.size === 0) return [];
    const groupId = `ops-reader-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    const out: DeadLetter[] = [];
    await consumer.connect();
    try {
      await subscribeFromBeginning(consumer, [topic]);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new OpsError(
                `reading ${topic} took longer than ${timeoutMs / 1000}s (partitions not read to the end: ` +
                  `${[...ends.keys()].join(', ')}); is the broker reachable from here (KAFKA_BROKERS)?`,
              ),
            ),
          timeoutMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = ends.get(batch.partition);
              if (end === undefined) return;
              for (const m of batch.messages) {
                if (BigInt(m.offset) < end) out.push(toDeadLetter(topic, batch.partition, m));
              }
              const last = batch.messages[batch.messages.length - 1];
              if (last && BigInt(last.offset) + 1n >= end) ends.delete(batch.partition);
              if (ends.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch((err) => {
            clearTimeout(timer);
            reject(err);
          });
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.disconnect();
  }
}

function toDeadLetter(
  topic: string,
  partition: number,
  m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders },
): DeadLetter {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) headers[k] = Buffer.isBuffer(first) ? first : Buffer.from(String(first));
  }
  const h = (name: string) => headers[name]?.toString('utf8');
  const eventId = h('ce_id');
  const partitionText = h('dlq-original-partition');
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers,
    eventId: eventId && UUID.test(eventId) ? eventId.toLowerCase() : undefined,
    eventType: h('ce_type'),
    originalTopic: h('dlq-original-topic'),
    originalPartition:
      partitionText !== undefined && /^\d+$/.test(partitionText) ? Number(partitionText) : undefined,
    originalOffset: h('dlq-original-offset'),
    consumerGroup: h('dlq-consumer-group'),
    failedAt: h('dlq-failed-at'),
    reason: h('dlq-reason'),
    replayedAt: h('dlq-replayed-at'),
  };
}

export interface DeadLetterListing {
  consumerGroup: string;
  topic: string;
  /** Undefined when the topic does not exist (nothing was ever dead-lettered, or the consumer never started). */
  messages?: DeadLetter[];
}

/** The dead-lettered messages of one consumer group, or of every group with a dead-letter topic. */
export async function listDeadLetters(
  kafka: Kafka,
  opts: { prefix: string; consumerGroup?: string },
): Promise<DeadLetterListing[]> {
  const topics = opts.consumerGroup
    ? new Map([[opts.consumerGroup, deadLetterTopicOf(opts.prefix, opts.consumerGroup)]])
    : await findDeadLetterTopics(kafka, opts.prefix);
  const listings: DeadLetterListing[] = [];
  for (const [consumerGroup, topic] of topics) {
    listings.push({ consumerGroup, topic, messages: await readWholeTopic(kafka, topic) });
  }
  return listings;
}

export type ReplayAction =
  /** Republished to its original topic; the consumer will apply it. */
  | 'replayed'
  /** Republished, after deleting the inbox row an older consumer wrote when it dead-lettered the event. */
  | 'replayed-cleared-inbox'
  /** The inbox says the consumer applied this event: not republished (it would be a no-op). */
  | 'already-applied'
  /** An earlier message on the dead-letter topic carries the same event; only the latest is republished. */
  | 'superseded'
  /** No ce_id or no dlq-original-topic header: cannot be replayed, only inspected. */
  | 'not-replayable';

export interface ReplayItem {
  deadLetter: DeadLetter;
  action: ReplayAction;
  /** True when nothing was changed (--dry-run): the action is what would be done. */
  dryRun: boolean;
}

export interface ReplayOptions {
  kafka: Kafka;
  db: Database;
  prefix: string;
  consumerGroup: string;
  /** The service's schema holding `inbox`. */
  schema: string;
  /** The consumer's inbox name; defaults to the consumer group (as the IdempotentConsumer's default). */
  inboxName?: string;
  /** Replay only these events (by ce_id); otherwise `all` must be true. */
  eventIds?: string[];
  all?: boolean;
  dryRun?: boolean;
  /** Time of the replay, for the `dlq-replayed-at` header. */
  now?: () => Date;
}

/**
 * Republishes dead-lettered messages, unchanged, to their original topic and partition (same key, value
 * and CloudEvents `ce_*` headers; the `dlq-*` headers removed and `dlq-replayed-at` added), so that the
 * service's own consumer applies them through its inbox: exactly once, however often a message is
 * replayed. An inbox row with outcome `dead-lettered` (written by consumers before the kernel stopped
 * recording dead-lettered events) would make the replay a no-op, so it is deleted first; an event the
 * inbox records as processed was applied already and is not republished.
 */
export async function replayDeadLetters(opts: ReplayOptions): Promise<ReplayItem[]> {
  const schema = identifier(opts.schema);
  const inboxName = opts.inboxName ?? opts.consumerGroup;
  const dryRun = opts.dryRun ?? false;
  if (!opts.all && !(opts.eventIds && opts.eventIds.length > 0))
    throw new OpsError('say which messages to replay: --event-id <uuid> (repeatable) or --all');
  const wanted = opts.eventIds?.map((id) => id.toLowerCase());
  const badIds = (wanted ?? []).filter((id) => !UUID.test(id));
  if (badIds.length > 0)
    throw new OpsError(
      `--event-id must be an event id (a UUID, the ce_id header); not: ${badIds.join(', ')}`,
    );
  await checkInbox(opts.db, schema);

  const topic = deadLetterTopicOf(opts.prefix, opts.consumerGroup);
  const messages = await readWholeTopic(opts.kafka, topic);
  if (messages === undefined)
    throw new OpsError(
      `there is no dead-letter topic ${topic}: check --consumer (the service's KAFKA_GROUP_ID) and KAFKA_TOPIC_PREFIX; ` +
        `\`ops dlq list\` shows the dead-letter topics there are`,
    );
  let chosen = messages;
  if (wanted) {
    const onTopic = new Set(messages.map((m) => m.eventId));
    const missing = wanted.filter((id) => !onTopic.has(id));
    if (missing.length > 0)
      throw new OpsError(
        `not on ${topic}: ${missing.join(', ')} (nothing was replayed; \`ops dlq list --consumer ${opts.consumerGroup}\` shows what is there)`,
      );
    chosen = messages.filter((m) => m.eventId && wanted.includes(m.eventId));
  }

  // The latest dead-lettering of each event is the one replayed (the same event may have failed again
  // after an earlier replay).
  const latest = new Map<string, DeadLetter>();
  for (const m of chosen) if (m.eventId) latest.set(m.eventId, m);
  const outcomes = await inboxOutcomes(opts.db, schema, inboxName, [...latest.keys()]);

  const items: ReplayItem[] = [];
  const producer = dryRun ? undefined : await connectOrderedProducer(opts.kafka);
  try {
    for (const m of chosen) {
      let action: ReplayAction;
      if (!m.eventId || !m.originalTopic) action = 'not-replayable';
      else if (latest.get(m.eventId) !== m) action = 'superseded';
      else if (outcomes.get(m.eventId) === 'processed') action = 'already-applied';
      else {
        const legacy = outcomes.get(m.eventId) === 'dead-lettered';
        action = legacy ? 'replayed-cleared-inbox' : 'replayed';
        if (producer) {
          if (legacy)
            await opts.db.execute(
              `DELETE FROM ${schema}.inbox WHERE consumer = $1 AND event_id = $2 AND outcome = 'dead-lettered'`,
              [inboxName, m.eventId],
            );
          await producer
            .send({
              topic: m.originalTopic,
              acks: -1,
              messages: [
                {
                  key: m.key,
                  value: m.value,
                  partition: m.originalPartition,
                  headers: replayHeaders(m.headers, (opts.now ?? (() => new Date()))()),
                },
              ],
            })
            .catch((err: unknown) => {
              throw new OpsError(
                `could not republish event ${m.eventId} to ${m.originalTopic} partition ${m.originalPartition}: ` +
                  `${err instanceof Error ? err.message : String(err)} (the events before it were replayed; run the same command again)`,
              );
            });
        }
      }
      items.push({ deadLetter: m, action, dryRun });
    }
  } finally {
    await producer?.disconnect();
  }
  return items;
}

/** The original headers without the dead-letter ones, plus when it was replayed. */
export function replayHeaders(headers: Record<string, Buffer>, at: Date): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = {};
  for (const [k, v] of Object.entries(headers)) if (!k.startsWith('dlq-')) out[k] = v;
  out['dlq-replayed-at'] = at.toISOString();
  return out;
}

/** What the consumer's inbox says of these events: 'processed', 'dead-lettered' (older consumers), or nothing. */
export async function inboxOutcomes(
  db: Database,
  schema: string,
  inboxName: string,
  eventIds: string[],
): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db.query<{ event_id: string; outcome: string }>(
    `SELECT event_id::text AS event_id, outcome FROM ${identifier(schema)}.inbox
      WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
    [inboxName, eventIds],
  );
  return new Map(rows.map((r) => [r.event_id.toLowerCase(), r.outcome]));
}

async function checkInbox(db: Database, schema: string): Promise<void> {
  const [row] = await db.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [
    `${schema}.inbox`,
  ]);
  if (!row.ok)
    throw new OpsError(
      `there is no table ${schema}.inbox: pass the consuming service's schema with --schema (its DATABASE_SCHEMA)`,
    );
}
