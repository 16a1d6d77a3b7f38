/**
 * Hikvision ISAPI driver: the server → device calls of an access-control / face terminal, made on the
 * site's network with HTTP Digest authentication (docs/site-agent.md, "Hikvision ISAPI").
 *
 * - person.upsert  → `PUT /ISAPI/AccessControl/UserInfo/SetUp?format=json` (add or replace the user),
 *                    `PUT /ISAPI/AccessControl/CardInfo/SetUp?format=json` when a card number is given,
 *                    `POST /ISAPI/Intelligent/FDLib/FaceDataRecord?format=json` (multipart) when a photo is
 *                    given (`PUT /ISAPI/Intelligent/FDLib/FDSetUp?format=json` when the face exists already).
 * - person.delete  → `PUT /ISAPI/AccessControl/UserInfo/Delete?format=json` (the device drops the user's
 *                    cards and faces with it).
 * - records.query  → `POST /ISAPI/AccessControl/AcsEvent?format=json`, paged, every page uploaded.
 * - records.verify → the same search, counting the passes that name a person.
 */
import { randomUUID } from 'node:crypto';
import { tryJson } from '@realname/contracts';
import { DigestSession } from '../digest';
import { HttpReply, trimBase } from '../http';
import {
  AGENT_CODES,
  CommandOutcome,
  isapiTime,
  PersonDelete,
  PersonUpsert,
  RecordsRange,
  wholeSeconds,
} from '../protocol';
import { DeviceDriver, DeviceError, DriverContext, uploadPage, uploadTotals, upsertPhoto } from './driver';
import { formData } from './multipart';

export interface HikvisionDriverOptions {
  /** e.g. http://192.168.1.64 (ISAPI lives under /ISAPI on the device's web port). */
  baseUrl: string;
  user: string;
  password: string;
  /** Per request (default 15 s). */
  timeoutMs?: number;
  /** AcsEvent page size (default 30: what most terminals allow). */
  pageSize?: number;
  /** Face library of the terminal (default "1", the built-in one). */
  faceLibId?: string;
  /** Door the person may open (default 1). */
  doorNo?: number;
  /** `Valid` window of the persons put on the device, device-local (defaults: 2020-01-01 to 2037-12-31). */
  validFrom?: string;
  validUntil?: string;
  /** Safety stop for a records query (default 10 000 pages). */
  maxPages?: number;
}

/** ISAPI's `ResponseStatus`, from its JSON or XML form. */
export interface IsapiStatus {
  statusCode?: number;
  statusString?: string;
  subStatusCode?: string;
  errorCode?: number;
  errorMsg?: string;
}

/** One page of an AcsEvent search. */
export interface AcsEventPage {
  searchID?: string;
  /** `OK` (the last page), `MORE`, `NO MATCH`. */
  status: string;
  numOfMatches: number;
  totalMatches: number;
  /** The InfoList entries that are objects, as the device sent them. */
  records: Record<string, unknown>[];
  /** InfoList entries that were not objects (dropped). */
  dropped: number;
}

/** Minor codes of MAJOR_EVENT (5) that mean "verified and let through" (HCNetSDK MINOR_*_PASS). */
const PASS_MINORS = new Set([
  0x01, 0x02, 0x10, 0x26, 0x28, 0x2b, 0x2e, 0x36, 0x39, 0x3c, 0x3f, 0x42, 0x45, 0x48, 0x4b, 0x4d, 0x65, 0x69,
  0x9c, 0xb5,
]);

export class HikvisionIsapiDriver implements DeviceDriver {
  readonly family = 'hikvision-isapi';
  private readonly base: string;
  private readonly session: DigestSession;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly faceLibId: string;
  private readonly doorNo: number;
  private readonly validFrom: string;
  private readonly validUntil: string;
  private readonly maxPages: number;

