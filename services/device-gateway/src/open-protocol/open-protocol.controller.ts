import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { DeviceRateLimiter } from '../families/shared/device-rate-limit';
import { ApiExcludeController, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  FieldProblem,
  OPEN_V1_PREFIX,
  OpenV1ClaimReply,
  OpenV1Command,
  OpenV1HeartbeatReply,
  OpenV1ResultsReply,
  OpenV1UploadReply,
  Result,
  SHA256_HEX,
  verifyRequest,
} from '@realname/contracts';
import { JsonLogger, LOGGER, Problem, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../config';
import { CommandQueue } from '../commands/command-queue';
import type { Device } from '../devices/device';
import { DeviceRepository } from '../devices/device-repository';
import { DevicePresence, SeenVia } from '../devices/presence';
import {
  markSeen,
  rawRequest,
  refuseMalformed,
  refuseUnauthenticated,
} from '../families/shared/device-request';
import { PunchIngestion, RawRequest } from '../ingest/punch-ingestion';
import { PhotoStore } from '../photos/photo-store';
import {
  completionOf,
  OPEN_V1_KINDS,
  parseClaim,
  parseCommandResults,
  renderCommand,
  resultStatus,
} from './commands';
import { heartbeatReply, parseHeartbeat } from './heartbeat';
import { OpenV1ProblemFilter } from './open-v1-problem.filter';
import { parsePunchBatch } from './punch-batch';
import { parseJsonBody } from './wire';

export { OPEN_V1_PREFIX as OPEN_PROTOCOL_PREFIX };
const PROTOCOL = 'open-v1';
const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'x-device-id',
  'x-timestamp',
  'x-signature',
  'x-correlation-id',
];

interface Signed {
  device: Device;
  raw: RawRequest;
}

const SIGNED_HEADERS = [
  ApiHeader({ name: 'X-Device-Id', required: true }),
  ApiHeader({ name: 'X-Timestamp', required: true, description: 'Unix time in seconds' }),
  ApiHeader({
    name: 'X-Signature',
    required: true,
    description: 'v1=<hex HMAC-SHA256 of "<timestamp>\\n<body>">',
  }),
];
function Signed(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const d of SIGNED_HEADERS) d(target, key, descriptor);
  };
}

/**
 * The platform's own device protocol, version 1 (docs/device-protocol.md): punches, heartbeat,
 * person issuance pulled by the device with per-command results, and photo download. Every request is
 * signed with the device's secret over the exact bytes of its body.
 */
