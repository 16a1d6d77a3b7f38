import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { deadLetterTopic, Topics, TopicSpec, withTopicPrefix } from '@realname/contracts';
import { Database, ensureTopics, IdempotentConsumer } from '@realname/eventstore';
import { LedgerRepository } from './ledger/ledger.repository';
import { RegistryCopiesRepository } from './records/records.repository';
import { UplinkRecordsHandler } from './records/uplink-records.handler';

export interface ReportingConsumersOptions {
  db: Database;
  kafka: Kafka;
  schema: string;
  groupId: string;
  topicPrefix: string;
  /** The switched-on targets: each event makes one ledger row per target. */
  targets: readonly string[];
  sessionTimeoutMs?: number;
  registry?: Registry;
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/**
 * Reporting's Kafka consumer: one group over attendance.records.v1 (live punches), attendance.days.v1,
 * registry.projects.v1 and registry.enrolments.v1, idempotent through the inbox (an event applied twice makes no second row),
 * a fetched batch in one transaction. The library retries transient failures (PostgreSQL away, a
 * serialization failure) without limit and never dead-letters them; only a message that cannot be
 * applied goes to `dlq.<group>.v1`. Events of one project or enrolment keep their partition's order.
 */
export class ReportingConsumers {
  readonly consumer: IdempotentConsumer;

  constructor(private readonly opts: ReportingConsumersOptions) {
    const handler = new UplinkRecordsHandler(
      opts.targets,
      new LedgerRepository(opts.schema),
      new RegistryCopiesRepository(opts.schema),
    );
    const topics = ReportingConsumers.topics(opts.topicPrefix, opts.groupId);
    this.consumer = new IdempotentConsumer(opts.db, {
      kafka: opts.kafka,
      groupId: opts.groupId,
      topics: [topics.records.name, topics.days.name, topics.projects.name, topics.enrolments.name],
      deadLetterTopic: topics.dlq.name,
      schema: opts.schema,
      handler: (tx, event) => handler.handle(tx, event),
      batchHandler: (tx, items) =>
        handler.handleBatch(
          tx,
          items.map((i) => i.event),
        ),
      partitionsConsumedConcurrently: 3,
      sessionTimeoutMs: opts.sessionTimeoutMs,
      registry: opts.registry,
      log: opts.log,
    });
  }

  /** The topics reporting reads, with the prefix. */
  static topics(prefix: string, groupId: string) {
    return {
      records: withTopicPrefix(prefix, Topics.attendanceRecords),
      days: withTopicPrefix(prefix, Topics.attendanceDays),
      projects: withTopicPrefix(prefix, Topics.registryProjects),
      enrolments: withTopicPrefix(prefix, Topics.registryEnrolments),
      dlq: withTopicPrefix(prefix, deadLetterTopic(groupId)),
      // Written, not read: the deadline tracker's events (through the outbox relay).
      deadlines: withTopicPrefix(prefix, Topics.reportingDeadlines),
    };
  }

  /** Creates the missing topics reporting reads and writes (broker auto-creation is off). */
  async ensureTopics(): Promise<void> {
    const t = ReportingConsumers.topics(this.opts.topicPrefix, this.opts.groupId);
    const specs: TopicSpec[] = [t.records, t.days, t.projects, t.enrolments, t.dlq, t.deadlines];
    await ensureTopics(this.opts.kafka, specs);
  }

  async start(): Promise<void> {
    await this.ensureTopics();
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
