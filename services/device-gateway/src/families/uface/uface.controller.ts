import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Optional,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FieldProblem, Result } from '@realname/contracts';
import { JsonLogger, LOGGER, SERVICE_CONFIG } from '@realname/platform';
import type { GatewayConfig } from '../../config';
import { CommandQueue, DeviceCommand, PersonUpsert } from '../../commands/command-queue';
import type { Device } from '../../devices/device';
import { DeviceRepository } from '../../devices/device-repository';
import { DevicePresence, SeenVia } from '../../devices/presence';
import { PunchIngestion, RawRequest } from '../../ingest/punch-ingestion';
import { photoDigest, PhotoStore } from '../../photos/photo-store';
import {
  authenticateDevice,
  markSeen,
  rawRequest,
  refuseMalformed,
  refuseUnauthenticated,
  replyNotStored,
  sendJson,
  sendPhoto,
} from '../shared/device-request';
import { DeviceBusyFilter } from '../shared/device-busy.filter';
import { DeviceRateLimiter } from '../shared/device-rate-limit';
import { readFields } from '../shared/form-fields';
import { FaceSteps } from './face-steps';
import {
  checkDeviceKey,
  faceTask,
  firstTask,
  parseHeartbeat,
  parseRecognition,
  parseTaskResult,
  UfaceHeartbeat,
  UfaceRecognition,
  UfaceReply,
  UfaceTask,
  UfaceTaskResult,
  ufaceError,
  ufaceOk,
} from './uface-messages';

export const UFACE_PREFIX = '/uface/v1';
const PROTOCOL = 'uface';
/** Person commands are what the task pull delivers; record queries go through the site agent. */
const TASK_KINDS = ['person.upsert', 'person.delete'] as const;
/** Most unusable commands skipped in one pull before answering "no task". */
const MAX_SKIPPED = 20;

/** How a device message is read: its parser, and what a failure of it means. */
interface UfaceMessage<T> {
  /** What the message is, for the log of a storage failure. */
  what: string;
  parse: (fields: Map<string, string>, timeZone: string) => Result<T>;
  /** Take the query string's fields too (GET, and firmware that puts them in the URL). */
  withQuery?: boolean;
  /** Punches a malformed message counts as rejected. */
  punches?: number;
  /** A problem with `deviceKey` refuses the message as unauthenticated (401), not malformed. */
  keyProblemRefused?: boolean;
}

/** A task pull names the terminal by its deviceKey, and nothing else is required. */
function parseTaskPull(fields: Map<string, string>): Result<{ deviceKey: string }> {
  const deviceKey = fields.get('deviceKey')?.trim();
  if (deviceKey) return { ok: true, value: { deviceKey } };
  return {
    ok: false,
    problems: [{ field: 'deviceKey', message: 'is required: the device key (serial) of the terminal' }],
  };
}

/** The messages of the terminal, as `serve` reads them. */
const RECOGNITION: UfaceMessage<UfaceRecognition> = {
  what: 'recognition callback',
  parse: parseRecognition,
  punches: 1,
  keyProblemRefused: true,
};
const HEARTBEAT: UfaceMessage<UfaceHeartbeat> = {
  what: 'heartbeat',
  parse: parseHeartbeat,
  withQuery: true,
};
const TASK_PULL: UfaceMessage<{ deviceKey: string }> = {
  what: 'task pull',
  parse: parseTaskPull,
  withQuery: true,
};
const TASK_RESULT: UfaceMessage<UfaceTaskResult> = { what: 'task result', parse: parseTaskResult };

/**
 * Uni-Ubi "Uface" face terminals (PROTOCOL.md in this folder). The terminal is configured with URLs
 * under `/uface/v1/<deviceId>/<token>/`: the recognition callback, the heartbeat and, on newer firmware,
 * the task pull with its result report. The token in the path authenticates; `deviceKey` must be the
 * registered serial. Replies are Uface's `{"result":1,"success":true}` / `{"result":0,...,"msg"}`.
 */