// A device protocol (signed with device secrets), not the platform's REST API: out of the OpenAPI
// document; docs/device-protocol.md describes it and its fuzz tests cover it.
@ApiExcludeController()
@ApiTags('open device protocol v1')
@Controller(OPEN_V1_PREFIX.slice(1))
@UseFilters(OpenV1ProblemFilter)
export class OpenProtocolController {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly photos: PhotoStore,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Optional() private readonly limiter?: DeviceRateLimiter,
  ) {}

  @Post('punches')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Upload a batch of punches (optionally with photos, or answering a records.query)',
  })
  @Signed()
  async punches(@Req() req: Request): Promise<OpenV1UploadReply> {
    const { device, raw } = await this.authenticate(req);
    const json = parseJsonBody(raw.body);
    if (!json.ok) return this.malformed(device, raw, json.problems);
    const batch = parsePunchBatch(json.value, device.timeZone, this.config.OPEN_PROTOCOL_MAX_BATCH, {
      maxPhotoBytes: this.config.PHOTO_MAX_BYTES,
    });
    if (!batch.ok) {
      const punches = (json.value as { punches?: unknown } | null)?.punches;
      return this.malformed(
        device,
        raw,
        batch.problems,
        Array.isArray(punches) ? punches.length : 0,
        'Fix or drop those punches and resend the batch.',
      );
    }

    const { requestId, results } = await this.ingestion.ingest(
      device,
      raw,
      batch.punches.map((p) => ({
        recordId: p.recordId,
        personId: p.personId,
        deviceTime: p.time,
        punchedAt: p.punchedAt,
        direction: p.direction,
        verifyMode: p.verifyMode,
        ...(p.photo ? { photo: p.photo } : {}),
      })),
      batch.backfillId !== undefined ? { backfillId: batch.backfillId } : {},
    );
    await this.seen(device, 'upload');
    return {
      requestId,
      serverTime: new Date().toISOString(),
      // One result per punch, in the order sent (every open-v1 punch has a record id: its key).
      results: results.map((r, i) => ({
        recordId: batch.punches[i]?.recordId ?? r.key,
        status: r.status,
        ...(r.eventId ? { eventId: r.eventId } : {}),
      })),
    };
  }

  @Post('heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign of life with the device clock; answers with pending work' })
  @Signed()
  async heartbeat(@Req() req: Request): Promise<OpenV1HeartbeatReply> {
    const { device, raw } = await this.authenticate(req);
    const parsed = this.parse(raw, parseHeartbeat);
    if (!parsed.ok) return this.malformed(device, raw, parsed.problems);
    // The heartbeat is the presence signal: a failure here is the request's failure.
    await this.presence.seen(device, { via: 'heartbeat', deviceClock: parsed.value.deviceClock });
    const counts = await this.commands.pendingCounts(device.deviceId);
    return heartbeatReply(counts, new Date(), this.config.OPEN_PROTOCOL_POLL_AFTER_S);
  }

  @Post('commands/claim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take the next commands (person upserts and deletes, record queries)' })
  @Signed()
  async claim(@Req() req: Request): Promise<OpenV1ClaimReply> {
    const { device, raw } = await this.authenticate(req);
    const parsed = this.parse(raw, parseClaim);
    if (!parsed.ok) return this.malformed(device, raw, parsed.problems);
    await this.seen(device, 'poll');
    const claimed = await this.commands.claim(device.deviceId, parsed.value.limit, [...OPEN_V1_KINDS]);
    const commands: OpenV1Command[] = [];
    for (const c of claimed) {
      const rendered = renderCommand(c, { publicBaseUrl: this.config.GATEWAY_PUBLIC_URL });
      if (rendered.ok) {
        commands.push(rendered.command);
        continue;
      }
      // Not something this device can be sent: answer it for the device, so that it does not come back forever.
      this.logger.event('warn', 'open-v1: command cannot be rendered', {
        deviceId: device.deviceId,
        commandId: c.commandId,
        kind: c.kind,
        reason: rendered.reason,
      });
      await this.commands.complete(
        device.deviceId,
        { commandId: c.commandId },
        { ok: false, code: 'unrenderable', detail: rendered.reason },
      );
    }
    return { commands };
  }

  @Post('commands/results')
  @HttpCode(200)
  @ApiOperation({ summary: 'Report the outcome of claimed commands, one result per command' })
  @Signed()
  async results(@Req() req: Request): Promise<OpenV1ResultsReply> {
    const { device, raw } = await this.authenticate(req);
    const parsed = this.parse(raw, parseCommandResults);
    if (!parsed.ok) return this.malformed(device, raw, parsed.problems, 0, 'Fix them and resend the report.');
    // The device's report is evidence: kept like any request that changed something.
    await this.ingestion.keep(
      device.deviceId,
      raw,
      'accepted',
      `command results: ${parsed.value.filter((r) => r.ok).length} ok, ${parsed.value.filter((r) => !r.ok).length} failed`,
    );
    await this.seen(device, 'poll');
    const results = [];
    for (const r of parsed.value) {
      const command = await this.commands.complete(
        device.deviceId,
        { commandId: r.commandId },
        completionOf(r),
      );
      results.push(resultStatus(r.commandId, command));
    }
    return { results };
  }

  @Get('photos/:sha256')
  @ApiOperation({ summary: 'Download the face photo of a person.upsert (signed over an empty body)' })
  @Signed()
  async photo(@Req() req: Request, @Res() res: Response, @Param('sha256') sha256: string): Promise<void> {
    const { device } = await this.authenticate(req);
    await this.seen(device, 'poll');
    const photo = SHA256_HEX.test(sha256) ? await this.photos.get(sha256) : undefined;
    if (!photo) {
      throw new Problem(
        'photo-not-found',
        'Not found',
        404,
        `No photo ${sha256.slice(0, 64)} is held: take the photoUrl of a current person.upsert command`,
      );
    }
    res
      .status(200)
      .type(photo.contentType)
      .setHeader('ETag', `"${sha256}"`)
      .setHeader('Cache-Control', 'private, max-age=86400, immutable')
      .send(photo.bytes);
  }

  // -------------------------------------------------------------------------------------------------

  /** The registered, enabled open-v1 device that signed this request, or a 401 (the refusal is kept). */
  private async authenticate(req: Request): Promise<Signed> {
    const raw = rawRequest(
      req,
      PROTOCOL,
      { ':method': req.method, ':path': req.originalUrl.slice(0, 512) },
      KEPT_HEADERS,
    );
    const deviceId = req.header('x-device-id') ?? '';

    const device = deviceId ? await this.devices.find(deviceId) : undefined;
    if (!device || !device.enabled || device.family !== 'open-v1' || !device.secret) {
      this.limiter?.admit(req, 'open-v1', undefined);
      await refuseUnauthenticated(this.ingestion, deviceId, raw, 'unknown or disabled open-v1 device');
      throw Problem.unauthorized(
        'unknown-device',
        deviceId
          ? `Device "${deviceId.slice(0, 64)}" is not a registered, enabled open-v1 device`
          : 'The X-Device-Id header is required',
      );
    }
    const check = verifyRequest(
      device.secret,
      { timestamp: req.header('x-timestamp'), signature: req.header('x-signature') },
      raw.body,
      raw.receivedAt.getTime(),
      this.config.OPEN_PROTOCOL_TIMESTAMP_WINDOW_S,
    );
    // Over the rate: problem details `open-v1/rate-limited` with 429 and Retry-After.
    this.limiter?.admit(req, 'open-v1', check.ok ? device.deviceId : undefined);
    if (!check.ok) {
      await refuseUnauthenticated(this.ingestion, device.deviceId, raw, check.detail);
      throw Problem.unauthorized(check.reason, check.detail);
    }
    return { device, raw };
  }

  private parse<T>(raw: RawRequest, parser: (json: unknown) => Result<T>): Result<T> {
    const json = parseJsonBody(raw.body);
    return json.ok ? parser(json.value) : json;
  }

  /** Keeps the refused request for diagnosis and answers 400 naming every bad field. */
  private async malformed(
    device: Device,
    raw: RawRequest,
    problems: FieldProblem[],
    punchCount = 0,
    advice = 'Fix them and resend.',
  ): Promise<never> {
    const detail =
      punchCount > 0
        ? `${problems.length} field(s) are not valid; nothing in this batch was accepted. ${advice}`
        : `${problems.length} field(s) are not valid; nothing in this request was taken. ${advice}`;
    await refuseMalformed(this.ingestion, device.deviceId, raw, problems, punchCount);
    // An authenticated device is alive, even when what it sent is wrong.
    await this.seen(device, 'poll');
    throw Problem.badRequest(detail, problems.slice(0, 200));
  }

  /** Presence is secondary on these routes: a failure to record it must not fail the request. */
  private seen(device: Device, via: SeenVia): Promise<void> {
    return markSeen(this.presence, this.logger, device, via);
  }
}
