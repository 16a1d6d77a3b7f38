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
import { DeviceFamily, DeviceRegistration } from './devices/device';

export const GatewayConfigSchema = z.object({
  GATEWAY_HTTP_HOST: z.string().default('127.0.0.1'),
  GATEWAY_HTTP_PORT: env.port(8081),
  ...serviceBaseConfig('gateway'),
  ...transportSecurityConfig(),
  // The admin API is an OAuth 2.0 resource server (docs/access.md); devices keep their own credentials.
  ...authConfig(),
  // The gateway's own client at the issuer, for the registry's head photos (needed with REGISTRY_URL).
  ...clientCredentialsConfig(),
  /** Devices to register at start: a JSON array of {deviceId, projectId, region, secret, timeZone?, defaultDirection?}. */
  GATEWAY_DEVICES: secret(
    z
      .string()
      .optional()
      .transform((text, ctx): DeviceRegistration[] => {
        if (!text) return [];
        let list: unknown;
        try {
          list = JSON.parse(text);
        } catch (err) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `is not valid JSON: ${(err as Error).message}`,
          });
          return z.NEVER;
        }
        const parsed = z.array(DeviceRegistration).safeParse(list);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `[${issue.path.join('.')}] ${issue.message}`,
          });
        }
        return z.NEVER;
      }),
  ),
  /** How far a signed request's timestamp may be from the gateway's clock, in seconds. */
  OPEN_PROTOCOL_TIMESTAMP_WINDOW_S: z.coerce.number().int().min(10).max(3600).default(300),
  OPEN_PROTOCOL_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  /** Seconds between open-v1 heartbeats that devices are told (`pollAfterS`). */
  OPEN_PROTOCOL_POLL_AFTER_S: z.coerce.number().int().min(1).max(3600).default(30),
  /** The URL devices and site agents reach the gateway at (shown in device registrations, used in photo links). */
  GATEWAY_PUBLIC_URL: env.url().optional(),
  /** Consumer group for the registry's enrolment events (who to push to the gates). */
  KAFKA_GROUP_ID: z.string().min(1).default('device-gateway'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /** Ingestion transactions in flight at once; requests arriving meanwhile are committed together. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** A device not heard from (heartbeat, poll, upload) for this long is offline. */
  DEVICE_OFFLINE_AFTER_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How often devices are checked for going offline and unanswered commands for retry. */
  PRESENCE_CHECK_INTERVAL_S: z.coerce.number().min(0.2).max(3600).default(15),
  /** A device clock further than this from the gateway's is reported (DeviceClockSkewChanged). */
  CLOCK_SKEW_TOLERANCE_S: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Punches without a record id: the same person on the same device within this window is one punch. 0: off. */
  PUNCH_COLLAPSE_WINDOW_S: z.coerce.number().min(0).max(600).default(10),
  /** Requests per second each device (unauthenticated requests: each address) may make; 0: no limit. */
  DEVICE_RATE_LIMIT_PER_S: z.coerce.number().min(0).max(1_000_000).default(100),
  /** Requests a device may make at once after a quiet spell (a backlog after being offline). */
  DEVICE_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(10_000_000).default(400),
  /** A backfill after an offline period starts this long before the device's last sign of life. */
  BACKFILL_MARGIN_S: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Families asked every day for the whole of the day before (devices that do not resend a lost record). */
  DAILY_RECONCILE_FAMILIES: z
    .string()
    .default('uface')
    .transform((text, ctx) => {
      const families = text
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      for (const f of families)
        if (!DeviceFamily.options.includes(f as DeviceFamily))
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `"${f}" is not a device family: use ${DeviceFamily.options.join(', ')} (comma separated), or empty for none`,
          });
      return families as DeviceFamily[];
    }),
  /** The daily reconcile runs after this local hour (0-23) of the device's zone. */
  DAILY_RECONCILE_AFTER_HOUR: z.coerce.number().int().min(0).max(23).default(2),
  /** Photos larger than this are not stored (the punch is kept). */
  PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(200 * 1024),
  /** Photos unused for this many days are deleted. */
  PHOTO_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  /** Raw device requests are kept this many days (0: for ever). */
  RAW_REQUEST_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
  /** Refused and ignored device requests: only the first this many bytes of the body are kept. */
  REFUSED_SAMPLE_BYTES: z.coerce.number().int().min(0).max(65_536).default(4096),
  /** Refused and ignored device requests are kept this many days (their counts per day stay 90 days). */
  REFUSED_RETENTION_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /** At most this many refused or ignored requests are kept per device and reason each minute (the rest only counted). */
  REFUSED_SAMPLES_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(30),
  /**
   * Keys of device secrets at rest (AES-256-GCM): `id:base64key,...`, each 32 bytes
   * (`openssl rand -base64 32`). Keep old ids listed until the gateway has started once with a new
   * active id (it re-encrypts every secret at start).
   */
  DEVICE_SECRET_KEYS: secret(z.string().min(1)),
  /** The key id new device secrets are encrypted with. */
  DEVICE_SECRET_ACTIVE_KEY_ID: z.string().min(1),
  /** A command sent to a device without an answer for this long is sent again. */
  COMMAND_ACK_TIMEOUT_S: z.coerce.number().min(1).max(86_400).default(120),
  COMMAND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** Wait before resending a command a device refused, times the attempt number. */
  COMMAND_RETRY_DELAY_S: z.coerce.number().min(0).max(3600).default(30),
  /** The worker registry, for workers' face photos; without it persons are pushed without a face. */
  REGISTRY_URL: env.url().optional(),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** Variables an earlier version took, and what replaced them: a start with one set warns. */
export const RETIRED_VARIABLES: Record<string, string> = {
  GATEWAY_ADMIN_TOKEN:
    'the admin API takes access tokens of OIDC_ISSUER_URL (role device-administrator and others, docs/access.md)',
  REGISTRY_PHOTO_TOKEN:
    "head photos are fetched with the gateway's client credentials (OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)",
};

/** The retired variables set in `env`, each with what replaced it. */
export function retiredVariablesSet(env: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(RETIRED_VARIABLES)
    .filter(([name]) => env[name])
    .map(([name, instead]) => `${name} is no longer used: ${instead}`);
}

/**
 * What the schema cannot say field by field (the platform merges it, so it stays a plain object): the
 * gateway fetches head photos from the registry as its own OAuth client, so REGISTRY_URL needs
 * OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, and either of those needs the other.
 */
export function checkGatewayConfig(config: GatewayConfig): GatewayConfig {
  const problems: { variable: string; message: string }[] = [];
  const id = Boolean(config.OIDC_CLIENT_ID);
  const secretSet = Boolean(config.OIDC_CLIENT_SECRET);
  if (id !== secretSet)
    problems.push({
      variable: id ? 'OIDC_CLIENT_SECRET' : 'OIDC_CLIENT_ID',
      message: `is required together with ${id ? 'OIDC_CLIENT_ID' : 'OIDC_CLIENT_SECRET'}: set both (the gateway's client at the issuer, e.g. svc-device-gateway) or neither`,
    });
  else if (config.REGISTRY_URL && !id)
    for (const variable of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'])
      problems.push({
        variable,
        message:
          "is required when REGISTRY_URL is set: the gateway fetches head photos from the registry with its own client's access token (role internal-service)",
      });
  if (problems.length) throw new ConfigurationError(problems);
  return config;
}
