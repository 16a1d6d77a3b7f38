import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Optional,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { DeviceRateLimiter } from '../families/shared/device-rate-limit';
import { ApiBearerAuth, ApiExcludeController, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  AGENT_CODES,
  AGENT_FAMILIES as CONTRACT_AGENT_FAMILIES,
  AgentCommand,
  AgentFamily,
  ClaimReply,
  ClaimRequestSchema,
  CommandOutcomeSchema,
  CommandResultReply,
  isAgentUuid,
  RecordsUploadReply,
  RecordsUploadSchema,
  SITE_AGENT_PREFIX,
} from '@realname/contracts';
import { JsonLogger, LOGGER, Problem } from '@realname/platform';
import { Backfills } from '../backfill/backfills';
import { CommandQueue, DeviceCommand } from '../commands/command-queue';
import type { Device, DeviceFamily } from '../devices/device';
import { DeviceRepository } from '../devices/device-repository';
import { DevicePresence } from '../devices/presence';
import { authenticateDevice, markSeen, rawRequest, sendPhoto } from '../families/shared/device-request';
import { NormalisedPunch, PunchIngestion, RawRequest } from '../ingest/punch-ingestion';
import { photoDigest, PhotoStore } from '../photos/photo-store';
import { normaliseHikvisionRecords, normaliseUfaceRecords, NormalisedRecords } from './records';

export { SITE_AGENT_PREFIX };
/** The families whose devices the site agent drives (they must be called on the site's network). */
export const AGENT_FAMILIES: readonly DeviceFamily[] = CONTRACT_AGENT_FAMILIES;
/** Outcome codes meaning the agent could not reach the device at all (no sign of life). */
const UNREACHABLE_CODES = new Set<string>([AGENT_CODES.unreachable]);

/**
 * The gateway side of the site agent (docs/site-agent.md). Hikvision and Uface devices are called on
 * the site's network; an agent running there claims their commands here, executes them against the
 * devices, reports each result and uploads the records a backfill query fetched. Every route is
 * authenticated with `Authorization: Bearer <device token>` (the device's path token).
 */
