/**
 * The site-agent interface as the agent sees it (docs/site-agent.md). The wire types are
 * `@realname/contracts`' (re-exported here); payloads are validated here before a driver touches a
 * device, since an agent may meet a gateway of another version.
 */
import {
  formatLocalTime,
  isAgentUuid,
  PersonDeletePayload,
  PersonUpsertPayload,
  Result,
  zoneOffsetMinutes,
} from '@realname/contracts';

// The wire contract lives once, in libs/contracts (shared with the gateway's side).
export {
  AGENT_CODES,
  AGENT_COMMAND_KINDS,
  type AgentCommand,
  type AgentCommandKind,
  type AgentFamily,
  type ClaimReply,
  type CommandOutcome,
  type CommandResultReply,
  type RecordsUploadReply,
} from '@realname/contracts';

export type PersonUpsert = PersonUpsertPayload;
export type PersonDelete = PersonDeletePayload;
/** A `records.query` / `records.verify` payload once checked: the range as instants. */
export interface RecordsRange {
  from: Date;
  to: Date;
  backfillId: string;
}

/** A payload checked, or what is wrong with it (reported as `invalid-payload`). */
export type Checked<T> = Result<T, { detail: string }>;

const PERSON_ID = /^[\x21-\x7e]{1,32}$/;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

export function checkPersonUpsert(payload: unknown): Checked<PersonUpsert> {
  const p = obj(payload);
  if (!p) return { ok: false, detail: 'payload is not an object' };
  if (typeof p.personId !== 'string' || !PERSON_ID.test(p.personId))
    return { ok: false, detail: 'payload.personId must be 1-32 printable characters without spaces' };
  if (typeof p.name !== 'string' || p.name.trim() === '')
    return { ok: false, detail: 'payload.name is missing' };
  const out: PersonUpsert = { personId: p.personId, name: p.name.trim() };
  if (p.cardNumber !== undefined && p.cardNumber !== null) {
    if (typeof p.cardNumber !== 'string' || !/^[0-9A-Za-z]{1,32}$/.test(p.cardNumber))
      return { ok: false, detail: 'payload.cardNumber must be 1-32 letters or digits' };
    out.cardNumber = p.cardNumber;
  }
  if (p.photoRef !== undefined && p.photoRef !== null) {
    if (typeof p.photoRef !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(p.photoRef))
      return { ok: false, detail: 'payload.photoRef must be sha256:<64 hex digits>' };
    out.photoRef = p.photoRef;
  }
  return { ok: true, value: out };
}

export function checkPersonDelete(payload: unknown): Checked<PersonDelete> {
  const p = obj(payload);
  if (!p || typeof p.personId !== 'string' || !PERSON_ID.test(p.personId))
    return { ok: false, detail: 'payload.personId must be 1-32 printable characters without spaces' };
  return { ok: true, value: { personId: p.personId } };
}

export function checkRecordsRange(payload: unknown): Checked<RecordsRange> {
  const p = obj(payload);
  if (!p) return { ok: false, detail: 'payload is not an object' };
  const from = typeof p.from === 'string' ? new Date(p.from) : undefined;
  const to = typeof p.to === 'string' ? new Date(p.to) : undefined;
  if (!from || Number.isNaN(from.getTime()))
    return { ok: false, detail: 'payload.from must be an RFC 3339 time' };
  if (!to || Number.isNaN(to.getTime())) return { ok: false, detail: 'payload.to must be an RFC 3339 time' };
  if (from.getTime() > to.getTime()) return { ok: false, detail: 'payload.from is after payload.to' };
  if (typeof p.backfillId !== 'string' || !isAgentUuid(p.backfillId))
    return { ok: false, detail: 'payload.backfillId must be a UUID' };
  return { ok: true, value: { from, to, backfillId: p.backfillId } };
}

/** `2026-11-21T07:41:02+08:00`: ISAPI's time form (seconds; sub-second parts dropped). */
export function isapiTime(instant: Date, timeZone: string): string {
  const offsetMin = zoneOffsetMinutes(instant, timeZone);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const abs = Math.abs(offsetMin);
  const offset = `${offsetMin < 0 ? '-' : '+'}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`;
  return `${isapiLocalTime(instant, timeZone)}${offset}`;
}

/** `2026-11-21T07:41:02`: ISAPI's local time without offset (UserInfo `Valid`). */
export function isapiLocalTime(instant: Date, timeZone: string): string {
  return formatLocalTime(instant, timeZone).replace(' ', 'T');
}

/**
 * The whole seconds inside the range. Device records carry whole-second times, so a record belongs to
 * [from, to] exactly when its second lies in [ceil(from), floor(to)]; device searches are inclusive.
 */
export function wholeSeconds(r: { from: Date; to: Date }): { from: Date; to: Date } {
  return {
    from: new Date(Math.ceil(r.from.getTime() / 1000) * 1000),
    to: new Date(Math.floor(r.to.getTime() / 1000) * 1000),
  };
}
