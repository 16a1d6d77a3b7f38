/**
 * `POST /iclock/cdata?table=...`: punches (ATTLOG, rtlog), photos (ATTPHOTO), operation logs (OPERLOG)
 * and what else a device uploads. Good lines are always taken, whatever else is in the body: the reply
 * `OK:<n>` counts them (records the gateway already holds included, so the device stops resending), the
 * lines that cannot be read are kept apart as a refused request. Only a body with nothing usable gets
 * `ERROR: ...` with 400.
 */
import type { JsonLogger } from '@realname/platform';
import type { DevicePresence } from '../../devices/presence';
import type { NormalisedPunch, PunchIngestion } from '../../ingest/punch-ingestion';
import { markSeen } from '../shared/device-request';
import { AttlogRecord, linesOf, parseAttlog } from './attlog';
import { parseAttphoto, photoIrregularity } from './attphoto';
import { parseOperlog, summariseOperlog, UserEntry } from './operlog';
import { errorReply, OK, okCount } from './replies';
import { parseRtlog, RtlogRecord } from './rtlog';
import { reply, withBody, ZkReply, ZkRequest } from './zkteco-context';
import type { ZktecoSessions } from './zkteco-sessions';
import { decodeDeviceText, describeErrors, LineError } from './zkteco-text';

const TABLES_KEPT_AS_IGNORED = new Set([
  'rtstate',
  'options',
  'userinfo',
  'fingertmp',
  'biodata',
  'errorlog',
]);

export class ZktecoUploads {
  constructor(
    private readonly ingestion: PunchIngestion,
    private readonly presence: DevicePresence,
    private readonly sessions: ZktecoSessions,
    private readonly logger: JsonLogger,
    /** The presence skew tolerance: a punch at most half of it old reads the device clock. */
    private readonly skewToleranceMs = 60_000,
  ) {}

  /** Dispatches on `table` (case-insensitive). */
  async upload(r: ZkRequest): Promise<ZkReply> {
    const table = (r.query['table'] ?? '').trim();
    switch (table.toUpperCase()) {
      case 'ATTLOG':
        return this.attlog(r);
      case 'ATTPHOTO':
        return this.attphoto(r);
      case 'OPERLOG':
        return this.operlog(r);
      case 'RTLOG':
        return this.rtlog(r);
      case '':
        return this.refuse(r, [
          {
            line: 0,
            field: 'table',
            message: 'is required: table=ATTLOG, ATTPHOTO, OPERLOG or rtlog',
            text: '',
          },
        ]);
      default:
        return this.otherTable(r, table);
    }
  }

  async attlog(r: ZkRequest): Promise<ZkReply> {
    const text = decodeDeviceText(r.raw.body, this.sessions.language(r.sn, r.query['language']));
    const { records, errors } = parseAttlog(text, r.device.timeZone);
    if (records.length === 0) return errors.length > 0 ? this.refuse(r, errors) : this.empty(r);
    const punches = records.map(attlogPunch);
    await this.ingest(r, punches);
    await this.keepBadLines(r, errors, text);
    this.sessions.noteStamp(r.sn, 'ATTLOG', r.query['stamp']);
    await markSeen(
      this.presence,
      this.logger,
      r.device,
      'upload',
      clockReading(records, r.raw.receivedAt, this.skewToleranceMs / 2),
    );
    return reply(200, okCount(records.length));
  }

  async rtlog(r: ZkRequest): Promise<ZkReply> {
    this.sessions.setDialect(r.sn, 'access');
    const text = decodeDeviceText(r.raw.body, this.sessions.language(r.sn, r.query['language']));
    const { records, errors } = parseRtlog(text, r.device.timeZone);
    if (records.length === 0) return errors.length > 0 ? this.refuse(r, errors) : this.empty(r, OK);
    const passes = records.filter((x) => x.pass);
    if (passes.length > 0) await this.ingest(r, passes.map(rtlogPunch));
    else await this.ingestion.keep(r.device.deviceId, r.raw, 'ignored', describeEvents(records));
    await this.keepBadLines(r, errors, text);
    await markSeen(
      this.presence,
      this.logger,
      r.device,
      'upload',
      clockReading(records, r.raw.receivedAt, this.skewToleranceMs / 2),
    );
    return reply(200, OK);
  }

  async attphoto(r: ZkRequest): Promise<ZkReply> {
    const { records, errors } = parseAttphoto(r.raw.body, r.device.timeZone);
    if (records.length === 0) return errors.length > 0 ? this.refuse(r, errors) : this.empty(r);
    for (const p of records) {
      const raw = records.length > 1 ? withBody(r.raw, r.raw.body.subarray(p.start, p.end)) : r.raw;
      const stored = await this.ingestion.attachPhoto(r.device, raw, {
        personId: p.pin,
        punchedAt: p.punchedAt,
        photo: { bytes: p.bytes, contentType: p.contentType },
      });
      if (stored.tooLarge)
        this.logger.event('warn', 'zkteco: punch photo larger than PHOTO_MAX_BYTES, not stored', {
          deviceId: r.device.deviceId,
          pin: p.pin,
          bytes: p.bytes.length,
        });
    }
    const irregular = records.map(photoIrregularity).filter((x): x is string => x !== undefined);
    if (irregular.length > 0)
      this.logger.event('warn', 'zkteco: ATTPHOTO taken although its size= or JPEG markers were off', {
        deviceId: r.device.deviceId,
        photos: irregular.slice(0, 5),
        count: irregular.length,
      });
    if (errors.length > 0) await this.refuseQuietly(r, errors, Buffer.alloc(0));
    this.sessions.noteStamp(r.sn, 'ATTPHOTO', r.query['stamp']);
    await markSeen(this.presence, this.logger, r.device, 'upload');
    return reply(200, okCount(records.length));
  }

