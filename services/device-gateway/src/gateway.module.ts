import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
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
  JsonLogger,
  LOGGER,
  METRICS_REGISTRY,
  PlatformModule,
  Readiness,
  SERVICE_CONFIG,
} from '@realname/platform';
import type { GatewayConfig } from './config';
import { Backfills } from './backfill/backfills';
import { CommandQueue } from './commands/command-queue';
import { GatePersons } from './commands/gate-persons';
import { RegistryFaces } from './commands/registry-faces';
import { AdminAuthGuard } from './devices/admin-auth.guard';
import { DeviceRepository } from './devices/device-repository';
import { DevicesController } from './devices/devices.controller';
import { DevicePresence } from './devices/presence';
import { FAMILY_CONTROLLERS } from './families';
import { PunchIngestion } from './ingest/punch-ingestion';
import { gatewayMigrations } from './migrations';
import { OpenProtocolController } from './open-protocol/open-protocol.controller';
import { PhotoStore } from './photos/photo-store';
import { PhotosController } from './photos/photos.controller';

/**
 * Starts and stops what runs beside the HTTP server: the outbox relay to Kafka, the consumer of the
 * registry's enrolment events (who goes on the gates), and the periodic work: offline detection,
 * command retries, retention.
 */
@Injectable()
class GatewayRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private relay?: OutboxRelay;
  private consumer?: IdempotentConsumer;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Database,
    private readonly devices: DeviceRepository,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly gatePersons: GatePersons,
    private readonly photos: PhotoStore,
    private readonly backfills: Backfills,
    private readonly readiness: Readiness,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const d of this.config.GATEWAY_DEVICES) await this.devices.upsert(d);
    const kafka = createKafka({
      brokers: this.config.KAFKA_BROKERS,
      clientId: 'device-gateway',
      log: (level, message, extra) => this.logger.event(level, `kafka: ${message}`, extra),
    });
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const enrolments = withTopicPrefix(prefix, Topics.registryEnrolments);
    const dlq = withTopicPrefix(prefix, deadLetterTopic(this.config.KAFKA_GROUP_ID));
    await ensureTopics(kafka, [
      withTopicPrefix(prefix, Topics.devicePunches),
      withTopicPrefix(prefix, Topics.deviceStatus),
      enrolments,
      dlq,
    ]);
    this.relay = new OutboxRelay(this.db, {
      schema: this.config.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry: this.registry,
      onError: (err) =>
        this.logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    await this.relay.start();
    this.consumer = new IdempotentConsumer(this.db, {
      kafka,
      groupId: this.config.KAFKA_GROUP_ID,
      topics: [enrolments.name],
      deadLetterTopic: dlq.name,
      schema: this.config.DATABASE_SCHEMA,
      handler: (tx, event) => this.gatePersons.handle(tx, event),
      sessionTimeoutMs: this.config.KAFKA_SESSION_TIMEOUT_MS,
      registry: this.registry,
      log: (level, message, extra) => this.logger.event(level, message, extra),
    });
    await this.consumer.start();
    this.every(this.config.PRESENCE_CHECK_INTERVAL_S * 1000, 'presence and command retries', async () => {
      const offline = await this.presence.sweep();
      if (offline.length) this.logger.event('warn', 'devices went offline', { devices: offline });
      await this.commands.expire();
    });
    this.every(15 * 60_000, 'daily reconcile', async () => {
      const requested = await this.backfills.reconcileDaily(
        new Date(),
        this.config.DAILY_RECONCILE_FAMILIES,
        this.config.DAILY_RECONCILE_AFTER_HOUR,
      );
      if (requested.length)
        this.logger.event('info', 'daily reconcile: record queries requested', {
          devices: requested.map((b) => b.deviceId),
        });
    });
    this.every(3600_000, 'retention', async () => {
      const photos = await this.photos.purge(this.config.PHOTO_RETENTION_DAYS);
      const days = this.config.RAW_REQUEST_RETENTION_DAYS;
      const raw =
        days > 0
          ? await this.db.execute(
              `DELETE FROM ${this.config.DATABASE_SCHEMA}.raw_requests WHERE received_at < now() - make_interval(days => $1)`,
              [days],
            )
          : 0;
      if (photos || raw)
        this.logger.event('info', 'retention: deleted old photos and raw requests', { photos, raw });
    });
    this.readiness.register('postgres', () => this.db.ping());
  }

  /** Runs after the HTTP server has finished its in-flight requests. */
  async onApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.consumer?.stop();
    await this.relay?.stop();
    await this.db.close();
    this.logger.event('info', 'stopped');
  }

  private every(ms: number, what: string, job: () => Promise<void>) {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      job()
        .catch((err) => this.logger.event('warn', `${what} failed, will retry`, { error: String(err) }))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
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
      ],
      controllers: [OpenProtocolController, DevicesController, PhotosController, ...FAMILY_CONTROLLERS],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: 'device-gateway',
              schema,
              migrations: gatewayMigrations,
            }),
        },
        {
          provide: DeviceRepository,
          useFactory: (db: Database) => new DeviceRepository(db, schema),
          inject: [Database],
        },
        {
          provide: PhotoStore,
          useFactory: (db: Database) => new PhotoStore(db, schema, config.PHOTO_MAX_BYTES),
          inject: [Database],
        },
        {
          provide: PunchIngestion,
          useFactory: (db: Database, photos: PhotoStore) =>
            new PunchIngestion(db, schema, photos, config.PUNCH_COLLAPSE_WINDOW_S * 1000, shared.registry, {
              concurrency: config.INGEST_CONCURRENCY,
              maxRequests: 500,
              maxPunches: 5000,
            }),
          inject: [Database, PhotoStore],
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
                { url: config.REGISTRY_URL, token: config.REGISTRY_PHOTO_TOKEN },
                shared.logger,
              ),
            ),
          inject: [Database, CommandQueue, PhotoStore],
        },
        AdminAuthGuard,
        GatewayRuntime,
      ],
    };
  }
}
