import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { prefixedTopicRouter, topicOf, Topics, withTopicPrefix } from '@realname/contracts';
import { createKafka, Database, ensureTopics, connectMigrated, OutboxRelay } from '@realname/eventstore';
import {
  JsonLogger,
  LOGGER,
  METRICS_REGISTRY,
  PlatformModule,
  Readiness,
  SERVICE_CONFIG,
} from '@realname/platform';
import type { GatewayConfig } from './config';
import { DeviceRepository } from './devices/device-repository';
import { DevicesController } from './devices/devices.controller';
import { AdminAuthGuard } from './devices/admin-auth.guard';
import { PunchIngestion } from './ingest/punch-ingestion';
import { gatewayMigrations } from './migrations';
import { OpenProtocolController } from './open-protocol/open-protocol.controller';

/** Starts and stops what runs beside the HTTP server: the outbox relay to Kafka. */
@Injectable()
class GatewayRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private relay?: OutboxRelay;

  constructor(
    private readonly db: Database,
    private readonly devices: DeviceRepository,
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
    await ensureTopics(kafka, [withTopicPrefix(prefix, Topics.devicePunches)]);
    this.relay = new OutboxRelay(this.db, {
      schema: this.config.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry: this.registry,
      onError: (err) =>
        this.logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    await this.relay.start();
    this.readiness.register('postgres', () => this.db.ping());
  }

  /** Runs after the HTTP server has finished its in-flight requests. */
  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.db.close();
    this.logger.event('info', 'stopped');
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, shared: { logger: JsonLogger; registry: Registry }): DynamicModule {
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
      controllers: [OpenProtocolController, DevicesController],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: 'device-gateway',
              schema: config.DATABASE_SCHEMA,
              migrations: gatewayMigrations,
            }),
        },
        {
          provide: DeviceRepository,
          useFactory: (db: Database) => new DeviceRepository(db, config.DATABASE_SCHEMA),
          inject: [Database],
        },
        {
          provide: PunchIngestion,
          useFactory: (db: Database) => new PunchIngestion(db, config.DATABASE_SCHEMA, shared.registry),
          inject: [Database],
        },
        AdminAuthGuard,
        GatewayRuntime,
      ],
    };
  }
}
