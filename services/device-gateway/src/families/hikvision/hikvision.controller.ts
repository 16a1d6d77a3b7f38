import { Controller, HttpStatus, Inject, Optional, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Counter, Registry } from 'prom-client';
import { JsonLogger, LOGGER, METRICS_REGISTRY } from '@realname/platform';
import { Backfills } from '../../backfill/backfills';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence } from '../../devices/presence';
import { NormalisedPunch, PunchIngestion } from '../../ingest/punch-ingestion';
import { DeviceBusyFilter } from '../shared/device-busy.filter';
import { DeviceRateLimiter } from '../shared/device-rate-limit';
import { authenticateDevice, markSeen, rawRequest, replyNotStored, sendJson } from '../shared/device-request';
import { HikEventNotification, interpretEvent, parseHikvisionBody, parseIsapiTime } from './event';
import { SerialGap, SerialGapTracker } from './serial-gaps';

export const HIKVISION_PREFIX = '/isapi/v1';
const PROTOCOL = 'hikvision-isapi';

/** The request URL as echoed back, with the path token hidden. */
export function hidden(url: string): string {
  return url.replace(/\/isapi\/v1\/([^/]+)\/[^/]+/, '/isapi/v1/$1/<token>');
}

/** ISAPI's own `ResponseStatus` (JSON form): what a device expects from the server it talks to. */
export function responseStatus(url: string, sub: string, message?: string) {
  const ok = sub === 'ok';
  return {
    requestURL: url.split('?')[0].slice(0, 256),
    statusCode: ok ? 1 : 4,
    statusString: ok ? 'OK' : 'Invalid Operation',
    subStatusCode: sub,
    ...(message ? { errorMsg: message.slice(0, 300) } : {}),
  };
}

/**
 * Hikvision ISAPI event push ("HTTP listening", docs/device-families.md). The terminal's HTTP host is
 * configured as `/isapi/v1/<deviceId>/<token>/events`: the path token authenticates (the body does not
 * identify the device reliably). Pass events naming a person become punches, keyed by `serialNo`;
 * everything else is kept as evidence; heartbeats mark the device alive and measure its clock. Gaps in
 * `frontSerialNo` request a backfill of the missing time range (fetched by the site agent).
 */
