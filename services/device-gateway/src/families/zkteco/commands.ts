/**
 * Renders queued device commands as the lines a ZKTeco device takes from `getrequest`:
 * `C:<seq>:<command>`. A device drops any line without the `C:<id>:` prefix and answers each line it
 * runs with a `devicecmd` result carrying that id, so a command that needs several lines (a person with
 * a photo) sends them all under the same seq and the gateway waits for as many results.
 *
 * Two dialects: attendance terminals (PUSH 2.x: `DATA UPDATE USERINFO ...`) and access-control
 * terminals (PUSH 3.x, found by their `/iclock/registry` call: `DATA UPDATE user ...`).
 */
import { formatLocalTime } from '@realname/contracts';
import { ZK_PIN } from './attlog';
import { fieldValue } from './zkteco-text';

export type ZkDialect = 'attendance' | 'access';

/** Face photo of the visible-light face algorithm, the type a BIOPHOTO command carries. */
export const BIOPHOTO_TYPE_FACE = 9;

/** The parts of a queued command the renderer needs (a DeviceCommand of the command queue fits). */
export interface CommandToRender {
  seq: number;
  kind: string;
  payload: unknown;
}

export interface RenderContext {
  timeZone: string;
  dialect: ZkDialect;
  /** The person's photo, already fetched from the photo store, for a person.upsert with a photoRef. */
  photo?: { bytes: Buffer };
}

export type Rendered = { ok: true; lines: string[] } | { ok: false; code: string; detail: string };

export function renderCommand(cmd: CommandToRender, ctx: RenderContext): Rendered {
  const body = renderBody(cmd, ctx);
  if (!body.ok) return body;
  return { ok: true, lines: body.lines.map((text) => `C:${cmd.seq}:${text}`) };
}

function renderBody(cmd: CommandToRender, ctx: RenderContext): Rendered {
  switch (cmd.kind) {
    case 'person.upsert':
      return personUpsert(cmd.payload, ctx);
    case 'person.delete':
      return personDelete(cmd.payload, ctx);
    case 'records.query':
    case 'records.verify':
      return recordsRange(cmd.kind, cmd.payload, ctx);
    default:
      return refusal('unsupported', `command kind "${String(cmd.kind)}" has no ZKTeco form`);
  }
}

function personUpsert(payload: unknown, ctx: RenderContext): Rendered {
  const p = record(payload);
  const pin = pinOf(p);
  if (!pin.ok) return pin;
  const name = fieldValue(text(p.name));
  const card = fieldValue(text(p.cardNumber));
  const b64 = ctx.photo ? ctx.photo.bytes.toString('base64') : undefined;
  if (ctx.dialect === 'access') {
    const lines = [
      `DATA UPDATE user CardNo=${card}\tPin=${pin.pin}\tPassword=\tGroup=0\tStartTime=0\tEndTime=0\tName=${name}\tPrivilege=0`,
      `DATA UPDATE userauthorize Pin=${pin.pin}\tAuthorizeTimezoneId=1\tAuthorizeDoorId=1`,
    ];
    if (b64)
      lines.push(
        `DATA UPDATE biophoto PIN=${pin.pin}\tType=${BIOPHOTO_TYPE_FACE}\tNo=0\tIndex=0\tValid=1\tDuress=0\tFormat=0\tTmp=${b64}`,
      );
    return { ok: true, lines };
  }
  const lines = [`DATA UPDATE USERINFO PIN=${pin.pin}\tName=${name}\tPri=0\tCard=${card}`];
  if (b64)
    lines.push(
      `DATA UPDATE BIOPHOTO PIN=${pin.pin}\tType=${BIOPHOTO_TYPE_FACE}\tFormat=0\tSize=${b64.length}\tContent=${b64}`,
    );
  return { ok: true, lines };
}

function personDelete(payload: unknown, ctx: RenderContext): Rendered {
  const pin = pinOf(record(payload));
  if (!pin.ok) return pin;
  if (ctx.dialect === 'access')
    return {
      ok: true,
      lines: [`DATA DELETE userauthorize Pin=${pin.pin}`, `DATA DELETE user Pin=${pin.pin}`],
    };
  return { ok: true, lines: [`DATA DELETE USERINFO PIN=${pin.pin}`] };
}

function recordsRange(
  kind: 'records.query' | 'records.verify',
  payload: unknown,
  ctx: RenderContext,
): Rendered {
  if (ctx.dialect === 'access')
    return refusal(
      'unsupported',
      `${kind} is not available on PUSH 3.x access terminals: their rtlog records carry an index and are re-sent by the device itself`,
    );
  const p = record(payload);
  const from = instant(p.from);
  const to = instant(p.to);
  if (!from || !to) return refusal('invalid-payload', `${kind} needs "from" and "to" as RFC 3339 times`);
  if (from.getTime() > to.getTime()) return refusal('invalid-payload', `${kind}: "from" is after "to"`);
  const range = `StartTime=${formatLocalTime(from, ctx.timeZone)}\tEndTime=${formatLocalTime(to, ctx.timeZone)}`;
  return {
    ok: true,
    lines: [kind === 'records.query' ? `DATA QUERY ATTLOG ${range}` : `VERIFY SUM ATTLOG ${range}`],
  };
}

function pinOf(
  p: Record<string, unknown>,
): { ok: true; pin: string } | { ok: false; code: string; detail: string } {
  const pin = text(p.personId);
  return ZK_PIN.test(pin)
    ? { ok: true, pin }
    : refusal(
        'invalid-payload',
        `personId "${pin.slice(0, 32)}" cannot be a ZKTeco PIN: it must be 1-24 letters or digits`,
      );
}

function refusal(code: string, detail: string): { ok: false; code: string; detail: string } {
  return { ok: false, code, detail };
}

function record(payload: unknown): Record<string, unknown> {
  return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function instant(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
