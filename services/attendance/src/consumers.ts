import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { deadLetterTopic, Topics, TopicSpec, withTopicPrefix } from '@realname/contracts';
import { BatchItem, Database, ensureTopics, EventStore, IdempotentConsumer } from '@realname/eventstore';
import { trackCommits } from './after-commit';
import { Enrolments } from './enrolments/enrolments';
import { RegistryEventsHandler } from './enrolments/registry-events.handler';
import { ProjectsRepository } from './projects/projects.repository';
import { RegistryProjectsHandler } from './projects/registry-projects.handler';
import { PunchResolver } from './punches/punch-resolver';
import { RecordPunchHandler } from './punches/record-punch.handler';
import { ResolutionMetrics } from './punches/resolution-metrics';

export interface AttendanceConsumersOptions {
  db: Database;
  kafka: Kafka;
  schema: string;
  groupId: string;
  topicPrefix: string;
  sessionTimeoutMs?: number;
  registry?: Registry;
  /** How often at most the unresolved-punches gauge queries the read model (default 10 s). */
  unresolvedGaugeRefreshMs?: number;
  log?: (level: 'warn' | 'error', message: string, extra: Record<string, unknown>) => void;
}

/**
 * Attendance's Kafka consumer: one consumer group, subscribed to the topics it reads, dispatching by
 * topic (each handler passes over event types that are not its own), idempotent through the inbox, a
 * fetched batch in one transaction (and one at a time when the batch fails, to isolate a bad message):
 * - device.punches.v1: records punches, resolved against the local enrolments;
 * - registry.enrolments.v1: keeps the local enrolments and resolves stored punches again when the
 *   registry learns who they were;
 * - registry.projects.v1: keeps the local projects (their region) and who holds their key posts.
 * kafkajs hands over one topic-partition per batch, so a batch of registry events is its own transaction
 * and never shares one with punches; offsets, lag (`consumer_lag_messages{topic}`) and processed counts
 * are per topic. One group rather than two because the library's consumer registers its metrics once per
 * registry (a second instance on the service registry would collide), and one dead-letter topic
 * (`dlq.<group>.v1`) is enough for one service.
 */
export class AttendanceConsumers {
  readonly consumer: IdempotentConsumer;
  readonly metrics?: ResolutionMetrics;

  constructor(private readonly opts: AttendanceConsumersOptions) {
    const store = new EventStore(opts.db, opts.schema);
    const enrolments = new Enrolments(opts.schema);
    this.metrics =
      opts.registry &&
      new ResolutionMetrics(opts.registry, opts.db, opts.schema, opts.unresolvedGaugeRefreshMs);
    const recordPunch = new RecordPunchHandler(store, opts.schema, this.metrics);
    const registryEvents = new RegistryEventsHandler(
      enrolments,
      new PunchResolver(store, enrolments, this.metrics),
    );
    const registryProjects = new RegistryProjectsHandler(new ProjectsRepository(opts.schema));
    const topics = AttendanceConsumers.topics(opts.topicPrefix, opts.groupId);
    this.consumer = new IdempotentConsumer(
      // Metrics move when the consumer's transaction commits, not in one that rolled back and is retried.
      trackCommits(opts.db),
      {
        kafka: opts.kafka,
        groupId: opts.groupId,
        topics: [topics.punches.name, topics.enrolments.name, topics.projects.name],
        deadLetterTopic: topics.dlq.name,
        schema: opts.schema,
        handler: async (tx, event, ctx) => {
          if (ctx.topic === topics.enrolments.name) await registryEvents.handle(tx, event);
          else if (ctx.topic === topics.projects.name) await registryProjects.handle(tx, event);
          else await recordPunch.handle(tx, event);
        },
        // A fetched batch is one topic-partition. Punches are recorded in bulk; registry events one by
        // one (each locks and re-resolves what it concerns), still in one transaction with one inbox
        // statement. The order of events across topics means nothing in Kafka, only within a partition.
        batchHandler: async (tx, items) => {
          const isRegistry = (i: BatchItem) => i.ctx.topic === topics.enrolments.name;
          const isProjects = (i: BatchItem) => i.ctx.topic === topics.projects.name;
          for (const { event } of items.filter(isRegistry)) await registryEvents.handle(tx, event);
          for (const { event } of items.filter(isProjects)) await registryProjects.handle(tx, event);
          const punches = items.filter((i) => !isRegistry(i) && !isProjects(i)).map((i) => i.event);
          if (punches.length > 0) await recordPunch.handleBatch(tx, punches);
        },
        partitionsConsumedConcurrently: 3,
        sessionTimeoutMs: opts.sessionTimeoutMs,
        registry: opts.registry,
        log: opts.log,
      },
    );
  }

  /** The topics attendance reads or writes, with the prefix. */
  static topics(prefix: string, groupId: string) {
    return {
      punches: withTopicPrefix(prefix, Topics.devicePunches),
      records: withTopicPrefix(prefix, Topics.attendanceRecords),
      days: withTopicPrefix(prefix, Topics.attendanceDays),
      payroll: withTopicPrefix(prefix, Topics.attendancePayroll),
      enrolments: withTopicPrefix(prefix, Topics.registryEnrolments),
      projects: withTopicPrefix(prefix, Topics.registryProjects),
      dlq: withTopicPrefix(prefix, deadLetterTopic(groupId)),
    };
  }

  /** Creates the missing topics attendance reads and writes (broker auto-creation is off). */
  async ensureTopics(): Promise<void> {
    const t = AttendanceConsumers.topics(this.opts.topicPrefix, this.opts.groupId);
    const specs: TopicSpec[] = [t.punches, t.records, t.days, t.payroll, t.enrolments, t.projects, t.dlq];
    await ensureTopics(this.opts.kafka, specs);
  }

  /** Creates the missing topics, then joins the group. */
  async start(): Promise<void> {
    await this.ensureTopics();
    await this.consumer.start();
  }

  /** Stops taking messages; the batch in hand is finished and committed. */
  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
