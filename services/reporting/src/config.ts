import { z } from 'zod';
import { authConfig, env, secret, serviceBaseConfig, transportSecurityConfig } from '@realname/platform';

/** The uplink targets this build knows; a target is switched on by naming it in UPLINK_TARGETS. */
export const KNOWN_UPLINK_TARGETS = ['national'] as const;
export type UplinkTargetId = (typeof KNOWN_UPLINK_TARGETS)[number];

/**
 * `UPLINK_TARGETS`: comma-separated `target=endpoint` pairs, e.g.
 * `national=https://platform.example.gov.cn/open.api`; empty switches every uplink off. Ledger rows
 * are made only for switched-on targets, so a target switched on later needs the topics replayed.
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
});
export type ReportingConfig = z.infer<typeof ReportingConfigSchema>;
