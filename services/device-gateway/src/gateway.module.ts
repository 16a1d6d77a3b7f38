import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { deadLetterTopic, prefixedTopicRouter, topicOf, Topics, withTopicPrefix } from '@realname/contracts';
import {
  connectMigrated,
  createKafka,
  Database,
  ensureTopics,
  IdempotentConsumer,
  OutboxRelay,
} from '@realname/eventstore';
import {
  ClientCredentials,
  Dependency,
  JsonLogger,
  KafkaProbe,
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
  databaseTimeoutsOf,
  kafkaSecurityOf,
} from '@realname/platform';
import type { GatewayConfig } from './config';
import { Backfills } from './backfill/backfills';
import { CommandQueue } from './commands/command-queue';
import { GatePersons } from './commands/gate-persons';
import { RegistryFaces } from './commands/registry-faces';
import { DeviceCredentials } from './devices/device-credentials';
import { DeviceRepository } from './devices/device-repository';
import { DevicesController } from './devices/devices.controller';
import { DeviceRateLimiter } from './families/shared/device-rate-limit';
import { DevicePresence } from './devices/presence';
import { FAMILY_CONTROLLERS } from './families';
import { PunchIngestion } from './ingest/punch-ingestion';
import { PunchRecordsRepository } from './ingest/punch-records.repository';
import { RefusedRequests } from './ingest/refused-requests';
import { gatewayMigrations } from './migrations';
import { OpenProtocolController } from './open-protocol/open-protocol.controller';
import { PhotoStore } from './photos/photo-store';
import { PhotosController } from './photos/photos.controller';

/**
 * What the gateway runs beside its device and admin APIs, given to the platform's runtime: the configured
 * devices (registered before the first request), the outbox relay to Kafka and the consumer of the
 * registry's enrolment events (who goes on the gates), both in the background, and the periodic work:
 * offline detection, command retries, daily reconcile, retention. PostgreSQL is required; Kafka is not
 * (punches wait in the outbox, devices keep being answered).
 */
@Injectable()
class GatewayRuntime implements ServiceDeclaration {
  readonly components: ServiceComponent[];
  readonly dependencies: Dependency[];

