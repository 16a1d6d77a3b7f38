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
import {
  createKafka,
  Database,
  ensureTopics,
  EventStore,
  connectMigrated,
  OutboxRelay,
} from '@realname/eventstore';
import { PersonalDataVault } from '@realname/personal-data';
import {
  JsonLogger,
  LOGGER,
  METRICS_REGISTRY,
  PlatformModule,
  Readiness,
  SERVICE_CONFIG,
} from '@realname/platform';
import { HeadPhotoController } from './api/head-photo.controller';
import { IdentityRevealsController } from './api/identity-reveals.controller';
import { PeopleController } from './api/people.controller';
import { ProjectsController } from './api/projects.controller';
import { RegistryGrpcController } from './api/registry.grpc.controller';
import { EnrolmentService } from './enrolments/enrolment-service';
import type { RegistryConfig } from './config';
import { HttpIntegrityPlatform } from './integrity/integrity-platform';
import { IntegritySync } from './integrity/integrity-sync';
import { registryMigrations } from './migrations';
import { ProjectQueries } from './projects/project-queries';
import { ProjectRepository } from './projects/project-repository';
import { IdentityReveals } from './workers/identity-reveals';
import { RevealAccess } from './workers/reveal-access';
import { WorkerQueries } from './workers/worker-queries';

/** The outbox relay and the scheduled integrity sync, started and stopped with the service. */
@Injectable()
class RegistryRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private relay?: OutboxRelay;

  constructor(
    private readonly db: Database,
    private readonly sync: IntegritySync,
    private readonly readiness: Readiness,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const kafka = createKafka({
      brokers: c.KAFKA_BROKERS,
      clientId: 'worker-registry',
      log: (level, message, extra) => this.logger.event(level, `kafka: ${message}`, extra),
    });
    const prefix = c.KAFKA_TOPIC_PREFIX;
    await ensureTopics(kafka, [
      withTopicPrefix(prefix, Topics.registryProjects),
      withTopicPrefix(prefix, Topics.registryEnrolments),
    ]);
    this.relay = new OutboxRelay(this.db, {
      schema: c.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry: this.registry,
      onError: (err) =>
        this.logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
    });
    await this.relay.start();
    this.sync.schedule(c.INTEGRITY_SYNC_INTERVAL_S);
    this.readiness.register('postgres', () => this.db.ping());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sync.stop();
    await this.relay?.stop();
    await this.db.close();
    this.logger.event('info', 'stopped');
  }
}

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, shared: { logger: JsonLogger; registry: Registry }): DynamicModule {
    const schema = config.DATABASE_SCHEMA;
    return {
      module: RegistryModule,
      imports: [
        PlatformModule.forRoot({
          service: 'worker-registry',
          config,
          logger: shared.logger,
          registry: shared.registry,
        }),
      ],
      controllers: [
        ProjectsController,
        PeopleController,
        IdentityRevealsController,
        HeadPhotoController,
        RegistryGrpcController,
      ],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: 'worker-registry',
              schema: schema,
              migrations: registryMigrations,
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
        {
          provide: ProjectRepository,
          useFactory: (db: Database) => new ProjectRepository(new EventStore(db, schema), schema),
          inject: [Database],
        },
        {
          provide: ProjectQueries,
          useFactory: (db: Database) => new ProjectQueries(db, schema),
          inject: [Database],
        },
        {
          provide: IntegritySync,
          useFactory: (db: Database, projects: ProjectRepository, vault: PersonalDataVault) =>
            new IntegritySync(
              db,
              schema,
              new HttpIntegrityPlatform(
                config.INTEGRITY_URL,
                config.INTEGRITY_API_KEY,
                config.INTEGRITY_TIMEOUT_MS,
              ),
              projects,
              vault,
              {
                pageSize: config.INTEGRITY_PAGE_SIZE,
                log: (msg, fields) => shared.logger.event('warn', msg, fields as Record<string, unknown>),
              },
              shared.registry,
            ),
          inject: [Database, ProjectRepository, PersonalDataVault],
        },
        {
          provide: EnrolmentService,
          useFactory: (db: Database, vault: PersonalDataVault, projects: ProjectRepository) =>
            new EnrolmentService(db, schema, vault, projects),
          inject: [Database, PersonalDataVault, ProjectRepository],
        },
        {
          provide: WorkerQueries,
          useFactory: (db: Database, vault: PersonalDataVault) => new WorkerQueries(db, schema, vault),
          inject: [Database, PersonalDataVault],
        },
        {
          provide: IdentityReveals,
          useFactory: (db: Database, vault: PersonalDataVault) =>
            new IdentityReveals(
              db,
              schema,
              vault,
              new RevealAccess(config.REGISTRY_REVEAL_TOKENS),
              (level, msg, fields) => shared.logger.event(level, msg, fields),
            ),
          inject: [Database, PersonalDataVault],
        },
        RegistryRuntime,
      ],
    };
  }
}
