/**
 * Uni-Ubi "Uface" device API driver: server → device calls on the terminal's HTTP port (8090 by default),
 * form fields with the device password `pass` (docs/site-agent.md, "Uface").
 *
 * - person.upsert  → `POST /person/create` (`person` = {"id","name","idcardNum"?}); `POST /person/update`
 *                    when the id exists already; then the face: `POST /face/create` (`imgBase64`) or, when
 *                    configured, `POST /face/createByUrl` (`imgUrl`, a gateway URL the device fetches).
 * - person.delete  → `POST /person/delete` (`id`).
 * - records.query  → `GET /findRecords` (`personId=-1`, `startTime`, `endTime` device-local
 *                    `yyyy-MM-dd HH:mm:ss`, `length`, `index`), paged, every page uploaded.
 * - records.verify → the same search, counting recognised passes (`<mode>_0` of a known person).
 *
 * Replies: `{"result":1,"success":true,"data":...}`, or `{"result":0,"success":false,"msg":"..."}` whose
 * `msg` is reported as the device's code and detail.
 */
import { formatLocalTime, tryJson } from '@realname/contracts';
import { httpRequest, HttpReply, trimBase } from '../http';
import {
  AGENT_CODES,
  CommandOutcome,
  PersonDelete,
  PersonUpsert,
  RecordsRange,
  wholeSeconds,
} from '../protocol';
import { DeviceDriver, DeviceError, DriverContext, uploadPage, uploadTotals, upsertPhoto } from './driver';

export interface UfaceDriverOptions {
  /** e.g. http://192.168.1.70:8090 */
  baseUrl: string;
  /** The device password (`pass`). */
  password: string;
  timeoutMs?: number;
  /** findRecords page length (default 100). */
  pageSize?: number;
  /**
   * How the face photo reaches the device: `base64` (`/face/create`, the agent fetches the photo; the
   * device needs no route to the gateway), or `url` (`/face/createByUrl`, the device fetches it from the
   * gateway). Default `base64`.
   */
  faceVia?: 'base64' | 'url';
  /** Safety stop for a records query (default 10 000 pages). */
  maxPages?: number;
}

export interface UfaceReply {
  ok: boolean;
  msg?: string;
  data?: unknown;
}

export interface FindRecordsPage {
  records: Record<string, unknown>[];
  total?: number;
  /** Entries that were not objects (dropped). */
  dropped: number;
}

const STRANGERS = new Set(['STRANGERBABY', 'IDCARD', 'NOMASK', '-1', '']);

export class UfaceDriver implements DeviceDriver {
  readonly family = 'uface';
  private readonly base: string;
  private readonly pass: string;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly faceVia: 'base64' | 'url';
  private readonly maxPages: number;

  constructor(o: UfaceDriverOptions) {
    this.base = trimBase(o.baseUrl);
    this.pass = o.password;
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.pageSize = Math.max(1, Math.min(o.pageSize ?? 100, 1000));
    this.faceVia = o.faceVia ?? 'base64';
    this.maxPages = o.maxPages ?? 10_000;
  }

  async personUpsert(p: PersonUpsert, ctx: DriverContext): Promise<CommandOutcome> {
    const person = JSON.stringify({
      id: p.personId,
      name: p.name,
      ...(p.cardNumber ? { idcardNum: p.cardNumber } : {}),
    });
    const steps: string[] = [];
    const created = await this.call('POST', '/person/create', { person }, ctx);
    if (created.ok) steps.push('person.create');
    else if (/exist|重复|已存在/i.test(created.msg ?? '')) {
      const updated = await this.call('POST', '/person/update', { person }, ctx);
      if (!updated.ok) throw deviceError(updated, 'person/update');
      steps.push('person.update');
    } else throw deviceError(created, 'person/create');

    if (p.photoRef) {
      let face: UfaceReply;
      if (this.faceVia === 'url') {
        face = await this.call(
          'POST',
          '/face/createByUrl',
          { personId: p.personId, imgUrl: ctx.gateway.photoUrl(p.photoRef) },
          ctx,
        );
      } else {
        const got = await upsertPhoto(p.photoRef, ctx, steps);
        if (!got.ok) return got.outcome;
        face = await this.call(
          'POST',
          '/face/create',
          { personId: p.personId, imgBase64: got.photo.bytes.toString('base64') },
          ctx,
        );
      }
      // The same face registered before (a re-issue) is what we want.
      if (!face.ok && !/exist|重复|已存在/i.test(face.msg ?? ''))
        throw deviceError(face, this.faceVia === 'url' ? 'face/createByUrl' : 'face/create');
      steps.push(this.faceVia === 'url' ? 'face.createByUrl' : 'face.create');
    }
    return { ok: true, result: { steps } };
  }

  async personDelete(p: PersonDelete, ctx: DriverContext): Promise<CommandOutcome> {
    const r = await this.call('POST', '/person/delete', { id: p.personId }, ctx);
    if (r.ok) return { ok: true };
    if (/not ?exist|不存在|no such/i.test(r.msg ?? ''))
      return { ok: true, detail: 'the person was not on the device', result: { absent: true } };
    throw deviceError(r, 'person/delete');
  }

  async recordsQuery(range: RecordsRange, ctx: DriverContext): Promise<CommandOutcome> {
    const totals = uploadTotals();
    let deviceTotal = 0;
    await this.search(range, ctx, async (page) => {
      if (page.total !== undefined) deviceTotal = page.total;
      await uploadPage(totals, page.records, range, ctx);
    });
    // `count` is what the gateway should now hold of the range: the recognised passes of known persons
    // (repeats it collapsed are held too, as collapsed records).
    return { ok: true, result: { count: totals.punches, deviceMatches: deviceTotal, ...totals } };
  }

