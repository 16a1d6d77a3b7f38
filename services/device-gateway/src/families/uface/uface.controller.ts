import { Controller, Get, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FieldProblem } from '@realname/contracts';
import { currentCorrelationId, JsonLogger, LOGGER, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../../config';
import { CommandQueue, DeviceCommand, PersonUpsert } from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence, SeenVia } from '../../devices/presence';
import { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { photoDigest, PhotoStore } from '../../photos/photo-store';
import { FaceSteps } from './face-steps';
import { readFields } from './form-fields';
import {
  checkDeviceKey,
  faceTask,
  firstTask,
  parseHeartbeat,
  parseRecognition,
  parseTaskResult,
  UfaceReply,
  UfaceTask,
  ufaceError,
  ufaceOk,
} from './uface-messages';

export const UFACE_PREFIX = '/uface/v1';
const PROTOCOL = 'uface';
const KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for', 'x-correlation-id'];
/** Person commands are what the task pull delivers; record queries go through the site agent. */
const TASK_KINDS = ['person.upsert', 'person.delete'] as const;
/** Most unusable commands skipped in one pull before answering "no task". */
const MAX_SKIPPED = 20;

type Auth = { ok: true; device: Device } | { ok: false };

/**
 * Uni-Ubi "Uface" face terminals (PROTOCOL.md in this folder). The terminal is configured with URLs
 * under `/uface/v1/<deviceId>/<token>/`: the recognition callback, the heartbeat and, on newer firmware,
 * the task pull with its result report. The token in the path authenticates; `deviceKey` must be the
 * registered serial. Replies are Uface's `{"result":1,"success":true}` / `{"result":0,...,"msg"}`.
 */
@ApiExcludeController()
@Controller(UFACE_PREFIX.slice(1) + '/:deviceId/:token')
export class UfaceController {
  private readonly faceSteps: FaceSteps;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly commands: CommandQueue,
    private readonly photos: PhotoStore,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {
    // A face step lives as long as the queue waits for the command's answer: after that the queue sends
    // the command again from its first step.
    this.faceSteps = new FaceSteps((config.COMMAND_ACK_TIMEOUT_S ?? 120) * 1000);
  }

  /** The recognition callback (`setIdentifyCallBack`): one recognition, JSON or form fields. */
  @Post(['recognition', 'identify'])
  async recognition(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const auth = await this.authenticate(deviceId, token, raw);
    if (!auth.ok)
      return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    const { device } = auth;

    const read = readFields(raw.body, req.header('content-type'));
    if (!read.ok) return this.malformed(res, device, raw, [{ field: read.field, message: read.message }]);
    const parsed = parseRecognition(read.fields, device.timeZone);
    if (!parsed.ok) {
      const keyProblem = parsed.problems.find((p) => p.field === 'deviceKey');
      if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
      return this.malformed(res, device, raw, parsed.problems, 1);
    }
    const rec = parsed.value;
    const keyProblem = checkDeviceKey(rec.deviceKey, device.serial);
    if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);

    try {
      if (rec.isPunch && rec.personId) {
        await this.ingestion.ingest(device, raw, [
          {
            personId: rec.personId,
            deviceTime: rec.time,
            punchedAt: rec.punchedAt,
            verifyMode: rec.verifyMode,
            ...(rec.photo ? { photo: rec.photo } : {}),
          },
        ]);
        if (rec.notes.length > 0)
          this.logger.event('info', 'uface: callback accepted without some of its content', {
            deviceId: device.deviceId,
            notes: rec.notes,
          });
        this.seen(device, 'upload');
        return this.reply(res, HttpStatus.OK, ufaceOk());
      }
      await this.ingestion.keep(device.deviceId, raw, 'ignored', rec.notPunchReason);
      this.seen(device, 'upload');
      return this.reply(res, HttpStatus.OK, ufaceOk());
    } catch (err) {
      return this.unavailable(res, device, 'recognition callback', err);
    }
  }

  /** The heartbeat (`setDeviceHeartBeat`): presence, device clock, and whether tasks wait. */
  @Post('heartbeat')
  async heartbeat(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const auth = await this.authenticate(deviceId, token, raw);
    if (!auth.ok)
      return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    const { device } = auth;
    const fields = this.fields(req, raw);
    if (!fields.ok) return this.malformed(res, device, raw, [fields.problem]);
    const parsed = parseHeartbeat(fields.fields, device.timeZone);
    if (!parsed.ok) return this.malformed(res, device, raw, parsed.problems);
    const keyProblem = checkDeviceKey(parsed.value.deviceKey, device.serial);
    if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
    try {
      await this.presence.seen(device, {
        via: 'heartbeat',
        ...(parsed.value.deviceClock ? { deviceClock: parsed.value.deviceClock } : {}),
      });
      const counts = await this.commands.pendingCounts(device.deviceId);
      const taskCount =
        counts['person.upsert'] + counts['person.delete'] + this.faceSteps.dueCount(device.deviceId);
      return this.reply(
        res,
        HttpStatus.OK,
        ufaceOk({ taskPending: taskCount > 0, taskCount, serverTime: Date.now() }),
      );
    } catch (err) {
      return this.unavailable(res, device, 'heartbeat', err);
    }
  }

  /** The task pull: one task, or `data: null` when there is none. */
  @Get('task')
  async taskGet(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.task(deviceId, token, req, res);
  }

  @Post('task')
  async task(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const auth = await this.authenticate(deviceId, token, raw);
    if (!auth.ok)
      return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    const { device } = auth;
    const fields = this.fields(req, raw);
    if (!fields.ok) return this.malformed(res, device, raw, [fields.problem]);
    const deviceKey = fields.fields.get('deviceKey')?.trim();
    if (!deviceKey)
      return this.malformed(res, device, raw, [
        { field: 'deviceKey', message: 'is required: the device key (serial) of the terminal' },
      ]);
    const keyProblem = checkDeviceKey(deviceKey, device.serial);
    if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
    try {
      this.seen(device, 'poll');
      const task = await this.nextTask(device, req);
      return this.reply(res, HttpStatus.OK, ufaceOk(task ?? null));
    } catch (err) {
      return this.unavailable(res, device, 'task pull', err);
    }
  }

  /** The outcome of one task (`taskNo`, `success` or `result`, `code`, `msg`). */
  @Post(['task/result', 'taskResult'])
  async taskResult(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const auth = await this.authenticate(deviceId, token, raw);
    if (!auth.ok)
      return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    const { device } = auth;
    const read = readFields(raw.body, req.header('content-type'));
    if (!read.ok) return this.malformed(res, device, raw, [{ field: read.field, message: read.message }]);
    const parsed = parseTaskResult(read.fields);
    if (!parsed.ok) return this.malformed(res, device, raw, parsed.problems);
    const r = parsed.value;
    const keyProblem = checkDeviceKey(r.deviceKey, device.serial);
    if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
    try {
      const detail = await this.applyResult(device, r);
      await this.ingestion.keep(device.deviceId, raw, 'accepted', detail);
      this.seen(device, 'poll');
      return this.reply(res, HttpStatus.OK, ufaceOk());
    } catch (err) {
      return this.unavailable(res, device, 'task result', err);
    }
  }

  /** The photo of a `face/createByUrl` task, by its SHA-256. Only for this device's token. */
  @Get('photos/:digest')
  async photo(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Param('digest') digest: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const raw = this.raw(req);
    const auth = await this.authenticate(deviceId, token, raw);
    if (!auth.ok)
      return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    const hex = photoDigest(digest.replace(/\.(jpe?g|png)$/i, ''));
    if (!hex) return this.reply(res, HttpStatus.NOT_FOUND, ufaceError('photo: not a photo reference'));
    try {
      const photo = await this.photos.get(hex);
      if (!photo) return this.reply(res, HttpStatus.NOT_FOUND, ufaceError('photo: no such photo'));
      res.setHeader('Cache-Control', 'private, no-store');
      res.status(HttpStatus.OK).type(photo.contentType).send(photo.bytes);
    } catch (err) {
      return this.unavailable(res, auth.device, 'photo download', err);
    }
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * The next task: a due face step first (it finishes a command already under way), else the oldest
   * queued person command. A command whose payload cannot become a task fails at once.
   */
  private async nextTask(device: Device, req: Request): Promise<UfaceTask | undefined> {
    const due = this.faceSteps.takeDue(device.deviceId);
    if (due)
      return faceTask(due.seq, due.personId, due.photoDigest, this.photoUrl(device, req, due.photoDigest));
    for (let skipped = 0; skipped < MAX_SKIPPED; skipped++) {
      const [command] = await this.commands.claim(device.deviceId, 1, [...TASK_KINDS]);
      if (!command) return undefined;
      const task = firstTask(command);
      if (task) return task;
      await this.commands.complete(
        device.deviceId,
        { seq: command.seq },
        {
          ok: false,
          code: 'not-a-task',
          detail: 'the command cannot be given to a Uface terminal as a task',
        },
      );
    }
    return undefined;
  }

  /**
   * Applies a task result. The person step of an upsert with a photo does not complete the command:
   * its face step is due next. A failed step, the face step, a delete or a person without a photo does.
   */
  private async applyResult(
    device: Device,
    r: { taskNo: number; ok: boolean; code?: string; msg?: string; interfaceName?: string },
  ): Promise<string> {
    const outcome = { ok: r.ok, code: r.code ?? (r.ok ? undefined : 'failed'), detail: r.msg };
    const remembered = this.faceSteps.get(device.deviceId, r.taskNo);
    const isFaceStep =
      r.interfaceName === 'face/createByUrl' ||
      (r.interfaceName === undefined && remembered?.state === 'sent');
    if (isFaceStep) {
      this.faceSteps.forget(device.deviceId, r.taskNo);
      const done = await this.commands.complete(device.deviceId, { seq: r.taskNo }, outcome);
      return `task ${r.taskNo} face/createByUrl: ${r.ok ? 'done' : 'failed'}${done ? '' : ' (not outstanding)'}`;
    }
    if (remembered?.state === 'due') return `task ${r.taskNo}: repeated result of the person step`;

    if (r.ok) {
      const command = await this.sentCommand(device.deviceId, r.taskNo);
      const upsert = command?.kind === 'person.upsert' ? (command.payload as PersonUpsert) : undefined;
      const digest = upsert?.photoRef ? photoDigest(upsert.photoRef) : undefined;
      if (upsert && digest) {
        this.faceSteps.personDone(device.deviceId, r.taskNo, upsert.personId, digest);
        return `task ${r.taskNo} person/create: done, face step due`;
      }
    }
    this.faceSteps.forget(device.deviceId, r.taskNo);
    const done = await this.commands.complete(device.deviceId, { seq: r.taskNo }, outcome);
    return `task ${r.taskNo}${r.interfaceName ? ` ${r.interfaceName}` : ''}: ${r.ok ? 'done' : 'failed'}${done ? '' : ' (not outstanding)'}`;
  }

  /** The command with this seq, when it is sent to this device and not yet answered. */
  private async sentCommand(deviceId: string, seq: number): Promise<DeviceCommand | undefined> {
    const [command] = await this.commands.list(deviceId, { status: 'sent', afterSeq: seq - 1, limit: 1 });
    return command?.seq === seq ? command : undefined;
  }

  private photoUrl(device: Device, req: Request, digest: string): string {
    const base =
      this.config.GATEWAY_PUBLIC_URL?.replace(/\/+$/, '') ??
      `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return `${base}${UFACE_PREFIX}/${encodeURIComponent(device.deviceId)}/${encodeURIComponent(device.token ?? '')}/photos/${digest}`;
  }

  private async authenticate(deviceId: string, token: string, raw: RawRequest): Promise<Auth> {
    const device = await this.devices.find(deviceId);
    if (device && device.enabled && device.family === 'uface' && this.devices.tokenMatches(device, token))
      return { ok: true, device };
    const detail = !device
      ? 'unknown device'
      : !device.enabled
        ? 'device disabled'
        : device.family !== 'uface'
          ? `device family is ${device.family}, not uface`
          : 'wrong token';
    await this.ingestion.refuse(deviceId.slice(0, 64), raw, 'unauthenticated', detail).catch(() => undefined);
    return { ok: false };
  }

  /** Fields of the body, with the query string's for GET and for firmware that puts them in the URL. */
  private fields(
    req: Request,
    raw: RawRequest,
  ): { ok: true; fields: Map<string, string> } | { ok: false; problem: FieldProblem } {
    const read = readFields(raw.body, req.header('content-type'));
    if (!read.ok) return { ok: false, problem: { field: read.field, message: read.message } };
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (typeof v === 'string' && !read.fields.has(k) && k.length <= 64) read.fields.set(k, v);
    return { ok: true, fields: read.fields };
  }

  private raw(req: Request): RawRequest {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = req.header(h);
      if (v !== undefined) headers[h] = v.slice(0, 512);
    }
    const query = req.originalUrl.indexOf('?');
    if (query >= 0) headers['x-query'] = req.originalUrl.slice(query + 1, query + 1 + 2048);
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
      this.logger.event('warn', 'uface: presence not recorded', {
        deviceId: device.deviceId,
        error: String(err),
      }),
    );
  }

  private async malformed(
    res: Response,
    device: Device,
    raw: RawRequest,
    problems: FieldProblem[],
    punchCount = 0,
  ): Promise<void> {
    await this.ingestion
      .refuse(device.deviceId, raw, 'malformed', JSON.stringify(problems).slice(0, 4000), punchCount)
      .catch(() => undefined);
    return this.reply(res, HttpStatus.BAD_REQUEST, ufaceError(problems));
  }

  private async wrongKey(
    res: Response,
    device: Device,
    raw: RawRequest,
    problem: FieldProblem,
  ): Promise<void> {
    await this.ingestion
      .refuse(device.deviceId, raw, 'unauthenticated', `${problem.field}: ${problem.message}`)
      .catch(() => undefined);
    return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError([problem]));
  }

  private unavailable(res: Response, device: Device, what: string, err: unknown): void {
    this.logger.event('error', `uface: ${what} failed`, { deviceId: device.deviceId, error: String(err) });
    return this.reply(
      res,
      HttpStatus.SERVICE_UNAVAILABLE,
      ufaceError('the gateway could not store this now; send it again'),
    );
  }

  private reply(res: Response, status: number, body: UfaceReply): void {
    res.status(status).type('application/json').send(JSON.stringify(body));
  }
}
