import type { Admin, Kafka } from 'kafkajs';
import { cachedCheck, Dependency } from './health';
import type { ServiceComponent } from './runtime';

/** PostgreSQL through the service's pool: a `SELECT 1`. */
export function postgresDependency(db: { ping(): Promise<boolean> }, required = true): Dependency {
  return { name: 'postgres', required, check: cachedCheck(() => db.ping(), 1_000) };
}

/** ClickHouse through its HTTP client's ping. */
export function clickHouseDependency(
  client: { ping(): Promise<{ success: boolean; error?: Error } | { success: true }> },
  required = false,
): Dependency {
  return {
    name: 'clickhouse',
    required,
    check: cachedCheck(async () => {
      const r = await client.ping();
      return r.success || ('error' in r && r.error ? r.error.message : 'unreachable');
    }),
  };
}

/**
 * Whether the Kafka cluster answers: one admin connection of its own (no retries, so a check never
 * hangs in the client's back-off) asking for the cluster's metadata, at most every couple of seconds.
 * Declare it as a component too, so its connection is closed at shutdown.
 */
export class KafkaProbe implements ServiceComponent {
  readonly name = 'kafka readiness probe';
  private admin?: Admin;
  private readonly check: () => Promise<boolean | string>;

  constructor(
    private readonly kafka: Kafka,
    ttlMs = 2_000,
  ) {
    this.check = cachedCheck(() => this.describe(), ttlMs);
  }

  dependency(required: boolean): Dependency {
    return { name: 'kafka', required, check: this.check };
  }

  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async describe(): Promise<boolean | string> {
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin({ retry: { retries: 0 } });
        await this.admin.connect();
      }
      const cluster = await this.admin.describeCluster();
      return cluster.brokers.length > 0 || 'no brokers in the cluster metadata';
    } catch (err) {
      // A broken connection is not reused: the next check connects again.
      await this.stop();
      throw err;
    }
  }
}
