import { z } from 'zod';
import { DeviceFamily, isValidTimeZone, PunchDirection, REGION_CODE } from '@realname/contracts';

export { DeviceFamily };

/** Families whose devices call a URL with no authentication of their own: a per-device token goes in the path. */
export const TOKEN_IN_PATH_FAMILIES: readonly DeviceFamily[] = ['hikvision-isapi', 'uface', 'httpv2'];
/** Families that name themselves with a serial number / device key in every message. */
export const SERIAL_FAMILIES: readonly DeviceFamily[] = ['zkteco-push', 'uface', 'httpv2'];

const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;
/**
 * 1-64 characters (code points, as JSON Schema counts them), none a control character: PostgreSQL
 * text cannot hold a NUL, and a name with control characters is a mistake.
 */
const TEXT_1_64 = /^[^\u0000-\u001f\u007f]{1,64}$/u;
const TEXT_1_64_MESSAGE = 'must be 1-64 characters, none of them a control character';

/**
 * A device as registered: it belongs to one project and stands at one gate; its family decides how it
 * proves who it is (open-v1: HMAC `secret`; ZKTeco: its serial on the allowlist; Hikvision, Uface,
 * HTTPv2: a `token` in the URL path, and the serial / device key where the family sends one).
 */
export const DeviceRegistration = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dot, underscore or hyphen'),
    projectId: z.string().regex(TEXT_1_64, TEXT_1_64_MESSAGE),
    region: z.string().regex(REGION_CODE, 'must be a six-digit administrative division code such as 330106'),
    family: DeviceFamily.default('open-v1'),
    /** Where the device stands, e.g. "North gate, lane 2". */
    gate: z.string().regex(TEXT_1_64, TEXT_1_64_MESSAGE).optional(),
    /** ZKTeco SN, Uface deviceKey, HTTPv2 SN, Hikvision serial (informational). */
    serial: z
      .string()
      .regex(
        SERIAL,
        'must be 1-64 letters, digits, dot, colon, underscore or hyphen, as the device reports it',
      )
      .optional(),
    /** open-v1: the HMAC key shared with the device. */
    secret: z
      .string()
      .regex(
        /^[\x21-\x7E]{16,256}$/,
        'must be 16-256 printable ASCII characters without spaces (a device configuration page accepts no others)',
      )
      .optional(),
    /** The path token of families without authentication (generated when absent); also the site agent's key. */
    token: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16-128 letters, digits, underscore or hyphen')
      .optional(),
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
      .default('Asia/Shanghai'),
    defaultDirection: PunchDirection.default('unknown'),
    enabled: z.boolean().default(true),
  })
  .superRefine((d, ctx) => {
    if (d.family === 'open-v1' && !d.secret)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['secret'],
        message:
          'is required for the open-v1 family: the HMAC key shared with the device, at least 16 characters',
      });
    if (SERIAL_FAMILIES.includes(d.family) && !d.serial)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['serial'],
        message: `is required for the ${d.family} family: the ${d.family === 'uface' ? 'deviceKey' : 'serial number (SN)'} the device reports`,
      });
  });
export type DeviceRegistration = z.infer<typeof DeviceRegistration>;

export interface DeviceStatus {
  online: boolean;
  lastSeenAt?: Date;
  /** Device clock minus gateway clock, in milliseconds, at the last measurement. */
  clockSkewMs?: number;
  clockSkewSource?: string;
  clockSkewMeasuredAt?: Date;
}

/**
 * A device as the gateway works with it. Its credentials are never stored in the clear: the HMAC
 * `secret` is kept encrypted (decrypted here, in memory, to check signatures) and the path token only as
 * `tokenHash`, the SHA-256 of the token (see device-credentials.ts).
 */
export type Device = Omit<DeviceRegistration, 'secret' | 'token'> & {
  /** open-v1: the HMAC key, decrypted from storage. Never shown, never logged. */
  secret?: string;
  /** SHA-256 (hex) of the path token; the token itself is known only to the device. */
  tokenHash?: string;
  /**
   * The plain path token: known only to a device stand-in in tests (the repository never has it; it
   * checks a token against `tokenHash`).
   */
  token?: string;
} & DeviceStatus;
