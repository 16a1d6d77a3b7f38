import { randomBytes } from 'node:crypto';

/** Where the real servers of a test run are. */
export interface TestInfrastructure {
  postgresUrl: string;
  clickhouseUrl: string;
  kafkaBrokers: string[];
  /** Stops what this helper started (testcontainers); the local stack is left running. */
  stop(): Promise<void>;
}

let shared: Promise<TestInfrastructure> | undefined;

/**
 * The one way tests find their servers. By default the local stack (deploy/local/stack.sh), whose
 * addresses come from REALNAME_PG_URL, REALNAME_CLICKHOUSE_URL and REALNAME_KAFKA_BROKERS or the stack's
 * default ports. With REALNAME_TEST_INFRA=testcontainers (machines with Docker) the same three servers
 * are started as containers instead.
 */
export function testInfrastructure(): Promise<TestInfrastructure> {
  shared ??=
    process.env.REALNAME_TEST_INFRA === 'testcontainers' ? startContainers() : Promise.resolve(localStack());
  return shared;
}

function localStack(): TestInfrastructure {
  return {
    postgresUrl: process.env.REALNAME_PG_URL ?? 'postgres://realname:realname@127.0.0.1:55432/realname',
    clickhouseUrl: process.env.REALNAME_CLICKHOUSE_URL ?? 'http://127.0.0.1:58123',
    kafkaBrokers: (process.env.REALNAME_KAFKA_BROKERS ?? '127.0.0.1:59092').split(','),
    stop: async () => undefined,
  };
}

async function startContainers(): Promise<TestInfrastructure> {
  // Loaded only here: the local-stack path must not need Docker's client libraries to be usable.
  const { GenericContainer, Wait } = await import('testcontainers');
  const pg = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_USER: 'realname', POSTGRES_PASSWORD: 'realname', POSTGRES_DB: 'realname' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const ch = await new GenericContainer('clickhouse/clickhouse-server:24.8')
    .withExposedPorts(8123)
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start();
  const kafkaPort = 39092;
  const kafka = await new GenericContainer('apache/kafka:3.9.1')
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  return {
    postgresUrl: `postgres://realname:realname@${pg.getHost()}:${pg.getMappedPort(5432)}/realname`,
    clickhouseUrl: `http://${ch.getHost()}:${ch.getMappedPort(8123)}`,
    kafkaBrokers: [`${kafka.getHost()}:${kafkaPort}`],
    stop: async () => {
      await Promise.all([pg.stop(), ch.stop(), kafka.stop()]);
    },
  };
}

/** A name no other test run uses: for schemas, databases, topics and consumer groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Polls until check returns a value other than undefined/false, or fails with the last value seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
  throw new Error(
    `timed out waiting for ${opts.what ?? 'condition'}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}
