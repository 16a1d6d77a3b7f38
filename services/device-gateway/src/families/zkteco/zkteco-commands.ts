/**
 * `GET /iclock/getrequest` hands queued commands to the device as `C:<seq>:<command>` lines;
 * `/iclock/devicecmd` takes the device's results back to the command queue.
 */
import type { JsonLogger } from '@realname/platform';
import type { CommandQueue, DeviceCommand, PersonUpsert, RecordsRange } from '../../commands/command-queue';
import type { DevicePresence } from '../../devices/presence';
import type { PunchIngestion } from '../../ingest/punch-ingestion';
import type { PhotoStore } from '../../photos/photo-store';
import { markSeen } from '../shared/device-request';
import { renderCommand } from './commands';
import { CommandResult, commandResultFromQuery, parseCommandResults, rangeCount } from './devicecmd';
import { errorReply, OK } from './replies';
import { reply, ZkReply, ZkRequest } from './zkteco-context';
import type { ZktecoSessions } from './zkteco-sessions';
import { decodeDeviceText, describeErrors, isLineError, LineError } from './zkteco-text';

/** Most commands in one getrequest reply. */
export const MAX_COMMANDS_PER_POLL = 10;
/** A reply stops taking further commands once it is this long (a face photo is ~100 kB of base64). */
export const REPLY_BUDGET_BYTES = 64 * 1024;

export class ZktecoCommands {
  constructor(
    private readonly commands: CommandQueue,
    private readonly photos: PhotoStore,
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly sessions: ZktecoSessions,
    private readonly logger: JsonLogger,
  ) {}

  /** The poll: presence first (a device back from offline gets its backfill query in this very reply). */
  async getrequest(r: ZkRequest): Promise<ZkReply> {
    const language = this.sessions.language(r.sn, r.query['language']);
    await markSeen(this.presence, this.logger, r.device, 'poll');
    const lines: string[] = [];
    let bytes = 0;
    for (let n = 0; n < MAX_COMMANDS_PER_POLL && bytes < REPLY_BUDGET_BYTES; n++) {
      const [cmd] = await this.commands.claim(r.device.deviceId, 1);
      if (!cmd) break;
      const rendered = await this.render(r, cmd);
      lines.push(...rendered);
      bytes += rendered.reduce((sum, l) => sum + l.length + 1, 0);
    }
    return reply(200, lines.length > 0 ? lines.join('\n') + '\n' : OK, language);
  }

  private async render(r: ZkRequest, cmd: DeviceCommand): Promise<string[]> {
    const photo = await this.photoFor(r, cmd);
    const rendered = renderCommand(cmd, {
      timeZone: r.device.timeZone,
      dialect: this.sessions.get(r.sn).dialect,
      ...(photo ? { photo } : {}),
    });
    if (!rendered.ok) {
      // Not something this device can be sent: answered for it, so it does not come back for ever.
      this.logger.event('warn', 'zkteco: command cannot be rendered', {
        deviceId: r.device.deviceId,
        seq: cmd.seq,
        kind: cmd.kind,
        reason: rendered.detail,
      });
      await this.commands.complete(
        r.device.deviceId,
        { seq: cmd.seq },
        { ok: false, code: rendered.code, detail: rendered.detail },
      );
      return [];
    }
    this.sessions.expectResults(r.sn, cmd.seq, rendered.lines.length);
    if (cmd.kind === 'records.query') {
      const range = cmd.payload as RecordsRange;
      this.sessions.rememberQuery(r.sn, {
        seq: cmd.seq,
        from: new Date(range.from),
        to: new Date(range.to),
        backfillId: range.backfillId,
      });
    }
    return rendered.lines;
  }

  /** The face photo of a person.upsert; without it (gone from the store, store unreachable) the person goes alone. */
  private async photoFor(r: ZkRequest, cmd: DeviceCommand): Promise<{ bytes: Buffer } | undefined> {
    const ref = cmd.kind === 'person.upsert' ? (cmd.payload as PersonUpsert).photoRef : undefined;
    if (!ref) return undefined;
    try {
      const photo = await this.photos.get(ref);
      if (!photo)
        this.logger.event(
          'warn',
          'zkteco: the face photo of a person is not in the photo store; sent without it',
          {
            deviceId: r.device.deviceId,
            seq: cmd.seq,
            photoRef: ref,
          },
        );
      return photo ? { bytes: photo.bytes } : undefined;
    } catch (err) {
      this.logger.event('warn', 'zkteco: reading a face photo failed; the person is sent without it', {
        deviceId: r.device.deviceId,
        seq: cmd.seq,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  /** Results in the body (one per line) and/or in the query string. */
  async devicecmd(r: ZkRequest): Promise<ZkReply> {
    const fromBody = parseCommandResults(
      decodeDeviceText(r.raw.body, this.sessions.language(r.sn, r.query['language'])),
    );
    const fromQuery = commandResultFromQuery(r.query);
    const results = [...fromBody.records];
    const errors: LineError[] = [...fromBody.errors];
    if (fromQuery) {
      if (isLineError(fromQuery)) errors.push(fromQuery);
      else results.push(fromQuery);
    }
    await markSeen(this.presence, this.logger, r.device, 'poll');
    if (results.length === 0 && errors.length > 0) {
      await this.ingestion.refuse(r.device.deviceId, r.raw, 'malformed', describeErrors(errors));
      return reply(400, errorReply(`no command result could be read: ${describeErrors(errors)}`));
    }
    if (results.length === 0) return reply(200, OK);
    const failed = results.filter((x) => x.returnCode < 0).length;
    const unread = errors.length > 0 ? `; ${errors.length} unreadable: ${describeErrors(errors)}` : '';
    await this.ingestion.keep(
      r.device.deviceId,
      r.raw,
      'accepted',
      `command results: ${results.length - failed} ok, ${failed} failed${unread}`,
    );
    for (const result of results) await this.complete(r, result);
    return reply(200, OK);
  }

  private async complete(r: ZkRequest, result: CommandResult): Promise<void> {
    const count = rangeCount(result);
    const outcome = this.sessions.result(r.sn, result.seq, result.returnCode, count);
    if (!outcome) return; // more lines of this command still to answer
    this.sessions.closeQuery(r.sn, result.seq);
    const command = await this.commands.complete(
      r.device.deviceId,
      { seq: result.seq },
      {
        ok: outcome.ok,
        code: outcome.code,
        ...(outcome.ok
          ? {}
          : { detail: `the device answered Return=${outcome.code} to ${result.cmd ?? 'the command'}` }),
        ...(outcome.count !== undefined ? { result: { count: outcome.count } } : {}),
      },
    );
    if (!command)
      this.logger.event(
        'info',
        'zkteco: a result for a command that is not waiting for one (answered twice, or not ours)',
        {
          deviceId: r.device.deviceId,
          seq: result.seq,
        },
      );
  }
}