// A device protocol (device tokens), not the platform's REST API: out of the OpenAPI document.
@ApiExcludeController()
@ApiTags('site agent')
@ApiBearerAuth()
@Controller(SITE_AGENT_PREFIX.slice(1) + '/:deviceId')
export class SiteAgentController {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly backfills: Backfills,
    private readonly photos: PhotoStore,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Optional() private readonly limiter?: DeviceRateLimiter,
  ) {}

  @Post('commands/claim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Claim the due commands of a device (queued -> sent), oldest first' })
  async claim(@Param('deviceId') deviceId: string, @Req() req: Request): Promise<ClaimReply> {
    const raw = this.raw(req);
    const device = await this.authenticate(deviceId, req, raw);
    const body = this.parse(ClaimRequestSchema, raw, device, true);
    const claimed = await this.commands.claim(device.deviceId, body.limit, body.kinds);
    return {
      // authenticate() let only agent families through.
      device: { deviceId: device.deviceId, family: device.family as AgentFamily, timeZone: device.timeZone },
      commands: claimed.map(wireCommand),
      serverTime: new Date().toISOString(),
    };
  }

  @Post('commands/:commandId/result')
  @HttpCode(200)
  @ApiOperation({
    summary: "Report a command's outcome: ok, or the device's code (requeued until attempts run out)",
  })
  async result(
    @Param('deviceId') deviceId: string,
    @Param('commandId') commandId: string,
    @Req() req: Request,
  ): Promise<CommandResultReply> {
    const raw = this.raw(req);
    const device = await this.authenticate(deviceId, req, raw);
    if (!isAgentUuid(commandId))
      throw Problem.badRequest('Not a command id', [
        { field: 'commandId', message: 'must be a UUID from a claim' },
      ]);
    const body = this.parse(CommandOutcomeSchema, raw, device, false);
    const outcome = {
      ok: body.ok,
      ...(body.code !== undefined ? { code: body.code } : {}),
      ...(body.detail !== undefined ? { detail: body.detail } : {}),
      ...(body.result !== undefined ? { result: body.result } : {}),
    };
    const command = await this.commands.complete(device.deviceId, { commandId }, outcome);
    if (!command) {
      const existing = await this.commands.get(commandId);
      if (!existing || existing.deviceId !== device.deviceId)
        throw Problem.notFound(`Command ${commandId} is not a command of device ${device.deviceId}`);
      throw Problem.conflict(
        'command-not-outstanding',
        `Command ${commandId} is ${existing.status}, not waiting for a result (reported twice, or sent again after the acknowledgement timeout)`,
      );
    }
    // The device answered (even a refusal is a sign of life); "unreachable" is the agent's own failure.
    if (body.ok || !UNREACHABLE_CODES.has(body.code ?? '')) await this.seen(device);
    return {
      commandId: command.commandId,
      kind: command.kind,
      status: command.status,
      attempts: command.attempts,
      ...(command.deviceCode ? { deviceCode: command.deviceCode } : {}),
    };
  }

  @Post('records')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Upload records a records.query fetched from the device (Hikvision AcsEvent InfoList, Uface findRecords)',
  })
  async records(@Param('deviceId') deviceId: string, @Req() req: Request): Promise<RecordsUploadReply> {
    const raw = this.raw(req);
    const device = await this.authenticate(deviceId, req, raw);
    const body = this.parse(RecordsUploadSchema, raw, device, false);
    const backfill = await this.backfills.get(body.backfillId);
    if (!backfill || backfill.deviceId !== device.deviceId) {
      await this.ingestion.refuse(
        device.deviceId,
        raw,
        'malformed',
        'unknown backfillId',
        body.records.length,
      );
      throw Problem.badRequest('No such backfill for this device', [
        { field: 'backfillId', message: `is not a backfill of device ${device.deviceId}` },
      ]);
    }

    const normalised: NormalisedRecords =
      device.family === 'hikvision-isapi'
        ? normaliseHikvisionRecords(body.records, device.timeZone)
        : normaliseUfaceRecords(body.records, device.timeZone);
    const punches: NormalisedPunch[] = normalised.punches.map((p) => ({
      personId: p.personId,
      deviceTime: p.deviceTime,
      punchedAt: p.punchedAt,
      verifyMode: p.verifyMode,
      ...(p.recordId !== undefined ? { recordId: p.recordId } : {}),
      ...(p.direction ? { direction: p.direction } : {}),
    }));

    let requestId: string;
    const counts = { accepted: 0, duplicate: 0, collapsed: 0 };
    if (punches.length > 0) {
      const r = await this.ingestion.ingest(device, raw, punches, { backfillId: backfill.backfillId });
      requestId = r.requestId;
      for (const x of r.results) counts[x.status]++;
    } else {
      requestId = await this.ingestion.keep(
        device.deviceId,
        raw,
        'ignored',
        `backfill ${backfill.backfillId}: no passes among ${body.records.length} record(s)`,
      );
    }
    if (normalised.invalid.length > 0)
      this.logger.event('warn', 'site agent: uploaded records that cannot be read', {
        deviceId: device.deviceId,
        backfillId: backfill.backfillId,
        invalid: normalised.invalid.slice(0, 5),
        count: normalised.invalid.length,
      });
    await this.seen(device);
    return {
      requestId,
      received: body.records.length,
      punches: punches.length,
      ...counts,
      ignored: normalised.ignored.length,
      invalid: normalised.invalid,
    };
  }

  @Get('photos/:ref')
  @ApiOperation({
    summary:
      'A face photo of a person.upsert by its photoRef (sha256:<hex>, or the hex, optionally with .jpg); `access_token` may replace the header for devices that fetch it',
  })
  async photo(
    @Param('deviceId') deviceId: string,
    @Param('ref') ref: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    await this.authenticate(deviceId, req, raw, true);
    const digest = photoDigest(ref.replace(/\.(jpe?g|png)$/i, ''));
    if (!digest)
      throw Problem.badRequest('Not a photo reference', [
        { field: 'ref', message: 'must be sha256:<64 hex digits> or the 64 hex digits' },
      ]);
    const photo = await this.photos.get(digest);
    if (!photo)
      throw Problem.notFound(`No photo ${digest} (never stored, or deleted after the retention period)`);
    sendPhoto(res, photo);
  }

  // --------------------------------------------------------------------------------------------------

  private async authenticate(
    deviceId: string,
    req: Request,
    raw: RawRequest,
    allowQuery = false,
  ): Promise<Device> {
    const header = req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const queryToken =
      allowQuery && typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const token = m?.[1] ?? queryToken;
    const device = await authenticateDevice(this.devices, this.ingestion, raw, {
      deviceId,
      token,
      context: 'site agent',
    });
    // Over the rate: problem details `rate-limited` with 429 and Retry-After (the global filter).
    this.limiter?.admit(req, 'site-agent', device?.deviceId);
    if (!device) {
      throw Problem.unauthorized(
        'unknown-device',
        token
          ? `Device "${deviceId.slice(0, 64)}" is not registered, is disabled, or the token is not its token`
          : 'Authorization: Bearer <device token> is required',
      );
    }
    if (!AGENT_FAMILIES.includes(device.family))
      throw new Problem(
        'not-an-agent-family',
        'Forbidden',
        HttpStatus.FORBIDDEN,
        `Device ${device.deviceId} is a ${device.family} device; the site agent serves ${AGENT_FAMILIES.join(' and ')} devices`,
      );
    return device;
  }

  private parse<T extends z.ZodTypeAny>(
    schema: T,
    raw: RawRequest,
    device: Device,
    emptyIsObject: boolean,
  ): z.infer<T> {
    const text = raw.body.toString('utf8').trim();
    let json: unknown;
    if (text === '' && emptyIsObject) json = {};
    else {
      try {
        json = JSON.parse(text);
      } catch (err) {
        void this.refuseQuietly(device, raw, `not JSON: ${(err as Error).message}`);
        throw Problem.badRequest(`The body is not valid JSON: ${(err as Error).message}`, [
          { field: '(body)', message: 'must be a JSON object' },
        ]);
      }
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({
        field: i.path.length
          ? i.path
              .map((p) => (typeof p === 'number' ? `[${p}]` : p))
              .join('.')
              .replace(/\.\[/g, '[')
          : '(body)',
        message: i.message,
      }));
      void this.refuseQuietly(device, raw, JSON.stringify(errors).slice(0, 2000));
      throw Problem.badRequest(`${errors.length} field(s) are not valid`, errors);
    }
    return parsed.data;
  }

  private async refuseQuietly(device: Device, raw: RawRequest, detail: string): Promise<void> {
    try {
      await this.ingestion.refuse(device.deviceId, raw, 'malformed', `site agent: ${detail}`);
    } catch (err) {
      this.logger.event('warn', 'site agent: malformed request not kept', {
        deviceId: device.deviceId,
        error: String(err),
      });
    }
  }

  private seen(device: Device): Promise<void> {
    return markSeen(this.presence, this.logger, device, 'agent');
  }

  private raw(req: Request): RawRequest {
    return rawRequest(req, 'site-agent', {
      'x-route': `${req.method} ${req.path.replace(/\?.*$/, '')}`.slice(0, 256),
    });
  }
}

/** A command as the agent sees it (the queue's kinds and payloads must be the contract's). */
function wireCommand(c: DeviceCommand): AgentCommand {
  return {
    commandId: c.commandId,
    seq: c.seq,
    kind: c.kind,
    payload: c.payload,
    attempts: c.attempts,
    createdAt: c.createdAt.toISOString(),
  };
}
