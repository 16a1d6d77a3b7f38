import { Controller, Get, Inject, Optional, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { formatLocalTime, zoneOffsetMinutes } from '@realname/contracts';
import { JsonLogger, LOGGER, RateLimited, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../../config';
import { CommandQueue } from '../../commands/command-queue';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence } from '../../devices/presence';
import { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { PhotoStore } from '../../photos/photo-store';
import { markSeen, rawRequest } from '../shared/device-request';
import { DeviceRateLimiter } from '../shared/device-rate-limit';
import {
  errorReply,
  OK,
  registryCode,
  renderOptions,
  renderPushConfig,
  renderRegistry,
  tzDesignator,
  zkPackedTime,
} from './replies';
import { reply, ZK_PROTOCOL, ZkReply, ZkRequest } from './zkteco-context';
import { ZktecoCommands } from './zkteco-commands';
import { ZktecoSessions } from './zkteco-sessions';
import { deviceTextContentType, encodeDeviceText, httpDate } from './zkteco-text';
import { ZktecoUploads } from './zkteco-uploads';

const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;

type Identified = { ok: true; request: ZkRequest } | { ok: false; reply: ZkReply };

/**
 * ZKTeco PUSH ("ADMS" / iClock) terminals, and the PUSH 3.x access-control variant. The device calls
 * `/iclock/...` with its serial number in `SN`; a registered, enabled zkteco-push device with that
 * serial is the only authentication the family has. Every reply is text with an RFC 7231 `Date`
 * header, from which the device sets its clock. See docs in this folder's modules for each message.
 */
@ApiExcludeController()
@Controller('iclock')
export class ZktecoController {
  private readonly sessions = new ZktecoSessions();
  private readonly uploads: ZktecoUploads;
  private readonly deviceCommands: ZktecoCommands;
  /** Seconds between polls the devices are told: a third of the offline limit, 1 to 10 s. */
  private readonly delayS: number;
  private readonly errorDelayS: number;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    commands: CommandQueue,
    photos: PhotoStore,
    @Inject(SERVICE_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Optional() private readonly limiter?: DeviceRateLimiter,
  ) {
    this.uploads = new ZktecoUploads(
      ingestion,
      presence,
      this.sessions,
      logger,
      (config.CLOCK_SKEW_TOLERANCE_S ?? 60) * 1000,
    );
    this.deviceCommands = new ZktecoCommands(commands, photos, ingestion, presence, this.sessions, logger);
    this.delayS = clamp(Math.floor((config.DEVICE_OFFLINE_AFTER_S ?? 300) / 3), 1, 10);
    this.errorDelayS = clamp(this.delayS * 3, 3, 30);
  }

  /** The start-up exchange: `GET /iclock/cdata?SN=..&options=all&pushver=..&language=..`. */
  @Get('cdata')
  async options(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, async (r) => {
      const language = this.sessions.language(r.sn, r.query['language']);
      await markSeen(this.presence, this.logger, r.device, 'poll');
      const text = renderOptions({
        sn: r.sn,
        stamps: this.sessions.get(r.sn).stamps,
        delay: this.delayS,
        errorDelay: this.errorDelayS,
        timeZone: r.device.timeZone,
        now: new Date(),
      });
      return reply(200, text, language);
    });
  }

  /** Uploads: `POST /iclock/cdata?SN=..&table=ATTLOG|ATTPHOTO|OPERLOG|rtlog&Stamp=..`. */
  @Post('cdata')
  async cdata(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.uploads.upload(r));
  }

  /** Photos by the file channel some firmware uses: `POST /iclock/fdata?SN=..&table=ATTPHOTO`. */
  @Post('fdata')
  async fdata(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.uploads.attphoto(r));
  }

  /** The poll: `GET /iclock/getrequest?SN=..` -> `OK` or `C:<seq>:<command>` lines. */
  @Get('getrequest')
  async getrequest(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.deviceCommands.getrequest(r));
  }

  /** Command results: `POST /iclock/devicecmd?SN=..` with `ID=..&Return=..&CMD=..` lines (or in the query). */
  @Post('devicecmd')
  async devicecmd(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.deviceCommands.devicecmd(r));
  }

  /** Firmware that reports a result with a GET and the query string. */
  @Get('devicecmd')
  async devicecmdByGet(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.deviceCommands.devicecmd(r));
  }

  /** PUSH 3.x: the terminal registers (body: its parameters) and gets `RegistryCode=..`. */
  @Post('registry')
  async registry(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.register(r));
  }

  @Get('registry')
  async registryByGet(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.register(r));
  }

  /** PUSH 3.x: the configuration after registering (the counterpart of the options exchange). */
  @Post('push')
  async push(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.pushConfig(r));
  }

  @Get('push')
  async pushByGet(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, (r) => this.pushConfig(r));
  }

  /** PUSH 3.x: `GET /iclock/rtdata?SN=..&type=time` -> `DateTime=<packed>,ServerTZ=+0800`. */
  @Get('rtdata')
  async rtdata(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, async (r) => {
      await markSeen(this.presence, this.logger, r.device, 'heartbeat');
      const now = new Date();
      const packed = zkPackedTime(formatLocalTime(now, r.device.timeZone));
      return reply(
        200,
        `DateTime=${packed},ServerTZ=${tzDesignator(zoneOffsetMinutes(now, r.device.timeZone))}\n`,
      );
    });
  }

  /** A keep-alive some firmware sends while uploading large data. */
  @Get('ping')
  async ping(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(req, res, async (r) => {
      await markSeen(this.presence, this.logger, r.device, 'heartbeat');
      return reply(200, OK);
    });
  }

  // -------------------------------------------------------------------------------------------------

  private async register(r: ZkRequest): Promise<ZkReply> {
    this.sessions.setDialect(r.sn, 'access');
    await this.ingestion.keep(r.device.deviceId, r.raw, 'accepted', 'PUSH 3.x registry');
    await markSeen(this.presence, this.logger, r.device, 'heartbeat');
    return reply(200, renderRegistry(registryCode(r.device.deviceId, r.sn)));
  }

  private async pushConfig(r: ZkRequest): Promise<ZkReply> {
    this.sessions.setDialect(r.sn, 'access');
    await markSeen(this.presence, this.logger, r.device, 'heartbeat');
    const text = renderPushConfig({
      code: registryCode(r.device.deviceId, r.sn),
      delay: this.delayS,
      errorDelay: this.errorDelayS,
      timeZone: r.device.timeZone,
      now: new Date(),
    });
    return reply(200, text);
  }

  /** Identifies the device, runs the handler, and always answers in the family's text form (never a crash). */
  private async serve(
    req: Request,
    res: Response,
    handler: (r: ZkRequest) => Promise<ZkReply>,
  ): Promise<void> {
    const raw = rawRequest(req, ZK_PROTOCOL, {
      ':method': req.method,
      ':path': req.originalUrl.slice(0, 1024),
    });
    const query = queryOf(req);
    let out: ZkReply;
    try {
      const who = await this.identify(raw, query);
      this.limiter?.admit(req, 'zkteco-push', who.ok ? who.request.device.deviceId : undefined);
      out = who.ok ? await handler(who.request) : who.reply;
    } catch (err) {
      if (err instanceof RateLimited) {
        // Over the rate: the family's "later" text with 429; the device retries after ErrorDelay.
        res.setHeader('Retry-After', String(err.retryAfterS));
        return send(
          res,
          reply(429, errorReply(`too many requests from this device; send again after ${err.retryAfterS} s`)),
        );
      }
      this.logger.event('error', 'zkteco: request failed', {
        path: raw.headers[':path'],
        error: err instanceof Error ? err.message : String(err),
      });
      out = reply(
        500,
        errorReply('the gateway could not take this request now; send it again after ErrorDelay'),
      );
    }
    send(res, out);
  }

  private async identify(raw: RawRequest, query: Record<string, string>): Promise<Identified> {
    const sn = (query['sn'] ?? '').trim();
    if (!SERIAL.test(sn)) {
      const detail = sn
        ? 'the SN query parameter must be 1-64 letters, digits, dot, colon, underscore or hyphen'
        : 'the SN query parameter is required: the serial number of the device, as registered';
      await this.ingestion.refuse(sn ? `sn:${sn.slice(0, 64)}` : '(none)', raw, 'malformed', detail);
      return { ok: false, reply: reply(400, errorReply(detail)) };
    }
    const device = await this.devices.findBySerial('zkteco-push', sn);
    if (!device || !device.enabled) {
      const detail = `SN ${sn} is not a registered, enabled zkteco-push device: register it with this serial on the gateway`;
      await this.ingestion.refuse(device?.deviceId ?? `sn:${sn}`, raw, 'unauthenticated', detail);
      return { ok: false, reply: reply(403, errorReply(detail)) };
    }
    return { ok: true, request: { device, sn, raw, query } };
  }
}

/** Query parameters with lower-cased keys (firmware writes `SN`, `sn`, `Stamp`, `stamp`), first value each. */
function queryOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query ?? {})) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && !(k.toLowerCase() in out)) out[k.toLowerCase()] = value;
  }
  return out;
}

/** Text in the device's character set, and the Date header the device sets its clock from. */
function send(res: Response, r: ZkReply): void {
  if (res.headersSent) return;
  res.status(r.status);
  res.setHeader('Date', httpDate(new Date()));
  res.setHeader('Content-Type', deviceTextContentType(r.language));
  res.setHeader('Cache-Control', 'no-store');
  res.end(encodeDeviceText(r.text, r.language));
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
