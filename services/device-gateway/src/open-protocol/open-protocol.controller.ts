import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { currentCorrelationId, Problem, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../config';
import { DeviceRepository } from '../devices/device-repository';
import { PunchIngestion, RawRequest } from '../ingest/punch-ingestion';
import { parsePunchBatch } from './punch-batch';
import { verifyRequest } from '@realname/contracts';

export const OPEN_PROTOCOL_PREFIX = '/open/v1'; // OPEN_V1_PUNCHES_PATH lives below it
const PROTOCOL = 'open-v1';
const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'x-device-id',
  'x-timestamp',
  'x-signature',
  'x-correlation-id',
];

/** The platform's own device protocol, version 1 (docs/device-protocol.md). */
@ApiTags('open device protocol v1')
@Controller(OPEN_PROTOCOL_PREFIX.slice(1))
export class OpenProtocolController {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('punches')
  @HttpCode(200)
  @ApiOperation({ summary: 'Upload a batch of punches, signed with the device secret' })
  @ApiHeader({ name: 'X-Device-Id', required: true })
  @ApiHeader({ name: 'X-Timestamp', required: true, description: 'Unix time in seconds' })
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    description: 'v1=<hex HMAC-SHA256 of "<timestamp>\\n<body>">',
  })
  async punches(@Req() req: Request) {
    const receivedAt = new Date();
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = req.header(h);
      if (v !== undefined) headers[h] = v.slice(0, 512);
    }
    const raw: RawRequest = {
      protocol: PROTOCOL,
      headers,
      body,
      receivedAt,
      correlationId: currentCorrelationId(),
    };
    const deviceId = req.header('x-device-id') ?? '';

    const device = deviceId ? await this.devices.find(deviceId) : undefined;
    if (!device || !device.enabled) {
      await this.ingestion.refuse(deviceId || '(none)', raw, 'unauthenticated', 'unknown or disabled device');
      throw Problem.unauthorized(
        'unknown-device',
        deviceId
          ? `Device "${deviceId.slice(0, 64)}" is not registered or is disabled`
          : 'The X-Device-Id header is required',
      );
    }
    const check = verifyRequest(
      device.secret,
      { timestamp: req.header('x-timestamp'), signature: req.header('x-signature') },
      body,
      receivedAt.getTime(),
      this.config.OPEN_PROTOCOL_TIMESTAMP_WINDOW_S,
    );
    if (!check.ok) {
      await this.ingestion.refuse(device.deviceId, raw, 'unauthenticated', check.detail);
      throw Problem.unauthorized(check.reason, check.detail);
    }

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      const detail = `The body is not valid JSON: ${(err as Error).message}`;
      await this.ingestion.refuse(device.deviceId, raw, 'malformed', detail);
      throw Problem.badRequest(detail, [
        { field: '(body)', message: 'must be a JSON object {"punches": [...]}' },
      ]);
    }
    const batch = parsePunchBatch(json, device.timeZone, this.config.OPEN_PROTOCOL_MAX_BATCH);
    if (!batch.ok) {
      const count = Array.isArray((json as { punches?: unknown })?.punches)
        ? (json as { punches: unknown[] }).punches.length
        : 0;
      const detail = `${batch.problems.length} field(s) are not valid; nothing in this batch was accepted. Fix or drop those punches and resend the batch.`;
      await this.ingestion.refuse(
        device.deviceId,
        raw,
        'malformed',
        JSON.stringify(batch.problems).slice(0, 4000),
        count,
      );
      throw Problem.badRequest(detail, batch.problems);
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
      })),
    );
    return { requestId, serverTime: new Date().toISOString(), results };
  }
}
