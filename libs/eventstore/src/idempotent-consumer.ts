import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { deadLetterTopic, EventEnvelope, fromKafkaRecord } from '@realname/contracts';
import { backoffDelay, classifyFailure, PermanentFailure } from '@realname/platform';
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
  /**
   * Attempts for a message whose failure is neither transient nor known to be permanent (a bug, a
   * constraint it breaks) before it goes to the dead-letter topic. Transient failures (a dependency that
   * is away) are retried without limit and never dead-letter; permanent ones dead-letter at once.
   */
  maxAttempts?: number;
  /** First pause between attempts; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  /** Longest pause between attempts while a dependency is away (default 5 s). */
  maxRetryDelayMs?: number;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member (a killed process) before reassigning its partitions. */
  sessionTimeoutMs?: number;
  registry?: Registry;
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/** Failures that no retry can fix go to the dead-letter topic at once (defined with the kernel's classification). */
export { PermanentFailure };

interface Metrics {
  processed: Counter;
  duplicates: Counter;
  deadLettered: Counter;
  transientRetries: Counter;
  waiting: Gauge;
  lag: Gauge;
  batchSeconds: Histogram;
}

/**
 * Consumes Kafka at least once and applies each event exactly once: the event id goes into the inbox
 * in the same transaction as the handler's changes, and the offset is committed only after that
 * transaction. While a dependency is away (PostgreSQL restarting, a broker failing over) the partition
 * waits and retries without limit, committing nothing past it. Only a message that can never be applied
 * is published to `dlq.<group>.v1` with the reason, and the consumer carries on with the next.
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
        transientRetries: new Counter({
          name: 'consumer_transient_retries_total',
          help: 'Attempts that failed because a dependency was unavailable, and were retried',
          labelNames,
          registers: [r],
        }),
        waiting: new Gauge({
          name: 'consumer_waiting_for_dependency',
          help: '1 while a partition waits for a dependency to come back before it goes on',
          labelNames: ['consumer', 'topic', 'partition'],
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

  private stopping = false;

  /**
   * Connects and joins the group. Resolves once consuming has started; callers that must not wait for
   * the group join (a service that should answer HTTP at once) run it in the background.
   */
  async start(): Promise<void> {
    this.stopping = false;
    this.producer = await connectOrderedProducer(this.opts.kafka);
    await this.runConsumer();
  }

  private async runConsumer(): Promise<void> {
    const consumer = this.opts.kafka.consumer({
      groupId: this.opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    // kafkajs restarts itself after retriable failures; after any other crash (retries exhausted during
    // a long broker outage) a new consumer takes over, so a service never stops consuming for good.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping || this.consumer !== consumer) return;
      this.opts.log?.('error', 'consumer crashed; starting a new one', { error: String(payload.error) });
      setTimeout(() => {
        if (this.stopping || this.consumer !== consumer) return;
        consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.runConsumerUntilStarted());
      }, 1_000);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.opts.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private async runConsumerUntilStarted(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.runConsumer();
        return;
      } catch (err) {
        this.opts.log?.('warn', 'consumer could not start; retrying', { attempt, error: String(err) });
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, 500, 10_000)));
      }
    }
  }

  /** Finishes the batch in hand, commits it, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
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
   * A transient failure (a dependency away) retries the same slice until it succeeds, without committing
   * past it. Any other failure falls back to one message at a time (each committed after its own
   * transaction), so a bad one is isolated and dead-lettered alone. Returns false when the consumer
   * stopped or lost the partition part-way.
   */
  private async applyMessages(payload: EachBatchPayload, messages: KafkaMessage[]): Promise<boolean> {
    const { batch, resolveOffset } = payload;
    const { topic, partition } = batch;
    const labels = { consumer: this.opts.groupId, topic };
    const outcome = await this.untilNotTransient(payload, async () => {
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
    });
    if (outcome === 'stopped') return false;
    if (outcome !== 'done') {
      // Slow path: one message at a time, so a bad one is isolated and dead-lettered.
      for (const m of messages) {
        if (!this.stillOurs(payload)) return false;
        if (!(await this.applyAlone(payload, m))) return false;
        resolveOffset(m.offset);
        await this.commit(payload, m.offset);
      }
      return true;
    }
    const last = messages[messages.length - 1].offset;
    resolveOffset(last);
    await this.commit(payload, last);
    return true;
  }

  private stillOurs({ isRunning, isStale }: EachBatchPayload): boolean {
    return isRunning() && !isStale();
  }

  /**
   * Runs `attempt` until it succeeds or fails for a reason that is not transient. While a dependency is
   * away it waits (capped exponential backoff), heartbeats so the group keeps the partition, and never
   * moves the offset. Returns 'done', the non-transient error, or 'stopped' when the consumer stops or
   * loses the partition meanwhile (the message is then redelivered; the inbox keeps it exactly once).
   */
  private async untilNotTransient(
    payload: EachBatchPayload,
    attempt: () => Promise<void>,
  ): Promise<'done' | 'stopped' | { error: unknown }> {
    const { topic, partition } = payload.batch;
    const labels = { consumer: this.opts.groupId, topic };
    const gauge = { ...labels, partition: String(partition) };
    for (let n = 1; ; n++) {
      try {
        await attempt();
        if (n > 1) {
          this.metrics?.waiting.set(gauge, 0);
          this.opts.log?.('warn', 'dependency back: consumer goes on', { topic, partition, attempts: n });
        }
        return 'done';
      } catch (err) {
        if (!(await this.whileDependencyAway(err))) {
          this.metrics?.waiting.set(gauge, 0);
          return { error: err };
        }
        this.metrics?.transientRetries.inc(labels);
        this.metrics?.waiting.set(gauge, 1);
        const delay = backoffDelay(n, this.opts.retryDelayMs ?? 200, this.opts.maxRetryDelayMs ?? 5_000);
        // One line when the wait starts and then every tenth attempt: an outage must not flood the logs.
        if (n === 1 || n % 10 === 0)
          this.opts.log?.('warn', 'dependency unavailable: waiting, nothing is skipped', {
            topic,
            partition,
            attempt: n,
            retryInMs: delay,
            error: String(err),
          });
        await new Promise((r) => setTimeout(r, delay));
        if (!this.stillOurs(payload)) return 'stopped';
        await payload.heartbeat().catch(() => undefined); // Kafka itself may be the one away
      }
    }
  }

  /**
   * Whether a failure is to be waited out: a transient one always; one of no known kind (a driver error
   * without a code) while the database does not answer, since it is then most likely the outage
   * speaking. Only a failure with the database up can count towards dead-lettering.
   */
  private async whileDependencyAway(err: unknown): Promise<boolean> {
    const kind = classifyFailure(err);
    if (kind === 'transient') return true;
    return kind === 'unknown' && !(await this.db.ping());
  }

  /**
   * Applies one message in its own transaction: waits out transient failures, dead-letters a permanent
   * one at once and an unexplained one after `maxAttempts`. Returns false when the consumer stopped.
   */
  private async applyAlone(payload: EachBatchPayload, m: KafkaMessage): Promise<boolean> {
    const { topic, partition } = payload.batch;
    const max = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.untilNotTransient(payload, () =>
        this.db.transaction((tx) => this.apply(tx, topic, partition, m)),
      );
      if (outcome === 'done') return true;
      if (outcome === 'stopped') return false;
      const { error } = outcome;
      if (classifyFailure(error) === 'permanent' || attempt >= max) {
        return this.untilNotTransientOrStop(payload, () => this.deadLetter(topic, partition, m, error));
      }
      this.opts.log?.('warn', 'event handler failed, retrying', {
        topic,
        partition,
        offset: m.offset,
        attempt,
        error: String(error),
      });
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.opts.retryDelayMs ?? 200)));
    }
  }

  /** Publishing to the dead-letter topic waits for Kafka like everything else. */
  private async untilNotTransientOrStop(
    payload: EachBatchPayload,
    fn: () => Promise<void>,
  ): Promise<boolean> {
    const outcome = await this.untilNotTransient(payload, fn);
    if (outcome === 'stopped') return false;
    if (outcome !== 'done') throw outcome.error;
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
    // Nothing goes into the inbox: a dead-lettered event was not applied, and a replay of it (see the
    // operator CLI) must be applied exactly once rather than skipped as already seen.
    this.metrics?.deadLettered.inc({ consumer: this.opts.groupId, topic });
    this.opts.log?.('error', 'event sent to the dead-letter topic', {
      topic,
      partition,
      offset: m.offset,
      dlq: this.deadLetterTopic,
      reason,
    });
  }

  /**
   * Commits the offset past `offset`. A commit that fails (broker away, rebalance) is let go: the
   * resolved offset goes with the next commit, and a redelivery is absorbed by the inbox.
   */
  private async commit(payload: EachBatchPayload, offset: string): Promise<void> {
    const { topic, partition } = payload.batch;
    try {
      await this.consumer!.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
      await payload.heartbeat();
    } catch (err) {
      this.opts.log?.('warn', 'offset commit failed; it goes with the next one', {
        topic,
        partition,
        offset,
        error: String(err),
      });
    }
  }
}

/** The event a message carries; a message without a usable event id can never be applied. */
function decode(m: KafkaMessage): EventEnvelope {
  const event = fromKafkaRecord(m.headers, m.value);
  if (!/^[0-9a-f-]{36}$/i.test(event.id)) throw new PermanentFailure(`message has no valid ce_id header`);
  return event;
}
