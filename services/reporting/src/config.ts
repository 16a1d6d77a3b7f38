import { z } from 'zod';
import {
  authConfig,
  clientCredentialsConfig,
  ConfigurationError,
  env,
  secret,
  serviceBaseConfig,
  transportSecurityConfig,
} from '@realname/platform';
import { deadlineConfig } from './deadlines/deadline.config';

/** The uplink targets this build knows; a target is switched on by naming it in UPLINK_TARGETS. */
export const KNOWN_UPLINK_TARGETS = ['national', 'zhejiang', 'province-b'] as const;
export type UplinkTargetId = (typeof KNOWN_UPLINK_TARGETS)[number];

/**
 * `UPLINK_TARGETS`: comma-separated `target=endpoint` pairs, e.g.
 * `national=https://platform.example.gov.cn/open.api,zhejiang=https://…/open.api,province-b=https://…/api`
 * (national and Zhejiang: the `open.api` endpoint; Province B: the base URL of its resources); empty
 * switches every uplink off. Each target's profile, mapping and adapter are in uplinks/targets.ts.
 * Ledger rows are made only for switched-on targets, so a target switched on later needs the topics
 * replayed.
 * Local runs point `national` at the national simulator the demo or a test starts
 * (`national=http://127.0.0.1:<port>/open.api`); the service never starts a simulator itself (tools
 * stay out of deployed code).
 */
export const uplinkTargets = () =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      const targets: { target: UplinkTargetId; endpoint: string }[] = [];
      for (const part of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [target, endpoint, ...rest] = part.split('=');
        if (!KNOWN_UPLINK_TARGETS.includes(target as UplinkTargetId)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `"${target}" is not a known target (${KNOWN_UPLINK_TARGETS.join(', ')})`,
          });
          continue;
        }
        if (!endpoint || rest.length > 0 || !/^https?:\/\/\S+$/.test(endpoint)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `"${part}" must be target=http(s)://host/path`,
          });
          continue;
        }
        if (targets.some((t) => t.target === target)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `target "${target}" is listed twice` });
          continue;
        }
        targets.push({ target: target as UplinkTargetId, endpoint });
      }
      return targets;
    });

export const ReportingConfigSchema = z.object({
  REPORTING_HTTP_HOST: z.string().default('127.0.0.1'),
  REPORTING_HTTP_PORT: env.port(8084),
  /** gRPC (realname.reporting.v1): 9084 beside HTTP 8084, as attendance 9082 and the registry 9083. */
  REPORTING_GRPC_URL: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port such as 127.0.0.1:9084')
    .default('127.0.0.1:9084'),
  ...serviceBaseConfig('reporting'),
  ...transportSecurityConfig(),
  /** OAuth 2.0 resource server: OIDC_ISSUER_URL and OIDC_AUDIENCE are required (docs/access.md). */
  ...authConfig(),
  KAFKA_GROUP_ID: z.string().min(1).default('reporting'),
  /** A crashed replica's partitions move to the others after this long (the broker allows 6000-300000). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /** Credentials and workers' ID numbers are encrypted at rest with the personal-data keyring (as in the registry). */
  PII_KEYS: secret(z.string().min(1)),
  PII_ACTIVE_KEY_ID: z.string().min(1),
  PII_HASH_KEY: secret(z.string().min(1)),
  UPLINK_TARGETS: uplinkTargets(),
  /** How often the sender looks for due ledger rows (attendance goes up continuously, not nightly). */
  UPLOAD_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
  /** Ledger rows claimed per round (across kinds; calls are cut within each kind's batch limit). */
  UPLOAD_CLAIM_SIZE: z.coerce.number().int().min(1).max(5_000).default(200),
  /** A claimed row not settled within this long (the sender crashed) is claimed again. */
  UPLOAD_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
  /** First retry delay after a retriable failure; doubles per attempt up to UPLOAD_BACKOFF_MAX_MS. */
  UPLOAD_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  UPLOAD_BACKOFF_MAX_MS: z.coerce.number().int().min(10).max(3_600_000).default(300_000),
  /** How soon a sent row's serial code is asked about. */
  UPLOAD_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(2_000),
  /** A record waiting for what it depends on is looked at again after this long. */
  UPLOAD_WAIT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  /**
   * Sender rounds run side by side per target (claims are leased and skip locked rows, so two never take
   * the same row); a round's projects are called side by side too.
   */
  UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * Calls per second to one project's appid (the platform rate-limits each): calls are spaced so instead
   * of being refused with 429 and backed off. 0: not spaced.
   */
  UPLOAD_CALLS_PER_SECOND: z.coerce.number().min(0).max(1_000).default(0),
  /** The daily deadline tracker: UPLOAD_DEADLINES, DEADLINE_AT_RISK_MINUTES, ... (deadlines/deadline.config.ts). */
  ...deadlineConfig(),
  /**
   * The worker registry, for workers' ID numbers and head images (an audited reveal as reporting's own
   * client); without it they come only from what `worker_identities` holds.
   */
  REGISTRY_URL: env.url().optional(),
  // Reporting's own client at the issuer (locally svc-reporting), for the registry; needed with REGISTRY_URL.
  ...clientCredentialsConfig(),
});
export type ReportingConfig = z.infer<typeof ReportingConfigSchema>;

/**
 * What the schema cannot say field by field (the platform merges it, so it stays a plain object):
 * REGISTRY_URL needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, and either of those needs the other.
 */
export function checkReportingConfig(config: ReportingConfig): ReportingConfig {
  const problems: { variable: string; message: string }[] = [];
  const id = Boolean(config.OIDC_CLIENT_ID);
  const secretSet = Boolean(config.OIDC_CLIENT_SECRET);
  if (id !== secretSet)
    problems.push({
      variable: id ? 'OIDC_CLIENT_SECRET' : 'OIDC_CLIENT_ID',
      message: `is required together with ${id ? 'OIDC_CLIENT_ID' : 'OIDC_CLIENT_SECRET'}: set both (reporting's client at the issuer, e.g. svc-reporting) or neither`,
    });
  else if (config.REGISTRY_URL && !id)
    for (const variable of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'])
      problems.push({
        variable,
        message:
          "is required when REGISTRY_URL is set: reporting reveals workers' ID numbers in the registry with its own client's access token (role internal-service, permission reveal-identity)",
      });
  if (problems.length) throw new ConfigurationError(problems);
  return config;
}