  async recordsVerify(range: RecordsRange, ctx: DriverContext): Promise<CommandOutcome> {
    let passes = 0;
    let deviceTotal = 0;
    await this.search(range, ctx, async (page) => {
      if (page.total !== undefined) deviceTotal = page.total;
      for (const r of page.records) if (isUfacePass(r)) passes++;
    });
    return { ok: true, result: { count: passes, deviceMatches: deviceTotal } };
  }

  /**
   * Pages through findRecords. `index` is taken as the page number from 0; the loop also stops when a page
   * brings no record it has not seen (firmware that reads `index` as an offset repeats records instead).
   */
  private async search(
    range: RecordsRange,
    ctx: DriverContext,
    onPage: (p: FindRecordsPage) => Promise<void>,
  ): Promise<void> {
    const { from, to } = wholeSeconds(range);
    if (from.getTime() > to.getTime()) return;
    const seen = new Set<string>();
    for (let index = 0; index < this.maxPages; index++) {
      const reply = await this.call(
        'GET',
        '/findRecords',
        {
          personId: '-1',
          startTime: formatLocalTime(from, ctx.timeZone),
          endTime: formatLocalTime(to, ctx.timeZone),
          length: String(this.pageSize),
          index: String(index),
        },
        ctx,
      );
      if (!reply.ok) throw deviceError(reply, 'findRecords');
      const page = parseFindRecordsData(reply.data);
      if (!page.ok) throw new DeviceError(AGENT_CODES.badReply, `findRecords: ${page.error}`);
      const fresh = page.page.records.filter((r) => {
        const key = recordKey(r);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      await onPage({ ...page.page, records: fresh });
      const total = page.page.total;
      if (page.page.records.length < this.pageSize || fresh.length === 0) return;
      if (total !== undefined && seen.size >= total) return;
    }
    throw new DeviceError(AGENT_CODES.badReply, `findRecords: more than ${this.maxPages} pages`);
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    fields: Record<string, string>,
    ctx: DriverContext,
  ): Promise<UfaceReply> {
    const form = new URLSearchParams({ pass: this.pass, ...fields }).toString();
    const reply: HttpReply =
      method === 'GET'
        ? await httpRequest('GET', `${this.base}${path}?${form}`, {
            timeoutMs: this.timeoutMs,
            signal: ctx.signal,
          })
        : await httpRequest('POST', this.base + path, {
            headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
            body: form,
            timeoutMs: this.timeoutMs,
            signal: ctx.signal,
          });
    const parsed = parseUfaceReply(reply.body);
    if (!parsed) {
      throw new DeviceError(
        reply.status >= 400 ? `http-${reply.status}` : AGENT_CODES.badReply,
        `${path}: HTTP ${reply.status}, not a Uface reply: ${reply.body.toString('utf8').slice(0, 200)}`,
        reply.status,
      );
    }
    return parsed;
  }
}

function deviceError(r: UfaceReply, what: string): DeviceError {
  const msg = (r.msg ?? '').trim() || 'failed without a message';
  return new DeviceError(msg.slice(0, 64), `${what}: ${msg}`);
}

function recordKey(r: Record<string, unknown>): string {
  return r.id !== undefined ? `id:${String(r.id)}` : `${String(r.personId)}@${String(r.time)}`;
}

/** `{"result":1,"success":true,...}` or `{"result":0,"success":false,"msg":"..."}`; undefined otherwise. */
export function parseUfaceReply(body: Buffer | string): UfaceReply | undefined {
  const json = tryJson(body);
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if (o.result === undefined && o.success === undefined) return undefined;
  const ok = (o.result === 1 || o.result === '1') && o.success !== false;
  const out: UfaceReply = { ok };
  if (typeof o.msg === 'string') out.msg = o.msg;
  else if (typeof o.message === 'string') out.msg = o.message;
  if (o.data !== undefined) out.data = o.data;
  return out;
}

/** The `data` of a findRecords reply: `{pageInfo: {index, length, size, total}, records: [...]}`. */
export function parseFindRecordsData(
  data: unknown,
): { ok: true; page: FindRecordsPage } | { ok: false; error: string } {
  if (data === undefined || data === null) return { ok: true, page: { records: [], dropped: 0 } };
  if (typeof data !== 'object' || Array.isArray(data)) return { ok: false, error: 'data is not an object' };
  const d = data as Record<string, unknown>;
  const rawList = d.records;
  if (rawList !== undefined && rawList !== null && !Array.isArray(rawList))
    return { ok: false, error: 'data.records is not an array' };
  const list = Array.isArray(rawList) ? rawList : [];
  const records = list.filter(
    (x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x),
  );
  const page: FindRecordsPage = { records, dropped: list.length - records.length };
  const info = d.pageInfo;
  if (info && typeof info === 'object' && !Array.isArray(info)) {
    const t = Number((info as Record<string, unknown>).total);
    if (Number.isSafeInteger(t) && t >= 0) page.total = t;
  }
  return { ok: true, page };
}

/** A recognised pass of a known person (what the gateway turns into a punch). */
export function isUfacePass(r: Record<string, unknown>): boolean {
  const type = typeof r.type === 'string' ? r.type : '';
  const person =
    typeof r.personId === 'string'
      ? r.personId.trim()
      : typeof r.personId === 'number'
        ? String(r.personId)
        : '';
  return /^[A-Za-z]+_0$/.test(type) && !STRANGERS.has(person);
}
