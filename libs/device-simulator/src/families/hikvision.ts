/**
 * A simulated Hikvision access-control / face terminal (ISAPI), talking real HTTP both ways:
 * - as a client of the gateway's HTTP listening URL (`/isapi/v1/<deviceId>/<token>/events`): access events
 *   as multipart (JSON part `AccessControllerEvent` + JPEG part `Picture`), bare JSON or old-firmware
 *   `EventNotificationAlert` XML; heartbeats; `serialNo` / `frontSerialNo` over its own event log;
 *   events it could not deliver are re-uploaded later with `currentEvent: false`;
 * - as a server playing the terminal's ISAPI (HTTP Digest, RFC 7616 MD5 qop=auth): UserInfo SetUp /
 *   Record / Delete, CardInfo SetUp, FDLib FaceDataRecord / FDSetUp (multipart), and the AcsEvent search
 *   over its own event log (paged, `MORE` / `OK` / `NO MATCH`).
 *
 * Misbehaviours for tests: resend storms, lost uploads (a serialNo gap), offline periods (buffered or, as
 * on firmware with offline upload disabled, kept only in the log), bodies cut off inside the JPEG,
 * malformed bodies, a skewed clock, door events around each pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatLocalTime, isValidTimeZone, parseDeviceTime, zoneOffsetMinutes } from '@realname/contracts';
import { describeError } from '../open-protocol-client';
import { DeviceApiServer } from './device-api-server';

const USER_AGENT = 'hikvision-isapi-simulator/1.0';

export type HikBodyForm = 'multipart' | 'json' | 'xml';

/** One entry of the terminal's event log (what AcsEvent searches and what is pushed). */
export interface HikLoggedEvent {
  serialNo: number;
  major: number;
  minor: number;
  /** Device clock, ISO-8601 with the device's offset. */
  time: string;
  employeeNo?: string;
  name?: string;
  cardNo?: string;
  attendanceStatus?: 'checkIn' | 'checkOut' | 'breakIn' | 'breakOut' | 'overtimeIn' | 'overtimeOut';
  currentVerifyMode: string;
  picture?: Buffer;
  /** The gateway acknowledged it (HTTP 200). */
  delivered: boolean;
  /** Never pushed again: lost on the way, or recorded while offline on firmware without offline upload. */
  abandoned: boolean;
  /** How it was (or will be) pushed. */
  form: HikBodyForm;
}

export interface HikUser {
  employeeNo: string;
  name: string;
  userType: string;
  valid?: { enable?: boolean; beginTime?: string; endTime?: string };
  cardNo?: string;
  face?: { md5: string; bytes: number; faceLibType: string; fdid: string };
}

export interface HikvisionBehaviour {
  /** Every push is sent this many times (a resend storm: 3). */
  resendTimes?: number;
  /** The device clock's error, in milliseconds (positive: ahead). */
  clockSkewMs?: number;
  /** Firmware with offline upload disabled: events recorded while offline are only in the log. */
  discardWhileOffline?: boolean;
  /** Pushes of events for which this returns true are lost on the way and never retried (a serial gap). */
  dropUpload?: (e: HikLoggedEvent) => boolean;
  /** Each pass is followed by door events (lock open 0x15, door open 0x19, door close 0x1a). */
  doorEvents?: boolean;
}

export interface HikPushReply {
  status: number;
  text: string;
}

export interface HikvisionCounters {
  pushes: number;
  pushFailures: number;
  heartbeats: number;
  isapiRequests: number;
  isapiUnauthorized: number;
}

export interface HikvisionTerminalOptions {
  /** Gateway base URL (without the `/isapi/v1/...` path). */
  gatewayUrl?: string;
  deviceId: string;
  /** The device's path token, as registered. */
  token?: string;
  /** Zone of the device clock (default Asia/Shanghai). */
  timeZone?: string;
  behaviour?: HikvisionBehaviour;
  /** ISAPI credentials (default admin / Hik12345). */
  user?: string;
  password?: string;
  /** Digest realm (default "DS-K1T671M"). */
  realm?: string;
  /** Body form of pushes when a punch does not say (default multipart). */
  form?: HikBodyForm;
  ipAddress?: string;
  macAddress?: string;
  timeoutMs?: number;
  /** The real clock (default Date.now); the device clock adds `clockSkewMs`. */
  now?: () => number;
  /** Largest AcsEvent page the device returns whatever is asked (default 30). */
  maxSearchResults?: number;
}

