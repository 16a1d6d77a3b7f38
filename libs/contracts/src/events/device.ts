import { z } from 'zod';
import { REGION_CODE, utcInstant } from '../envelope';
import { Topics } from '../topics';
import { defineEvent, EventData } from './define';

export const PunchDirection = z.enum(['in', 'out', 'unknown']);
export type PunchDirection = z.infer<typeof PunchDirection>;

/** A device reported that a person passed or was recognised. Stream: the device (`device-<deviceId>`). */
export const PunchRecorded = defineEvent({
  type: 'realname.device.PunchRecorded',
  version: 1,
  topic: Topics.devicePunches.name,
  schema: z.object({
    deviceId: z.string().min(1),
    projectId: z.string().min(1),
    region: z.string().regex(REGION_CODE),
    /** The device's own id for the record; with deviceId it identifies the punch. */
    deviceRecordId: z.string().min(1),
    /** Who the device says it was: its person id / PIN. Resolved to a worker by attendance. */
    personId: z.string().min(1),
    /** The time exactly as the device sent it. */
    deviceTime: z.string().min(1),
    /** The instant, parsed with the device's time zone (RFC 3339, UTC). */
    punchedAt: utcInstant(),
    /** IANA time zone of the device, e.g. Asia/Shanghai. */
    timeZone: z.string().min(1),
    /** When the gateway received it (RFC 3339, UTC). */
    receivedAt: utcInstant(),
    /** receivedAt - punchedAt in milliseconds; large values reveal clock skew or offline buffering. */
    skewMs: z.number().int(),
    direction: PunchDirection,
    verifyMode: z.string().min(1),
    /** The device protocol family and version that delivered it. */
    protocol: z.string().min(1),
    /** The stored raw request this punch came from. */
    rawRequestId: z.string().uuid(),
    photoRef: z.string().optional(),
  }),
});
export type PunchRecordedData = EventData<typeof PunchRecorded>;

/** The device families the gateway speaks (docs/device-families.md). */
export const DeviceFamily = z.enum(['open-v1', 'zkteco-push', 'hikvision-isapi', 'uface', 'httpv2']);
export type DeviceFamily = z.infer<typeof DeviceFamily>;

const DeviceRef = z.object({
  deviceId: z.string().min(1),
  projectId: z.string().min(1),
  region: z.string().regex(REGION_CODE),
  family: DeviceFamily,
  gate: z.string().optional(),
});

/**
 * No heartbeat, poll or upload came from the device for longer than the gateway's offline limit.
 * Stream: the device. Early warning raises "device offline" from it.
 */
export const DeviceWentOffline = defineEvent({
  type: 'realname.device.DeviceWentOffline',
  version: 1,
  topic: Topics.deviceStatus.name,
  schema: DeviceRef.extend({
    /** The last sign of life (RFC 3339, UTC). */
    lastSeenAt: utcInstant(),
    /** The limit that was passed, in seconds. */
    offlineAfterS: z.number().int().positive(),
  }),
});

/** The device was heard from again after being offline. Stream: the device. */
export const DeviceCameOnline = defineEvent({
  type: 'realname.device.DeviceCameOnline',
  version: 1,
  topic: Topics.deviceStatus.name,
  schema: DeviceRef.extend({
    /** The last sign of life before the gap; absent the first time a device is heard from. */
    lastSeenAt: utcInstant().optional(),
    seenAt: utcInstant(),
  }),
});

/**
 * The device's clock differs from the gateway's by more than the configured tolerance, or came back
 * within it. Stream: the device.
 */
export const DeviceClockSkewChanged = defineEvent({
  type: 'realname.device.DeviceClockSkewChanged',
  version: 1,
  topic: Topics.deviceStatus.name,
  schema: DeviceRef.extend({
    /** Device clock minus gateway clock, in milliseconds (positive: the device runs ahead). */
    skewMs: z.number().int(),
    withinTolerance: z.boolean(),
    toleranceMs: z.number().int().positive(),
    /** What the measurement came from (heartbeat, realtime-record, poll). */
    source: z.string(),
    measuredAt: utcInstant(),
  }),
});
