/**
 * What the device-facing controllers (every family, the site agent, open-v1) do alike with a request:
 * keep it as the raw request the ingestion stores, authenticate the device a path names, record presence,
 * answer a storage failure by not acknowledging, and send a reply as exact bytes. Each family keeps its
 * own replies and status codes; only the mechanics are here.
 */
import { HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { FieldProblem } from '@realname/contracts';
import { currentCorrelationId, JsonLogger } from '@realname/platform';
import type { Device, DeviceFamily } from '../../devices/device';
import type { DeviceRepository } from '../../devices/device-repository';
import type { DevicePresence, SeenVia } from '../../devices/presence';
import type { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import type { Photo } from '../../photos/photo-store';

/** The request headers kept with a device request (each cut to 512 characters). */
export const KEPT_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'user-agent',
  'x-forwarded-for',
  'x-correlation-id',
];

/**
 * The request as the ingestion keeps it: the kept headers that are present, then the family's own
 * (`extraHeaders`, e.g. the path); the exact body bytes (empty when there is none); when it arrived;
 * the correlation id.
 */
export function rawRequest(
  req: Request,
  protocol: string,
  extraHeaders: Record<string, string> = {},
  keptHeaders: readonly string[] = KEPT_HEADERS,
): RawRequest {
  const headers: Record<string, string> = {};
  for (const h of keptHeaders) {
    const v = req.header(h);
    if (v !== undefined) headers[h] = v.slice(0, 512);
  }
  return {
    protocol,
    headers: { ...headers, ...extraHeaders },
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    receivedAt: new Date(),
    correlationId: currentCorrelationId(),
  };
}

/**
 * Why `device` may not be served a request carrying `token`, or undefined when it may: it must be
 * registered, of `family` (when one is named), enabled, and the token must be its own.
 */
export function refusalOf(
  devices: Pick<DeviceRepository, 'tokenMatches'>,
  device: Device | undefined,
  token: string | undefined,
  family?: DeviceFamily,
): string | undefined {
  if (!token) return 'no token';
  if (!device) return 'unknown device';
  if (family && device.family !== family) return `device is registered as ${device.family}, not ${family}`;
  if (!device.enabled) return 'device is disabled';
  if (!devices.tokenMatches(device, token)) return 'wrong token';
  return undefined;
}

/**
 * Keeps a request refused as `unauthenticated`, under the device id it claimed (cut to 128 characters,
 * `(none)` when it claimed none). With `bestEffort`, a refusal that cannot be stored is let go (the
 * family answers the refusal all the same); otherwise the storage failure is thrown.
 */
export async function refuseUnauthenticated(
  ingestion: Pick<PunchIngestion, 'refuse'>,
  claimedId: string,
  raw: RawRequest,
  detail: string,
  bestEffort = false,
): Promise<void> {
  const refused = ingestion.refuse(claimedId.slice(0, 128) || '(none)', raw, 'unauthenticated', detail);
  await (bestEffort ? refused.catch(() => undefined) : refused);
}

/**
 * Keeps a request refused as `malformed`, with the problems found (as JSON, cut to 4000 characters) and
 * the punches it carried, now rejected. `bestEffort` as in refuseUnauthenticated.
 */
export async function refuseMalformed(
  ingestion: Pick<PunchIngestion, 'refuse'>,
  deviceId: string,
  raw: RawRequest,
  problems: FieldProblem[],
  punchCount = 0,
  bestEffort = false,
): Promise<void> {
  const detail = JSON.stringify(problems).slice(0, 4000);
  const refused = ingestion.refuse(deviceId, raw, 'malformed', detail, punchCount);
  await (bestEffort ? refused.catch(() => undefined) : refused);
}

export interface PathDevice {
  /** The device id the request names. */
  deviceId: string;
  /** The token it carries (in the path, or as a bearer token). */
  token: string | undefined;
  /** The family the device must be registered as; any when absent. */
  family?: DeviceFamily;
  /** Put before the refusal detail, e.g. `site agent`. */
  context?: string;
  /** A refusal that cannot be stored does not fail the request (see refuseUnauthenticated). */
  bestEffortRefusal?: boolean;
}

/**
 * The device a request names by id, when refusalOf finds nothing against it. Otherwise the request is
 * kept as refused and undefined returned: the caller answers in its family's terms. A failure to read
 * the device (and, unless best effort, to keep the refusal) is thrown.
 */
export async function authenticateDevice(
  devices: Pick<DeviceRepository, 'find' | 'tokenMatches'>,
  ingestion: Pick<PunchIngestion, 'refuse'>,
  raw: RawRequest,
  claim: PathDevice,
): Promise<Device | undefined> {
  const device = await devices.find(claim.deviceId);
  const refusal = refusalOf(devices, device, claim.token, claim.family);
  if (!refusal) return device;
  const detail = claim.context ? `${claim.context}: ${refusal}` : refusal;
  await refuseUnauthenticated(ingestion, claim.deviceId, raw, detail, claim.bestEffortRefusal);
  return undefined;
}

/** Presence where it is secondary: a failure to record it is logged, never thrown. */
export async function markSeen(
  presence: Pick<DevicePresence, 'seen'>,
  logger: JsonLogger,
  device: Device,
  via: SeenVia,
  deviceClock?: Date,
): Promise<void> {
  try {
    await presence.seen(device, deviceClock ? { via, deviceClock } : { via });
  } catch (err) {
    logger.event('warn', `${device.family}: presence not recorded`, {
      deviceId: device.deviceId,
      via,
      error: errorText(err),
    });
  }
}

/** A JSON reply as exact bytes (no charset added, nothing re-serialised on the way out). */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** A face photo for a device (personal data: never cached on the way). */
export function sendPhoto(res: Response, photo: Photo): void {
  res.setHeader('Cache-Control', 'private, no-store');
  res.status(HttpStatus.OK).type(photo.contentType).send(photo.bytes);
}

/**
 * Storing what the device sent failed: it is not acknowledged (503 with the family's own `busy` reply),
 * so the device keeps it and sends it again.
 */
export function replyNotStored(
  res: Response,
  logger: JsonLogger,
  event: string,
  deviceId: string,
  err: unknown,
  busy: unknown,
): void {
  logger.event('error', event, { deviceId, error: errorText(err) });
  sendJson(res, HttpStatus.SERVICE_UNAVAILABLE, busy);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
