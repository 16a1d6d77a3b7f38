import { Controller, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FieldProblem } from '@realname/contracts';
import { currentCorrelationId, JsonLogger, LOGGER } from '@realname/platform';
import { CommandKind, CommandQueue, PersonUpsert } from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence, SeenVia } from '../../devices/presence';
import { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { PhotoStore } from '../../photos/photo-store';
import {
  Body,
  deleteListItem,
  HttpV2ErrorCode,
  HttpV2PersonResult,
  HttpV2Reply,
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
const KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for', 'x-correlation-id'];
const UNKNOWN = '(unknown)';

type Auth = { ok: true; device: Device } | { ok: false };

/**
 * Generic "HTTPv2" face terminals (PROTOCOL.md in this folder). The device's base URL is
 * `http://<gateway>/httpv2/<token>`; every request names the device by `SN`, which must be a registered,
 * enabled httpv2 device whose token is the one in the path. Replies are `{"Success":1, ...}`; anything
 * else makes the device send again (records: every 10 s).
 */
@ApiExcludeController()
@Controller(HTTPV2_PREFIX.slice(1) + '/:token')
export class HttpV2Controller {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly photos: PhotoStore,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  /** `{SN, DeviceTime?, ...}` -> `{"Success":1,"AddPeople":n,"DeletePeople":n,"ServerTime":s}`. */
  @Post('Device/Keepalive')
  async keepalive(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const raw = this.raw(req);
    const body = await this.body(res, raw, req);
    if (!body) return;
    const device = await this.identify(res, raw, body, token);
    if (!device) return;
    const parsed = parseKeepalive(body, device.timeZone);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems);
    try {
      await this.presence.seen(device, {
        via: 'heartbeat',
        ...(parsed.value.deviceClock ? { deviceClock: parsed.value.deviceClock } : {}),
      });
      const counts = await this.commands.pendingCounts(device.deviceId);
      return this.reply(
        res,
        HttpStatus.OK,
        v2Ok({
          AddPeople: counts['person.upsert'],
          DeletePeople: counts['person.delete'],
          ServerTime: Math.floor(Date.now() / 1000),
        }),
      );
    } catch (err) {
      return this.unavailable(res, device, 'keepalive', err);
    }
  }

  /** `{SN, Limit}` -> the next people to add or update, claimed for this device. */
  @Post('People/DownloadPeopleList')
  async downloadPeople(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const body = await this.body(res, raw, req);
    if (!body) return;
    const device = await this.identify(res, raw, body, token);
    if (!device) return;
    const parsed = parseDownload(body);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems);
    try {
      this.seen(device, 'poll');
      const claimed = await this.commands.claim(device.deviceId, parsed.value.Limit, ['person.upsert']);
      const PeopleList = [];
      for (const command of claimed) {
        const ref = (command.payload as Partial<PersonUpsert>)?.photoRef;
        const photo = typeof ref === 'string' ? await this.photos.get(ref) : undefined;
        const item = peopleListItem(command, photo);
        if (item) PeopleList.push(item);
        else await this.unusable(device, command.seq);
      }
      return this.reply(res, HttpStatus.OK, v2Ok({ PeopleList }));
    } catch (err) {
      return this.unavailable(res, device, 'people download', err);
    }
  }

  /** `{SN, Limit}` -> the next people to remove from the device, claimed for this device. */
  @Post('People/DownloadDeleteList')
  async downloadDeletes(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const body = await this.body(res, raw, req);
    if (!body) return;
    const device = await this.identify(res, raw, body, token);
    if (!device) return;
    const parsed = parseDownload(body);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems);
    try {
      this.seen(device, 'poll');
      const claimed = await this.commands.claim(device.deviceId, parsed.value.Limit, ['person.delete']);
      const DeleteList = [];
      for (const command of claimed) {
        const item = deleteListItem(command);
        if (item) DeleteList.push(item);
        else await this.unusable(device, command.seq);
      }
      return this.reply(res, HttpStatus.OK, v2Ok({ DeleteList }));
    } catch (err) {
      return this.unavailable(res, device, 'delete download', err);
    }
  }

  /** `{SN, Results:[{UserID, ErrorCode, ErrorMsg?}]}` for people downloaded with DownloadPeopleList. */
  @Post('People/UploadPeopleResult')
  async peopleResult(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.results(token, req, res, 'person.upsert');
  }

  /** `{SN, Results:[{UserID, ErrorCode, ErrorMsg?}]}` for people downloaded with DownloadDeleteList. */
  @Post('People/UploadDeleteResult')
  async deleteResult(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.results(token, req, res, 'person.delete');
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
    const auth = await this.authenticate(sn, token, raw);
    if (!auth.ok) return this.unauthenticated(res);
    const { device } = auth;
    const parsed = parseRecord(parts.value, device.timeZone);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems, 1);
    const r = parsed.value;
    try {
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
      return this.reply(res, HttpStatus.OK, v2Ok());
    } catch (err) {
      return this.unavailable(res, device, 'record upload', err);
    }
  }

  // -------------------------------------------------------------------------------------------------

  private async results(token: string, req: Request, res: Response, kind: CommandKind): Promise<void> {
    const raw = this.raw(req);
    const body = await this.body(res, raw, req);
    if (!body) return;
    const device = await this.identify(res, raw, body, token);
    if (!device) return;
    const parsed = parseResults(body);
    if (!parsed.ok) return this.malformed(res, device.deviceId, raw, parsed.problems);
    try {
      const { applied, unknown } = await this.apply(device, kind, parsed.value.results);
      const skipped = parsed.value.skipped;
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
      return this.reply(
        res,
        HttpStatus.OK,
        v2Ok({
          Applied: applied,
          ...(unknown.length ? { Unknown: unknown } : {}),
          ...(skipped.length
            ? { Skipped: skipped.map((p) => ({ Field: p.field, Message: p.message })) }
            : {}),
        }),
      );
    } catch (err) {
      return this.unavailable(res, device, 'result upload', err);
    }
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
  ): Promise<Device | undefined> {
    const problems: FieldProblem[] = [];
    const sn = readSerial(body, problems);
    if (!sn) {
      await this.malformed(res, UNKNOWN, raw, problems);
      return undefined;
    }
    const auth = await this.authenticate(sn, token, raw);
    if (auth.ok) return auth.device;
    this.unauthenticated(res);
    return undefined;
  }

  /** The JSON (or form) body; on failure the refusal is already sent and undefined returned. */
  private async body(res: Response, raw: RawRequest, req: Request): Promise<Body | undefined> {
    const read = readBody(raw.body, req.header('content-type'));
    if (read.ok) return read.value;
    await this.malformed(res, UNKNOWN, raw, read.problems);
    return undefined;
  }

  private async authenticate(sn: string | undefined, token: string, raw: RawRequest): Promise<Auth> {
    const device = sn ? await this.devices.findBySerial('httpv2', sn) : undefined;
    if (device && device.enabled && this.devices.tokenMatches(device, token)) return { ok: true, device };
    const detail = !sn
      ? 'SN: missing'
      : !device
        ? `SN ${sn.slice(0, 64)}: no httpv2 device with this serial`
        : !device.enabled
          ? 'device disabled'
          : 'wrong token';
    await this.ingestion
      .refuse(device?.deviceId ?? UNKNOWN, raw, 'unauthenticated', detail)
      .catch(() => undefined);
    return { ok: false };
  }

  private raw(req: Request): RawRequest {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = req.header(h);
      if (v !== undefined) headers[h] = v.slice(0, 512);
    }
    headers['x-path'] = req.path.slice(0, 256);
    return {
      protocol: PROTOCOL,
      headers,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      receivedAt: new Date(),
      correlationId: currentCorrelationId(),
    };
  }

  private seen(device: Device, via: SeenVia): void {
    this.presence.seen(device, { via }).catch((err) =>
      this.logger.event('warn', 'httpv2: presence not recorded', {
        deviceId: device.deviceId,
        error: String(err),
      }),
    );
  }

  private async malformed(
    res: Response,
    deviceId: string,
    raw: RawRequest,
    problems: FieldProblem[],
    punchCount = 0,
  ): Promise<void> {
    await this.ingestion
      .refuse(deviceId, raw, 'malformed', JSON.stringify(problems).slice(0, 4000), punchCount)
      .catch(() => undefined);
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
    this.logger.event('error', `httpv2: ${what} failed`, { deviceId: device.deviceId, error: String(err) });
    return this.reply(
      res,
      HttpStatus.SERVICE_UNAVAILABLE,
      v2Error(HttpV2ErrorCode.unavailable, 'the gateway could not store this now; send it again'),
    );
  }

  private reply(res: Response, status: number, body: HttpV2Reply): void {
    res.status(status).type('application/json').send(JSON.stringify(body));
  }
}