export interface HikPunchOptions {
  employeeNo: string;
  name?: string;
  /** When it happened (default: now on the device clock). */
  at?: Date;
  /** MAJOR_EVENT minor: 75 face (default), 1 card, 38 fingerprint, 77 employee no + face, 76 face failure. */
  minor?: number;
  attendanceStatus?: HikLoggedEvent['attendanceStatus'];
  cardNo?: string;
  form?: HikBodyForm;
  /** Attach a JPEG (multipart only; default true for multipart). */
  picture?: boolean;
  /** Cut the multipart body off inside the JPEG. */
  truncate?: boolean;
  /** This push is lost on the way and never retried. */
  lose?: boolean;
}

const VERIFY_MODE: Record<number, string> = {
  0x01: 'card',
  0x26: 'fingerPrint',
  0x4b: 'face',
  0x4c: 'face',
  0x4d: 'employeeNoAndFace',
};

/** The terminal's wall clock in its zone, `2026-11-21T07:41:02+08:00`. */
export function hikTime(instant: Date, timeZone: string): string {
  const offset = zoneOffsetMinutes(instant, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  const abs = Math.abs(offset);
  return (
    formatLocalTime(instant, timeZone).replace(' ', 'T') +
    `${offset < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  );
}

/** A small fake JPEG (SOI, APP0 marker, noise, EOI), different for each seed. */
export function fakeJpeg(seed: number, size = 2048): Buffer {
  const noise = createHash('sha256').update(`hik-picture-${seed}`).digest();
  const body = Buffer.alloc(Math.max(16, size - 6));
  for (let i = 0; i < body.length; i++) body[i] = noise[i % noise.length] ^ (i & 0xff);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])]);
}

export class HikvisionTerminal {
  readonly deviceId: string;
  readonly timeZone: string;
  readonly behaviour: HikvisionBehaviour;
  readonly counters: HikvisionCounters = {
    pushes: 0,
    pushFailures: 0,
    heartbeats: 0,
    isapiRequests: 0,
    isapiUnauthorized: 0,
  };
  /** The event log, oldest first. */
  readonly log: HikLoggedEvent[] = [];
  readonly users = new Map<string, HikUser>();
  /** ISAPI requests received (method, path, authorised), for tests. */
  readonly isapiLog: { method: string; path: string; authorised: boolean }[] = [];

  gatewayUrl?: string;
  token?: string;
  private online = true;
  private readonly user: string;
  private readonly password: string;
  private readonly realm: string;
  private readonly form: HikBodyForm;
  private readonly ipAddress: string;
  private readonly macAddress: string;
  private readonly timeoutMs: number;
  private readonly realNow: () => number;
  private readonly maxSearchResults: number;
  private readonly server = new DeviceApiServer('HikvisionTerminal: the ISAPI server', (req, body, res) => {
    try {
      this.handle(req, body, res);
    } catch (err) {
      status(res, 500, req.url ?? '/', 'internalError', describeError(err));
    }
  });
  private heartbeatTimer?: NodeJS.Timeout;
  /** Digest nonces handed out: nonce -> highest nonce count seen, and when it was issued. */
  private readonly nonces = new Map<string, { nc: number; issuedAt: number }>();
  /** AcsEvent searches: searchID -> the matching serials as of the first page. */
  private readonly searches = new Map<string, number[]>();

  constructor(o: HikvisionTerminalOptions) {
    if (o.timeZone && !isValidTimeZone(o.timeZone))
      throw new Error(`HikvisionTerminal: bad time zone ${o.timeZone}`);
    this.deviceId = o.deviceId;
    this.gatewayUrl = o.gatewayUrl?.replace(/\/+$/, '');
    this.token = o.token;
    this.timeZone = o.timeZone ?? 'Asia/Shanghai';
    this.behaviour = { ...(o.behaviour ?? {}) };
    this.user = o.user ?? 'admin';
    this.password = o.password ?? 'Hik12345';
    this.realm = o.realm ?? 'DS-K1T671M';
    this.form = o.form ?? 'multipart';
    this.ipAddress = o.ipAddress ?? '192.168.1.64';
    this.macAddress = o.macAddress ?? 'a4:14:37:5e:00:01';
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.realNow = o.now ?? Date.now;
    this.maxSearchResults = o.maxSearchResults ?? 30;
  }

  /** The device clock, now. */
  deviceNow(): Date {
    return new Date(this.realNow() + (this.behaviour.clockSkewMs ?? 0));
  }

  get pushUrl(): string {
    if (!this.gatewayUrl || !this.token)
      throw new Error('HikvisionTerminal: gatewayUrl and token are needed to push');
    return `${this.gatewayUrl}/isapi/v1/${encodeURIComponent(this.deviceId)}/${encodeURIComponent(this.token)}/events`;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** The last serial number used (0 before the first event). */
  get lastSerialNo(): number {
    return this.log.length > 0 ? this.log[this.log.length - 1].serialNo : 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Events

  /**
   * A person verified at the terminal: the event is logged and pushed (unless offline or lost). Returns
   * the logged event and the gateway's replies (one per send; several in a storm).
   */
  async punch(p: HikPunchOptions): Promise<{ event: HikLoggedEvent; replies: (HikPushReply | undefined)[] }> {
    const minor = p.minor ?? 0x4b;
    const form = p.form ?? this.form;
    const event = this.record({
      major: 5,
      minor,
      time: hikTime(p.at ?? this.deviceNow(), this.timeZone),
      employeeNo: p.employeeNo,
      ...(p.name ? { name: p.name } : {}),
      ...(p.cardNo ? { cardNo: p.cardNo } : {}),
      ...(p.attendanceStatus ? { attendanceStatus: p.attendanceStatus } : {}),
      currentVerifyMode: VERIFY_MODE[minor] ?? 'cardOrFaceOrFp',
      ...(form === 'multipart' && p.picture !== false ? { picture: fakeJpeg(this.log.length + 1) } : {}),
      form,
    });
    if (p.lose) event.abandoned = true;
    const replies = await this.deliver(event, { truncate: p.truncate });
    if (this.behaviour.doorEvents && minor !== 0x4c) {
      for (const door of [0x15, 0x19, 0x1a]) {
        const d = this.record({
          major: 5,
          minor: door,
          time: event.time,
          currentVerifyMode: 'invalid',
          form: 'json',
        });
        await this.deliver(d, {});
      }
    }
    return { event, replies };
  }

  /** A non-pass event (door, alarm, failure without a person, ...). */
  async event(major: number, minor: number, at?: Date): Promise<HikLoggedEvent> {
    const e = this.record({
      major,
      minor,
      time: hikTime(at ?? this.deviceNow(), this.timeZone),
      currentVerifyMode: 'invalid',
      form: 'json',
    });
    await this.deliver(e, {});
    return e;
  }

  /** The keep-alive every few seconds: `eventType: heartBeat` with the device clock. */
  async heartbeat(): Promise<HikPushReply | undefined> {
    if (!this.online) return undefined;
    this.counters.heartbeats++;
    const body = JSON.stringify({
      ipAddress: this.ipAddress,
      portNo: 80,
      protocol: 'HTTP',
      macAddress: this.macAddress,
      channelID: 1,
      dateTime: hikTime(this.deviceNow(), this.timeZone),
      activePostCount: 1,
      eventType: 'heartBeat',
      eventState: 'active',
      eventDescription: 'heartBeat',
    });
    return this.post(Buffer.from(body), 'application/json').catch(() => undefined);
  }

  /** Heartbeats every `intervalMs` while online (stopped by `stopHeartbeats` or `close`). */
  startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), intervalMs);
    this.heartbeatTimer.unref();
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /**
   * Offline: nothing is pushed (events stay in the log; on firmware with `discardWhileOffline` they are
   * never pushed). Back online: the undelivered events are uploaded, oldest first, as offline events.
   */
  async setOnline(online: boolean): Promise<number> {
    this.online = online;
    return online ? this.uploadUndelivered() : 0;
  }

  /** Pushes again every event not yet acknowledged (and not abandoned), with `currentEvent: false`. */
  async uploadUndelivered(): Promise<number> {
    let sent = 0;
    for (const e of this.log) {
      if (e.delivered || e.abandoned || !this.online) continue;
      const replies = await this.send(e, false, {});
      if (replies.some((r) => r?.status === 200)) sent++;
    }
    return sent;
  }

  /** Posts any body to the event URL (malformed or forged requests). */
  async sendRaw(body: Buffer | string, contentType: string, url = this.pushUrl): Promise<HikPushReply> {
    return this.post(typeof body === 'string' ? Buffer.from(body) : body, contentType, url);
  }

  /** The body of an event as the firmware would send it. */
  eventBody(
    e: HikLoggedEvent,
    currentEvent: boolean,
    o: { truncate?: boolean } = {},
  ): { body: Buffer; contentType: string } {
    const front = this.frontOf(e.serialNo);
    if (e.form === 'xml')
      return {
        body: Buffer.from(this.xml(e, front, currentEvent)),
        contentType: 'application/xml; charset="UTF-8"',
      };
    const json = JSON.stringify(this.json(e, front, currentEvent));
    if (e.form === 'json')
      return { body: Buffer.from(json), contentType: 'application/json; charset="UTF-8"' };
    const boundary = 'MIME_boundary';
    const chunks: Buffer[] = [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="AccessControllerEvent"\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`,
      ),
      Buffer.from(json),
      Buffer.from('\r\n'),
    ];
    if (e.picture) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\nContent-Length: ${e.picture.length}\r\nContent-ID: pictureImage\r\n\r\n`,
        ),
        e.picture,
        Buffer.from('\r\n'),
      );
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    let body = Buffer.concat(chunks);
    if (o.truncate && e.picture) {
      const pictureStart = body.indexOf(e.picture);
      body = body.subarray(0, pictureStart + Math.floor(e.picture.length / 2));
    }
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  private record(e: Omit<HikLoggedEvent, 'serialNo' | 'delivered' | 'abandoned'>): HikLoggedEvent {
    const event: HikLoggedEvent = {
      ...e,
      serialNo: this.lastSerialNo + 1,
      delivered: false,
      abandoned: false,
    };
    if (!this.online && this.behaviour.discardWhileOffline) event.abandoned = true;
    this.log.push(event);
    return event;
  }

  private async deliver(e: HikLoggedEvent, o: { truncate?: boolean }): Promise<(HikPushReply | undefined)[]> {
    if (!this.online) return [];
    if (e.abandoned || this.behaviour.dropUpload?.(e)) {
      e.abandoned = true;
      return [];
    }
    return this.send(e, true, o);
  }

  private async send(
    e: HikLoggedEvent,
    current: boolean,
    o: { truncate?: boolean },
  ): Promise<(HikPushReply | undefined)[]> {
    const { body, contentType } = this.eventBody(e, current, o);
    const replies: (HikPushReply | undefined)[] = [];
    const times = Math.max(1, this.behaviour.resendTimes ?? 1);
    for (let i = 0; i < times; i++) {
      this.counters.pushes++;
      const reply = await this.post(body, contentType).catch(() => undefined);
      if (reply?.status === 200) e.delivered = true;
      else this.counters.pushFailures++;
      replies.push(reply);
    }
    return replies;
  }

  private frontOf(serialNo: number): number {
    return serialNo > 1 ? serialNo - 1 : 0;
  }

  private json(e: HikLoggedEvent, front: number, currentEvent: boolean): Record<string, unknown> {
    return {
      ipAddress: this.ipAddress,
      portNo: 80,
      protocol: 'HTTP',
      macAddress: this.macAddress,
      channelID: 1,
      dateTime: e.time,
      activePostCount: 1,
      eventType: 'AccessControllerEvent',
      eventState: 'active',
      eventDescription: 'Access Controller Event',
      AccessControllerEvent: {
        deviceName: 'Access Controller',
        majorEventType: e.major,
        subEventType: e.minor,
        ...(e.name ? { name: e.name } : {}),
        ...(e.cardNo ? { cardNo: e.cardNo } : {}),
        cardReaderNo: 1,
        doorNo: 1,
        ...(e.employeeNo ? { employeeNoString: e.employeeNo, userType: 'normal' } : {}),
        serialNo: e.serialNo,
        frontSerialNo: front,
        currentVerifyMode: e.currentVerifyMode,
        currentEvent,
        ...(e.attendanceStatus ? { attendanceStatus: e.attendanceStatus } : {}),
        mask: 'no',
        picturesNumber: e.picture ? 1 : 0,
      },
    };
  }

  private xml(e: HikLoggedEvent, front: number, currentEvent: boolean): string {
    const el = (name: string, v: string | number | undefined) =>
      v === undefined ? '' : `<${name}>${esc(String(v))}</${name}>\n`;
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n` +
      el('ipAddress', this.ipAddress) +
      el('portNo', 80) +
      el('protocol', 'HTTP') +
      el('macAddress', this.macAddress) +
      el('channelID', 1) +
      el('dateTime', e.time) +
      el('activePostCount', 1) +
      el('eventType', 'AccessControllerEvent') +
      el('eventState', 'active') +
      el('eventDescription', 'Access Controller Event') +
      `<AccessControllerEvent>\n` +
      el('majorEventType', e.major) +
      el('subEventType', e.minor) +
      el('name', e.name) +
      el('cardNo', e.cardNo) +
      el('employeeNoString', e.employeeNo) +
      el('serialNo', e.serialNo) +
      el('frontSerialNo', front) +
      el('currentVerifyMode', e.currentVerifyMode) +
      el('currentEvent', String(currentEvent)) +
      el('attendanceStatus', e.attendanceStatus) +
      `</AccessControllerEvent>\n</EventNotificationAlert>\n`
    );
  }

  private async post(body: Buffer, contentType: string, url = this.pushUrl): Promise<HikPushReply> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': contentType, 'User-Agent': USER_AGENT },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  }

  // -------------------------------------------------------------------------------------------------
  // The ISAPI server

  /** Starts the ISAPI web server (port 0: any free port). Resolves with its base URL. */
  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.server.listen(port, host);
  }

  get isapiUrl(): string {
    return this.server.url;
  }

  /** Stops heartbeats and the ISAPI server. */
  close(): Promise<void> {
    this.stopHeartbeats();
    return this.server.close();
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    this.counters.isapiRequests++;
    const url = new URL(req.url ?? '/', 'http://device');
    const method = (req.method ?? 'GET').toUpperCase();
    const auth = this.checkDigest(req.headers.authorization, method, req.url ?? '/');
    this.isapiLog.push({ method, path: url.pathname, authorised: auth === 'ok' });
    if (auth !== 'ok') {
      this.counters.isapiUnauthorized++;
      const nonce = randomBytes(16).toString('hex');
      this.nonces.set(nonce, { nc: 0, issuedAt: this.realNow() });
      res.writeHead(401, {
        'WWW-Authenticate': `Digest qop="auth", realm="${this.realm}", nonce="${nonce}", stale="${auth === 'stale' ? 'TRUE' : 'FALSE'}"`,
        'Content-Type': 'application/xml',
      });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString></userCheck>\n',
      );
      return;
    }
    const route = `${method} ${url.pathname}`;
    const json = (): Record<string, unknown> | undefined => {
      try {
        const v = JSON.parse(body.toString('utf8'));
        return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };
    switch (route) {
      case 'GET /ISAPI/System/deviceInfo':
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0"><deviceName>Access Controller</deviceName><deviceID>${esc(this.deviceId)}</deviceID><model>DS-K1T671M</model><macAddress>${this.macAddress}</macAddress><firmwareVersion>V3.2.30</firmwareVersion></DeviceInfo>\n`,
        );
        return;
      case 'GET /ISAPI/System/time':
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Time version="2.0"><timeMode>manual</timeMode><localTime>${hikTime(this.deviceNow(), this.timeZone)}</localTime></Time>\n`,
        );
        return;
      case 'POST /ISAPI/AccessControl/UserInfo/Record':
      case 'PUT /ISAPI/AccessControl/UserInfo/SetUp':
      case 'PUT /ISAPI/AccessControl/UserInfo/Modify': {
        const u = json()?.UserInfo as Record<string, unknown> | undefined;
        if (!u || typeof u !== 'object')
          return status(res, 400, url.pathname, 'badJsonContent', 'UserInfo is required');
        const employeeNo = typeof u.employeeNo === 'string' ? u.employeeNo : '';
        if (!/^[\x21-\x7e]{1,32}$/.test(employeeNo))
          return status(res, 400, url.pathname, 'badEmployeeNo', 'employeeNo: 1-32 characters');
        const exists = this.users.has(employeeNo);
        if (route.endsWith('/Record') && exists)
          return status(res, 400, url.pathname, 'employeeNoAlreadyExist', `${employeeNo} exists`);
        if (route.endsWith('/Modify') && !exists)
          return status(res, 400, url.pathname, 'employeeNoNotExist', `${employeeNo} does not exist`);
        const name = typeof u.name === 'string' ? u.name : '';
        if (Buffer.byteLength(name) > 32)
          return status(res, 400, url.pathname, 'nameTooLong', 'name: at most 32 bytes');
        const previous = this.users.get(employeeNo);
        this.users.set(employeeNo, {
          employeeNo,
          name,
          userType: typeof u.userType === 'string' ? u.userType : 'normal',
          ...(u.Valid && typeof u.Valid === 'object' ? { valid: u.Valid as HikUser['valid'] } : {}),
          ...(previous?.cardNo ? { cardNo: previous.cardNo } : {}),
          ...(previous?.face ? { face: previous.face } : {}),
        });
        return status(res, 200, url.pathname, 'ok');
      }
      case 'PUT /ISAPI/AccessControl/UserInfo/Delete': {
        const cond = json()?.UserInfoDelCond as { EmployeeNoList?: { employeeNo?: unknown }[] } | undefined;
        if (!cond || !Array.isArray(cond.EmployeeNoList))
          return status(
            res,
            400,
            url.pathname,
            'badJsonContent',
            'UserInfoDelCond.EmployeeNoList is required',
          );
        for (const e of cond.EmployeeNoList)
          if (typeof e?.employeeNo === 'string') this.users.delete(e.employeeNo);
        return status(res, 200, url.pathname, 'ok');
      }
      case 'PUT /ISAPI/AccessControl/CardInfo/SetUp': {
        const c = json()?.CardInfo as { employeeNo?: unknown; cardNo?: unknown } | undefined;
        const user = typeof c?.employeeNo === 'string' ? this.users.get(c.employeeNo) : undefined;
        if (!user)
          return status(res, 400, url.pathname, 'employeeNoNotExist', 'CardInfo.employeeNo: no such user');
        if (typeof c?.cardNo !== 'string' || !c.cardNo)
          return status(res, 400, url.pathname, 'badParameters', 'CardInfo.cardNo is required');
        user.cardNo = c.cardNo;
        return status(res, 200, url.pathname, 'ok');
      }
      case 'POST /ISAPI/Intelligent/FDLib/FaceDataRecord':
      case 'PUT /ISAPI/Intelligent/FDLib/FDSetUp':
        return this.face(route.startsWith('PUT'), req.headers['content-type'], body, url.pathname, res);
      case 'POST /ISAPI/AccessControl/AcsEvent':
        return this.acsEvent(json(), url.pathname, res);
      default:
        return status(res, 404, url.pathname, 'notSupport', `${route} is not supported`);
    }
  }

  private face(
    upsert: boolean,
    contentType: string | undefined,
    body: Buffer,
    path: string,
    res: ServerResponse,
  ): void {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
    if (!boundary)
      return status(
        res,
        400,
        path,
        'badParameters',
        'multipart/form-data with FaceDataRecord and FaceImage is required',
      );
    const parts = splitMultipart(body, boundary);
    const recordPart = parts.find((p) => p.name === 'FaceDataRecord');
    const image = parts.find((p) => p.name === 'FaceImage' || p.name === 'img');
    let record: { faceLibType?: unknown; FDID?: unknown; FPID?: unknown };
    try {
      record = JSON.parse(recordPart?.data.toString('utf8') ?? '');
    } catch {
      return status(res, 400, path, 'badJsonContent', 'FaceDataRecord must be JSON');
    }
    if (typeof record?.FPID !== 'string')
      return status(res, 400, path, 'badParameters', 'FaceDataRecord.FPID is required');
    const user = this.users.get(record.FPID);
    if (!user) return status(res, 400, path, 'employeeNoNotExist', `FPID ${record.FPID}: no such user`);
    if (!image || image.data.length < 4 || image.data[0] !== 0xff || image.data[1] !== 0xd8)
      return status(res, 400, path, 'badPicture', 'FaceImage must be a JPEG');
    if (user.face && !upsert)
      return status(res, 400, path, 'deviceUserAlreadyExistFace', `FPID ${record.FPID} has a face`);
    user.face = {
      md5: createHash('md5').update(image.data).digest('hex'),
      bytes: image.data.length,
      faceLibType: typeof record.faceLibType === 'string' ? record.faceLibType : 'blackFD',
      fdid: typeof record.FDID === 'string' ? record.FDID : '1',
    };
    return status(res, 200, path, 'ok');
  }

  /** AcsEvent search over the event log (the terminal keeps everything, delivered or not). */
  private acsEvent(body: Record<string, unknown> | undefined, path: string, res: ServerResponse): void {
    const cond = body?.AcsEventCond as Record<string, unknown> | undefined;
    if (!cond || typeof cond !== 'object')
      return status(res, 400, path, 'badJsonContent', 'AcsEventCond is required');
    const searchID = typeof cond.searchID === 'string' ? cond.searchID : '';
    const position = Number(cond.searchResultPosition ?? 0);
    const max = Number(cond.maxResults ?? 10);
    if (!searchID) return status(res, 400, path, 'badParameters', 'AcsEventCond.searchID is required');
    if (!Number.isInteger(position) || position < 0)
      return status(res, 400, path, 'badParameters', 'searchResultPosition');
    if (!Number.isInteger(max) || max < 1) return status(res, 400, path, 'badParameters', 'maxResults');
    const major = Number(cond.major ?? 0);
    const minor = Number(cond.minor ?? 0);
    const bound = (v: unknown) => (typeof v === 'string' ? parseDeviceTime(v, this.timeZone) : undefined);
    const start = bound(cond.startTime);
    const end = bound(cond.endTime);
    if ((cond.startTime !== undefined && !start) || (cond.endTime !== undefined && !end))
      return status(res, 400, path, 'badParameters', 'startTime / endTime must be ISO-8601 times');
    // A search is a snapshot: later pages of the same searchID page through the same matches.
    let serials = this.searches.get(searchID);
    if (!serials || position === 0) {
      serials = this.log
        .filter((e) => {
          const t = parseDeviceTime(e.time, this.timeZone)!.getTime();
          return (
            (major === 0 || e.major === major) &&
            (minor === 0 || e.minor === minor) &&
            (!start || t >= start.getTime()) &&
            (!end || t <= end.getTime())
          );
        })
        .map((e) => e.serialNo);
      this.searches.set(searchID, serials);
      if (this.searches.size > 64) this.searches.delete(this.searches.keys().next().value as string);
    }
    const pageSize = Math.min(max, this.maxSearchResults);
    const page = serials.slice(position, position + pageSize);
    const bySerial = new Map(this.log.map((e) => [e.serialNo, e]));
    const more = position + page.length < serials.length;
    const reply = {
      AcsEvent: {
        searchID,
        responseStatusStrg: serials.length === 0 ? 'NO MATCH' : more ? 'MORE' : 'OK',
        numOfMatches: page.length,
        totalMatches: serials.length,
        ...(page.length > 0
          ? {
              InfoList: page.map((s) => {
                const e = bySerial.get(s)!;
                return {
                  major: e.major,
                  minor: e.minor,
                  time: e.time,
                  ...(e.cardNo ? { cardNo: e.cardNo, cardType: 1 } : {}),
                  ...(e.name ? { name: e.name } : {}),
                  cardReaderNo: 1,
                  doorNo: 1,
                  ...(e.employeeNo ? { employeeNoString: e.employeeNo, userType: 'normal' } : {}),
                  serialNo: e.serialNo,
                  type: 0,
                  currentVerifyMode: e.currentVerifyMode,
                  ...(e.attendanceStatus ? { attendanceStatus: e.attendanceStatus } : {}),
                  mask: 'no',
                  ...(e.picture
                    ? { pictureURL: `http://${this.ipAddress}/LOCALS/pic/acsLinkCap/${e.serialNo}.jpg` }
                    : {}),
                };
              }),
            }
          : {}),
      },
    };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply));
  }

  /** RFC 7616 Digest (MD5, qop=auth), checked the way the firmware does; nonces live 5 minutes. */
  private checkDigest(
    header: string | undefined,
    method: string,
    uri: string,
  ): 'ok' | 'missing' | 'stale' | 'bad' {
    if (!header || !/^Digest\s/i.test(header)) return 'missing';
    const p = new Map<string, string>();
    for (const m of header.slice(7).matchAll(/([a-zA-Z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g))
      p.set(m[1].toLowerCase(), (m[2] ?? m[3]).replace(/\\(.)/g, '$1'));
    const nonce = p.get('nonce') ?? '';
    const known = this.nonces.get(nonce);
    if (!known) return 'stale';
    if (this.realNow() - known.issuedAt > 5 * 60_000) {
      this.nonces.delete(nonce);
      return 'stale';
    }
    if (p.get('username') !== this.user || p.get('realm') !== this.realm || p.get('uri') !== uri)
      return 'bad';
    if ((p.get('algorithm') ?? 'MD5').toUpperCase() !== 'MD5' || p.get('qop') !== 'auth') return 'bad';
    const ncText = p.get('nc') ?? '';
    if (!/^[0-9a-f]{8}$/i.test(ncText)) return 'bad';
    const nc = parseInt(ncText, 16);
    if (nc <= known.nc) return 'bad'; // a replay
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${this.user}:${this.realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${ncText}:${p.get('cnonce') ?? ''}:auth:${ha2}`);
    if (expected !== p.get('response')) return 'bad';
    known.nc = nc;
    return 'ok';
  }
}

function status(res: ServerResponse, code: number, path: string, sub: string, message?: string): void {
  const ok = sub === 'ok';
  const body = JSON.stringify({
    requestURL: path,
    statusCode: ok ? 1 : code === 404 ? 4 : 6,
    statusString: ok ? 'OK' : code === 404 ? 'Invalid Operation' : 'Invalid Content',
    subStatusCode: sub,
    ...(ok ? {} : { errorCode: 0x60000000 + code, errorMsg: message ?? sub }),
  });
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function esc(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** The parts of a multipart/form-data body (name and bytes), for the device's own upload handling. */
function splitMultipart(body: Buffer, boundary: string): { name?: string; data: Buffer }[] {
  const out: { name?: string; data: Buffer }[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) break;
    const next = body.indexOf(delimiter, headerEnd + 4);
    const end = next < 0 ? body.length : next - 2;
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    out.push({
      ...(name !== undefined ? { name } : {}),
      data: body.subarray(headerEnd + 4, Math.max(headerEnd + 4, end)),
    });
    if (next < 0) break;
    pos = next;
  }
  return out;
}
