import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ContractViolation, deadLetterTopic, EventEnvelope, fromKafkaRecord } from '@realname/contracts';
import { Database, identifier, Sql } from './database';
import { connectOrderedProducer } from './kafka';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
}

/** Handles one event inside the transaction that also records it in the inbox. */
export type EventHandler = (tx: Sql, event: EventEnvelope, ctx: MessageContext) => Promise<void>;

/** An event of a fetched batch with where it came from. */
export interface BatchItem {
  event: EventEnvelope;
  ctx: MessageContext;
}

/**
 * Handles the new events of one fetched batch (one topic-partition), in their order, inside the
 * transaction that also records them all in the inbox. Events already in the inbox (redeliveries) and
 * repeats within the batch are not passed.
 */
export type BatchEventHandler = (tx: Sql, items: BatchItem[]) => Promise<void>;

export interface IdempotentConsumerOptions {
  kafka: Kafka;
  /** Consumer group, also the inbox's consumer name and the dead-letter topic's middle part. */
  groupId: string;
  /** The inbox's consumer name; defaults to groupId. Keep it when moving to a new group to keep the dedupe. */
  inboxName?: string;
  topics: string[];
  /** Defaults to `dlq.<groupId>.v1`. */
  deadLetterTopic?: string;
  /** The service's schema holding the inbox table. */
  schema: string;
  handler: EventHandler;
  /**
   * Optional: applies a whole fetched batch at once (a consumer that can do in a few statements what
   * `handler` does per event). When the batch fails, the consumer falls back to `handler` one message at
   * a time, so a message that cannot be applied is retried and dead-lettered alone; both must therefore
   * have the same effect.
   */
  batchHandler?: BatchEventHandler;
  /**
   * With a batch handler: the most messages applied in one transaction (a fetched batch is split into
   * slices of this size; default 500).
   */
  maxBatchMessages?: number;
  /** Attempts for a message that fails before it goes to the dead-letter topic. */
  maxAttempts?: number;
  retryDelayMs?: number;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member (a killed process) before reassigning its partitions. */
  sessionTimeoutMs?: number;
  registry?: Registry;
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/** Failures that no retry can fix go to the dead-letter topic at once. */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

interface Metrics {
  processed: Counter;
  duplicates: Counter;
  deadLettered: Counter;
  lag: Gauge;
  batchSeconds: Histogram;
}

/**
 * Consumes Kafka at least once and applies each event exactly once: the event id goes into the inbox
 * in the same transaction as the handler's changes, and the offset is committed only after that
 * transaction. A message that keeps failing is published to `dlq.<group>.v1` with the reason, marked in
 * the inbox, and the consumer carries on with the next.
 */
export class IdempotentConsumer {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly schema: string;
  private readonly metrics?: Metrics;
  readonly deadLetterTopic: string;
  private readonly inboxName: string;
  private readonly maxBatchMessages: number;

  constructor(
    private readonly db: Database,
    private readonly opts: IdempotentConsumerOptions,
  ) {
    this.schema = identifier(opts.schema);
    this.deadLetterTopic = opts.deadLetterTopic ?? deadLetterTopic(opts.groupId).name;
    this.inboxName = opts.inboxName ?? opts.groupId;
    this.maxBatchMessages = opts.maxBatchMessages ?? 500;
    if (!(Number.isInteger(this.maxBatchMessages) && this.maxBatchMessages >= 1))
      throw new Error(`maxBatchMessages must be a whole number of at least 1, not ${opts.maxBatchMessages}`);
    const r = opts.registry;
    if (r) {
      const labelNames = ['consumer', 'topic'];
      this.metrics = {
        processed: new Counter({
          name: 'consumer_events_processed_total',
          help: 'Events applied',
          labelNames,
          registers: [r],
        }),
        duplicates: new Counter({
          name: 'consumer_events_duplicate_total',
          help: 'Redelivered events skipped through the inbox',
          labelNames,
          registers: [r],
        }),
        deadLettered: new Counter({
          name: 'consumer_events_dead_lettered_total',
          help: 'Events sent to the dead-letter topic',
          labelNames,
          registers: [r],
        }),
        lag: new Gauge({
          name: 'consumer_lag_messages',
          help: 'Messages behind the partition end, as of the last batch',
          labelNames: ['consumer', 'topic', 'partition'],
          registers: [r],
        }),
        batchSeconds: new Histogram({
          name: 'consumer_batch_duration_seconds',
          help: 'Time to apply one fetched batch',
          labelNames,
          registers: [r],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        }),
      };
    }
  }

