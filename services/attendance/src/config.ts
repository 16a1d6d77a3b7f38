import { z } from 'zod';
import { authConfig, env, secret, serviceBaseConfig, transportSecurityConfig } from '@realname/platform';

export const AttendanceConfigSchema = z.object({
  ATTENDANCE_HTTP_HOST: z.string().default('127.0.0.1'),
  ATTENDANCE_HTTP_PORT: env.port(8082),
  ATTENDANCE_GRPC_URL: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port such as 127.0.0.1:9082')
    .default('127.0.0.1:9082'),
  ...serviceBaseConfig('attendance'),
  ...transportSecurityConfig(),
  /** OAuth 2.0 resource server: OIDC_ISSUER_URL and OIDC_AUDIENCE are required (docs/access.md). */
  ...authConfig(),
  KAFKA_GROUP_ID: z.string().min(1).default('attendance'),
  /** A crashed replica's partitions move to the others after this long (the broker allows 6000-300000). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  CLICKHOUSE_URL: env.url(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: secret(z.string().default('')),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier')
    .default('realname'),
  /** Rows per ClickHouse insert at most; inserts are batched from the event store. */
  CLICKHOUSE_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(5000),
  /** How often due attendance days are finalised (and reopened days decided again). */
  TIMESHEET_FINALISE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** How many days back at most days without punches are looked at (absence), e.g. after a long outage. */
  TIMESHEET_SEED_DAYS: z.coerce.number().int().min(1).max(366).default(62),
  /** Attendance days decided per transaction. */
  TIMESHEET_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  /** How often payroll is reconciled against attendance (deadlines passed, attendance revised). */
  PAYROLL_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(600_000),
  CLICKHOUSE_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});
export type AttendanceConfig = z.infer<typeof AttendanceConfigSchema>;