  constructor(
    db: Database,
    devices: DeviceRepository,
    presence: DevicePresence,
    commands: CommandQueue,
    gatePersons: GatePersons,
    photos: PhotoStore,
    backfills: Backfills,
    refused: RefusedRequests,
    @Inject(SERVICE_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const kafka = createKafka({
      brokers: config.KAFKA_BROKERS,
      security: kafkaSecurityOf(config),
      clientId: 'device-gateway',
      log: (level, message, extra) => logger.event(level, `kafka: ${message}`, extra),
    });
    const prefix = config.KAFKA_TOPIC_PREFIX;
    const enrolments = withTopicPrefix(prefix, Topics.registryEnrolments);
    const dlq = withTopicPrefix(prefix, deadLetterTopic(config.KAFKA_GROUP_ID));
    const topics = () =>
      ensureTopics(kafka, [
        withTopicPrefix(prefix, Topics.devicePunches),
        withTopicPrefix(prefix, Topics.deviceStatus),
        enrolments,
        dlq,
      ]);
    const relay = new OutboxRelay(db, {
      schema: config.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry,
      onError: (err) =>
        logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    const consumer = new IdempotentConsumer(db, {
      kafka,
      groupId: config.KAFKA_GROUP_ID,
      topics: [enrolments.name],
      deadLetterTopic: dlq.name,
      schema: config.DATABASE_SCHEMA,
      handler: (tx, event) => gatePersons.handle(tx, event),
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      registry,
      log: (level, message, extra) => logger.event(level, message, extra),
    });
    const kafkaProbe = new KafkaProbe(kafka);
    this.dependencies = [postgresDependency(db), kafkaProbe.dependency(false)];
    this.components = [
      { name: 'postgres pool', stop: () => db.close() },
      kafkaProbe,
      {
        // Before the first request: secrets an older version kept in the clear get encrypted, and
        // those under a retired key re-encrypted under the active one.
        name: 'device secrets at rest',
        start: async () => {
          const n = await devices.upgradeStoredSecrets();
          if (n) logger.event('info', 'device secrets encrypted under the active key', { devices: n });
        },
      },
      {
        name: 'configured devices',
        start: async () => {
          for (const d of config.GATEWAY_DEVICES) await devices.upsert(d, 'configuration');
        },
      },
      {
        name: 'outbox relay',
        background: true,
        start: async () => {
          await topics();
          await relay.start();
        },
        stop: () => relay.stop(),
      },
      {
        name: 'enrolments consumer',
        background: true,
        start: async () => {
          await topics();
          await consumer.start();
        },
        stop: () => consumer.stop(),
      },
      periodicJob({
        name: 'presence and command retries',
        intervalMs: config.PRESENCE_CHECK_INTERVAL_S * 1000,
        logger,
        run: async () => {
          const offline = await presence.sweep();
          if (offline.length) logger.event('warn', 'devices went offline', { devices: offline });
          await commands.expire();
        },
      }),
      periodicJob({
        name: 'daily reconcile',
        intervalMs: 15 * 60_000,
        logger,
        run: async () => {
          const requested = await backfills.reconcileDaily(
            new Date(),
            config.DAILY_RECONCILE_FAMILIES,
            config.DAILY_RECONCILE_AFTER_HOUR,
          );
          if (requested.length)
            logger.event('info', 'daily reconcile: record queries requested', {
              devices: requested.map((b) => b.deviceId),
            });
        },
      }),
      periodicJob({
        name: 'retention',
        intervalMs: 3600_000,
        logger,
        run: async () => {
          const purgedPhotos = await photos.purge(config.PHOTO_RETENTION_DAYS);
          const days = config.RAW_REQUEST_RETENTION_DAYS;
          const raw =
            days > 0
              ? await new PunchRecordsRepository(db, config.DATABASE_SCHEMA).purgeRawRequests(days)
              : 0;
          const refusedSamples = await refused.purge(config.REFUSED_RETENTION_DAYS);
          if (purgedPhotos || raw || refusedSamples)
            logger.event('info', 'retention: deleted old photos and raw requests', {
              photos: purgedPhotos,
              raw,
              refusedSamples,
            });
        },
      }),
    ];
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, shared: { logger: JsonLogger; registry: Registry }): DynamicModule {
    const schema = config.DATABASE_SCHEMA;
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot({
          service: 'device-gateway',
          config,
          logger: shared.logger,
          registry: shared.registry,
        }),
        ResourceServerModule.forRoot(resourceServerOptions(config)),
      ],
      controllers: [OpenProtocolController, DevicesController, PhotosController, ...FAMILY_CONTROLLERS],
      providers: [
        {
          provide: DeviceRateLimiter,
          useValue: new DeviceRateLimiter(
            { ratePerS: config.DEVICE_RATE_LIMIT_PER_S, burst: config.DEVICE_RATE_LIMIT_BURST },
            shared.registry,
          ),
        },
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              ...databaseTimeoutsOf(config),
              applicationName: 'device-gateway',
              schema,
              migrations: gatewayMigrations,
            }),
        },
        {
          provide: DeviceRepository,
          useFactory: (db: Database) =>
            new DeviceRepository(
              db,
              schema,
              new DeviceCredentials({
                keys: config.DEVICE_SECRET_KEYS,
                activeKeyId: config.DEVICE_SECRET_ACTIVE_KEY_ID,
              }),
            ),
          inject: [Database],
        },
        {
          provide: RefusedRequests,
          useFactory: (db: Database, devices: DeviceRepository) =>
            new RefusedRequests(
              db,
              schema,
              async (id) => (await devices.find(id)) !== undefined,
              {
                sampleBytes: config.REFUSED_SAMPLE_BYTES,
                samplesPerMinute: config.REFUSED_SAMPLES_PER_MINUTE,
              },
              shared.registry,
            ),
          inject: [Database, DeviceRepository],
        },
        {
          provide: PunchRecordsRepository,
          useFactory: (db: Database) => new PunchRecordsRepository(db, schema),
          inject: [Database],
        },
        {
          provide: PhotoStore,
          useFactory: (db: Database) => new PhotoStore(db, schema, config.PHOTO_MAX_BYTES),
          inject: [Database],
        },
        {
          provide: PunchIngestion,
          useFactory: (db: Database, photos: PhotoStore, refused: RefusedRequests) =>
            new PunchIngestion(
              db,
              schema,
              photos,
              config.PUNCH_COLLAPSE_WINDOW_S * 1000,
              shared.registry,
              { concurrency: config.INGEST_CONCURRENCY, maxRequests: 500, maxPunches: 5000 },
              refused,
            ),
          inject: [Database, PhotoStore, RefusedRequests],
        },
        {
          provide: CommandQueue,
          useFactory: (db: Database) =>
            new CommandQueue(
              db,
              schema,
              {
                ackTimeoutMs: config.COMMAND_ACK_TIMEOUT_S * 1000,
                maxAttempts: config.COMMAND_MAX_ATTEMPTS,
                retryDelayMs: config.COMMAND_RETRY_DELAY_S * 1000,
              },
              shared.registry,
            ),
          inject: [Database],
        },
        {
          provide: Backfills,
          useFactory: (db: Database, commands: CommandQueue) => new Backfills(db, schema, commands),
          inject: [Database, CommandQueue],
        },
        {
          provide: DevicePresence,
          useFactory: (db: Database, devices: DeviceRepository, backfills: Backfills) =>
            new DevicePresence(
              db,
              schema,
              devices,
              backfills,
              {
                offlineAfterMs: config.DEVICE_OFFLINE_AFTER_S * 1000,
                skewToleranceMs: config.CLOCK_SKEW_TOLERANCE_S * 1000,
                writeEveryMs: Math.min(5_000, (config.DEVICE_OFFLINE_AFTER_S * 1000) / 4),
                backfillMarginMs: config.BACKFILL_MARGIN_S * 1000,
              },
              shared.registry,
            ),
          inject: [Database, DeviceRepository, Backfills],
        },
        {
          provide: GatePersons,
          useFactory: (db: Database, commands: CommandQueue, photos: PhotoStore) =>
            new GatePersons(
              db,
              schema,
              commands,
              new RegistryFaces(
                photos,
                {
                  url: config.REGISTRY_URL,
                  credentials:
                    config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET
                      ? new ClientCredentials({
                          issuer: config.OIDC_ISSUER_URL,
                          clientId: config.OIDC_CLIENT_ID,
                          clientSecret: config.OIDC_CLIENT_SECRET,
                          httpTimeoutMs: config.OIDC_HTTP_TIMEOUT_MS,
                        })
                      : undefined,
                },
                shared.logger,
              ),
            ),
          inject: [Database, CommandQueue, PhotoStore],
        },
        { provide: SERVICE_DECLARATION, useClass: GatewayRuntime },
      ],
    };
  }
}
