import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import type { TopicSpec } from '@realname/contracts';
import { retryTransient, type KafkaSecurity } from '@realname/platform';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs' own log lines (warnings and errors only). */
  log?: (level: 'error' | 'warn', message: string, extra: Record<string, unknown>) => void;
  /** TLS and SASL to the brokers (platform `kafkaSecurityOf(config)`); absent: plain text, the local default. */
  security?: KafkaSecurity;
}

export function createKafka(opts: KafkaOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.security?.ssl ? { ssl: opts.security.ssl } : {}),
    ...(opts.security?.sasl ? { sasl: opts.security.sasl } : {}),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    // Keep retrying through a broker restart instead of giving up after the default ~20 s.
    retry: { initialRetryTime: 300, retries: 30, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        opts.log?.(level === logLevel.ERROR ? 'error' : 'warn', String(message), extra);
      },
  });
}

/**
 * Creates the topics that do not exist yet (broker auto-creation is off on purpose). Waits for as long
 * as the cluster is unreachable or still starting (a broker that has just started may not yet serve the
 * metadata of topics it has just created: UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE); a refusal
 * that no wait can cure (a bad topic name or setting) is thrown.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: TopicSpec[],
  opts: { signal?: AbortSignal; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<string[]> {
  return retryTransient(
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.name));
        if (missing.length === 0) return [];
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: -1,
            configEntries: t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : [],
          })),
        });
        return missing.map((t) => t.name);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    { name: 'ensure topics', maxDelayMs: 2_000, signal: opts.signal, onRetry: opts.onRetry },
  );
}

/**
 * Subscribes a consumer to topics from their beginning, waiting while the broker does not serve a topic
 * yet (a topic that has just been created by another process may answer UNKNOWN_TOPIC_OR_PARTITION for a
 * moment). Only refusals that no wait can cure are thrown.
 */
export async function subscribeFromBeginning(
  consumer: Consumer,
  topics: string[],
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  await retryTransient(() => consumer.subscribe({ topics, fromBeginning: true }), {
    name: 'subscribe',
    maxDelayMs: 1_000,
    signal: opts.signal,
  });
}

/**
 * A producer that keeps order per partition and never duplicates on its own retries
 * (idempotent, one request in flight, all in-sync replicas acknowledge).
 */
export async function connectOrderedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}