  constructor(o: HikvisionDriverOptions) {
    this.base = trimBase(o.baseUrl);
    this.session = new DigestSession({ username: o.user, password: o.password });
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.pageSize = Math.max(1, Math.min(o.pageSize ?? 30, 100));
    this.faceLibId = o.faceLibId ?? '1';
    this.doorNo = o.doorNo ?? 1;
    this.validFrom = o.validFrom ?? '2020-01-01T00:00:00';
    this.validUntil = o.validUntil ?? '2037-12-31T23:59:59';
    this.maxPages = o.maxPages ?? 10_000;
  }

  async personUpsert(p: PersonUpsert, ctx: DriverContext): Promise<CommandOutcome> {
    const steps: string[] = [];
    await this.json(
      'PUT',
      '/ISAPI/AccessControl/UserInfo/SetUp?format=json',
      {
        UserInfo: {
          employeeNo: p.personId,
          name: deviceName(p.name),
          userType: 'normal',
          Valid: { enable: true, beginTime: this.validFrom, endTime: this.validUntil, timeType: 'local' },
          doorRight: String(this.doorNo),
          RightPlan: [{ doorNo: this.doorNo, planTemplateNo: '1' }],
        },
      },
      ctx,
      'user',
    );
    steps.push('user');

    if (p.cardNumber) {
      await this.json(
        'PUT',
        '/ISAPI/AccessControl/CardInfo/SetUp?format=json',
        {
          CardInfo: { employeeNo: p.personId, cardNo: p.cardNumber, cardType: 'normalCard' },
        },
        ctx,
        'card',
      );
      steps.push('card');
    }

    if (p.photoRef) {
      const got = await upsertPhoto(p.photoRef, ctx, steps);
      if (!got.ok) return got.outcome;
      const photo = got.photo;
      const face = () =>
        formData([
          {
            name: 'FaceDataRecord',
            contentType: 'application/json',
            data: JSON.stringify({ faceLibType: 'blackFD', FDID: this.faceLibId, FPID: p.personId }),
          },
          {
            name: 'FaceImage',
            filename: 'face.jpg',
            contentType: photo.contentType || 'image/jpeg',
            data: photo.bytes,
          },
        ]);
      const first = face();
      const reply = await this.send(
        'POST',
        '/ISAPI/Intelligent/FDLib/FaceDataRecord?format=json',
        first.body,
        first.contentType,
        ctx,
      );
      const status = isapiResult(reply);
      if (!status.ok) {
        // The face is there already (a re-issue): FDSetUp adds or replaces it.
        if (!/exist|duplicate|repeat/i.test(`${status.code} ${status.detail}`))
          throw new DeviceError(status.code, `face: ${status.detail}`, reply.status);
        const again = face();
        const replaced = await this.send(
          'PUT',
          '/ISAPI/Intelligent/FDLib/FDSetUp?format=json',
          again.body,
          again.contentType,
          ctx,
        );
        const r2 = isapiResult(replaced);
        if (!r2.ok) throw new DeviceError(r2.code, `face: ${r2.detail}`, replaced.status);
      }
      steps.push('face');
    }
    return { ok: true, result: { steps } };
  }

  async personDelete(p: PersonDelete, ctx: DriverContext): Promise<CommandOutcome> {
    const reply = await this.send(
      'PUT',
      '/ISAPI/AccessControl/UserInfo/Delete?format=json',
      JSON.stringify({ UserInfoDelCond: { EmployeeNoList: [{ employeeNo: p.personId }] } }),
      'application/json',
      ctx,
    );
    const r = isapiResult(reply);
    if (r.ok) return { ok: true };
    // Deleting someone who is not there is the state we want.
    if (/not ?exist|noEmployee|notFound|no ?such/i.test(`${r.code} ${r.detail}`))
      return { ok: true, detail: 'the person was not on the device', result: { absent: true } };
    throw new DeviceError(r.code, `delete: ${r.detail}`, reply.status);
  }

