/**
 * A simulated Uni-Ubi "Uface" face terminal, talking real HTTP both ways:
 * - as a client of the gateway (`/uface/v1/<deviceId>/<token>/...`): recognition callbacks (JSON or
 *   form), the heartbeat, and the task pull that keeps its person table, reporting each result;
 * - as a server playing the terminal's own device API (port 8090 on hardware): `/person/create`,
 *   `/person/update`, `/person/delete`, `/face/create`, `/face/createByUrl`, `/setTime`, `/findRecords`,
 *   with the device password `pass` in form fields.
 *
 * Like the firmware, it does not retry a callback that got no acknowledgement (unless told to): such
 * records stay only on the device until someone queries them with `/findRecords`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidTimeZone, localDay, parseDeviceTime, tryJson } from '@realname/contracts';
import { DeviceLoop, startLoop, stopLoop } from '../device-loop';
import { abortableSleep, describeError } from '../open-protocol-client';
import { DeviceApiServer } from './device-api-server';

const USER_AGENT = 'uface-simulator/1.0';

export interface UfaceReply {
  result: number;
  success: boolean;
  msg?: string;
  data?: unknown;
}

export interface UfaceHttpReply {
  status: number;
  text: string;
  json: unknown;
}

export interface UfacePerson {
  id: string;
  name: string;
  idcardNum?: string;
  faces: { faceId: string; md5: string; bytes: number }[];
}

/** One recognition as the device keeps it (its own record table). */
export interface UfaceRecord {
  id: number;
  personId: string;
  /** Epoch milliseconds of the device clock. */
  time: number;
  type: string;
  path: string;
  /** The gateway acknowledged its callback. */
  delivered: boolean;
}

export type UfaceTask =
  | {
      taskNo: number;
      interfaceName: 'person/create';
      person: { id: string; name: string; idcardNum?: string };
    }
  | { taskNo: number; interfaceName: 'face/createByUrl'; personId: string; faceId?: string; imgUrl: string }
  | { taskNo: number; interfaceName: 'person/delete'; id: string }
  | { taskNo: number; interfaceName: string; [field: string]: unknown };

export interface UfaceTaskOutcome {
  success: boolean;
  code?: string;
  msg?: string;
}

export interface UfaceCounters {
  callbacks: number;
  acknowledged: number;
  /** Recognitions whose callback was never delivered (lost on purpose, offline, refused). */
  undelivered: number;
  heartbeats: number;
  tasksDone: number;
  tasksFailed: number;
  /** Device API requests served. */
  apiRequests: number;
}

export interface UfaceDeviceOptions {
  /** The gateway URL the device is configured with: `http://<gw>/uface/v1/<deviceId>/<token>`. */
  gatewayUrl: string;
  /** The device key (serial) the terminal reports. */
  deviceKey: string;
  /** The device API password (`pass`), default 12345678. */
  pass?: string;
  /** The device's zone, for `/findRecords` times (default Asia/Shanghai). */
  timeZone?: string;
  /** Device clock minus real time, in ms (a skewed clock). */
  clockSkewMs?: number;
  /** Real time (default Date.now). */
  now?: () => number;
  /** Recognition callbacks as `json` (default) or `form`. */
  callbackFormat?: 'json' | 'form';
  /** Chance in [0, 1) that a callback is lost on the way (never delivered, not retried). */
  lossRate?: number;
  random?: () => number;
  /** Inline photo sent with each callback as `base64` (off when absent). */
  photo?: Buffer;
  /** The device's IP as it reports it. */
  ip?: string;
  timeoutMs?: number;
}

async function send(
  method: string,
  url: string,
  body: Buffer | undefined,
  contentType: string | undefined,
  timeoutMs: number,
): Promise<UfaceHttpReply> {
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
  if (contentType) headers['Content-Type'] = contentType;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, text, json: tryJson(text) };
}

function formBody(fields: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams(fields).toString(), 'utf8');
}