@ApiExcludeController()
@Controller(HIKVISION_PREFIX.slice(1) + '/:deviceId/:token')
@UseFilters(
  new DeviceBusyFilter('hikvision', (req) =>
    responseStatus(
      hidden(req.originalUrl),
      'deviceBusy',
      'the server could not take the event now; send it again',
    ),
  ),
)
export class HikvisionController {
  private readonly gaps = new SerialGapTracker();
  private readonly gapCounter: Counter<string>;
  private readonly missedCounter: Counter<string>;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly backfills: Backfills,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Optional() private readonly limiter?: DeviceRateLimiter,
  ) {
    this.gapCounter = counter(
      registry,
      'gateway_hikvision_serial_gaps_total',
      'Gaps in Hikvision event serial numbers (frontSerialNo ahead of the last serialNo seen): each requests a backfill',
    );
    this.missedCounter = counter(
      registry,
      'gateway_hikvision_missed_events_total',
      'Hikvision events known to be missing from the pushes (serial numbers skipped), before backfill',
    );
  }

  @Post('events')
  async events(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = rawRequest(req, PROTOCOL);
    const url = hidden(req.originalUrl);
    let device: Device | undefined;
    try {
      device = await authenticateDevice(this.devices, this.ingestion, raw, {
        deviceId,
        token,
        family: 'hikvision-isapi',
      });
    } catch (err) {
      return this.unavailable(res, url, deviceId, 'authentication', err);
    }
    // Over the rate: the deviceBusy ResponseStatus with 429 (DeviceBusyFilter).
    this.limiter?.admit(req, 'hikvision-isapi', device?.deviceId);
    if (!device) {
      sendJson(
        res,
        HttpStatus.UNAUTHORIZED,
        responseStatus(url, 'unauthorized', 'unknown device or wrong token'),
      );
      return;
    }

    const parsed = parseHikvisionBody(raw.body, req.header('content-type'));
    if (!parsed.ok) {
      const sub = (req.header('content-type') ?? '').includes('xml') ? 'badXmlContent' : 'badJsonContent';
      try {
        await this.ingestion.refuse(device.deviceId, raw, 'malformed', parsed.error);
      } catch (err) {
        return this.unavailable(res, url, device.deviceId, 'malformed event', err);
      }
      sendJson(res, HttpStatus.BAD_REQUEST, responseStatus(url, sub, parsed.error));
      return;
    }
    const event = parsed.value;
    const meaning = interpretEvent(event, device.timeZone);

    try {
      switch (meaning.kind) {
        case 'heartbeat':
          // A heartbeat carries nothing to keep: it only proves the device alive and shows its clock.
          await this.presence.seen(device, {
            via: 'heartbeat',
            ...(meaning.deviceClock ? { deviceClock: meaning.deviceClock } : {}),
          });
          sendJson(res, HttpStatus.OK, responseStatus(url, 'ok'));
          return;
        case 'invalid': {
          const field = `AccessControllerEvent.${meaning.field}`;
          await this.ingestion.refuse(device.deviceId, raw, 'malformed', `${field} ${meaning.reason}`, 1);
          sendJson(
            res,
            HttpStatus.BAD_REQUEST,
            responseStatus(url, 'badParameters', `${field} ${meaning.reason}`),
          );
          return;
        }
        case 'pass': {
          const punch: NormalisedPunch = {
            personId: meaning.pass.personId,
            deviceTime: meaning.pass.deviceTime,
            punchedAt: meaning.punchedAt,
            verifyMode: meaning.pass.verifyMode,
            ...(meaning.pass.recordId !== undefined ? { recordId: meaning.pass.recordId } : {}),
            ...(meaning.pass.direction ? { direction: meaning.pass.direction } : {}),
            ...(event.picture ? { photo: event.picture } : {}),
          };
          await this.ingestion.ingest(device, raw, [punch]);
          break;
        }
        case 'ignored':
          await this.ingestion.keep(device.deviceId, raw, 'ignored', meaning.reason);
          break;
      }
    } catch (err) {
      // Not stored: the device must send it again.
      return this.unavailable(res, url, device.deviceId, 'event', err);
    }

    // Observed before the reply: the device sends its next event as soon as this one is acknowledged,
    // and that one must find this serial already seen (else it would look like a gap).
    const gap = this.observeSerial(device, event, raw.receivedAt);
    sendJson(res, HttpStatus.OK, responseStatus(url, 'ok'));
    if (event.truncated)
      this.logger.event('info', 'hikvision: event used from a body cut off before its end', {
        deviceId: device.deviceId,
        serialNo: event.access?.serialNo,
        picture: Boolean(event.picture),
      });
    await this.afterStored(device, gap);
  }

  /** The event's serial number, seen: the gap it reveals, if any. */
  private observeSerial(
    device: Device,
    event: HikEventNotification,
    receivedAt: Date,
  ): SerialGap | undefined {
    const a = event.access;
    if (!a || a.serialNo === undefined) return undefined;
    const at = (event.dateTime && parseIsapiTime(event.dateTime, device.timeZone)) || receivedAt;
    return this.gaps.observe(device.deviceId, {
      serialNo: a.serialNo,
      frontSerialNo: a.frontSerialNo,
      currentEvent: a.currentEvent,
      at,
    });
  }

  /** Presence and the backfill of a gap, after the event is stored and acknowledged. */
  private async afterStored(device: Device, gap: SerialGap | undefined): Promise<void> {
    await markSeen(this.presence, this.logger, device, 'upload');
    if (gap) await this.requestBackfill(device, gap);
  }

  private async requestBackfill(device: Device, gap: SerialGap): Promise<void> {
    const missing = gap.toSerial - gap.fromSerial + 1;
    this.gapCounter.inc();
    this.missedCounter.inc(missing);
    try {
      const b = await this.backfills.request(device, gap.from, gap.to, 'serial-gap');
      this.logger.event('warn', 'hikvision: events missing from the pushes, backfill requested', {
        deviceId: device.deviceId,
        fromSerial: gap.fromSerial,
        toSerial: gap.toSerial,
        missing,
        from: gap.from.toISOString(),
        to: gap.to.toISOString(),
        backfillId: b.backfillId,
      });
    } catch (err) {
      this.logger.event('error', 'hikvision: events missing, and the backfill could not be requested', {
        deviceId: device.deviceId,
        fromSerial: gap.fromSerial,
        toSerial: gap.toSerial,
        from: gap.from.toISOString(),
        to: gap.to.toISOString(),
        error: String(err),
      });
    }
  }

  /** Storage failed: not acknowledged, so the device keeps the event and sends it again. */
  private unavailable(res: Response, url: string, deviceId: string, what: string, err: unknown): void {
    replyNotStored(
      res,
      this.logger,
      `hikvision: ${what} not stored, device will resend`,
      deviceId,
      err,
      responseStatus(url, 'deviceBusy', 'the server could not store the event; send it again'),
    );
  }
}

function counter(registry: Registry, name: string, help: string): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, registers: [registry] });
}
