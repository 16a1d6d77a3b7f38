/**
 * A simulated ZKTeco PUSH ("ADMS" / iClock) terminal: a real HTTP client that talks to a gateway the way
 * the firmware does. It starts with the options exchange (and sets its clock from the reply's `Date`
 * header), polls `getrequest` every `Delay` seconds and runs the `C:<id>:` commands it gets (a user table
 * for DATA UPDATE/DELETE USERINFO and BIOPHOTO; DATA QUERY ATTLOG re-uploads a range from its own log;
 * VERIFY SUM ATTLOG counts it), uploads ATTLOG (TAB-separated, several lines per POST), ATTPHOTO (text
 * header, NUL, JPEG bytes) and OPERLOG (GB2312 when the language is 83), and posts command results to
 * `devicecmd`. Behaviours: resend storm, offline buffering, skewed clock, lost uploads, malformed lines,
 * results in the query string. `mode: 'access'` is the PUSH 3.x access-control variant (registry, push,
 * rtlog records with an index).
 */
import * as iconv from 'iconv-lite';
import { formatLocalTime } from '@realname/contracts';

export type ZktecoMode = 'attendance' | 'access';

/** Firmware language code of Simplified Chinese: names travel as GB2312. */
export const ZK_LANGUAGE_CHINESE = '83';
/** Firmware language code of English. */
export const ZK_LANGUAGE_ENGLISH = '69';

/** What a ZKTeco device stores for each punch. */
export interface ZkAttRecord {
  pin: string;
  /** Device wall clock, `YYYY-MM-DD HH:mm:ss`. */
  time: string;
  /** 0 check-in, 1 check-out, 2-5 breaks and overtime. */
  status: number;
  /** 1 fingerprint, 15 face, 4 card, 3 password. */
  verify: number;
  workCode?: string;
  /** The access-control record number (rtlog `index`), 1 upwards. */
  index: number;
}

export interface ZkUser {
  pin: string;
  name: string;
  privilege: string;
  card: string;
  photo?: Buffer;
}

export interface ZkCommandResult {
  id: string;
  returnCode: number;
  cmd: string;
  count?: number;
}

/** How the device misbehaves. */
export interface ZktecoBehaviour {
  /** Every upload is sent this many times (a resend storm: 3). */
  resendTimes?: number;
  /** The device clock's error at power-on, in milliseconds (corrected by the options reply's Date header). */
  clockSkewMs?: number;
  /** Firmware that never sets its clock from the Date header. */
  ignoreDateHeader?: boolean;
  /**
   * Records for which this returns true are lost on their first upload (never reach the gateway), while
   * the device's own log keeps them: only a DATA QUERY ATTLOG of their range brings them back.
   */
  dropUpload?: (record: ZkAttRecord) => boolean;
  /** Garbage lines mixed into ATTLOG uploads, or a truncated copy of a line added; the good lines stay intact. */
  malformed?: 'garbage-lines' | 'truncated-line';
  /** Send command results in the devicecmd query string, one request each, instead of the body. */
  resultsInQuery?: boolean;
  /** ATTPHOTO `size=` off by this many bytes from the JPEG sent (firmware seen declaring 606 for 612: -6). */
  photoSizeSkew?: number;
}

export type ZktecoBehaviourName =
  'normal' | 'resend-storm' | 'offline-buffering' | 'skewed-clock' | 'malformed';

/**
 * Ready-made behaviours. Offline buffering is a state as much as a behaviour: `setOnline(false)`,
 * punch, `setOnline(true)`; the preset itself changes nothing else.
 */
export const ZKTECO_BEHAVIOURS: Record<ZktecoBehaviourName, ZktecoBehaviour> = {
  normal: {},
  'resend-storm': { resendTimes: 3 },
  'offline-buffering': {},
  'skewed-clock': { clockSkewMs: 7 * 60_000 + 13_000 },
  malformed: { malformed: 'garbage-lines' },
};

