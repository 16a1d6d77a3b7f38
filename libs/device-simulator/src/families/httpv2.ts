/**
 * A simulated generic "HTTPv2" face terminal: everything device-initiated, over real HTTP, against the
 * base URL it is configured with (`http://<gateway>/httpv2/<token>`):
 * - `POST /Device/Keepalive {SN, DeviceTime}` -> `{"Success":1,"AddPeople":n,"DeletePeople":n}`;
 * - people: `/People/DownloadPeopleList {SN, Limit}` and `/People/DownloadDeleteList`, applied to its
 *   person table (PhotoMD5 checked), results reported with `/People/UploadPeopleResult` and
 *   `/People/UploadDeleteResult` `{SN, Results:[{UserID, ErrorCode}]}`;
 * - punches: `/Record/UploadIdentifyRecord`, multipart `SN`, `RecordDetail` (JSON), `Photo`, kept in
 *   order on the device and sent again every `retryIntervalMs` (10 s on hardware) until `{"Success":1}`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { jsonObject, tryJson } from '@realname/contracts';
import { DeviceLoop, startLoop, stopLoop } from '../device-loop';
import { abortableSleep, describeError } from '../open-protocol-client';

const USER_AGENT = 'httpv2-simulator/1.0';

/** Person result codes this terminal reports (0 is success). */
export const HttpV2DeviceError = {
  ok: 0,
  /** The photo's MD5 is not the PhotoMD5 sent with it. */
  photoChecksum: 101,
  /** The photo is not an image the terminal can read. */
  photoUnreadable: 102,
  /** UserID or Name missing. */
  badPerson: 103,
} as const;

export interface HttpV2Reply {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
}

export interface HttpV2Person {
  UserID: string;
  Name: string;
  CardNo?: string;
  photoMd5?: string;
}

/** A record in the terminal's own table. */
export interface HttpV2Record {
  RecordID: number;
  /** 0 face, 1 card, 2 ID card, 3 QR, 4 password, 5 fingerprint. */
  RecordType: number;
  /** Epoch seconds of the device clock. */
  RecordDate: number;
  /** Empty for a stranger. */
  UserID: string;
  IdentityCard: string;
  IsEntry: 0 | 1;
  BodyTemp: number;
  photo?: Buffer;
}

export interface HttpV2Counters {
  keepalives: number;
  /** Upload attempts, repeats included. */
  uploads: number;
  /** Records acknowledged with Success 1. */
  acknowledged: number;
  /** Attempts that failed (network, Success 0, HTTP error) and will be repeated. */
  failedAttempts: number;
  peopleAdded: number;
  peopleDeleted: number;
  peopleFailed: number;
}

export interface HttpV2DeviceOptions {
  /** The base URL configured on the device: `http://<gateway>/httpv2/<token>`. */
  baseUrl: string;
  sn: string;
  /** Device clock minus real time, in ms. */
  clockSkewMs?: number;
  now?: () => number;
  /** Wait between two attempts of a record (default 10 000 ms, as the firmware). */
  retryIntervalMs?: number;
  /** People asked for per download (default 10). */
  downloadLimit?: number;
  /** A face photo for every record (a JPEG; default: a small generated one). Set null for none. */
  recordPhoto?: Buffer | null;
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The device's record counter: the RecordID of the next record (default 1). */
  firstRecordId?: number;
}

function isSuccess(r: HttpV2Reply): boolean {
  return r.status === 200 && Number(r.json?.Success) === 1;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** A small valid-looking JPEG (SOI, APP0, filler, EOI): what the camera attaches to a record. */
export function httpV2SampleJpeg(size = 2048, seed = 0): Buffer {
  const body = Buffer.alloc(Math.max(0, size - 6), seed & 0xff);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])]);
}

