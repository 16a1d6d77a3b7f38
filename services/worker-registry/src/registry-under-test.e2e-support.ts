// Shared by the registry's end-to-end tests (not part of the build: see tsconfig.json).
import { randomBytes } from 'node:crypto';
import type { TestInfrastructure } from '@realname/testing';

/** The environment of a registry process under test: its own schema, topic prefix, ports and keys. */
export function registryTestEnv(
  o: {
    run: string;
    port: number;
    grpcUrl: string;
    infra: TestInfrastructure;
    integrity: { url: string; apiKey: string };
  },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REGISTRY_HTTP_PORT: String(o.port),
    REGISTRY_GRPC_URL: o.grpcUrl,
    DATABASE_URL: o.infra.postgresUrl,
    DATABASE_SCHEMA: `reg_${o.run}`,
    KAFKA_BROKERS: o.infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${o.run}.`,
    INTEGRITY_URL: o.integrity.url,
    INTEGRITY_API_KEY: o.integrity.apiKey,
    INTEGRITY_SYNC_INTERVAL_S: '0',
    PII_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    PII_ACTIVE_KEY_ID: 'k1',
    PII_HASH_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}