export interface ZktecoDeviceOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8081 (the device calls <base>/iclock/...). */
  baseUrl: string;
  /** The SN the device reports (as registered on the gateway). */
  serial: string;
  /** The zone of the device's wall clock (default Asia/Shanghai). */
  timeZone?: string;
  /** Firmware language: '83' Simplified Chinese (GB2312), '69' English (default). */
  language?: string;
  mode?: ZktecoMode;
  pushVersion?: string;
  /** Poll interval in ms; default: the gateway's `Delay` option. */
  pollIntervalMs?: number;
  /** ATTLOG lines per POST (default 20). */
  batchSize?: number;
  /** Per request (default 10 000 ms). */
  timeoutMs?: number;
  /** A preset name, or an object read on every upload (so it may be changed while the device runs). */
  behaviour?: ZktecoBehaviour | ZktecoBehaviourName;
  /** Real time in ms since the epoch (default Date.now); the device clock is this plus its skew. */
  now?: () => number;
}

export interface ZkReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body decoded in the device's character set. */
  text: string;
}

/** Running totals, for assertions. */
export interface ZktecoCounters {
  requests: number;
  failedRequests: number;
  /** ATTLOG/rtlog POSTs sent (a resend storm counts each copy). */
  attlogPosts: number;
  /** Records acknowledged by the gateway (first copy of each batch). */
  recordsUploaded: number;
  /** Records dropped on the way by `dropUpload`. */
  recordsLost: number;
  photosUploaded: number;
  commandsRun: number;
}

const USER_AGENT = 'iClock Proxy/1.09';

// ---------------------------------------------------------------------------------------------------
// Wire format (pure): what the firmware writes.

/** One ATTLOG line: PIN, time, status, verify, workcode, two reserved fields. */
export function renderAttlogLine(
  r: Pick<ZkAttRecord, 'pin' | 'time' | 'status' | 'verify' | 'workCode'>,
): string {
  return [r.pin, r.time, String(r.status), String(r.verify), r.workCode ?? '0', '0', '0'].join('\t');
}

export function renderAttlogBody(
  records: Pick<ZkAttRecord, 'pin' | 'time' | 'status' | 'verify' | 'workCode'>[],
): string {
  return records.map(renderAttlogLine).join('\n') + '\n';
}

/** One PUSH 3.x rtlog line (a pass event, code 0). */
export function renderRtlogLine(r: ZkAttRecord): string {
  return [
    `time=${r.time}`,
    `pin=${r.pin}`,
    'cardno=0',
    'eventaddr=1',
    'event=0',
    `inoutstatus=${r.status === 1 ? 1 : r.status === 0 ? 0 : 2}`,
    `verifytype=${r.verify}`,
    `index=${r.index}`,
    'sitecode=0',
    'linkid=0',
    'maskflag=255',
    'temperature=255',
    'convtemperature=255',
  ].join('\t');
}

/** The photo file name of a punch: `<YYYYMMDDHHmmss>-<pin>.jpg`. */
export function photoFileName(pin: string, time: string): string {
  return `${time.replace(/[- :]/g, '')}-${pin}.jpg`;
}

/** ATTPHOTO body: header lines, one NUL byte, the JPEG bytes. */
export function renderAttphotoBody(p: {
  pin: string;
  time: string;
  sn: string;
  bytes: Buffer;
  /** Added to the declared `size=` (firmware seen declaring 606 for 612 bytes: -6); 0 by default. */
  sizeSkew?: number;
}): Buffer {
  const header = [
    `PIN=${photoFileName(p.pin, p.time)}`,
    `SN=${p.sn}`,
    `size=${Math.max(0, p.bytes.length + (p.sizeSkew ?? 0))}`,
    'CMD=uploadphoto',
  ].join('\n');
  return Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from([0]), p.bytes]);
}

/** An OPERLOG operation line: `OPLOG <op>\t<admin>\t<time>\t<obj1>\t<obj2>\t<obj3>\t<obj4>`. */
export function renderOplogLine(op: number, admin: string, time: string, objects: string[] = []): string {
  const objs = [...objects, '0', '0', '0', '0'].slice(0, 4);
  return `OPLOG ${op}\t${admin}\t${time}\t${objs.join('\t')}`;
}