function isAck(reply: UfaceHttpReply): boolean {
  const j = reply.json as Partial<UfaceReply> | undefined;
  return reply.status === 200 && !!j && j.success === true && Number(j.result) === 1;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function isImage(bytes: Buffer): boolean {
  return (
    (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) ||
    (bytes.length > 8 && bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])))
  );
}

export class UfaceDevice {
  readonly deviceKey: string;
  readonly pass: string;
  readonly timeZone: string;
  readonly persons = new Map<string, UfacePerson>();
  readonly records: UfaceRecord[] = [];
  readonly counters: UfaceCounters = {
    callbacks: 0,
    acknowledged: 0,
    undelivered: 0,
    heartbeats: 0,
    tasksDone: 0,
    tasksFailed: 0,
    apiRequests: 0,
  };
  /** Results of the tasks run, in order (for tests). */
  readonly taskLog: { task: UfaceTask; outcome: UfaceTaskOutcome }[] = [];
  /** The network between the device and the gateway is up. */
  online = true;
  clockSkewMs: number;
  lossRate: number;
  callbackFormat: 'json' | 'form';
  lastError?: Error;

  private gatewayUrl: string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly photo?: Buffer;
  private readonly ip: string;
  private readonly timeoutMs: number;
  private nextRecordId = 1;
  private readonly server = new DeviceApiServer('UfaceDevice: the device API', (req, body, res) => {
    this.handle(req, body)
      .then((reply) => respond(res, 200, reply))
      .catch((err) => respond(res, 500, { result: 0, success: false, msg: describeError(err) }));
  });
  private loop?: DeviceLoop;