/** A multipart/form-data body of text fields and file parts. */
export function httpV2MultipartBody(
  parts: { name: string; value: string | Buffer; filename?: string; contentType?: string }[],
  boundary = `----httpv2${randomBytes(8).toString('hex')}`,
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
          (p.filename ? `; filename="${p.filename}"` : '') +
          '\r\n' +
          (p.contentType ? `Content-Type: ${p.contentType}\r\n` : '') +
          '\r\n',
      ),
      typeof p.value === 'string' ? Buffer.from(p.value, 'utf8') : p.value,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export class HttpV2Device {
  readonly sn: string;
  readonly persons = new Map<string, HttpV2Person>();
  /** Records not yet acknowledged, oldest first: uploaded in this order. */
  readonly pending: HttpV2Record[] = [];
  /** Records the gateway acknowledged. */
  readonly uploaded: HttpV2Record[] = [];
  readonly counters: HttpV2Counters = {
    keepalives: 0,
    uploads: 0,
    acknowledged: 0,
    failedAttempts: 0,
    peopleAdded: 0,
    peopleDeleted: 0,
    peopleFailed: 0,
  };
  /** Every person result reported, in order (for tests). */
  readonly resultLog: { kind: 'add' | 'delete'; UserID: string; ErrorCode: number }[] = [];
  /** The network between the device and the gateway is up. */
  online = true;
  clockSkewMs: number;
  retryIntervalMs: number;
  lastError?: Error;

  private readonly baseUrl: string;
  private readonly now: () => number;
  private readonly downloadLimit: number;
  private readonly recordPhoto?: Buffer;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private nextRecordId = 1;
  private flushing?: Promise<number>;
  private loop?: DeviceLoop;

  constructor(options: HttpV2DeviceOptions) {
    if (!options.baseUrl) throw new Error('HttpV2Device: baseUrl is required');
    if (!options.sn) throw new Error('HttpV2Device: sn is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.sn = options.sn;
    this.clockSkewMs = options.clockSkewMs ?? 0;
    this.now = options.now ?? Date.now;
    this.retryIntervalMs = options.retryIntervalMs ?? 10_000;
    this.downloadLimit = options.downloadLimit ?? 10;
    this.recordPhoto = options.recordPhoto === null ? undefined : (options.recordPhoto ?? httpV2SampleJpeg());
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sleep = options.sleep ?? abortableSleep;
    this.nextRecordId = options.firstRecordId ?? 1;
  }

  /** The device clock, epoch ms. */
  deviceNow(): number {
    return this.now() + this.clockSkewMs;
  }

  /** Posts a body to a route under the base URL; throws only for the network (or when offline). */
  async post(route: string, body: Buffer | string, contentType = 'application/json'): Promise<HttpV2Reply> {
    if (!this.online) throw new Error('offline: the network is down');
    const res = await fetch(`${this.baseUrl}/${route.replace(/^\/+/, '')}`, {
      method: 'POST',
      headers: { 'User-Agent': USER_AGENT, 'Content-Type': contentType },
      body: typeof body === 'string' ? Buffer.from(body) : body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, text, json: jsonObject(tryJson(text)) };
  }

  private async postJson(route: string, body: Record<string, unknown>): Promise<HttpV2Reply> {
    return this.post(route, JSON.stringify({ SN: this.sn, ...body }));
  }

  // -------------------------------------------------------------------------------------------------
  // Records

  /**
   * A person is recognised: the record joins the device's table (and the upload queue). `at` is the
   * device-clock time in ms (default now); a stranger is UserID ''.
   */
  identify(
    UserID: string,
    o: { at?: number; isEntry?: 0 | 1; recordType?: number; photo?: Buffer | null; bodyTemp?: number } = {},
  ): HttpV2Record {
    const photo = o.photo === null ? undefined : (o.photo ?? this.recordPhoto);
    const record: HttpV2Record = {
      RecordID: this.nextRecordId++,
      RecordType: o.recordType ?? 0,
      RecordDate: Math.floor((o.at ?? this.deviceNow()) / 1000),
      UserID,
      IdentityCard: '',
      IsEntry: o.isEntry ?? 1,
      BodyTemp: o.bodyTemp ?? 36.5,
      ...(photo ? { photo } : {}),
    };
    this.pending.push(record);
    return record;
  }

  /** The multipart body of a record, as the firmware sends it. */
  recordBody(record: HttpV2Record): { body: Buffer; contentType: string } {
    const { photo, ...detail } = record;
    return httpV2MultipartBody([
      { name: 'SN', value: this.sn },
      { name: 'RecordDetail', value: JSON.stringify(detail) },
      ...(photo
        ? [{ name: 'Photo', value: photo, filename: `${record.RecordID}.jpg`, contentType: 'image/jpeg' }]
        : []),
    ]);
  }

  /** One attempt to upload a record; resolves with the reply, or undefined when the network failed. */
  async uploadOnce(record: HttpV2Record): Promise<HttpV2Reply | undefined> {
    this.counters.uploads++;
    const { body, contentType } = this.recordBody(record);
    try {
      return await this.post('Record/UploadIdentifyRecord', body, contentType);
    } catch (err) {
      this.lastError = new Error(`upload: ${describeError(err)}`);
      return undefined;
    }
  }

  /**
   * Uploads the queue in order: each record until `{"Success":1}`, waiting `retryIntervalMs` between
   * attempts, at most `maxAttempts` per record (default: for ever, like the firmware). Stops at a
   * record it could not get through. Resolves with the records acknowledged; a flush already running is joined.
   */
  flush(o: { maxAttempts?: number; signal?: AbortSignal } = {}): Promise<number> {
    if (this.flushing) return this.flushing;
    this.flushing = this.runFlush(o.maxAttempts ?? Infinity, o.signal).finally(
      () => (this.flushing = undefined),
    );
    return this.flushing;
  }

  private async runFlush(maxAttempts: number, signal?: AbortSignal): Promise<number> {
    let acknowledged = 0;
    while (this.pending.length > 0 && !signal?.aborted) {
      const record = this.pending[0];
      let done = false;
      for (let attempt = 1; attempt <= maxAttempts && !signal?.aborted; attempt++) {
        const reply = this.online ? await this.uploadOnce(record) : undefined;
        if (reply && isSuccess(reply)) {
          done = true;
          break;
        }
        this.counters.failedAttempts++;
        if (reply)
          this.lastError = new Error(`upload refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
        if (attempt < maxAttempts) await this.sleep(this.retryIntervalMs, signal).catch(() => undefined);
      }
      if (!done) break;
      this.pending.shift();
      this.uploaded.push(record);
      this.counters.acknowledged++;
      acknowledged++;
    }
    return acknowledged;
  }

  /** A resend storm: the same record uploaded `times` times (the gateway must store it once). */
  async storm(record: HttpV2Record, times: number): Promise<(HttpV2Reply | undefined)[]> {
    const replies: (HttpV2Reply | undefined)[] = [];
    for (let i = 0; i < times; i++) replies.push(await this.uploadOnce(record));
    return replies;
  }

  // -------------------------------------------------------------------------------------------------
  // Keepalive and people

  async keepalive(): Promise<{ AddPeople: number; DeletePeople: number; reply: HttpV2Reply }> {
    this.counters.keepalives++;
    const reply = await this.postJson('Device/Keepalive', {
      DeviceTime: Math.floor(this.deviceNow() / 1000),
      PersonCount: this.persons.size,
      PendingRecords: this.pending.length,
    });
    if (!isSuccess(reply))
      throw new Error(`keepalive refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
    return {
      AddPeople: Number(reply.json?.AddPeople) || 0,
      DeletePeople: Number(reply.json?.DeletePeople) || 0,
      reply,
    };
  }

  /** Applies one downloaded person; resolves with the ErrorCode reported for them. */
  applyPerson(p: Record<string, unknown>): number {
    const UserID =
      typeof p.UserID === 'string' ? p.UserID : typeof p.UserID === 'number' ? String(p.UserID) : '';
    const Name = typeof p.Name === 'string' ? p.Name : '';
    if (!UserID || !Name) return HttpV2DeviceError.badPerson;
    const photoText = typeof p.Photo === 'string' ? p.Photo : '';
    let photoMd5: string | undefined;
    if (photoText) {
      const bytes = Buffer.from(photoText, 'base64');
      photoMd5 = md5(bytes);
      if (typeof p.PhotoMD5 === 'string' && p.PhotoMD5 && p.PhotoMD5.toLowerCase() !== photoMd5)
        return HttpV2DeviceError.photoChecksum;
      const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
      const png = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50;
      if (!jpeg && !png) return HttpV2DeviceError.photoUnreadable;
    }
    this.persons.set(UserID, {
      UserID,
      Name,
      ...(typeof p.CardNo === 'string' && p.CardNo ? { CardNo: p.CardNo } : {}),
      ...(photoMd5 ? { photoMd5 } : {}),
    });
    return HttpV2DeviceError.ok;
  }

  /**
   * A keepalive, then the downloads it announces: people to add (until the list comes back empty), then
   * people to delete, each batch answered with its per-person results. Resolves with the people handled.
   */
  async syncPeople(): Promise<{ added: number; deleted: number; failed: number }> {
    const out = { added: 0, deleted: 0, failed: 0 };
    const k = await this.keepalive();
    if (k.AddPeople > 0) {
      for (let round = 0; round < 1000; round++) {
        const reply = await this.postJson('People/DownloadPeopleList', { Limit: this.downloadLimit });
        if (!isSuccess(reply))
          throw new Error(`people download refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
        const list = Array.isArray(reply.json?.PeopleList)
          ? (reply.json.PeopleList as Record<string, unknown>[])
          : [];
        if (list.length === 0) break;
        const Results = list.map((p) => {
          const ErrorCode = this.applyPerson(p ?? {});
          const UserID = String(p?.UserID ?? '');
          this.resultLog.push({ kind: 'add', UserID, ErrorCode });
          if (ErrorCode === 0) out.added++;
          else out.failed++;
          return { UserID, ErrorCode };
        });
        await this.postJson('People/UploadPeopleResult', { Results });
      }
    }
    if (k.DeletePeople > 0) {
      for (let round = 0; round < 1000; round++) {
        const reply = await this.postJson('People/DownloadDeleteList', { Limit: this.downloadLimit });
        if (!isSuccess(reply))
          throw new Error(`delete download refused: HTTP ${reply.status} ${reply.text.slice(0, 200)}`);
        const list = Array.isArray(reply.json?.DeleteList)
          ? (reply.json.DeleteList as Record<string, unknown>[])
          : [];
        if (list.length === 0) break;
        const Results = list.map((p) => {
          const UserID = String(p?.UserID ?? '');
          this.persons.delete(UserID); // someone already absent is deleted all the same
          this.resultLog.push({ kind: 'delete', UserID, ErrorCode: 0 });
          out.deleted++;
          return { UserID, ErrorCode: 0 };
        });
        await this.postJson('People/UploadDeleteResult', { Results });
      }
    }
    this.counters.peopleAdded += out.added;
    this.counters.peopleDeleted += out.deleted;
    this.counters.peopleFailed += out.failed;
    return out;
  }

  /**
   * The device's loop until `stop()`: every `intervalMs` a keepalive with its downloads, and the record
   * queue flushed (each record retried every `retryIntervalMs`). Errors are kept in `lastError`.
   */
  start(intervalMs = 2_000): void {
    if (this.loop) return;
    this.loop = startLoop(async (signal) => {
      try {
        if (this.online) await this.syncPeople();
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
      }
      await this.flush({ maxAttempts: 1, signal });
      await this.sleep(this.pending.length > 0 ? this.retryIntervalMs : intervalMs, signal).catch(
        () => undefined,
      );
    });
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    if (!loop) return;
    await stopLoop(loop);
    await this.flushing?.catch(() => undefined);
  }
}
