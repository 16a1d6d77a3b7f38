import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DeviceFamily, PunchDirection } from '../events/device';

/*
 * The device gateway's admin REST API (devices, photos): query and path parameters the gateway parses,
 * the request bodies as the document states them, and its answers. The OpenAPI document is generated
 * from these schemas; the device protocols (open-v1, the families, the site agent) are not in it.
 */

/**
 * A non-negative integer query parameter: digits only (an empty value, a sign, a fraction or an
 * exponent is refused, not read as a number), within the bounds of `n`.
 */
export function integerParam(n: z.ZodNumber) {
  return z.preprocess((v) => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v), n);
}

// --- parameters ---------------------------------------------------------------------------------

export const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The id of requests naming no registered device, in the refused requests. */
export const UNKNOWN_DEVICE = '(unknown)';

export const DeviceIdParam = z
  .string()
  .regex(DEVICE_ID)
  .describe('The device id, as registered: 1-64 letters, digits, dot, underscore or hyphen');
export const DevicePathParams = z.object({ deviceId: DeviceIdParam });
export const RefusedDevicePathParams = z.object({
  deviceId: z
    .string()
    .regex(/^([A-Za-z0-9._-]{1,64}|\(unknown\))$/)
    .describe(
      `The device id, as registered, or "${UNKNOWN_DEVICE}": requests naming no registered device (province-wide callers only)`,
    ),
});

export const PhotoPathParams = z.object({
  sha256: z
    .string()
    .regex(/^(sha256:)?[0-9a-f]{64}$/)
    .describe('The SHA-256 of the photo: 64 lower-case hex digits, alone or as a photoRef "sha256:<hex>"'),
});

export const DeviceListQuery = z.object({
  projectId: z
    .string()
    .regex(/^[^\u0000-\u001f\u007f]+$/)
    .optional()
    .describe('Only the devices of this project (no control characters)'),
  family: DeviceFamily.optional().describe('Only devices of this family'),
  online: z.enum(['true', 'false']).optional().describe('Only devices online (true) or offline (false)'),
});

export const COMMAND_KINDS = ['person.upsert', 'person.delete', 'records.query', 'records.verify'] as const;
export const CommandStatus = z.enum(['queued', 'sent', 'succeeded', 'failed']);

