import { z } from 'zod';
import { authConfig, env, secret, serviceBaseConfig, transportSecurityConfig } from '@realname/platform';

export const RegistryConfigSchema = z.object({
  REGISTRY_HTTP_HOST: z.string().default('127.0.0.1'),
  REGISTRY_HTTP_PORT: env.port(8083),
  /** host:port the gRPC API (realname.registry.v1.RegistryService) listens on. */
  REGISTRY_GRPC_URL: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port such as 127.0.0.1:9083')
    .default('127.0.0.1:9083'),
  ...serviceBaseConfig('registry', 10),
  ...transportSecurityConfig(),
  /** The OAuth 2.0 resource server (docs/access.md): every API needs a token; roles and scope come from it. */
  ...authConfig(),
  /** Base URL of the integrity platform's change feed. */
  INTEGRITY_URL: env.url(),
  /**
   * Known pilot credit codes that fail the GB 32100 check but are real (comma separated). Only these
   * may be admitted with an override, and each admission is audited.
   */
  CREDIT_CODE_PILOT_OVERRIDES: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    ),
  INTEGRITY_API_KEY: secret(z.string().min(1)),
  /** Seconds between scheduled syncs; 0 = only on demand. */
  INTEGRITY_SYNC_INTERVAL_S: z.coerce.number().int().min(0).max(86_400).default(300),
  INTEGRITY_PAGE_SIZE: z.coerce.number().int().min(1).max(500).default(200),
  INTEGRITY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** Personal-data keys: `id:base64key,...` (32-byte AES keys), the active id, and the lookup-hash key. */
  PII_KEYS: secret(z.string().min(1)),
  PII_ACTIVE_KEY_ID: z.string().min(1),
  PII_HASH_KEY: secret(z.string().min(1)),
});
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;
