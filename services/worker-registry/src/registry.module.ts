import { DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
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
import type { RegistryConfig } from './config';
import { EnrolmentsGrpc } from './enrolments/enrolments.grpc';
import { EnrolmentCommands } from './enrolments/enrolments.handler';
import { EnrolmentsRepository } from './enrolments/enrolments.repository';
import { EnrolmentsRest } from './enrolments/enrolments.rest';
import { EnterpriseCommands } from './enterprises/enterprises.handler';
import { EnterprisesRepository } from './enterprises/enterprises.repository';
import { EnterprisesRest } from './enterprises/enterprises.rest';
import { HttpIntegrityPlatform } from './integrity/integrity-platform';
import { IntegritySync } from './integrity/integrity-sync';
import { IntegritySyncRest } from './integrity/integrity-sync.rest';
import { registryMigrations } from './migrations';
import { ProjectLocalDetails } from './projects/project-local-details';
import { ProjectQueries } from './projects/project-queries';
import { ProjectsGrpc } from './projects/projects.grpc';
import { ProjectCommands } from './projects/projects.handler';
import { ProjectRepository } from './projects/projects.repository';
import { ProjectsRest } from './projects/projects.rest';
import { HeadPhotoRest } from './workers/head-photo.rest';
import { IdentityReveals } from './workers/identity-reveals';
import { IdentityRevealsRest } from './workers/identity-reveals.rest';
import { WorkerQueries } from './workers/worker-queries';
import { WorkersGrpc } from './workers/workers.grpc';
import { WorkerCommands } from './workers/workers.handler';
import { WorkersRepository } from './workers/workers.repository';
import { WorkersRest } from './workers/workers.rest';

/**
 * What the registry runs beside its APIs, given to the platform's runtime: the outbox relay (in the
 * background: it waits for Kafka) and the scheduled integrity sync. PostgreSQL is required; Kafka is
 * not (the outbox keeps what is to be published).
 */
@Injectable()
class RegistryRuntime implements ServiceDeclaration {
  readonly components: ServiceComponent[];
  readonly dependencies: Dependency[];

  constructor(
    db: Database,
    sync: IntegritySync,
    @Inject(SERVICE_CONFIG) c: RegistryConfig,
    @Inject(LOGGER) logger: JsonLogger,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const kafka = createKafka({
      brokers: c.KAFKA_BROKERS,
      security: kafkaSecurityOf(c),
      clientId: 'worker-registry',
      log: (level, message, extra) => logger.event(level, `kafka: ${message}`, extra),
    });
    const prefix = c.KAFKA_TOPIC_PREFIX;
    const relay = new OutboxRelay(db, {
      schema: c.DATABASE_SCHEMA,
      kafka,
      topicFor: prefixedTopicRouter(prefix, topicOf),
      registry,
      onError: (err) =>
        logger.event('warn', 'outbox relay: publishing failed, will retry', { error: String(err) }),
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
          await ensureTopics(kafka, [
            withTopicPrefix(prefix, Topics.registryProjects),
            withTopicPrefix(prefix, Topics.registryEnrolments),
          ]);
          await relay.start();
        },
        stop: () => relay.stop(),
      },
      {
        name: 'integrity sync scheduler',
        start: () => sync.schedule(c.INTEGRITY_SYNC_INTERVAL_S),
        stop: () => sync.stop(),
      },
    ];
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
        ResourceServerModule.forRoot(resourceServerOptions(config)),
      ],
      controllers: [
        ProjectsRest,
        EnterprisesRest,
        IntegritySyncRest,
        WorkersRest,
        IdentityRevealsRest,
        HeadPhotoRest,
        EnrolmentsRest,
        ProjectsGrpc,
        WorkersGrpc,
        EnrolmentsGrpc,
      ],
      providers: [
        {
          provide: Database,
          useFactory: () =>
            connectMigrated({
              url: config.DATABASE_URL,
              poolSize: config.DATABASE_POOL_SIZE,
              ...databaseTimeoutsOf(config),
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
          provide: ProjectLocalDetails,
          useFactory: (db: Database) => new ProjectLocalDetails(db, schema),
          inject: [Database],
        },
        {
          provide: ProjectCommands,
          useFactory: (db: Database, projects: ProjectRepository, vault: PersonalDataVault) =>
            new ProjectCommands(db, projects, vault),
          inject: [Database, ProjectRepository, PersonalDataVault],
        },
        {
          provide: WorkersRepository,
          useFactory: (db: Database, vault: PersonalDataVault) => new WorkersRepository(db, schema, vault),
          inject: [Database, PersonalDataVault],
        },
        {
          provide: WorkerCommands,
          useFactory: (db: Database, workers: WorkersRepository, vault: PersonalDataVault) =>
            new WorkerCommands(db, workers, vault),
          inject: [Database, WorkersRepository, PersonalDataVault],
        },
        {
          provide: EnrolmentsRepository,
          useFactory: (db: Database, vault: PersonalDataVault) => new EnrolmentsRepository(db, schema, vault),
          inject: [Database, PersonalDataVault],
        },
        {
          provide: EnrolmentCommands,
          useFactory: (db: Database, enrolments: EnrolmentsRepository) =>
            new EnrolmentCommands(db, enrolments),
          inject: [Database, EnrolmentsRepository],
        },
        {
          provide: EnterprisesRepository,
          useFactory: (db: Database) => new EnterprisesRepository(db, schema),
          inject: [Database],
        },
        {
          provide: EnterpriseCommands,
          useFactory: (db: Database, enterprises: EnterprisesRepository) =>
            new EnterpriseCommands(db, enterprises),
          inject: [Database, EnterprisesRepository],
        },
        {
          provide: WorkerQueries,
          useFactory: (db: Database, vault: PersonalDataVault) => new WorkerQueries(db, schema, vault),
          inject: [Database, PersonalDataVault],
        },
        {
          provide: IdentityReveals,
          useFactory: (db: Database, vault: PersonalDataVault) =>
            new IdentityReveals(db, schema, vault, (level, msg, fields) =>
              shared.logger.event(level, msg, fields),
            ),
          inject: [Database, PersonalDataVault],
        },
        { provide: SERVICE_DECLARATION, useClass: RegistryRuntime },
      ],
    };
  }
}
