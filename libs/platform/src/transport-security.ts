import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigurationError, env, secret } from './config';

/**
 * Variables every service has for how it talks to PostgreSQL, Kafka and its gRPC clients, beyond the
 * addresses: statement timeouts, Kafka SASL/TLS, gRPC server TLS. Plain text stays the local default;
 * a province's deployment turns TLS and SASL on by configuration. Spread into the service's schema:
 * `z.object({ ...serviceBaseConfig('x'), ...transportSecurityConfig(), ... })`.
 */
export function transportSecurityConfig() {
  return {
    /** Any SQL statement of the service's pool running longer than this is cancelled (0: no limit). */
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    /** The same for the migrations run at start, on their own connection (0: no limit). */
    DATABASE_MIGRATION_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
    /** TLS to the Kafka brokers. */
    KAFKA_SSL: env.bool(false),
    /** PEM file of the CA that signed the brokers' certificates (default: the system's CAs). */
    KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
    /** SASL authentication to the brokers: `plain`, `scram-sha-256` or `scram-sha-512` (unset: none). */
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: secret(z.string().min(1).optional()),
    /** PEM certificate chain and key of the gRPC server: both set, the server speaks only TLS. */
    GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
    GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
    /** PEM file of the CA of client certificates: set, every gRPC client must present one (mutual TLS). */
    GRPC_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  };
}

export type TransportSecurityConfig = z.infer<z.ZodObject<ReturnType<typeof transportSecurityConfig>>>;

/** What Database.connect / connectMigrated take from the configuration. */
export function databaseTimeoutsOf(c: TransportSecurityConfig): {
  statementTimeoutMs: number;
  migrationStatementTimeoutMs: number;
} {
  return {
    statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
    migrationStatementTimeoutMs: c.DATABASE_MIGRATION_STATEMENT_TIMEOUT_MS,
  };
}

type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSecurity {
  /** true: TLS with the system's CAs; an object: TLS trusting these CAs. */
  ssl?: boolean | { ca: string[] };
  sasl?: { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];
}

/** The Kafka client's TLS and SASL settings (createKafka's `security`); {} for plain text. */
export function kafkaSecurityOf(c: TransportSecurityConfig): KafkaSecurity {
  const problems: { variable: string; message: string }[] = [];
  const out: KafkaSecurity = {};
  if (c.KAFKA_SSL_CA_FILE && !c.KAFKA_SSL)
    problems.push({ variable: 'KAFKA_SSL_CA_FILE', message: 'is set but KAFKA_SSL is not true' });
  if (c.KAFKA_SSL)
    out.ssl = c.KAFKA_SSL_CA_FILE
      ? { ca: [readPem('KAFKA_SSL_CA_FILE', c.KAFKA_SSL_CA_FILE, problems)] }
      : true;
  if (c.KAFKA_SASL_MECHANISM) {
    if (!c.KAFKA_SASL_USERNAME)
      problems.push({ variable: 'KAFKA_SASL_USERNAME', message: 'is required with KAFKA_SASL_MECHANISM' });
    if (!c.KAFKA_SASL_PASSWORD)
      problems.push({ variable: 'KAFKA_SASL_PASSWORD', message: 'is required with KAFKA_SASL_MECHANISM' });
    out.sasl = {
      mechanism: c.KAFKA_SASL_MECHANISM,
      username: c.KAFKA_SASL_USERNAME ?? '',
      password: c.KAFKA_SASL_PASSWORD ?? '',
    } as NonNullable<KafkaSecurity['sasl']>;
  } else if (c.KAFKA_SASL_USERNAME || c.KAFKA_SASL_PASSWORD) {
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      message: 'is required when a SASL user name or password is set (plain, scram-sha-256, scram-sha-512)',
    });
  }
  if (problems.length) throw new ConfigurationError(problems);
  return out;
}

export interface GrpcServerTls {
  /** PEM certificate chain of the server. */
  cert: Buffer;
  /** PEM private key of the server. */
  key: Buffer;
  /** PEM CA of client certificates: when set, clients must present a certificate it signed (mutual TLS). */
  clientCa?: Buffer;
}

/** The gRPC server's TLS (GrpcServerSpec `tls`), read from the files configured; undefined: plain text. */
export function grpcServerTlsOf(c: TransportSecurityConfig): GrpcServerTls | undefined {
  const problems: { variable: string; message: string }[] = [];
  const { GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile, GRPC_TLS_CLIENT_CA_FILE: caFile } = c;
  if (!certFile && !keyFile) {
    if (caFile)
      throw new ConfigurationError([
        { variable: 'GRPC_TLS_CLIENT_CA_FILE', message: 'needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE' },
      ]);
    return undefined;
  }
  if (!certFile)
    problems.push({ variable: 'GRPC_TLS_CERT_FILE', message: 'is required with GRPC_TLS_KEY_FILE' });
  if (!keyFile)
    problems.push({ variable: 'GRPC_TLS_KEY_FILE', message: 'is required with GRPC_TLS_CERT_FILE' });
  const tls = {
    cert: Buffer.from(certFile ? readPem('GRPC_TLS_CERT_FILE', certFile, problems) : ''),
    key: Buffer.from(keyFile ? readPem('GRPC_TLS_KEY_FILE', keyFile, problems) : ''),
    ...(caFile ? { clientCa: Buffer.from(readPem('GRPC_TLS_CLIENT_CA_FILE', caFile, problems)) } : {}),
  };
  if (problems.length) throw new ConfigurationError(problems);
  return tls;
}

function readPem(variable: string, file: string, problems: { variable: string; message: string }[]): string {
  try {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('-----BEGIN ')) problems.push({ variable, message: `${file} is not a PEM file` });
    return text;
  } catch (err) {
    problems.push({ variable, message: `${file} cannot be read: ${(err as Error).message}` });
    return '';
  }
}
