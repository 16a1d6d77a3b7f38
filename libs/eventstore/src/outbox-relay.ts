import type { Kafka, Producer } from 'kafkajs';
import { Counter, Gauge, Registry } from 'prom-client';
import { toKafkaRecord, topicOf } from '@realname/contracts';
import { Database } from './database';
import { CommittedEventPoller } from './committed-poller';
import type { StoredEvent } from './event-store';
import { connectOrderedProducer } from './kafka';

/** The outbox relay's checkpoint name (read by the operator CLI's `outbox status`). */
export const OUTBOX_CHECKPOINT = 'outbox:kafka';

export interface OutboxRelayOptions {
  schema: string;
  kafka: Kafka;
  batchSize?: number;
  idleMs?: number;
  /** Event type -> topic; defaults to the contracts' catalogue. Types without a topic are not published. */
  topicFor?: (type: string) => string | undefined;
  registry?: Registry;
  onError?: (err: unknown) => void;
}

/**
 * Publishes the service's committed events to Kafka, in commit order, at least once: the checkpoint
 * moves only after the broker acknowledged the whole batch. Within a batch, events of one stream go out
 * in stream order under the stream's id as key, so they keep their order on one partition.
 */
export class OutboxRelay {
  readonly poller: CommittedEventPoller;
  private producer?: Producer;
  private readonly published?: Counter;
  private readonly backlogGauge?: Gauge;
  private readonly topicFor: (type: string) => string | undefined;

  constructor(
    private readonly db: Database,
    private readonly opts: OutboxRelayOptions,
  ) {
    this.topicFor = opts.topicFor ?? topicOf;
    this.poller = new CommittedEventPoller(
      db,
      opts.schema,
      {
        name: OUTBOX_CHECKPOINT,
        batchSize: opts.batchSize ?? 1000,
        idleMs: opts.idleMs ?? 50,
        onError: opts.onError,
      },
      (events) => this.publish(events),
    );
    if (opts.registry) {
      this.published = new Counter({
        name: 'outbox_published_events_total',
        help: 'Events the outbox relay published to Kafka',
        labelNames: ['topic'],
        registers: [opts.registry],
      });
      const poller = this.poller;
      this.backlogGauge = new Gauge({
        name: 'outbox_backlog_events',
        help: 'Committed events not yet published to Kafka (counted up to 100000)',
        registers: [opts.registry],
        async collect() {
          this.set(await poller.backlog().catch(() => -1));
        },
      });
    }
  }

  async start(): Promise<void> {
    this.producer = await connectOrderedProducer(this.opts.kafka);
    this.poller.start();
  }

  /** Publishes what is already committed (up to drainMs), then disconnects. */
  async stop(drainMs = 5_000): Promise<void> {
    await this.poller.stop(drainMs);
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private async publish(events: StoredEvent[]): Promise<void> {
    if (!this.producer) throw new Error('outbox relay is not started');
    const byTopic = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const topic = this.topicFor(e.type);
      if (!topic) continue;
      const list = byTopic.get(topic) ?? [];
      list.push(e);
      byTopic.set(topic, list);
    }
    if (byTopic.size === 0) return;
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic,
      // Stable sort: the order of each stream by its position; streams keep their commit order.
      messages: stableSortByStream(list).map((e) => {
        const { streamPosition: _s, globalPosition: _g, transactionId: _t, ...envelope } = e;
        return toKafkaRecord(envelope);
      }),
    }));
    await this.producer.sendBatch({ topicMessages, acks: -1 });
    for (const [topic, list] of byTopic) this.published?.inc({ topic }, list.length);
  }
}

function stableSortByStream(events: StoredEvent[]): StoredEvent[] {
  const firstIndex = new Map<string, number>();
  events.forEach((e, i) => firstIndex.has(e.subject) || firstIndex.set(e.subject, i));
  return [...events].sort((a, b) =>
    a.subject === b.subject
      ? Number(a.streamPosition - b.streamPosition)
      : firstIndex.get(a.subject)! - firstIndex.get(b.subject)! || 0,
  );
}
