import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { prefixedTopicRouter, topicOf } from '@realname/contracts';
import { createKafka, Database, connectMigrated, EventStore, OutboxRelay } from '@realname/eventstore';
import {
  clickHouseDependency,
  clickHouseLoggerClass,
  Dependency,
  JsonLogger,
  KafkaProbe,
  LOGGER,
  METRICS_REGISTRY,
  PlatformModule,
  postgresDependency,
  ResourceServerModule,
  resourceServerOptions,
  SERVICE_CONFIG,
  SERVICE_DECLARATION,
  ServiceComponent,
  ServiceDeclaration,
  databaseTimeoutsOf,
  kafkaSecurityOf,
} from '@realname/platform';
import { AnalyticsController } from './analytics/analytics.rest';
import { AnalyticsQueries } from './analytics/analytics-queries';
import { connectClickHouse, migrateClickHouse } from './analytics/clickhouse';
import { ClickHouseSink } from './analytics/clickhouse-sink';
import { AttendanceGrpcController } from './punches/punches.grpc';
import { PunchesController } from './punches/punches.rest';
import type { AttendanceConfig } from './config';
import { AttendanceConsumers } from './consumers';
import { attendanceMigrations } from './migrations';
import { PunchQueries } from './punches/punch-queries';
import { CorrectionsHandler } from './timesheets/corrections.handler';
import { FinaliseDaysHandler } from './timesheets/finalise-days.handler';
import { TimesheetFinaliser } from './timesheets/timesheet-finaliser';
import { TimesheetQueries } from './timesheets/timesheet-queries';
import { TimesheetsController } from './timesheets/timesheets.rest';
import { TimesheetRepository } from './timesheets/timesheets.repository';
import { PresenceController, PresenceGrpcController, presenceProvider } from './presence';
import { PAYROLL_CONTROLLERS, payrollProviders, payrollTimer } from './payroll/payroll.providers';

const CLICKHOUSE = Symbol('CLICKHOUSE');

/**
 * What attendance runs beside its APIs, given to the platform's runtime: the outbox relay, the ClickHouse
 * sink (with its migrations) and the consumers of device punches and registry enrolments, all started in
 * the background; PostgreSQL is required, Kafka and ClickHouse are not (analytics lag is in metrics).
 */
@Injectable()
class AttendanceRuntime implements ServiceDeclaration {
  readonly components: ServiceComponent[];
  readonly dependencies: Dependency[];

  constructor(
    db: Database,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(SERVICE_CONFIG) c: AttendanceConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const kafka = createKafka({
      brokers: c.KAFKA_BROKERS,
      security: kafkaSecurityOf(c),
      clientId: 'attendance',
      log: (level, message, extra) => logger.event(level, `kafka: ${message}`, extra),
    });
    const consumers = new AttendanceConsumers({
      db,
      kafka,
      schema: c.DATABASE_SCHEMA,
      groupId: c.KAFKA_GROUP_ID,
      topicPrefix: c.KAFKA_TOPIC_PREFIX,
      sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
      registry,
      log: (level, message, extra) => logger.event(level, message, extra),
    });
    const sink = new ClickHouseSink(db, clickhouse, {
      schema: c.DATABASE_SCHEMA,
      database: c.CLICKHOUSE_DATABASE,
      batchSize: c.CLICKHOUSE_BATCH_SIZE,
      flushMs: c.CLICKHOUSE_FLUSH_MS,
      registry,
      onError: (err) =>
        logger.event('warn', 'clickhouse sink: insert failed, will retry', { error: String(err) }),
    });
    const relay = new OutboxRelay(db, {
      schema: c.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(c.KAFKA_TOPIC_PREFIX, topicOf),
      registry,
      onError: (err) =>
        logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    const finaliser = new TimesheetFinaliser(
      new FinaliseDaysHandler(
        db,
        new EventStore(db, c.DATABASE_SCHEMA),
        new TimesheetRepository(c.DATABASE_SCHEMA),
        {
          seedDays: c.TIMESHEET_SEED_DAYS,
          batchSize: c.TIMESHEET_BATCH_SIZE,
        },
      ),
      {
        intervalMs: c.TIMESHEET_FINALISE_INTERVAL_MS,
        registry,
        onError: (err) =>
          logger.event('warn', 'timesheets: finalising days failed, will retry', { error: String(err) }),
      },
    );
    const kafkaProbe = new KafkaProbe(kafka);
    this.dependencies = [
      postgresDependency(db),
      kafkaProbe.dependency(false),
      clickHouseDependency(clickhouse, false),
    ];
    this.components = [
      { name: 'postgres pool', stop: () => db.close() },
      { name: 'clickhouse client', stop: () => clickhouse.close() },
      kafkaProbe,
      {
        name: 'outbox relay',
        background: true,
        start: async () => {
          await consumers.ensureTopics();
          await relay.start();
        },
        stop: () => relay.stop(),
      },
      {
        name: 'clickhouse sink',
        background: true,
        start: async () => {
          await migrateClickHouse(clickhouse, c.CLICKHOUSE_DATABASE);
          sink.start();
        },
        stop: () => sink.stop(),
      },
      {
        name: 'timesheet finaliser',
        background: true,
        start: async () => finaliser.start(),
        stop: () => finaliser.stop(),
      },
      payrollTimer(db, c.DATABASE_SCHEMA, logger, c.PAYROLL_RECONCILE_INTERVAL_MS),
      {
        name: 'kafka consumers',
        background: true,
        start: () => consumers.start(),
        stop: () => consumers.stop(),
      },
    ];
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
        // Every API is an OAuth 2.0 resource server; health and metrics (PlatformModule) stay public.
        ResourceServerModule.forRoot(resourceServerOptions(config)),
      ],
      controllers: [
        PunchesController,
        AttendanceGrpcController,
        TimesheetsController,
        PresenceController,
        PresenceGrpcController,
        AnalyticsController,
        ...PAYROLL_CONTROLLERS,
      ],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              ...databaseTimeoutsOf(config),
              applicationName: 'attendance',
              schema: config.DATABASE_SCHEMA,
              migrations: attendanceMigrations,
            }),
        },
        {
          provide: CLICKHOUSE,
          // No round trip here: ClickHouse may be away at start-up; its migrations run with the sink.
          useFactory: () =>
            connectClickHouse({
              url: config.CLICKHOUSE_URL,
              username: config.CLICKHOUSE_USER,
              password: config.CLICKHOUSE_PASSWORD,
              LoggerClass: clickHouseLoggerClass(shared.logger),
            }),
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
        presenceProvider(config.DATABASE_SCHEMA),
        ...payrollProviders(config.DATABASE_SCHEMA),
        {
          provide: TimesheetRepository,
          useFactory: () => new TimesheetRepository(config.DATABASE_SCHEMA),
        },
        {
          provide: TimesheetQueries,
          useFactory: (db: Database, repo: TimesheetRepository) =>
            new TimesheetQueries(db, new EventStore(db, config.DATABASE_SCHEMA), repo),
          inject: [Database, TimesheetRepository],
        },
        {
          provide: CorrectionsHandler,
          useFactory: (db: Database, repo: TimesheetRepository) =>
            new CorrectionsHandler(db, new EventStore(db, config.DATABASE_SCHEMA), repo),
          inject: [Database, TimesheetRepository],
        },
        { provide: SERVICE_DECLARATION, useClass: AttendanceRuntime },
      ],
    };
  }
}
