import { Controller, HttpStatus, Inject, Optional, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FieldProblem, Result } from '@realname/contracts';
import { JsonLogger, LOGGER } from '@realname/platform';
import { CommandKind, CommandQueue, PersonUpsert } from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence, SeenVia } from '../../devices/presence';
import { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { PhotoStore } from '../../photos/photo-store';
import {
  markSeen,
  rawRequest,
  refusalOf,
  refuseMalformed,
  refuseUnauthenticated,
  replyNotStored,
  sendJson,
} from '../shared/device-request';
import { DeviceBusyFilter } from '../shared/device-busy.filter';
import { DeviceRateLimiter } from '../shared/device-rate-limit';
import {
  Body,
  deleteListItem,
  HttpV2Download,
  HttpV2ErrorCode,
  HttpV2Keepalive,
  HttpV2PersonResult,
  HttpV2Reply,
  HttpV2Results,
  parseDownload,
  parseKeepalive,
  parseRecord,
  parseResults,
  peopleListItem,
  readBody,
  readRecordParts,
  readSerial,
  serialOfRecord,
  v2Error,
  v2Ok,
} from './httpv2-messages';

export const HTTPV2_PREFIX = '/httpv2';
const PROTOCOL = 'httpv2';
const UNKNOWN = '(unknown)';

/** How a JSON message is read: its parser, and what it is (for the log of a storage failure). */
interface HttpV2Message<T> {
  what: string;
  parse: (body: Body, timeZone: string) => Result<T>;
}

/** The JSON messages of the terminal, as `serve` reads them. */
const KEEPALIVE: HttpV2Message<HttpV2Keepalive> = { what: 'keepalive', parse: parseKeepalive };
const PEOPLE_DOWNLOAD: HttpV2Message<HttpV2Download> = { what: 'people download', parse: parseDownload };
const DELETE_DOWNLOAD: HttpV2Message<HttpV2Download> = { what: 'delete download', parse: parseDownload };
const RESULTS: HttpV2Message<HttpV2Results> = { what: 'result upload', parse: parseResults };

/**
 * Generic "HTTPv2" face terminals (PROTOCOL.md in this folder). The device's base URL is
 * `http://<gateway>/httpv2/<token>`; every request names the device by `SN`, which must be a registered,
 * enabled httpv2 device whose token is the one in the path. Replies are `{"Success":1, ...}`; anything
 * else makes the device send again (records: every 10 s).
 */
@ApiExcludeController()
@Controller(HTTPV2_PREFIX.slice(1) + '/:token')
@UseFilters(
  new DeviceBusyFilter('httpv2', () =>
    v2Error(HttpV2ErrorCode.unavailable, 'the gateway could not take this now; send it again'),
  ),
)
export class HttpV2Controller {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly photos: PhotoStore,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Optional() private readonly limiter?: DeviceRateLimiter,
  ) {}

  /** `{SN, DeviceTime?, ...}` -> `{"Success":1,"AddPeople":n,"DeletePeople":n,"ServerTime":s}`. */
  @Post('Device/Keepalive')
  async keepalive(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.serve(KEEPALIVE, token, req, res, async (device, _raw, keepalive) => {
      await this.presence.seen(device, {
        via: 'heartbeat',
        ...(keepalive.deviceClock ? { deviceClock: keepalive.deviceClock } : {}),
      });
      const counts = await this.commands.pendingCounts(device.deviceId);
      return v2Ok({
        AddPeople: counts['person.upsert'],
        DeletePeople: counts['person.delete'],
        ServerTime: Math.floor(Date.now() / 1000),
      });
    });
  }

  /** `{SN, Limit}` -> the next people to add or update, claimed for this device. */
  @Post('People/DownloadPeopleList')
  async downloadPeople(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(PEOPLE_DOWNLOAD, token, req, res, async (device, _raw, download) => {
      this.seen(device, 'poll');
      const claimed = await this.commands.claim(device.deviceId, download.Limit, ['person.upsert']);
      const PeopleList = [];
      for (const command of claimed) {
        const ref = (command.payload as Partial<PersonUpsert>)?.photoRef;
        const photo = typeof ref === 'string' ? await this.photos.get(ref) : undefined;
        const item = peopleListItem(command, photo);
        if (item) PeopleList.push(item);
        else await this.unusable(device, command.seq);
      }
      return v2Ok({ PeopleList });
    });
  }

  /** `{SN, Limit}` -> the next people to remove from the device, claimed for this device. */
  @Post('People/DownloadDeleteList')
  async downloadDeletes(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(DELETE_DOWNLOAD, token, req, res, async (device, _raw, download) => {
      this.seen(device, 'poll');
      const claimed = await this.commands.claim(device.deviceId, download.Limit, ['person.delete']);
      const DeleteList = [];
      for (const command of claimed) {
        const item = deleteListItem(command);
        if (item) DeleteList.push(item);
        else await this.unusable(device, command.seq);
      }
      return v2Ok({ DeleteList });
    });
  }

  /** `{SN, Results:[{UserID, ErrorCode, ErrorMsg?}]}` for people downloaded with DownloadPeopleList. */
  @Post('People/UploadPeopleResult')
  async peopleResult(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(RESULTS, token, req, res, (device, raw, results) =>
      this.results(device, raw, 'person.upsert', results),
    );
  }

  /** `{SN, Results:[{UserID, ErrorCode, ErrorMsg?}]}` for people downloaded with DownloadDeleteList. */
  @Post('People/UploadDeleteResult')
  async deleteResult(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(RESULTS, token, req, res, (device, raw, results) =>
      this.results(device, raw, 'person.delete', results),
    );
  }

  /** A punch: multipart `SN`, `RecordDetail` (JSON) and `Photo` (<= 50 KB). RecordID deduplicates. */
  @Post('Record/UploadIdentifyRecord')
  async record(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = this.raw(req);
    const parts = readRecordParts(raw.body, req.header('content-type'));
    if (!parts.ok) return this.malformed(res, UNKNOWN, raw, parts.problems, 1);
    const problems: FieldProblem[] = [];
    const sn = readSerial({ SN: serialOfRecord(parts.value) }, problems);
    if (!sn) return this.malformed(res, UNKNOWN, raw, problems, 1);
    const device = await this.authenticate(sn, token, raw, req);
    if (!device) return this.unauthenticated(res);
    const parsed = parseRecord(parts.value, device.timeZone);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems, 1);
    const r = parsed.value;
    await this.acknowledge(res, device, 'record upload', async () => {
      if (r.UserID !== undefined) {
        await this.ingestion.ingest(device, raw, [
          {
            recordId: r.RecordID,
            personId: r.UserID,
            deviceTime: r.recordDate,
            punchedAt: r.punchedAt,
            ...(r.direction ? { direction: r.direction } : {}),
            verifyMode: r.verifyMode,
            ...(r.photo ? { photo: r.photo } : {}),
          },
        ]);
      } else {
        await this.ingestion.keep(
          device.deviceId,
          raw,
          'ignored',
          `record ${r.RecordID}: no UserID (stranger)`,
        );
      }
      if (r.notes.length > 0)
        this.logger.event('info', 'httpv2: record accepted without some of its content', {
          deviceId: device.deviceId,
          recordId: r.RecordID,
          notes: r.notes,
        });
      this.seen(device, 'upload');
      return v2Ok();
    });
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * The common course of a JSON message: its body read, its device identified by `SN` and the token,
   * the message parsed. Then `handle`, acknowledged with its reply (see acknowledge).
   */
  private async serve<T>(
    message: HttpV2Message<T>,
    token: string,
    req: Request,
    res: Response,
    handle: (device: Device, raw: RawRequest, value: T) => Promise<HttpV2Reply>,
  ): Promise<void> {
    const raw = this.raw(req);
    const body = await this.body(res, raw, req);
    if (!body) return;
    const device = await this.identify(res, raw, body, token, req);
    if (!device) return;
    const parsed = message.parse(body, device.timeZone);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems);
    await this.acknowledge(res, device, message.what, () => handle(device, raw, parsed.value));
  }

  /** `handle`'s reply, with 200; when what it stores fails, 503: not acknowledged, sent again. */
  private async acknowledge(
    res: Response,
    device: Device,
    what: string,
    handle: () => Promise<HttpV2Reply>,
  ): Promise<void> {
    try {
      this.reply(res, HttpStatus.OK, await handle());
    } catch (err) {
      this.unavailable(res, device, what, err);
    }
  }

  /** Results for the commands of `kind` outstanding on the device, applied and kept. */
  private async results(
    device: Device,
    raw: RawRequest,
    kind: CommandKind,
    parsed: HttpV2Results,
  ): Promise<HttpV2Reply> {
    const { applied, unknown } = await this.apply(device, kind, parsed.results);
    const skipped = parsed.skipped;
    await this.ingestion.keep(
      device.deviceId,
      raw,
      'accepted',
      `${kind} results: ${applied} applied` +
        (unknown.length
          ? `, ${unknown.length} for nothing outstanding (${unknown.slice(0, 10).join(', ')})`
          : '') +
        (skipped.length ? `; skipped ${skipped.map((p) => `${p.field}: ${p.message}`).join('; ')}` : ''),
    );
    this.seen(device, 'poll');
    return v2Ok({
      Applied: applied,
      ...(unknown.length ? { Unknown: unknown } : {}),
      ...(skipped.length ? { Skipped: skipped.map((p) => ({ Field: p.field, Message: p.message })) } : {}),
    });
  }

  /**
   * Completes the device's outstanding (sent) commands of this kind by person: the device answers by
   * UserID only, so each result completes the oldest sent command for that person.
   */
  private async apply(
    device: Device,
    kind: CommandKind,
    results: HttpV2PersonResult[],
  ): Promise<{ applied: number; unknown: string[] }> {
    const outstanding = new Map<string, number[]>();
    const PAGE = 500;
    for (let afterSeq = 0; ;) {
      const page = await this.commands.list(device.deviceId, { status: 'sent', kind, limit: PAGE, afterSeq });
      for (const c of page) {
        const personId = (c.payload as { personId?: unknown })?.personId;
        if (typeof personId !== 'string') continue;
        const seqs = outstanding.get(personId) ?? [];
        seqs.push(c.seq);
        outstanding.set(personId, seqs);
      }
      if (page.length < PAGE) break;
      afterSeq = page[page.length - 1].seq;
    }
    let applied = 0;
    const unknown: string[] = [];
    for (const r of results) {
      const seq = outstanding.get(r.UserID)?.shift();
      const done =
        seq !== undefined
          ? await this.commands.complete(
              device.deviceId,
              { seq },
              {
                ok: r.ErrorCode === 0,
                code: String(r.ErrorCode),
                ...(r.ErrorMsg ? { detail: r.ErrorMsg } : {}),
              },
            )
          : undefined;
      if (done) applied++;
      else unknown.push(r.UserID);
    }
    return { applied, unknown };
  }

  private async unusable(device: Device, seq: number): Promise<void> {
    await this.commands.complete(
      device.deviceId,
      { seq },
      { ok: false, code: 'not-a-person', detail: 'the command payload names no person' },
    );
  }

  /**
   * The device a JSON message names by `SN`, with the token of the URL. On failure the refusal is sent
   * (400 naming `SN` when it is missing or not a serial, 401 otherwise) and undefined returned.
   */
  private async identify(
    res: Response,
    raw: RawRequest,
    body: Body,
    token: string,
    req: Request,
  ): Promise<Device | undefined> {
    const problems: FieldProblem[] = [];
    const sn = readSerial(body, problems);
    if (!sn) {
      await this.malformed(res, UNKNOWN, raw, problems);
      return undefined;
    }
    const device = await this.authenticate(sn, token, raw, req);
    if (!device) this.unauthenticated(res);
    return device;
  }

  /** The JSON (or form) body; on failure the refusal is already sent and undefined returned. */
  private async body(res: Response, raw: RawRequest, req: Request): Promise<Body | undefined> {
    const read = readBody(raw.body, req.header('content-type'));
    if (read.ok) return read.value;
    await this.malformed(res, UNKNOWN, raw, read.problems);
    return undefined;
  }

  /** The httpv2 device with this serial, when the token is its own; else the refusal is kept. */
  private async authenticate(
    sn: string,
    token: string,
    raw: RawRequest,
    req: Request,
  ): Promise<Device | undefined> {
    const device = await this.devices.findBySerial('httpv2', sn);
    const refusal = device
      ? refusalOf(this.devices, device, token)
      : `SN ${sn.slice(0, 64)}: no httpv2 device with this serial`;
    // Over the rate: ErrorCode 1003 (unavailable) with 429 (DeviceBusyFilter).
    this.limiter?.admit(req, 'httpv2', refusal ? undefined : device?.deviceId);
    if (!refusal) return device;
    await refuseUnauthenticated(this.ingestion, device?.deviceId ?? UNKNOWN, raw, refusal, true);
    return undefined;
  }

  private raw(req: Request): RawRequest {
    return rawRequest(req, PROTOCOL, { 'x-path': req.path.slice(0, 256) });
  }

  /** Presence without waiting for it (a failure is logged). */
  private seen(device: Device, via: SeenVia): void {
    void markSeen(this.presence, this.logger, device, via);
  }

  private async malformed(
    res: Response,
    deviceId: string,
    raw: RawRequest,
    problems: FieldProblem[],
    punchCount = 0,
  ): Promise<void> {
    await refuseMalformed(this.ingestion, deviceId, raw, problems, punchCount, true);
    return this.reply(res, HttpStatus.BAD_REQUEST, v2Error(HttpV2ErrorCode.malformed, problems));
  }

  private unauthenticated(res: Response): void {
    return this.reply(
      res,
      HttpStatus.UNAUTHORIZED,
      v2Error(HttpV2ErrorCode.unauthenticated, [
        { field: 'SN', message: 'is not a registered httpv2 device with the token of this URL' },
      ]),
    );
  }

  private unavailable(res: Response, device: Device, what: string, err: unknown): void {
    replyNotStored(
      res,
      this.logger,
      `httpv2: ${what} failed`,
      device.deviceId,
      err,
      v2Error(HttpV2ErrorCode.unavailable, 'the gateway could not store this now; send it again'),
    );
  }

  private reply(res: Response, status: number, body: HttpV2Reply): void {
    sendJson(res, status, body);
  }
}
