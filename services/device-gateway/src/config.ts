import { z } from 'zod';
import { env, secret, serviceBaseConfig } from '@realname/platform';
import { DeviceRegistration } from './devices/device';

export const GatewayConfigSchema = z.object({
  GATEWAY_HTTP_HOST: z.string().default('127.0.0.1'),
  GATEWAY_HTTP_PORT: env.port(8081),
  ...serviceBaseConfig('gateway'),
  /** Bearer token for the device admin API (until municipal OAuth2 arrives). */
  GATEWAY_ADMIN_TOKEN: secret(z.string().min(16, 'must be at least 16 characters')),
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
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
