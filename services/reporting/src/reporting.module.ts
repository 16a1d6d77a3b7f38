import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { prefixedTopicRouter, topicOf } from '@realname/contracts';
import { connectMigrated, createKafka, Database, OutboxRelay } from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import {
  ClientCredentials,
  databaseTimeoutsOf,
  Dependency,
  JsonLogger,
  KafkaProbe,
  kafkaSecurityOf,
  LOGGER,
  METRICS_REGISTRY,
  periodicJob,
  PlatformModule,
  postgresDependency,
  ResourceServerModule,
  resourceServerOptions,
  SERVICE_CONFIG,
  SERVICE_DECLARATION,
  ServiceComponent,
  ServiceDeclaration,
} from '@realname/platform';
import type { ReportingConfig } from './config';
import { ReportingConsumers } from './consumers';
import { RegistryIdentities } from './identities/registry-identities';
import { WorkerIdentitiesRepository } from './identities/worker-identities.repository';
import { registerLedgerMetrics } from './ledger/ledger-metrics';
import { LedgerRepository } from './ledger/ledger.repository';
import { DEADLINE_CONTROLLERS, deadlineBoardProvider, deadlineTrackerJob } from './deadlines';
import { reportingMigrations } from './migrations';
import { UploadSender } from './sender/upload-sender';
import { UplinkCredentialsRepository } from './uplinks/credentials.repository';
import { UPLOAD_CONTROLLERS, uploadProviders } from './uploads/uploads.providers';
import { UPLINK_TARGETS } from './uplinks/targets';

/**
 * What reporting runs beside its APIs, given to the platform's runtime: the outbox relay, the consumers
 * that write the upload ledger, and one sender per switched-on target. PostgreSQL is required; Kafka and
 * the platforms are not (a backlog waits in the ledger).
 */
@Injectable()
class ReportingRuntime implements ServiceDeclaration {
  readonly components: ServiceComponent[];
  readonly dependencies: Dependency[];

  constructor(
    db: Database,
    vault: PersonalDataVault,
    @Inject(SERVICE_CONFIG) c: ReportingConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const kafka = createKafka({
      brokers: c.KAFKA_BROKERS,
      security: kafkaSecurityOf(c),
      clientId: 'reporting',
      log: (level, message, extra) => logger.event(level, `kafka: ${message}`, extra),
    });
    const consumers = new ReportingConsumers({
      db,
      kafka,
      schema: c.DATABASE_SCHEMA,
      groupId: c.KAFKA_GROUP_ID,
      topicPrefix: c.KAFKA_TOPIC_PREFIX,
      targets: c.UPLINK_TARGETS.map((t) => t.target),
      sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
      registry,
      log: (level, message, extra) => logger.event(level, message, extra),
    });
    const relay = new OutboxRelay(db, {
      schema: c.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(c.KAFKA_TOPIC_PREFIX, topicOf),
      registry,
      onError: (err) =>
        logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    const ledger = new LedgerRepository(c.DATABASE_SCHEMA);
    registerLedgerMetrics(registry, db, c.DATABASE_SCHEMA);
    const identities = new WorkerIdentitiesRepository(c.DATABASE_SCHEMA, vault);
    const credentials = new UplinkCredentialsRepository(c.DATABASE_SCHEMA, vault);
    // checkReportingConfig has made sure REGISTRY_URL comes with the client's id and secret.
    const identitySource =
      c.REGISTRY_URL && c.OIDC_CLIENT_ID && c.OIDC_CLIENT_SECRET
        ? new RegistryIdentities(
            {
              url: c.REGISTRY_URL,
              credentials: new ClientCredentials({
                issuer: c.OIDC_ISSUER_URL,
                clientId: c.OIDC_CLIENT_ID,
                clientSecret: c.OIDC_CLIENT_SECRET,
                httpTimeoutMs: c.OIDC_HTTP_TIMEOUT_MS,
              }),
            },
            logger,
          )
        : undefined;
    if (!identitySource)
      logger.event(
        'warn',
        "REGISTRY_URL is not set: workers' ID numbers and head images come only from what worker_identities holds; records of other workers wait for identity:<worker>",
      );
    const senders = c.UPLINK_TARGETS.map(({ target, endpoint }) => {
      const definition = UPLINK_TARGETS[target];
      const sender = new UploadSender(
        db,
        ledger,
        identities,
        (projectId) => definition.connect(db, credentials, projectId, endpoint),
        {
          target,
          profile: definition.profile,
          mapping: definition.send,
          claimSize: c.UPLOAD_CLAIM_SIZE,
          leaseMs: c.UPLOAD_LEASE_MS,
          backoffMs: c.UPLOAD_BACKOFF_MS,
          backoffMaxMs: c.UPLOAD_BACKOFF_MAX_MS,
          pollMs: c.UPLOAD_POLL_MS,
          waitMs: c.UPLOAD_WAIT_MS,
          callsPerSecond: c.UPLOAD_CALLS_PER_SECOND,
          registry,
          identitySource,
        },
      );
      return Array.from({ length: c.UPLOAD_CONCURRENCY }, (_, i) =>
        periodicJob({
          name: `uplink sender ${target}${c.UPLOAD_CONCURRENCY > 1 ? ` #${i + 1}` : ''}`,
          intervalMs: c.UPLOAD_INTERVAL_MS,
          logger,
          run: async () => {
            // A claim that found rows means more may be due (a claim takes whole projects, so it is
            // rarely full): keep going until one finds nothing rather than wait for the next tick.
            for (;;) {
              const round = await sender.runOnce();
              if (round.claimed === 0) return;
            }
          },
        }),
      );
    });
    const kafkaProbe = new KafkaProbe(kafka);
    this.dependencies = [postgresDependency(db), kafkaProbe.dependency(false)];
    this.components = [
      { name: 'postgres pool', stop: () => db.close() },
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
      ...senders.flat(),
      deadlineTrackerJob(
        db,
        c,
        c.UPLINK_TARGETS.map((t) => t.target),
        logger,
        registry,
      ),
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
export class ReportingModule {
  static forRoot(config: ReportingConfig, shared: { logger: JsonLogger; registry: Registry }): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        PlatformModule.forRoot({
          service: 'reporting',
          config,
          logger: shared.logger,
          registry: shared.registry,
        }),
        // Every API is an OAuth 2.0 resource server; health and metrics (PlatformModule) stay public.
        ResourceServerModule.forRoot(resourceServerOptions(config)),
      ],
      controllers: [...DEADLINE_CONTROLLERS, ...UPLOAD_CONTROLLERS],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              ...databaseTimeoutsOf(config),
              applicationName: 'reporting',
              schema: config.DATABASE_SCHEMA,
              migrations: reportingMigrations,
            }),
        },
        {
          provide: PersonalDataVault,
          useFactory: () =>
            new PersonalDataVault({
              keys: config.PII_KEYS,
              activeKeyId: config.PII_ACTIVE_KEY_ID,
              hashKey: config.PII_HASH_KEY,
            }),
        },
        deadlineBoardProvider(config),
        ...uploadProviders(config.DATABASE_SCHEMA),
        { provide: SERVICE_DECLARATION, useClass: ReportingRuntime },
      ],
    };
  }
}
