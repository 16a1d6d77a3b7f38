import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { prefixedTopicRouter, topicOf } from '@realname/contracts';
import { createKafka, Database, connectMigrated, OutboxRelay } from '@realname/eventstore';
import {
  JsonLogger,
  LOGGER,
  METRICS_REGISTRY,
  PlatformModule,
  Readiness,
  SERVICE_CONFIG,
} from '@realname/platform';
import { AnalyticsQueries } from './analytics/analytics-queries';
import { connectClickHouse, migrateClickHouse } from './analytics/clickhouse';
import { ClickHouseSink } from './analytics/clickhouse-sink';
import { AttendanceGrpcController } from './api/attendance.grpc.controller';
import { PunchesController } from './api/punches.controller';
import type { AttendanceConfig } from './config';
import { AttendanceConsumers } from './consumers';
import { attendanceMigrations } from './migrations';
import { PunchQueries } from './punches/punch-queries';

const CLICKHOUSE = Symbol('CLICKHOUSE');

/** The consumer of device punches and registry enrolments, the outbox relay and the ClickHouse sink, started and stopped in order. */
@Injectable()
class AttendanceRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumers?: AttendanceConsumers;
  private relay?: OutboxRelay;
  private sink?: ClickHouseSink;

  constructor(
    private readonly db: Database,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    private readonly readiness: Readiness,
    @Inject(SERVICE_CONFIG) private readonly config: AttendanceConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const kafka = createKafka({
      brokers: c.KAFKA_BROKERS,
      clientId: 'attendance',
      log: (level, message, extra) => this.logger.event(level, `kafka: ${message}`, extra),
    });
    const prefix = c.KAFKA_TOPIC_PREFIX;
    this.consumers = new AttendanceConsumers({
      db: this.db,
      kafka,
      schema: c.DATABASE_SCHEMA,
      groupId: c.KAFKA_GROUP_ID,
      topicPrefix: prefix,
      sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
      registry: this.registry,
      log: (level, message, extra) => this.logger.event(level, message, extra),
    });
    await this.consumers.ensureTopics();

    this.sink = new ClickHouseSink(this.db, this.clickhouse, {
      schema: c.DATABASE_SCHEMA,
      database: c.CLICKHOUSE_DATABASE,
      batchSize: c.CLICKHOUSE_BATCH_SIZE,
      flushMs: c.CLICKHOUSE_FLUSH_MS,
      registry: this.registry,
      onError: (err) =>
        this.logger.event('warn', 'clickhouse sink: insert failed, will retry', { error: String(err) }),
    });
    this.sink.start();
    this.relay = new OutboxRelay(this.db, {
      schema: c.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry: this.registry,
      onError: (err) =>
        this.logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    await this.relay.start();
    await this.consumers.start();
    this.readiness.register('postgres', () => this.db.ping());
    this.readiness.register('clickhouse', async () => (await this.clickhouse.ping()).success);
  }

  /** Stops taking messages first, then lets the relay and sink finish their batch, then closes pools. */
  async onApplicationShutdown(): Promise<void> {
    await this.consumers?.stop();
    await this.relay?.stop();
    await this.sink?.stop();
    await this.clickhouse.close();
    await this.db.close();
    this.logger.event('info', 'stopped');
  }
}

@Module({})
export class AttendanceModule {
  static forRoot(
    config: AttendanceConfig,
    shared: { logger: JsonLogger; registry: Registry },
  ): DynamicModule {
    return {
      module: AttendanceModule,
      imports: [
        PlatformModule.forRoot({
          service: 'attendance',
          config,
          logger: shared.logger,
          registry: shared.registry,
        }),
      ],
      controllers: [PunchesController, AttendanceGrpcController],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: 'attendance',
              schema: config.DATABASE_SCHEMA,
              migrations: attendanceMigrations,
            }),
        },
        {
          provide: CLICKHOUSE,
          useFactory: async () => {
            const client = connectClickHouse({
              url: config.CLICKHOUSE_URL,
              username: config.CLICKHOUSE_USER,
              password: config.CLICKHOUSE_PASSWORD,
            });
            await migrateClickHouse(client, config.CLICKHOUSE_DATABASE);
            return client;
          },
        },
        {
          provide: PunchQueries,
          useFactory: (db: Database) => new PunchQueries(db, config.DATABASE_SCHEMA),
          inject: [Database],
        },
        {
          provide: AnalyticsQueries,
          useFactory: (ch: ClickHouseClient) => new AnalyticsQueries(ch, config.CLICKHOUSE_DATABASE),
          inject: [CLICKHOUSE],
        },
        AttendanceRuntime,
      ],
    };
  }
}
