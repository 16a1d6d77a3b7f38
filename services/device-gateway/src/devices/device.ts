import { z } from 'zod';
import { isValidTimeZone, PunchDirection, REGION_CODE } from '@realname/contracts';

/** A device as registered: it belongs to one project; its secret signs what it sends. */
export const DeviceRegistration = z.object({
  deviceId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dot, underscore or hyphen'),
  projectId: z.string().min(1).max(64),
  region: z.string().regex(REGION_CODE, 'must be a six-digit administrative division code such as 330106'),
  secret: z.string().min(16, 'must be at least 16 characters').max(256),
  timeZone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai'),
  defaultDirection: PunchDirection.default('unknown'),
  enabled: z.boolean().default(true),
});
export type DeviceRegistration = z.infer<typeof DeviceRegistration>;
export type Device = DeviceRegistration & { protocol: string };
