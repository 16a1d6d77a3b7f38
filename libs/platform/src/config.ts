import { z } from 'zod';

/** Marks a configuration variable as secret: never printed, never logged. */
export function secret<T extends z.ZodTypeAny>(schema: T): T {
  return schema.describe('secret') as T;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `the service cannot start: ${problems.length} configuration variable(s) are wrong\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigurationError';
  }
}

/**
 * Validates the environment against the service's configuration schema, all at once: a service with
 * bad configuration refuses to start and lists every bad variable, not just the first.
 */
export function loadConfig<T extends z.ZodObject<z.ZodRawShape>>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): z.infer<T> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    input[key] = v === '' ? undefined : v;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigurationError(
    result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(config)'),
      message:
        issue.code === 'invalid_type' && issue.received === 'undefined'
          ? 'is required but not set'
          : issue.message,
    })),
  );
}

/** The configuration as it may be logged: secrets replaced by `***`. */
export function redactConfig<T extends z.ZodObject<z.ZodRawShape>>(
  schema: T,
  config: z.infer<T>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    out[key] =
      (field as z.ZodTypeAny).description === 'secret' ? '***' : (config as Record<string, unknown>)[key];
  }
  return out;
}

/** Common variables' parsers. */
export const env = {
  port: (def: number) => z.coerce.number().int().min(1).max(65535).default(def),
  url: () => z.string().url('must be a URL such as postgres://user:pass@host:5432/db'),
  brokers: () =>
    z
      .string()
      .min(1)
      .transform((s) => s.split(',').map((b) => b.trim()))
      .refine((list) => list.every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be host:port[,host:port...]'),
  region: () =>
    z.string().regex(/^\d{6}$/, 'must be a six-digit administrative division code such as 330100'),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};

/**
 * Variables every event-sourced service has: its PostgreSQL schema and pool, Kafka, and the log level.
 * Spread into the service's own schema: `z.object({ ...serviceBaseConfig('attendance'), ... })`.
 */
export function serviceBaseConfig(defaultSchema: string, defaultPoolSize = 20) {
  return {
    DATABASE_URL: secret(env.url()),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
      .default(defaultSchema),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(defaultPoolSize),
    KAFKA_BROKERS: env.brokers(),
    /** Prepended to every topic name, for environments sharing one cluster (e.g. `staging.`). */
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[a-z0-9._-]*$/, 'may hold only a-z, 0-9, dot, underscore and hyphen')
      .default(''),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  };
}