  constructor(options: UfaceDeviceOptions) {
    if (!options.gatewayUrl) throw new Error('UfaceDevice: gatewayUrl is required');
    if (!options.deviceKey) throw new Error('UfaceDevice: deviceKey is required');
    const timeZone = options.timeZone ?? 'Asia/Shanghai';
    if (!isValidTimeZone(timeZone)) throw new Error(`UfaceDevice: ${timeZone} is not a time zone`);
    this.gatewayUrl = options.gatewayUrl.replace(/\/+$/, '');
    this.deviceKey = options.deviceKey;
    this.pass = options.pass ?? '12345678';
    this.timeZone = timeZone;
    this.clockSkewMs = options.clockSkewMs ?? 0;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.lossRate = options.lossRate ?? 0;
    this.callbackFormat = options.callbackFormat ?? 'json';
    this.photo = options.photo;
    this.ip = options.ip ?? '192.168.1.88';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The device clock, epoch ms. */
  deviceNow(): number {
    return this.now() + this.clockSkewMs;
  }

  // -------------------------------------------------------------------------------------------------
  // Recognition

  /**
   * A person stands in front of the device: a record is kept and its callback sent once. Options: the
   * device-clock time, the type (`face_0` pass by default), `lose` to drop this callback on the way.
   * Resolves with the record and whether the gateway acknowledged it; never throws for the network.
   */
  async recognise(
    personId: string,
    o: { at?: number; type?: string; lose?: boolean } = {},
  ): Promise<{ record: UfaceRecord; delivered: boolean; reply?: UfaceHttpReply }> {
    const time = o.at ?? this.deviceNow();
    const record: UfaceRecord = {
      id: this.nextRecordId++,
      personId,
      time,
      type: o.type ?? 'face_0',
      path: `/sdcard/record/${localDay(new Date(time), this.timeZone)}/${time}_${personId}.jpg`,
      delivered: false,
    };
    this.records.push(record);
    const lost = o.lose ?? (this.lossRate > 0 && this.random() < this.lossRate);
    if (lost || !this.online) {
      this.counters.undelivered++;
      return { record, delivered: false };
    }
    const reply = await this.sendCallback(record);
    if (!reply || !isAck(reply)) this.counters.undelivered++;
    return { record, delivered: record.delivered, ...(reply ? { reply } : {}) };
  }

  /** The callback body of a record, as the firmware builds it. */
  callbackBody(record: UfaceRecord, format = this.callbackFormat): { body: Buffer; contentType: string } {
    const fields: Record<string, string> = {
      deviceKey: this.deviceKey,
      personId: record.personId,
      time: String(record.time),
      type: record.type,
      ip: this.ip,
      path: record.path,
      recModeType: record.type.startsWith('card') ? '2' : '1',
      aliveType: '1',
    };
    if (this.photo) fields.base64 = this.photo.toString('base64');
    return format === 'json'
      ? { body: Buffer.from(JSON.stringify(fields)), contentType: 'application/json' }
      : { body: formBody(fields), contentType: 'application/x-www-form-urlencoded' };
  }

  /** Sends a record's callback (again): a resend storm is this called n times. Undefined when offline or unreachable. */
  async sendCallback(record: UfaceRecord, format = this.callbackFormat): Promise<UfaceHttpReply | undefined> {
    if (!this.online) return undefined;
    const { body, contentType } = this.callbackBody(record, format);
    this.counters.callbacks++;
    try {
      const reply = await send('POST', `${this.gatewayUrl}/recognition`, body, contentType, this.timeoutMs);
      if (isAck(reply)) {
        if (!record.delivered) this.counters.acknowledged++;
        record.delivered = true;
      }
      return reply;
    } catch (err) {
      this.lastError = new Error(`callback: ${describeError(err)}`);
      return undefined;
    }
  }

  /** A resend storm: the same callback `times` times in a row (the gateway must count it once). */
  async storm(record: UfaceRecord, times: number): Promise<(UfaceHttpReply | undefined)[]> {
    const replies: (UfaceHttpReply | undefined)[] = [];
    for (let i = 0; i < times; i++) replies.push(await this.sendCallback(record));
    return replies;
  }

  /**
   * Firmware that does retry (some builds, every 10 minutes in the field): sends the callbacks of every
   * undelivered record again. Resolves with how many got through.
   */
  async resendUndelivered(): Promise<number> {
    let n = 0;
    for (const r of this.undeliveredRecords()) {
      await this.sendCallback(r);
      if (r.delivered) n++;
    }
    return n;
  }

  /** Records whose callback never got through (what a daily reconcile must recover). */
  undeliveredRecords(): UfaceRecord[] {
    return this.records.filter((r) => !r.delivered);
  }

  /** Posts any bytes to a gateway route of this device (malformed or truncated messages). */
  async sendRaw(route: string, body: Buffer | string, contentType?: string): Promise<UfaceHttpReply> {
    return send(
      'POST',
      `${this.gatewayUrl}/${route.replace(/^\/+/, '')}`,
      typeof body === 'string' ? Buffer.from(body) : body,
      contentType,
      this.timeoutMs,
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Heartbeat and task pull

  /** One heartbeat; resolves with the gateway's reply (`data.taskPending`). */
  async heartbeat(): Promise<UfaceReply> {
    this.counters.heartbeats++;
    let faceCount = 0;
    for (const p of this.persons.values()) faceCount += p.faces.length;
    const reply = await send(
      'POST',
      `${this.gatewayUrl}/heartbeat`,
      Buffer.from(
        JSON.stringify({
          deviceKey: this.deviceKey,
          time: String(this.deviceNow()),
          ip: this.ip,
          personCount: this.persons.size,
          faceCount,
          version: 'GD-V1.2.3-sim',
        }),
      ),
      'application/json',
      this.timeoutMs,
    );
    if (!isAck(reply)) throw new Error(`heartbeat refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    return reply.json as UfaceReply;
  }

  /** Fetches one task; null when there is none. */
  async pullTask(): Promise<UfaceTask | null> {
    const reply = await send(
      'POST',
      `${this.gatewayUrl}/task`,
      Buffer.from(JSON.stringify({ deviceKey: this.deviceKey })),
      'application/json',
      this.timeoutMs,
    );
    if (!isAck(reply)) throw new Error(`task pull refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    const data = (reply.json as UfaceReply).data;
    return data && typeof data === 'object' ? (data as UfaceTask) : null;
  }

  /** Carries a task out on the person table (downloading the photo of face/createByUrl). */
  async runTask(task: UfaceTask): Promise<UfaceTaskOutcome> {
    switch (task.interfaceName) {
      case 'person/create': {
        const p = (task as { person?: { id?: unknown; name?: unknown; idcardNum?: unknown } }).person;
        if (!p || typeof p.id !== 'string' || !p.id || typeof p.name !== 'string')
          return { success: false, code: 'PARAM_ERROR', msg: 'person.id and person.name are required' };
        // The task pull issues a person whether or not the device has them: create or update.
        this.putPerson(p.id, p.name, typeof p.idcardNum === 'string' ? p.idcardNum : undefined);
        return { success: true };
      }
      case 'person/delete': {
        const id = (task as { id?: unknown }).id;
        if (typeof id !== 'string' || !id)
          return { success: false, code: 'PARAM_ERROR', msg: 'id is required' };
        this.persons.delete(id); // deleting someone absent is done, not an error
        return { success: true };
      }
      case 'face/createByUrl': {
        const t = task as { personId?: unknown; faceId?: unknown; imgUrl?: unknown };
        if (typeof t.personId !== 'string' || typeof t.imgUrl !== 'string')
          return { success: false, code: 'PARAM_ERROR', msg: 'personId and imgUrl are required' };
        let bytes: Buffer;
        try {
          const res = await fetch(t.imgUrl, { signal: AbortSignal.timeout(this.timeoutMs) });
          if (res.status !== 200)
            return { success: false, code: 'IMG_DOWNLOAD_FAILED', msg: `HTTP ${res.status}` };
          bytes = Buffer.from(await res.arrayBuffer());
        } catch (err) {
          return { success: false, code: 'IMG_DOWNLOAD_FAILED', msg: describeError(err) };
        }
        return this.putFace(t.personId, bytes, typeof t.faceId === 'string' ? t.faceId : undefined);
      }
      default:
        return { success: false, code: 'NOT_SUPPORTED', msg: `unknown interface ${task.interfaceName}` };
    }
  }

  async reportResult(task: UfaceTask, outcome: UfaceTaskOutcome): Promise<UfaceHttpReply> {
    return send(
      'POST',
      `${this.gatewayUrl}/task/result`,
      Buffer.from(
        JSON.stringify({
          deviceKey: this.deviceKey,
          taskNo: task.taskNo,
          interfaceName: task.interfaceName,
          success: outcome.success,
          result: outcome.success ? 1 : 0,
          ...(outcome.code ? { code: outcome.code } : {}),
          ...(outcome.msg ? { msg: outcome.msg } : {}),
        }),
      ),
      'application/json',
      this.timeoutMs,
    );
  }

  /**
   * One round of the device's loop: a heartbeat, and while it says work is pending, pull one task, carry
   * it out, report it (at most `maxTasks`). Resolves with the tasks run.
   */
  async syncOnce(maxTasks = 100): Promise<number> {
    if (!this.online) return 0;
    const hb = await this.heartbeat();
    const pending = (hb.data as { taskPending?: unknown } | undefined)?.taskPending === true;
    if (!pending) return 0;
    let n = 0;
    while (n < maxTasks) {
      const task = await this.pullTask();
      if (!task) break;
      const outcome = await this.runTask(task);
      this.taskLog.push({ task, outcome });
      if (outcome.success) this.counters.tasksDone++;
      else this.counters.tasksFailed++;
      await this.reportResult(task, outcome);
      n++;
    }
    return n;
  }

  /** Runs `syncOnce` every `intervalMs` until `stop()`; errors are kept in `lastError`, never thrown. */
  start(intervalMs = 2_000): void {
    if (this.loop) return;
    this.loop = startLoop(async (signal) => {
      try {
        await this.syncOnce();
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
      }
      await abortableSleep(intervalMs, signal).catch(() => undefined);
    });
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    if (!loop) return;
    await stopLoop(loop);
  }

  // -------------------------------------------------------------------------------------------------
  // The person table

  private putPerson(id: string, name: string, idcardNum?: string): UfacePerson {
    const existing = this.persons.get(id);
    const person: UfacePerson = {
      id,
      name,
      ...(idcardNum ? { idcardNum } : {}),
      faces: existing?.faces ?? [],
    };
    this.persons.set(id, person);
    return person;
  }

  private putFace(personId: string, bytes: Buffer, faceId?: string): UfaceTaskOutcome & { faceId?: string } {
    const person = this.persons.get(personId);
    if (!person) return { success: false, code: 'PERSON_NOT_FOUND', msg: `no person ${personId}` };
    if (!isImage(bytes))
      return { success: false, code: 'NOT_AN_IMAGE', msg: 'the image is not a JPEG or PNG' };
    const id = faceId || `${personId}_${md5(bytes).slice(0, 12)}`;
    const face = { faceId: id, md5: md5(bytes), bytes: bytes.length };
    const at = person.faces.findIndex((f) => f.faceId === id);
    if (at >= 0) person.faces[at] = face;
    else {
      person.faces.push(face);
      if (person.faces.length > 3) person.faces.shift(); // the terminal keeps three faces a person
    }
    return { success: true, faceId: id };
  }

  // -------------------------------------------------------------------------------------------------
  // The device API server

  /** Starts the device API (port 0: any free port). Resolves with its base URL. */
  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.server.listen(port, host);
  }

  get apiUrl(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, body: Buffer): Promise<UfaceReply> {
    this.counters.apiRequests++;
    const url = new URL(req.url ?? '/', 'http://device');
    const f = readRequestFields(url, req.headers['content-type'], body);
    const fail = (msg: string): UfaceReply => ({ result: 0, success: false, msg });
    const route = url.pathname.replace(/\/+$/, '');
    if (route === '/getDeviceKey') return { result: 1, success: true, data: this.deviceKey };
    if (f.get('pass') !== this.pass) return fail('pass: wrong device password');
    switch (route) {
      case '/person/create':
      case '/person/update': {
        let p: { id?: unknown; name?: unknown; idcardNum?: unknown };
        try {
          p = JSON.parse(f.get('person') ?? '');
        } catch {
          return fail('person: must be the JSON of the person');
        }
        if (typeof p?.id !== 'string' || !p.id || typeof p.name !== 'string' || !p.name)
          return fail('person: id and name are required');
        const exists = this.persons.has(p.id);
        if (route === '/person/create' && exists) return fail(`person.id: ${p.id} already exists`);
        if (route === '/person/update' && !exists) return fail(`person.id: ${p.id} does not exist`);
        const person = this.putPerson(
          p.id,
          p.name,
          typeof p.idcardNum === 'string' ? p.idcardNum : undefined,
        );
        return { result: 1, success: true, data: { id: person.id, name: person.name } };
      }
      case '/person/delete': {
        const ids = (f.get('id') ?? '').split(',').filter(Boolean);
        if (ids.length === 0) return fail('id: is required');
        const missing = ids.filter((id) => id !== '-1' && !this.persons.has(id));
        if (ids.includes('-1')) this.persons.clear();
        else for (const id of ids) this.persons.delete(id);
        return { result: 1, success: true, data: { deleted: ids.length - missing.length, missing } };
      }
      case '/face/create': {
        const personId = f.get('personId');
        const img = f.get('imgBase64');
        if (!personId) return fail('personId: is required');
        if (!img) return fail('imgBase64: is required');
        const out = this.putFace(personId, Buffer.from(img.replace(/ /g, '+'), 'base64'), f.get('faceId'));
        return out.success ? { result: 1, success: true, data: out.faceId } : fail(`${out.code}: ${out.msg}`);
      }
      case '/face/createByUrl': {
        const personId = f.get('personId');
        const imgUrl = f.get('imgUrl');
        if (!personId) return fail('personId: is required');
        if (!imgUrl) return fail('imgUrl: is required');
        const out = await this.runTask({
          taskNo: 0,
          interfaceName: 'face/createByUrl',
          personId,
          imgUrl,
          ...(f.get('faceId') ? { faceId: f.get('faceId') } : {}),
        });
        return out.success ? { result: 1, success: true } : fail(`${out.code}: ${out.msg}`);
      }
      case '/setTime': {
        const ts = f.get('timestamp');
        if (!ts || !/^\d{12,13}$/.test(ts)) return fail('timestamp: epoch milliseconds are required');
        this.clockSkewMs = Number(ts) - this.now();
        return { result: 1, success: true };
      }
      case '/findRecords':
        return this.findRecords(f);
      default:
        return fail(`${route}: no such interface`);
    }
  }

  /**
   * `/findRecords`: `personId` (-1 all, STRANGERBABY strangers, else one person), `startTime`/`endTime`
   * (`yyyy-MM-dd HH:mm:ss` device-local, or 0 for no bound), `length` (page size, -1 all) and `index`
   * (page, from 0). pageInfo: `index`, `length`, `size` (pages), `total` (records matching).
   */
  private findRecords(f: Map<string, string>): UfaceReply {
    const fail = (msg: string): UfaceReply => ({ result: 0, success: false, msg });
    const personId = f.get('personId') ?? '-1';
    const bound = (name: string): number | undefined | null => {
      const v = (f.get(name) ?? '0').trim();
      if (v === '0' || v === '') return undefined;
      if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v)) return null;
      const at = parseDeviceTime(v, this.timeZone);
      return at ? at.getTime() : null;
    };
    const start = bound('startTime');
    const end = bound('endTime');
    if (start === null) return fail('startTime: must be yyyy-MM-dd HH:mm:ss or 0');
    if (end === null) return fail('endTime: must be yyyy-MM-dd HH:mm:ss or 0');
    const length = Number(f.get('length') ?? '-1');
    const index = Number(f.get('index') ?? '0');
    if (!Number.isInteger(length) || (length < 1 && length !== -1))
      return fail('length: must be a page size of at least 1, or -1 for all');
    if (!Number.isInteger(index) || index < 0) return fail('index: must be a page number from 0');
    const matching = this.records.filter(
      (r) =>
        (personId === '-1' ||
          (personId === 'STRANGERBABY' ? r.personId === 'STRANGERBABY' : r.personId === personId)) &&
        (start === undefined || r.time >= start) &&
        // The end second is included: "08:00:00" to "08:59:59" covers up to 08:59:59.999.
        (end === undefined || r.time < end + 1000),
    );
    const size = length === -1 ? 1 : Math.max(1, Math.ceil(matching.length / length));
    const page = length === -1 ? matching : matching.slice(index * length, (index + 1) * length);
    return {
      result: 1,
      success: true,
      data: {
        pageInfo: { index, length, size, total: matching.length },
        records: page.map((r) => ({
          id: r.id,
          personId: r.personId,
          time: r.time,
          type: r.type,
          path: r.path,
        })),
      },
    };
  }
}

function respond(res: ServerResponse, status: number, body: UfaceReply): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Form fields of a device API request: query string, urlencoded or multipart body, JSON tolerated. */
function readRequestFields(url: URL, contentType: string | undefined, body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/')) {
    const m = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
    if (m) for (const [k, v] of parseFormData(body, m[1])) if (!fields.has(k)) fields.set(k, v);
  } else if (type.includes('json')) {
    try {
      const j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(j)) fields.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    } catch {
      // not JSON: no fields from the body
    }
  } else if (body.length > 0) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!fields.has(k)) fields.set(k, v);
  }
  for (const [k, v] of url.searchParams) if (!fields.has(k)) fields.set(k, v);
  return fields;
}

/** The text fields of a multipart/form-data body (what RestSharp and curl -F send). */
function parseFormData(body: Buffer, boundary: string): [string, string][] {
  const out: [string, string][] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      let data = part.subarray(headerEnd + 4);
      if (data.subarray(data.length - 2).toString() === '\r\n') data = data.subarray(0, data.length - 2);
      if (name) out.push([name, data.toString('utf8')]);
    }
    pos = next;
  }
  return out;
}