@ApiExcludeController()
@Controller(UFACE_PREFIX.slice(1) + '/:deviceId/:token')
@UseFilters(
  new DeviceBusyFilter('uface', () => ufaceError('the gateway could not take this now; send it again')),
)
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
    @Optional() private readonly limiter?: DeviceRateLimiter,
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
    await this.serve(RECOGNITION, deviceId, token, req, res, async (device, raw, rec) => {
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
      } else {
        await this.ingestion.keep(device.deviceId, raw, 'ignored', rec.notPunchReason);
      }
      this.seen(device, 'upload');
      return ufaceOk();
    });
  }

  /** The heartbeat (`setDeviceHeartBeat`): presence, device clock, and whether tasks wait. */
  @Post('heartbeat')
  async heartbeat(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(HEARTBEAT, deviceId, token, req, res, async (device, _raw, heartbeat) => {
      await this.presence.seen(device, {
        via: 'heartbeat',
        ...(heartbeat.deviceClock ? { deviceClock: heartbeat.deviceClock } : {}),
      });
      const counts = await this.commands.pendingCounts(device.deviceId);
      const taskCount =
        counts['person.upsert'] + counts['person.delete'] + this.faceSteps.dueCount(device.deviceId);
      return ufaceOk({ taskPending: taskCount > 0, taskCount, serverTime: Date.now() });
    });
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
    await this.serve(TASK_PULL, deviceId, token, req, res, async (device) => {
      this.seen(device, 'poll');
      const task = await this.nextTask(device, req);
      return ufaceOk(task ?? null);
    });
  }

  /** The outcome of one task (`taskNo`, `success` or `result`, `code`, `msg`). */
  @Post(['task/result', 'taskResult'])
  async taskResult(
    @Param('deviceId') deviceId: string,
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.serve(TASK_RESULT, deviceId, token, req, res, async (device, raw, result) => {
      const detail = await this.applyResult(device, result);
      await this.ingestion.keep(device.deviceId, raw, 'accepted', detail);
      this.seen(device, 'poll');
      return ufaceOk();
    });
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
    const auth = await this.authenticate(deviceId, token, req, res);
    if (!auth) return;
    const hex = photoDigest(digest.replace(/\.(jpe?g|png)$/i, ''));
    if (!hex) return this.reply(res, HttpStatus.NOT_FOUND, ufaceError('photo: not a photo reference'));
    try {
      const photo = await this.photos.get(hex);
      if (!photo) return this.reply(res, HttpStatus.NOT_FOUND, ufaceError('photo: no such photo'));
      sendPhoto(res, photo);
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
    // The token of the path this request authenticated with: the gateway keeps only its hash.
    const token = String(req.params['token'] ?? '');
    return `${base}${UFACE_PREFIX}/${encodeURIComponent(device.deviceId)}/${encodeURIComponent(token)}/photos/${digest}`;
  }

  /**
   * The common course of a device message: authenticated by the path; its fields read (with the query
   * string's, `withQuery`) and parsed; its deviceKey checked against the registered serial. Then
   * `handle`, whose reply is sent with 200; a storage failure in it is answered 503 (not acknowledged).
   */
  private async serve<T extends { deviceKey: string }>(
    message: UfaceMessage<T>,
    deviceId: string,
    token: string,
    req: Request,
    res: Response,
    handle: (device: Device, raw: RawRequest, value: T) => Promise<UfaceReply>,
  ): Promise<void> {
    const auth = await this.authenticate(deviceId, token, req, res);
    if (!auth) return;
    const { device, raw } = auth;
    const fields = this.fields(req, raw, message.withQuery ?? false);
    if (!fields.ok) return this.malformed(res, device, raw, [fields.problem]);
    const parsed = message.parse(fields.fields, device.timeZone);
    if (!parsed.ok) {
      const keyProblem = message.keyProblemRefused
        ? parsed.problems.find((p) => p.field === 'deviceKey')
        : undefined;
      if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
      return this.malformed(res, device, raw, parsed.problems, message.punches);
    }
    const keyProblem = checkDeviceKey(parsed.value.deviceKey, device.serial);
    if (keyProblem) return this.wrongKey(res, device, raw, keyProblem);
    try {
      return this.reply(res, HttpStatus.OK, await handle(device, raw, parsed.value));
    } catch (err) {
      return this.unavailable(res, device, message.what, err);
    }
  }

  /** The request kept as raw, and its device when the path authenticates it (else refused with 401). */
  private async authenticate(
    deviceId: string,
    token: string,
    req: Request,
    res: Response,
  ): Promise<{ device: Device; raw: RawRequest } | undefined> {
    const query = req.originalUrl.indexOf('?');
    const raw = rawRequest(
      req,
      PROTOCOL,
      query >= 0 ? { 'x-query': req.originalUrl.slice(query + 1, query + 1 + 2048) } : {},
    );
    const device = await authenticateDevice(this.devices, this.ingestion, raw, {
      deviceId,
      token,
      family: 'uface',
      bestEffortRefusal: true,
    });
    // Over the rate: the uface error reply with 429 (DeviceBusyFilter).
    this.limiter?.admit(req, 'uface', device?.deviceId);
    if (device) return { device, raw };
    this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError('unknown device or wrong token'));
    return undefined;
  }

  /** Fields of the body, with the query string's (for GET, and firmware that puts them in the URL). */
  private fields(
    req: Request,
    raw: RawRequest,
    withQuery: boolean,
  ): { ok: true; fields: Map<string, string> } | { ok: false; problem: FieldProblem } {
    const read = readFields(raw.body, req.header('content-type'));
    if (!read.ok) return { ok: false, problem: { field: read.field, message: read.message } };
    if (withQuery)
      for (const [k, v] of Object.entries(req.query ?? {}))
        if (typeof v === 'string' && !read.fields.has(k) && k.length <= 64) read.fields.set(k, v);
    return { ok: true, fields: read.fields };
  }

  /** Presence without waiting for it (a failure is logged). */
  private seen(device: Device, via: SeenVia): void {
    void markSeen(this.presence, this.logger, device, via);
  }

  private async malformed(
    res: Response,
    device: Device,
    raw: RawRequest,
    problems: FieldProblem[],
    punchCount = 0,
  ): Promise<void> {
    await refuseMalformed(this.ingestion, device.deviceId, raw, problems, punchCount, true);
    return this.reply(res, HttpStatus.BAD_REQUEST, ufaceError(problems));
  }

  private async wrongKey(
    res: Response,
    device: Device,
    raw: RawRequest,
    problem: FieldProblem,
  ): Promise<void> {
    const detail = `${problem.field}: ${problem.message}`;
    await refuseUnauthenticated(this.ingestion, device.deviceId, raw, detail, true);
    return this.reply(res, HttpStatus.UNAUTHORIZED, ufaceError([problem]));
  }

  private unavailable(res: Response, device: Device, what: string, err: unknown): void {
    replyNotStored(
      res,
      this.logger,
      `uface: ${what} failed`,
      device.deviceId,
      err,
      ufaceError('the gateway could not store this now; send it again'),
    );
  }

  private reply(res: Response, status: number, body: UfaceReply): void {
    sendJson(res, status, body);
  }
}