  async recordsQuery(range: RecordsRange, ctx: DriverContext): Promise<CommandOutcome> {
    const totals = uploadTotals();
    let deviceMatches = 0;
    await this.search(range, ctx, async (page) => {
      deviceMatches = page.totalMatches;
      await uploadPage(totals, page.records, range, ctx);
    });
    // `count` is what the gateway should now hold of the range: the passes that name a person.
    return { ok: true, result: { count: totals.punches, deviceMatches, ...totals } };
  }

  async recordsVerify(range: RecordsRange, ctx: DriverContext): Promise<CommandOutcome> {
    let passes = 0;
    let deviceMatches = 0;
    await this.search(range, ctx, async (page) => {
      deviceMatches = page.totalMatches;
      for (const r of page.records) if (isPassRecord(r)) passes++;
    });
    return { ok: true, result: { count: passes, deviceMatches } };
  }

  /** Pages through an AcsEvent search of the range (major 5, every minor), calling `onPage` in order. */
  private async search(
    range: RecordsRange,
    ctx: DriverContext,
    onPage: (page: AcsEventPage) => Promise<void>,
  ): Promise<void> {
    const { from, to } = wholeSeconds(range);
    if (from.getTime() > to.getTime()) return; // less than one whole second: no record can be in it
    const searchID = randomUUID();
    let position = 0;
    for (let n = 0; n < this.maxPages; n++) {
      const reply = await this.send(
        'POST',
        '/ISAPI/AccessControl/AcsEvent?format=json',
        JSON.stringify({
          AcsEventCond: {
            searchID,
            searchResultPosition: position,
            maxResults: this.pageSize,
            major: 5,
            minor: 0,
            startTime: isapiTime(from, ctx.timeZone),
            endTime: isapiTime(to, ctx.timeZone),
          },
        }),
        'application/json',
        ctx,
      );
      const status = isapiResult(reply);
      if (!status.ok) throw new DeviceError(status.code, `AcsEvent search: ${status.detail}`, reply.status);
      const page = parseAcsEventResponse(reply.body);
      if (!page.ok)
        throw new DeviceError(AGENT_CODES.badReply, `AcsEvent search: ${page.error}`, reply.status);
      await onPage(page.page);
      const got = page.page.numOfMatches > 0 ? page.page.numOfMatches : page.page.records.length;
      position += got;
      if (page.page.status.toUpperCase() !== 'MORE' || got === 0) return;
    }
    throw new DeviceError(AGENT_CODES.badReply, `AcsEvent search: still MORE after ${this.maxPages} pages`);
  }

  private async json(
    method: string,
    path: string,
    body: unknown,
    ctx: DriverContext,
    what: string,
  ): Promise<void> {
    const reply = await this.send(method, path, JSON.stringify(body), 'application/json', ctx);
    const r = isapiResult(reply);
    if (!r.ok) throw new DeviceError(r.code, `${what}: ${r.detail}`, reply.status);
  }

  private send(
    method: string,
    path: string,
    body: Buffer | string,
    contentType: string,
    ctx: DriverContext,
  ): Promise<HttpReply> {
    return this.session.request(method, this.base + path, {
      headers: { 'Content-Type': contentType, Accept: 'application/json' },
      body,
      timeoutMs: this.timeoutMs,
      signal: ctx.signal,
    });
  }
}

/** ISAPI names are limited (32 bytes on most terminals): cut at a character boundary. */
export function deviceName(name: string, maxBytes = 32): string {
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch, 'utf8') > maxBytes) break;
    out += ch;
  }
  return out;
}

/** Whether an AcsEvent InfoList entry is a pass naming a person (what the gateway turns into a punch). */
export function isPassRecord(r: Record<string, unknown>): boolean {
  const major = Number(r.major);
  const minor = Number(r.minor);
  const emp = r.employeeNoString ?? r.employeeNo;
  return (
    major === 5 &&
    PASS_MINORS.has(minor) &&
    (typeof emp === 'string' ? emp.trim() !== '' : typeof emp === 'number')
  );
}