  async start(): Promise<void> {
    this.producer = await connectOrderedProducer(this.opts.kafka);
    this.consumer = this.opts.kafka.consumer({
      groupId: this.opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 200,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the batch in hand, commits it, and leaves the group. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.consumer = undefined;
    this.producer = undefined;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const labels = { consumer: this.opts.groupId, topic: batch.topic };
    const end = this.metrics?.batchSeconds.startTimer(labels);
    const messages = batch.messages;
    if (messages.length === 0) return;
    // A batch handler gets the fetched batch in slices: one transaction holds a lock or row per event
    // (PostgreSQL's lock table is finite and shared), and a failed slice falls back to one at a time.
    const size = this.opts.batchHandler ? this.maxBatchMessages : messages.length;
    for (let i = 0; i < messages.length; i += size) {
      if (i > 0 && (!isRunning() || isStale())) return;
      if (!(await this.applyMessages(payload, messages.slice(i, i + size)))) return;
    }
    end?.();
    this.metrics?.lag.set({ ...labels, partition: String(batch.partition) }, Number(batch.offsetLag()));
  }

  /**
   * Applies messages of the fetched batch in one transaction and then commits the offset past the last.
   * If that fails, one message at a time (each committed after its own transaction), so a bad one is
   * isolated, retried and dead-lettered. Returns false when the consumer stopped or lost the partition
   * part-way.
   */
  private async applyMessages(
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
    messages: KafkaMessage[],
  ): Promise<boolean> {
    const { topic, partition } = batch;
    const labels = { consumer: this.opts.groupId, topic };
    try {
      // Fast path: all the messages in one transaction.
      const counts = await this.db.transaction(async (tx) => {
        if (this.opts.batchHandler) return this.applyBatch(tx, topic, partition, messages);
        for (const m of messages) await this.apply(tx, topic, partition, m);
        return undefined; // apply counts each event itself
      });
      // Counted once committed: a batch that failed is counted by the slow path instead.
      if (counts) {
        this.metrics?.processed.inc(labels, counts.processed);
        this.metrics?.duplicates.inc(labels, counts.duplicates);
      }
    } catch {
      // Slow path: one message at a time, so a bad one is isolated, retried and dead-lettered.
      for (const m of messages) {
        if (!isRunning() || isStale()) return false;
        await this.applyWithRetries(topic, partition, m);
        resolveOffset(m.offset);
        await this.commit(topic, partition, m.offset);
        await heartbeat();
      }
      return true;
    }
    const last = messages[messages.length - 1].offset;
    resolveOffset(last);
    await this.commit(topic, partition, last);
    await heartbeat();
    return true;
  }

  /**
   * The batch handler's fast path: decodes every message (one that is not an event fails the batch, and
   * the slow path dead-letters it), records all event ids in the inbox in one statement, and hands the
   * batch handler only the events that statement newly recorded, in message order.
   */
  private async applyBatch(
    tx: Sql,
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<{ processed: number; duplicates: number }> {
    const items = messages.map((m) => ({ event: decode(m), ctx: { topic, partition, offset: m.offset } }));
    const fresh = await this.claim(
      tx,
      items.map((i) => i.event.id),
    );
    const todo = items.filter((i) => fresh.delete(i.event.id.toLowerCase())); // delete: a repeat in the batch is passed once
    if (todo.length > 0) await this.opts.batchHandler!(tx, todo);
    return { processed: todo.length, duplicates: items.length - todo.length };
  }

  /**
   * Records the ids in the inbox and returns those that were not there yet (lower-case). Inserting is
   * the check: a concurrent transaction inserting the same id (a partition handed to another member
   * while this one still works on it) makes this statement wait for its outcome, exactly like the
   * per-event path, so an event is never applied by both. Ids are inserted in sorted order so that two
   * such transactions cannot deadlock on each other's ids.
   */
  private async claim(tx: Sql, ids: string[]): Promise<Set<string>> {
    const rows = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.schema}.inbox (consumer, event_id)
       SELECT $1, id FROM (SELECT DISTINCT id FROM unnest($2::uuid[]) AS u(id)) d ORDER BY id
       ON CONFLICT DO NOTHING
       RETURNING event_id::text AS event_id`,
      [this.inboxName, ids],
    );
    return new Set(rows.map((r) => r.event_id.toLowerCase()));
  }

  private async apply(tx: Sql, topic: string, partition: number, m: KafkaMessage): Promise<void> {
    const event = decode(m);
    const labels = { consumer: this.opts.groupId, topic };
    const inserted = await tx.execute(
      `INSERT INTO ${this.schema}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [this.inboxName, event.id],
    );
    if (inserted === 0) {
      this.metrics?.duplicates.inc(labels);
      return;
    }
    await this.opts.handler(tx, event, { topic, partition, offset: m.offset });
    this.metrics?.processed.inc(labels);
  }

  private async applyWithRetries(topic: string, partition: number, m: KafkaMessage): Promise<void> {
    const max = this.opts.maxAttempts ?? 5;
    let lastError: unknown;
    for (let attempt = 1; attempt <= max; attempt++) {
      try {
        await this.db.transaction((tx) => this.apply(tx, topic, partition, m));
        return;
      } catch (err) {
        lastError = err;
        if (err instanceof PermanentFailure || err instanceof ContractViolation) break;
        this.opts.log?.('warn', 'event handler failed, retrying', {
          topic,
          partition,
          offset: m.offset,
          attempt,
          error: String(err),
        });
        await new Promise((r) => setTimeout(r, (this.opts.retryDelayMs ?? 200) * 2 ** (attempt - 1)));
      }
    }
    await this.deadLetter(topic, partition, m, lastError);
  }

  private async deadLetter(topic: string, partition: number, m: KafkaMessage, error: unknown): Promise<void> {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(m.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v[0] : v;
    }
    Object.assign(headers, {
      'dlq-reason': reason.slice(0, 2000),
      'dlq-original-topic': topic,
      'dlq-original-partition': String(partition),
      'dlq-original-offset': m.offset,
      'dlq-consumer-group': this.opts.groupId,
      'dlq-failed-at': new Date().toISOString(),
    });
    await this.producer!.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: [{ key: m.key, value: m.value, headers }],
    });
    const id = fromKafkaRecord(m.headers, m.value).id;
    if (/^[0-9a-f-]{36}$/i.test(id)) {
      await this.db.execute(
        `INSERT INTO ${this.schema}.inbox (consumer, event_id, outcome) VALUES ($1, $2, 'dead-lettered') ON CONFLICT DO NOTHING`,
        [this.inboxName, id],
      );
    }
    this.metrics?.deadLettered.inc({ consumer: this.opts.groupId, topic });
    this.opts.log?.('error', 'event sent to the dead-letter topic', {
      topic,
      partition,
      offset: m.offset,
      dlq: this.deadLetterTopic,
      reason,
    });
  }

  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    await this.consumer!.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
  }
}

/** The event a message carries; a message without a usable event id can never be applied. */
function decode(m: KafkaMessage): EventEnvelope {
  const event = fromKafkaRecord(m.headers, m.value);
  if (!/^[0-9a-f-]{36}$/i.test(event.id)) throw new PermanentFailure(`message has no valid ce_id header`);
  return event;
}