  async operlog(r: ZkRequest): Promise<ZkReply> {
    const language = this.sessions.language(r.sn, r.query['language']);
    const text = decodeDeviceText(r.raw.body, language);
    const { records, errors } = parseOperlog(text);
    if (records.length === 0) return errors.length > 0 ? this.refuse(r, errors) : this.empty(r);
    const bad = errors.length > 0 ? `; ${errors.length} unreadable line(s): ${describeErrors(errors)}` : '';
    await this.ingestion.keep(
      r.device.deviceId,
      r.raw,
      'accepted',
      `OPERLOG: ${summariseOperlog(records)}${bad}`,
    );
    const users = records.filter((e): e is UserEntry => e.kind === 'USER');
    if (users.length > 0)
      this.logger.event('info', 'zkteco: users reported in the operation log', {
        deviceId: r.device.deviceId,
        pins: users.slice(0, 50).map((u) => u.pin),
        count: users.length,
      });
    this.sessions.noteStamp(r.sn, 'OPERLOG', r.query['stamp']);
    await markSeen(this.presence, this.logger, r.device, 'upload');
    return reply(200, okCount(records.length));
  }

  /** A table this gateway does not interpret: kept, acknowledged (so the device does not resend it for ever). */
  private async otherTable(r: ZkRequest, table: string): Promise<ZkReply> {
    const known = TABLES_KEPT_AS_IGNORED.has(table.toLowerCase());
    await this.ingestion.keep(
      r.device.deviceId,
      r.raw,
      'ignored',
      `table=${table.slice(0, 32)}${known ? '' : ' (not a table this gateway interprets)'}`,
    );
    await markSeen(this.presence, this.logger, r.device, 'upload');
    return reply(200, OK);
  }

  private async ingest(r: ZkRequest, punches: NormalisedPunch[]): Promise<void> {
    const backfillId = this.sessions.backfillFor(
      r.sn,
      punches.map((p) => p.punchedAt),
    );
    await this.ingestion.ingest(r.device, r.raw, punches, backfillId ? { backfillId } : {});
  }

  private async empty(r: ZkRequest, text = okCount(0)): Promise<ZkReply> {
    await markSeen(this.presence, this.logger, r.device, 'upload');
    return reply(200, text);
  }

  /** Nothing in the body could be used: kept as malformed, and `ERROR: <what is wrong>` with 400. */
  private async refuse(r: ZkRequest, errors: LineError[]): Promise<ZkReply> {
    await this.ingestion.refuse(r.device.deviceId, r.raw, 'malformed', describeErrors(errors), errors.length);
    await markSeen(this.presence, this.logger, r.device, 'upload');
    return reply(400, errorReply(`nothing in this upload could be read: ${describeErrors(errors)}`));
  }

  /** The unreadable lines of a body whose good lines were taken: kept apart, so they can be examined. */
  private async keepBadLines(r: ZkRequest, errors: LineError[], text: string): Promise<void> {
    if (errors.length === 0) return;
    await this.refuseQuietly(r, errors, Buffer.from(linesOf(text, errors), 'utf8'));
  }

  private async refuseQuietly(r: ZkRequest, errors: LineError[], body: Buffer): Promise<void> {
    this.logger.event('warn', 'zkteco: lines of an upload could not be read; the others were taken', {
      deviceId: r.device.deviceId,
      table: r.query['table'],
      errors: errors.slice(0, 5),
    });
    await this.ingestion.refuse(
      r.device.deviceId,
      withBody(r.raw, body),
      'malformed',
      describeErrors(errors),
      errors.length,
    );
  }
}

function attlogPunch(x: AttlogRecord): NormalisedPunch {
  const p: NormalisedPunch = {
    personId: x.pin,
    deviceTime: x.time,
    punchedAt: x.punchedAt,
    verifyMode: x.verifyMode,
  };
  if (x.direction) p.direction = x.direction;
  return p;
}

function rtlogPunch(x: RtlogRecord): NormalisedPunch {
  const p: NormalisedPunch = {
    personId: x.pin,
    deviceTime: x.time,
    punchedAt: x.punchedAt,
    verifyMode: x.verifyMode,
  };
  if (x.index) p.recordId = x.index;
  if (x.direction) p.direction = x.direction;
  return p;
}

/**
 * ZKTeco messages carry no device clock. With Realtime=1 each punch is uploaded within seconds, so the
 * newest punch of an upload reads the device clock when it is in the future or at most `freshMs` old.
 * With `freshMs` half the skew tolerance, an old punch (a backlog after an outage) can never be taken for
 * a clock running behind; a clock running ahead shows as punches from the future.
 */
export function clockReading(
  records: { punchedAt: Date }[],
  receivedAt: Date,
  freshMs: number,
): Date | undefined {
  let newest: Date | undefined;
  for (const r of records) if (!newest || r.punchedAt > newest) newest = r.punchedAt;
  if (!newest) return undefined;
  return receivedAt.getTime() - newest.getTime() <= freshMs ? newest : undefined;
}

function describeEvents(records: RtlogRecord[]): string {
  const codes = [...new Set(records.map((x) => x.event))].slice(0, 10).join(', ');
  return `rtlog: ${records.length} event(s), none a pass (event codes ${codes})`;
}