export const CommandListQuery = z.object({
  status: CommandStatus.optional().describe('Only commands in this status'),
  kind: z.enum(COMMAND_KINDS).optional().describe('Only commands of this kind'),
  limit: integerParam(z.number().int().min(1).max(1000))
    .default(100)
    .describe('Commands at most, 1-1000; 100 when not given'),
  afterSeq: integerParam(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
    .default(0)
    .describe('Only commands after this seq (the last seq of the previous page); 0 when not given'),
});

export const RefusedRequestsQuery = z.object({
  days: integerParam(z.number().int().min(1).max(90))
    .default(7)
    .describe('Days counted back from today (UTC), 1-90; 7 when not given'),
  limit: integerParam(z.number().int().min(0).max(50))
    .default(10)
    .describe('Samples at most, 0-50; 10 when not given'),
});

const Instant = z.string().datetime({ offset: true });

export const RecordsQuery = z.object({
  from: Instant.describe('Start of the range (RFC 3339 with an offset), inclusive'),
  to: Instant.describe('End of the range (RFC 3339 with an offset), inclusive'),
  limit: integerParam(z.number().int().min(1).max(5000))
    .default(1000)
    .describe('Records at most, 1-5000; 1000 when not given'),
});

// --- request bodies --------------------------------------------------------------------------------

/** A change of a device: enable or disable it. */
export const DeviceChange = z.object({ enabled: z.boolean() }).strict();

/** A backfill's range (the gateway refuses one whose `from` is not before `to`, or longer than 31 days). */
export const BackfillRange = z
  .object({
    from: Instant.describe('Start of the range (RFC 3339 with an offset): before `to`'),
    to: Instant.describe('End of the range (RFC 3339 with an offset): at most 31 days after `from`'),
  })
  .strict();

// --- answers ---------------------------------------------------------------------------------------

/** What the API shows of a device: never its secret, its token or the token's hash. */
export const DeviceView = z.object({
  deviceId: z.string(),
  projectId: z.string(),
  region: z.string(),
  family: DeviceFamily,
  gate: z.string().optional(),
  serial: z.string().optional(),
  timeZone: z.string(),
  defaultDirection: PunchDirection,
  enabled: z.boolean(),
  online: z.boolean(),
  lastSeenAt: z.string().optional(),
  clockSkewMs: z.number().optional(),
  clockSkewSource: z.string().optional(),
  clockSkewMeasuredAt: z.string().optional(),
  hasSecret: z.boolean(),
  hasToken: z.boolean(),
});

export const DeviceEndpoints = z
  .record(z.string())
  .describe('The URLs to configure on the device (its path token only in the reply that issued it)');

/** Credentials given out once: in the reply that issued (or was given) them, never again. */
const Issued = {
  secret: z.string().optional().describe('open-v1: the HMAC secret, in this reply only'),
  token: z.string().optional().describe('Hikvision, Uface, HTTPv2: the path token, in this reply only'),
};

export const RegisteredDevice = DeviceView.extend({
  endpoints: DeviceEndpoints,
  ...Issued,
  personsQueued: z.number().int().describe('Persons queued for the device (a new device or project)'),
});

export const DeviceDetail = DeviceView.extend({
  pendingCommands: z.record(z.number().int()).describe('Commands queued or sent, by kind'),
  endpoints: DeviceEndpoints,
});

export const RotatedDevice = DeviceView.extend({
  endpoints: DeviceEndpoints,
  ...Issued,
  rotatedAt: z.string(),
});

export const DeviceList = z.object({ devices: z.array(DeviceView) });

export const RefusedRequestsSummary = z.object({
  deviceId: z.string(),
  days: z.number().int(),
  counts: z.array(z.object({ reason: z.string(), count: z.number().int(), lastAt: z.string() })),
  samples: z.array(
    z
      .object({ requestId: z.string(), deviceId: z.string(), receivedAt: z.string(), outcome: z.string() })
      .passthrough(),
  ),
});

export const DeviceCommandView = z
  .object({
    commandId: z.string(),
    seq: z.number().int(),
    deviceId: z.string(),
    kind: z.enum(COMMAND_KINDS),
    status: CommandStatus,
    attempts: z.number().int(),
    createdAt: z.string(),
  })
  .passthrough();

export const CommandList = z.object({ commands: z.array(DeviceCommandView) });

export const PersonSyncReply = z.object({ personsQueued: z.number().int() });

export const BackfillView = z
  .object({
    backfillId: z.string(),
    deviceId: z.string(),
    from: z.string(),
    to: z.string(),
    reason: z.enum(['came-online', 'on-demand', 'serial-gap', 'daily-reconcile']),
    status: z.enum(['requested', 'running', 'complete', 'incomplete', 'failed', 'unsupported']),
    received: z.number().int(),
    recovered: z.number().int(),
    createdAt: z.string(),
  })
  .passthrough();

export const BackfillList = z.object({ backfills: z.array(BackfillView) });

export const DeviceRecord = z.object({
  key: z.string(),
  personId: z.string().nullable(),
  punchedAt: z.string(),
  outcome: z.string().nullable(),
  eventId: z.string().nullable(),
  photoRef: z.string().nullable(),
  backfillId: z.string().nullable(),
  receivedAt: z.string().nullable(),
});

export const DeviceRecords = z.object({ records: z.array(DeviceRecord) });

// --- examples (the devices and the photo the API fuzzing stage puts in) ----------------------------

/** A device in Xihu (Hangzhou) and one in Ningbo: a device administrator of Hangzhou sees the first. */
export const DEVICE_EXAMPLES = [
  { deviceId: 'xihu-gate-1', projectId: '330106202401150001', region: '330106' },
  { deviceId: 'nb-gate-1', projectId: '330203202402010001', region: '330203' },
] as const;

/** The snapshot both example devices took: a JPEG header and fixed bytes. */
export const PHOTO_EXAMPLE_BYTES = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(600, 7),
]);
export const PHOTO_EXAMPLE_SHA256 = createHash('sha256').update(PHOTO_EXAMPLE_BYTES).digest('hex');