/** An OPERLOG user line: `USER PIN=..\tName=..\tPri=..\tPasswd=\tCard=..\tGrp=1\tTZ=..\tVerify=0`. */
export function renderUserLine(u: Pick<ZkUser, 'pin' | 'name' | 'privilege' | 'card'>): string {
  return `USER PIN=${u.pin}\tName=${u.name}\tPri=${u.privilege}\tPasswd=\tCard=${u.card}\tGrp=1\tTZ=0000000100000000\tVerify=0`;
}

/** OPERLOG bytes in the device's character set: GB2312 for language 83, UTF-8 otherwise. */
export function renderOperlogBody(lines: string[], language?: string): Buffer {
  return encodeText(lines.join('\n') + '\n', language);
}

export function renderCommandResult(r: ZkCommandResult): string {
  return (
    `ID=${r.id}&Return=${r.returnCode}&CMD=${r.cmd}` + (r.count !== undefined ? `&Count=${r.count}` : '')
  );
}

export function renderCommandResults(results: ZkCommandResult[]): string {
  return results.map(renderCommandResult).join('\n') + '\n';
}

/** `key=value` pairs of a command or reply line (TAB or `&` separated; keys as sent). */
export function zkFields(text: string, separator = '\t'): Map<string, string> {
  const out = new Map<string, string>();
  for (const piece of text.split(separator)) {
    const eq = piece.indexOf('=');
    if (eq > 0) out.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  return out;
}

function encodeText(text: string, language?: string): Buffer {
  return language === ZK_LANGUAGE_CHINESE ? iconv.encode(text, 'gb2312') : Buffer.from(text, 'utf8');
}

function decodeText(bytes: Buffer, language?: string): string {
  return language === ZK_LANGUAGE_CHINESE ? iconv.decode(bytes, 'gb2312') : bytes.toString('utf8');
}

const GARBAGE_LINES = ['\u0001\u0002garbage', 'PIN-ONLY', '10001\tnot-a-time\t0\t1', '=\t=\t='];

function malformedBody(lines: string[], kind: 'garbage-lines' | 'truncated-line'): string {
  if (kind === 'truncated-line') {
    const last = lines[lines.length - 1] ?? '';
    return [...lines, last.slice(0, Math.max(1, Math.floor(last.length / 3)))].join('\n') + '\n';
  }
  const out: string[] = [];
  lines.forEach((l, i) => out.push(GARBAGE_LINES[i % GARBAGE_LINES.length], l));
  out.push(GARBAGE_LINES[lines.length % GARBAGE_LINES.length]);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// The device.

interface PendingPhoto {
  pin: string;
  time: string;
  bytes: Buffer;
}

/** A ZKTeco terminal with its own user table, punch log and upload queue. */
export class ZktecoDevice {
  readonly serial: string;
  readonly timeZone: string;
  readonly language: string;
  readonly mode: ZktecoMode;
  readonly behaviour: ZktecoBehaviour;
  readonly users = new Map<string, ZkUser>();
  /** Every punch the device ever recorded, oldest first. */
  readonly log: ZkAttRecord[] = [];
  /** Every command line received (including ones without the `C:` prefix, which are dropped). */
  readonly commandsReceived: { id?: string; command: string }[] = [];
  /** Every result sent to devicecmd. */
  readonly resultsSent: ZkCommandResult[] = [];
  readonly counters: ZktecoCounters = {
    requests: 0,
    failedRequests: 0,
    attlogPosts: 0,
    recordsUploaded: 0,
    recordsLost: 0,
    photosUploaded: 0,
    commandsRun: 0,
  };
  /** The options the gateway sent (options exchange or push configuration). */
  options: Record<string, string> = {};
  registryCode?: string;
  lastError?: Error;

  private readonly baseUrl: string;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private readonly realNow: () => number;
  private readonly pushVersion: string;
  private clockOffsetMs: number;
  private online = true;
  private queue: ZkAttRecord[] = [];
  private photoQueue: PendingPhoto[] = [];
  private operQueue: string[] = [];
  private pendingResults: ZkCommandResult[] = [];
  private stamp = 0;
  private connected = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private inFlight?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly opts: ZktecoDeviceOptions) {
    if (!opts.baseUrl)
      throw new Error('ZktecoDevice: baseUrl is required (the gateway, e.g. http://127.0.0.1:8081)');
    if (!opts.serial) throw new Error('ZktecoDevice: serial is required (the SN registered on the gateway)');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.serial = opts.serial;
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    this.language = opts.language ?? ZK_LANGUAGE_ENGLISH;
    this.mode = opts.mode ?? 'attendance';
    this.pushVersion = opts.pushVersion ?? (this.mode === 'access' ? '3.1.2' : '2.4.1');
    // A preset is copied (it is shared); an object is kept as given, so a test may change it while the device runs.
    this.behaviour =
      typeof opts.behaviour === 'string' ? { ...ZKTECO_BEHAVIOURS[opts.behaviour] } : (opts.behaviour ?? {});
    this.batchSize = Math.max(1, opts.batchSize ?? 20);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.realNow = opts.now ?? Date.now;
    this.clockOffsetMs = this.behaviour.clockSkewMs ?? 0;
  }

  /** The device clock, ms since the epoch. */
  deviceNow(): number {
    return this.realNow() + this.clockOffsetMs;
  }

  /** How far the device clock is from real time (positive: ahead). */
  get clockErrorMs(): number {
    return this.clockOffsetMs;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Records waiting for upload. */
  get pendingRecords(): readonly ZkAttRecord[] {
    return this.queue;
  }

  get pendingPhotos(): number {
    return this.photoQueue.length;
  }

  /** Seconds between polls: the override, else the gateway's Delay (or RequestDelay), else 10. */
  get pollIntervalMs(): number {
    if (this.opts.pollIntervalMs !== undefined) return this.opts.pollIntervalMs;
    const delay = Number(this.options['delay'] ?? this.options['requestdelay']);
    return Number.isFinite(delay) && delay > 0 ? delay * 1000 : 10_000;
  }

  /** Offline: no request leaves the device; punches stay in its queue until it is back online. */
  setOnline(online: boolean): void {
    this.online = online;
  }

  // -- Punching --------------------------------------------------------------------------------------

  /** Records a punch on the device clock (or at `at`, a device-local time) and queues it for upload. */
  punch(
    pin: string,
    o: { status?: number; verify?: number; at?: string; photo?: Buffer; workCode?: string } = {},
  ): ZkAttRecord {
    const record: ZkAttRecord = {
      pin,
      time: o.at ?? formatLocalTime(new Date(this.deviceNow()), this.timeZone),
      status: o.status ?? 0,
      verify: o.verify ?? 15,
      index: this.log.length + 1,
    };
    if (o.workCode !== undefined) record.workCode = o.workCode;
    this.log.push(record);
    if (this.behaviour.dropUpload?.(record)) this.counters.recordsLost++;
    else this.queue.push(record);
    if (o.photo) this.photoQueue.push({ pin, time: record.time, bytes: o.photo });
    return record;
  }

  /** A user enrolled at the device's own keypad: added to its table and reported in OPERLOG. */
  enrolLocally(pin: string, name: string, card = ''): void {
    this.users.set(pin, { pin, name, privilege: '0', card });
    const time = formatLocalTime(new Date(this.deviceNow()), this.timeZone);
    this.operQueue.push(
      renderOplogLine(30, '0', time, [pin]),
      renderUserLine({ pin, name, privilege: '0', card }),
    );
  }

  // -- Lifecycle -------------------------------------------------------------------------------------

  /**
   * The start-up exchange: `GET /iclock/cdata?SN=..&options=all` (attendance) or `/iclock/registry` then
   * `/iclock/push` (access control). Sets the clock from the reply's Date header. Throws when refused.
   */
  async connect(): Promise<void> {
    if (this.mode === 'access') await this.registerAccess();
    else await this.optionsExchange();
    this.connected = true;
  }

  /** Connects (retrying every ErrorDelay) and then polls every Delay seconds until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.running;
    await this.inFlight;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const errorDelay = Number(this.options['errordelay'] ?? 3) * 1000;
      let wait = this.pollIntervalMs;
      try {
        if (this.online) {
          if (!this.connected) await this.connect();
          await this.tick();
        }
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        wait = Math.min(wait, errorDelay);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
    }
  }

  /** One cycle: upload what is queued, then poll for commands and run them. */
  async tick(): Promise<void> {
    await this.flush();
    await this.pollOnce();
  }

  // -- Uploads ---------------------------------------------------------------------------------------

  /**
   * Uploads the queued punches (`batchSize` lines per POST), photos and OPERLOG. A batch leaves the
   * queue only when the gateway answers `OK...`; anything else keeps it for the next attempt.
   */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.flushAll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async flushAll(): Promise<void> {
    if (!this.online) return;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      if (!(await this.uploadRecords(batch))) return;
      this.queue.splice(0, batch.length);
      this.counters.recordsUploaded += batch.length;
    }
    while (this.photoQueue.length > 0) {
      if (!(await this.uploadPhoto(this.photoQueue[0]))) return;
      this.photoQueue.shift();
      this.counters.photosUploaded++;
    }
    if (this.operQueue.length > 0 && (await this.uploadOperlog(this.operQueue))) this.operQueue = [];
  }

  /** POSTs records as ATTLOG (or rtlog in access mode), `resendTimes` times; true when acknowledged. */
  async uploadRecords(records: ZkAttRecord[]): Promise<boolean> {
    const lines = records.map((r) => (this.mode === 'access' ? renderRtlogLine(r) : renderAttlogLine(r)));
    const body =
      this.behaviour.malformed && this.mode === 'attendance'
        ? malformedBody(lines, this.behaviour.malformed)
        : lines.join('\n') + '\n';
    const table = this.mode === 'access' ? 'rtlog' : 'ATTLOG';
    this.stamp += records.length;
    let ok = false;
    for (let i = 0; i < Math.max(1, this.behaviour.resendTimes ?? 1); i++) {
      this.counters.attlogPosts++;
      const reply = await this.tryRequest(
        'POST',
        '/iclock/cdata',
        { table, Stamp: String(this.stamp) },
        Buffer.from(body, 'utf8'),
      );
      ok = ok || isOk(reply);
    }
    return ok;
  }

  private async uploadPhoto(p: PendingPhoto): Promise<boolean> {
    const body = renderAttphotoBody({ ...p, sn: this.serial, sizeSkew: this.behaviour.photoSizeSkew ?? 0 });
    let ok = false;
    for (let i = 0; i < Math.max(1, this.behaviour.resendTimes ?? 1); i++) {
      const reply = await this.tryRequest(
        'POST',
        '/iclock/cdata',
        { table: 'ATTPHOTO', Stamp: String(this.stamp) },
        body,
      );
      ok = ok || isOk(reply);
    }
    return ok;
  }

  private async uploadOperlog(lines: string[]): Promise<boolean> {
    const reply = await this.tryRequest(
      'POST',
      '/iclock/cdata',
      { table: 'OPERLOG', Stamp: String(this.stamp) },
      renderOperlogBody(lines, this.language),
    );
    return isOk(reply);
  }

  // -- Commands --------------------------------------------------------------------------------------

  /** `GET /iclock/getrequest`: runs every `C:<id>:` line of the reply and reports the results. */
  async pollOnce(): Promise<void> {
    if (!this.online) return;
    const reply = await this.request('GET', '/iclock/getrequest', { INFO: this.info() });
    if (reply.status !== 200) throw new Error(`getrequest: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    for (const raw of reply.text.split('\n')) {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.trim() === 'OK') continue;
      const m = /^C:([^:]{1,32}):(.*)$/s.exec(line);
      this.commandsReceived.push(m ? { id: m[1], command: m[2] } : { command: line });
      if (!m) continue; // firmware silently drops a line without the C:<id>: prefix
      this.pendingResults.push(await this.execute(m[1], m[2]));
      this.counters.commandsRun++;
    }
    await this.sendResults();
  }

  private async sendResults(): Promise<void> {
    if (this.pendingResults.length === 0) return;
    const results = this.pendingResults;
    if (this.behaviour.resultsInQuery) {
      for (const r of [...results]) {
        const query: Record<string, string> = { ID: r.id, Return: String(r.returnCode), CMD: r.cmd };
        if (r.count !== undefined) query.Count = String(r.count);
        const reply = await this.request('POST', '/iclock/devicecmd', query, Buffer.alloc(0));
        if (!isOk(reply)) return;
        results.shift();
        this.resultsSent.push(r);
      }
      return;
    }
    const reply = await this.request(
      'POST',
      '/iclock/devicecmd',
      {},
      Buffer.from(renderCommandResults(results), 'utf8'),
    );
    if (!isOk(reply)) return;
    this.resultsSent.push(...results);
    this.pendingResults = [];
  }

  /** Runs one command the way the firmware does and returns its result line. */
  async execute(id: string, command: string): Promise<ZkCommandResult> {
    const cmd = command.trim().split(/\s+/)[0] ?? '';
    const done = (returnCode: number, count?: number): ZkCommandResult =>
      count === undefined ? { id, returnCode, cmd } : { id, returnCode, cmd, count };
    const m = /^(DATA (?:UPDATE|DELETE|QUERY) \w+|VERIFY SUM \w+|CHECK|INFO|REBOOT)\s*(.*)$/s.exec(
      command.trim(),
    );
    if (!m) return done(-1002);
    const [, verb, rest] = m;
    const fields = zkFields(rest);
    switch (verb.toUpperCase()) {
      case 'DATA UPDATE USERINFO':
      case 'DATA UPDATE USER':
        return done(this.upsertUser(fields));
      case 'DATA UPDATE BIOPHOTO':
        return done(this.storePhoto(fields));
      case 'DATA UPDATE USERAUTHORIZE':
      case 'DATA DELETE USERAUTHORIZE':
        return done(fields.get('pin') ? 0 : -1);
      case 'DATA DELETE USERINFO':
      case 'DATA DELETE USER':
        return done(this.deleteUser(fields));
      case 'DATA QUERY ATTLOG':
        return this.queryAttlog(fields, done);
      case 'VERIFY SUM ATTLOG': {
        const range = this.rangeOf(fields);
        return range ? done(0, this.inRange(range).length) : done(-1);
      }
      case 'CHECK':
      case 'INFO':
      case 'REBOOT':
        return done(0);
      default:
        return done(-1002);
    }
  }

  private upsertUser(f: Map<string, string>): number {
    const pin = f.get('pin');
    if (!pin) return -1;
    const before = this.users.get(pin);
    this.users.set(pin, {
      pin,
      name: f.get('name') ?? before?.name ?? '',
      privilege: f.get('pri') ?? f.get('privilege') ?? before?.privilege ?? '0',
      card: f.get('card') ?? f.get('cardno') ?? before?.card ?? '',
      ...(before?.photo ? { photo: before.photo } : {}),
    });
    return 0;
  }

  private storePhoto(f: Map<string, string>): number {
    const user = this.users.get(f.get('pin') ?? '');
    const content = f.get('content') ?? f.get('tmp');
    if (!user || !content) return -1;
    const bytes = Buffer.from(content, 'base64');
    const size = f.get('size');
    if (bytes.length === 0 || (size !== undefined && Number(size) !== content.length)) return -1;
    user.photo = bytes;
    return 0;
  }

  private deleteUser(f: Map<string, string>): number {
    const pin = f.get('pin');
    if (!pin) return -1;
    this.users.delete(pin);
    return 0;
  }

  private async queryAttlog(
    f: Map<string, string>,
    done: (code: number, count?: number) => ZkCommandResult,
  ): Promise<ZkCommandResult> {
    const range = this.rangeOf(f);
    if (!range) return done(-1);
    const found = this.inRange(range);
    for (let i = 0; i < found.length; i += this.batchSize) {
      if (!(await this.uploadRecords(found.slice(i, i + this.batchSize)))) return done(-1);
    }
    return done(0, found.length);
  }

  private rangeOf(f: Map<string, string>): { from: string; to: string } | undefined {
    const from = f.get('starttime');
    const to = f.get('endtime');
    const valid = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
    return from && to && valid.test(from) && valid.test(to) ? { from, to } : undefined;
  }

  /** Records whose local time is within [from, to] (same format: text order is time order). */
  private inRange(range: { from: string; to: string }): ZkAttRecord[] {
    return this.log.filter((r) => r.time >= range.from && r.time <= range.to);
  }

  private info(): string {
    return [`Ver ${this.pushVersion}`, this.users.size, 0, this.log.length, '127.0.0.1', 10, 0, 0, 0].join(
      ',',
    );
  }

  // -- Start-up exchanges ----------------------------------------------------------------------------

  private async optionsExchange(): Promise<void> {
    const reply = await this.request('GET', '/iclock/cdata', {
      options: 'all',
      pushver: this.pushVersion,
      language: this.language,
    });
    if (reply.status !== 200 || !reply.text.startsWith('GET OPTION FROM:'))
      throw new Error(`options exchange refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    this.options = parseOptionLines(reply.text);
  }

  private async registerAccess(): Promise<void> {
    const info = `DeviceType=acc,~DeviceName=SIM-ACC,FirmVer=ZAM180-NF-${this.pushVersion},PushVersion=${this.pushVersion}`;
    const reg = await this.request('POST', '/iclock/registry', {}, Buffer.from(info, 'utf8'));
    const code = /RegistryCode=(\S+)/.exec(reg.text)?.[1];
    if (reg.status !== 200 || !code)
      throw new Error(`registry refused: HTTP ${reg.status} ${reg.text.slice(0, 200)}`);
    this.registryCode = code;
    const push = await this.request('POST', '/iclock/push', {}, Buffer.alloc(0));
    if (push.status !== 200)
      throw new Error(`push configuration refused: HTTP ${push.status} ${push.text.slice(0, 200)}`);
    this.options = parseOptionLines(push.text);
  }

  // -- HTTP ------------------------------------------------------------------------------------------

  /** Sends anything (for malformed-message tests) and returns the reply; the clock follows its Date header. */
  async sendRaw(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: Buffer | string,
  ): Promise<ZkReply> {
    return this.request(method, path, query, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  }

  /** A request that reports failure as undefined (uploads keep their records and try again later). */
  private async tryRequest(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: Buffer,
  ): Promise<ZkReply | undefined> {
    try {
      return await this.request(method, path, query, body);
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
      return undefined;
    }
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: Buffer,
  ): Promise<ZkReply> {
    if (!this.online) throw new Error(`${this.serial} is offline`);
    const qs = new URLSearchParams({ SN: this.serial, ...query }).toString();
    this.counters.requests++;
    try {
      const res = await fetch(`${this.baseUrl}${path}?${qs}`, {
        method,
        headers: { 'User-Agent': USER_AGENT, ...(method === 'POST' ? { 'Content-Type': 'text/plain' } : {}) },
        body: method === 'POST' ? (body ?? Buffer.alloc(0)) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      this.followDateHeader(headers['date']);
      if (res.status >= 400) this.counters.failedRequests++;
      return { status: res.status, headers, body: bytes, text: decodeText(bytes, this.language) };
    } catch (err) {
      this.counters.failedRequests++;
      throw err;
    }
  }

  /** Sets the device clock from an RFC 7231 Date header when it is 2 s or more off (the header has 1 s resolution). */
  private followDateHeader(value: string | undefined): void {
    if (!value || this.behaviour.ignoreDateHeader) return;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return;
    if (Math.abs(this.deviceNow() - at) >= 2000) this.clockOffsetMs = at - this.realNow();
  }
}

function isOk(reply: ZkReply | undefined): boolean {
  return (
    reply !== undefined &&
    reply.status >= 200 &&
    reply.status < 300 &&
    reply.text.trimStart().startsWith('OK')
  );
}

/** `key=value` lines of an options / push reply, keys lower-cased. */
export function parseOptionLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}