/** Reads an ISAPI `ResponseStatus` (JSON or XML); undefined when the body is neither. */
export function parseIsapiStatus(body: Buffer): IsapiStatus | undefined {
  const text = body.toString('utf8');
  const json = tryJson(text);
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = (json as Record<string, unknown>).ResponseStatus ?? json;
    if (typeof o !== 'object' || o === null) return undefined;
    const r = o as Record<string, unknown>;
    const out: IsapiStatus = {};
    if (r.statusCode !== undefined && Number.isFinite(Number(r.statusCode)))
      out.statusCode = Number(r.statusCode);
    if (typeof r.statusString === 'string') out.statusString = r.statusString;
    if (typeof r.subStatusCode === 'string') out.subStatusCode = r.subStatusCode;
    if (r.errorCode !== undefined && Number.isFinite(Number(r.errorCode)))
      out.errorCode = Number(r.errorCode);
    if (typeof r.errorMsg === 'string') out.errorMsg = r.errorMsg;
    return out;
  }
  if (!/<ResponseStatus[\s>]/.test(text)) return undefined;
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim();
  const out: IsapiStatus = {};
  const code = tag('statusCode');
  if (code !== undefined && /^\d+$/.test(code)) out.statusCode = Number(code);
  const s = tag('statusString');
  if (s !== undefined) out.statusString = s;
  const sub = tag('subStatusCode');
  if (sub !== undefined) out.subStatusCode = sub;
  const msg = tag('errorMsg');
  if (msg !== undefined) out.errorMsg = msg;
  return out;
}

/** A reply as success, or the device's code and detail. */
export function isapiResult(reply: HttpReply): { ok: true } | { ok: false; code: string; detail: string } {
  const st = parseIsapiStatus(reply.body);
  const ok =
    reply.status >= 200 && reply.status < 300 && (st?.statusCode === undefined || st.statusCode === 1);
  if (ok) return { ok: true };
  const code =
    st?.subStatusCode || (st?.statusCode !== undefined ? `status-${st.statusCode}` : `http-${reply.status}`);
  const detail =
    [st?.statusString, st?.errorMsg].filter(Boolean).join(': ') ||
    `HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`.trim();
  return { ok: false, code, detail };
}

/** Reads an AcsEvent search reply (`{"AcsEvent": {...}}`). Never throws. */
export function parseAcsEventResponse(
  body: Buffer,
): { ok: true; page: AcsEventPage } | { ok: false; error: string } {
  const json = tryJson(body);
  if (!json || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, error: 'the reply is not a JSON object' };
  const root = json as Record<string, unknown>;
  const a = root.AcsEvent;
  if (!a || typeof a !== 'object' || Array.isArray(a))
    return { ok: false, error: 'the reply has no AcsEvent object' };
  const ev = a as Record<string, unknown>;
  const rawList = ev.InfoList;
  const list: unknown[] = Array.isArray(rawList)
    ? rawList
    : rawList === undefined || rawList === null
      ? []
      : [rawList];
  const records = list.filter(
    (x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x),
  );
  const count = (v: unknown): number | undefined => {
    const n = typeof v === 'string' ? Number(v) : v;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };
  const numOfMatches = count(ev.numOfMatches) ?? records.length;
  const totalMatches = count(ev.totalMatches) ?? numOfMatches;
  const status =
    typeof ev.responseStatusStrg === 'string'
      ? ev.responseStatusStrg.trim()
      : records.length > 0
        ? 'OK'
        : 'NO MATCH';
  const page: AcsEventPage = {
    status,
    numOfMatches,
    totalMatches,
    records,
    dropped: list.length - records.length,
  };
  if (typeof ev.searchID === 'string') page.searchID = ev.searchID;
  return { ok: true, page };
}
