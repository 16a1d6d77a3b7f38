import { OpsError } from './errors';

/**
 * Connection settings, from the same environment variables the services read (services/*\/src/config.ts,
 * libs/platform serviceBaseConfig). Each is checked when a command first needs it, and a missing or
 * malformed one is named together with what to do.
 */
export interface OpsEnvironment {
  databaseUrl(): string;
  /** DATABASE_SCHEMA, or undefined (commands then use their own default or discover). */
  databaseSchema(): string | undefined;
  kafkaBrokers(): string[];
  kafkaTopicPrefix(): string;
  clickhouse(): { url: string; user: string; password: string; database: string } | undefined;
}

const LOCAL_STACK_HINT =
  'For the local stack: eval "$(bash deploy/local/stack.sh env)" && export DATABASE_URL=$REALNAME_PG_URL ' +
  'KAFKA_BROKERS=$REALNAME_KAFKA_BROKERS CLICKHOUSE_URL=$REALNAME_CLICKHOUSE_URL';

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

export function opsEnvironment(env: Record<string, string | undefined> = process.env): OpsEnvironment {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const required = (name: string, example: string) => {
    const v = get(name);
    if (!v)
      throw new OpsError(
        `${name} is not set: set it to the value the services use (e.g. ${name}=${example}). ${LOCAL_STACK_HINT}`,
      );
    return v;
  };
  return {
    databaseUrl() {
      const url = required('DATABASE_URL', 'postgres://user:password@host:5432/realname');
      if (!/^postgres(ql)?:\/\//.test(url))
        throw new OpsError(
          `DATABASE_URL must be a postgres:// URL such as postgres://user:password@host:5432/realname`,
        );
      return url;
    },
    databaseSchema() {
      const s = get('DATABASE_SCHEMA');
      if (s !== undefined && !SCHEMA.test(s))
        throw new OpsError(`DATABASE_SCHEMA "${s}" must be a lower-case SQL identifier (letters, digits, _)`);
      return s;
    },
    kafkaBrokers() {
      const brokers = required('KAFKA_BROKERS', '127.0.0.1:9092,127.0.0.2:9092')
        .split(',')
        .map((b) => b.trim());
      const bad = brokers.filter((b) => !/^[^:\s]+:\d+$/.test(b));
      if (bad.length > 0)
        throw new OpsError(
          `KAFKA_BROKERS must be host:port[,host:port...]; not understood: ${bad.join(', ')}`,
        );
      return brokers;
    },
    kafkaTopicPrefix() {
      const p = get('KAFKA_TOPIC_PREFIX') ?? '';
      if (!/^[a-z0-9._-]*$/.test(p))
        throw new OpsError(
          `KAFKA_TOPIC_PREFIX "${p}" may hold only a-z, 0-9, dot, underscore and hyphen (use the services' value)`,
        );
      return p;
    },
    clickhouse() {
      const url = get('CLICKHOUSE_URL');
      if (!url) return undefined;
      if (!/^https?:\/\//.test(url))
        throw new OpsError(`CLICKHOUSE_URL must be an http(s):// URL such as http://127.0.0.1:8123`);
      const database = get('CLICKHOUSE_DATABASE') ?? 'realname';
      if (!SCHEMA.test(database))
        throw new OpsError(`CLICKHOUSE_DATABASE "${database}" must be a lower-case identifier`);
      return {
        url,
        user: get('CLICKHOUSE_USER') ?? 'default',
        password: env.CLICKHOUSE_PASSWORD ?? '',
        database,
      };
    },
  };
}

/** Checks a schema name given on the command line. */
export function schemaName(value: string, flag: string): string {
  if (!SCHEMA.test(value))
    throw new OpsError(`${flag} "${value}" must be a lower-case SQL identifier (letters, digits, _)`);
  return value;
}
