/** What a device driver does for the agent, and how failures become command outcomes. */
import { OUTCOME_CODE_MAX, OUTCOME_DETAIL_MAX } from '@realname/contracts';
import { DigestAuthError } from '../digest';
import { GatewayClient, GatewayError } from '../gateway-client';
import { describe, TransportError } from '../http';
import {
  AGENT_CODES,
  AgentCommand,
  checkPersonDelete,
  checkPersonUpsert,
  checkRecordsRange,
  CommandOutcome,
  PersonDelete,
  PersonUpsert,
  RecordsRange,
} from '../protocol';

/** What a driver may use besides its device: the gateway (photos, record uploads) and the device's zone. */
export interface DriverContext {
  gateway: GatewayClient;
  /** IANA zone of the device clock (from the claim reply). */
  timeZone: string;
  /** The command being executed (record uploads name it). */
  commandId: string;
  signal?: AbortSignal;
}

export interface DeviceDriver {
  readonly family: string;
  personUpsert(p: PersonUpsert, ctx: DriverContext): Promise<CommandOutcome>;
  personDelete(p: PersonDelete, ctx: DriverContext): Promise<CommandOutcome>;
  /** Fetches the records of the range from the device and uploads them to the gateway, page by page. */
  recordsQuery(r: RecordsRange, ctx: DriverContext): Promise<CommandOutcome>;
  /** Counts the records of the range on the device. */
  recordsVerify(r: RecordsRange, ctx: DriverContext): Promise<CommandOutcome>;
}

/** The device answered, and refused: `code` is its own (ISAPI subStatusCode, Uface msg). */
export class DeviceError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly httpStatus?: number,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DeviceError';
  }
}

/**
 * The face photo of a person.upsert, from the gateway. When it cannot be had, the outcome to report
 * instead: the person is on the device (the `steps` done), the face is not.
 */
export async function upsertPhoto(
  ref: string,
  ctx: DriverContext,
  steps: string[],
): Promise<
  { ok: true; photo: { bytes: Buffer; contentType: string } } | { ok: false; outcome: CommandOutcome }
> {
  try {
    return { ok: true, photo: await ctx.gateway.photo(ref, ctx.signal) };
  } catch (err) {
    return {
      ok: false,
      outcome: {
        ok: false,
        code: AGENT_CODES.photoUnavailable,
        detail: `the person is on the device, the face is not: ${(err as Error).message}`,
        result: { steps },
      },
    };
  }
}

/** What a records query fetched from the device, page by page, and what the gateway made of it. */
export interface UploadTotals {
  pages: number;
  fetched: number;
  punches: number;
  accepted: number;
  duplicate: number;
  collapsed: number;
  ignored: number;
  invalid: number;
}

export function uploadTotals(): UploadTotals {
  return {
    pages: 0,
    fetched: 0,
    punches: 0,
    accepted: 0,
    duplicate: 0,
    collapsed: 0,
    ignored: 0,
    invalid: 0,
  };
}

/**
 * One page of a records query: counted, and its records (if any) uploaded to the gateway under the
 * query's backfill, adding up what the gateway answers.
 */
export async function uploadPage(
  totals: UploadTotals,
  records: Record<string, unknown>[],
  range: RecordsRange,
  ctx: DriverContext,
): Promise<void> {
  totals.pages++;
  if (records.length === 0) return;
  totals.fetched += records.length;
  const up = await ctx.gateway.uploadRecords(range.backfillId, ctx.commandId, records, ctx.signal);
  totals.punches += up.punches;
  totals.accepted += up.accepted;
  totals.duplicate += up.duplicate;
  totals.collapsed += up.collapsed;
  totals.ignored += up.ignored;
  totals.invalid += up.invalid.length;
}

/** Validates the payload, runs the driver, and turns every failure into an outcome (never throws). */
export async function executeCommand(
  driver: DeviceDriver,
  command: AgentCommand,
  ctx: DriverContext,
): Promise<CommandOutcome> {
  try {
    switch (command.kind) {
      case 'person.upsert': {
        const p = checkPersonUpsert(command.payload);
        if (!p.ok) return { ok: false, code: AGENT_CODES.invalidPayload, detail: p.detail };
        return await driver.personUpsert(p.value, ctx);
      }
      case 'person.delete': {
        const p = checkPersonDelete(command.payload);
        if (!p.ok) return { ok: false, code: AGENT_CODES.invalidPayload, detail: p.detail };
        return await driver.personDelete(p.value, ctx);
      }
      case 'records.query':
      case 'records.verify': {
        const r = checkRecordsRange(command.payload);
        if (!r.ok) return { ok: false, code: AGENT_CODES.invalidPayload, detail: r.detail };
        return command.kind === 'records.query'
          ? await driver.recordsQuery(r.value, ctx)
          : await driver.recordsVerify(r.value, ctx);
      }
      default:
        return {
          ok: false,
          code: AGENT_CODES.unsupportedKind,
          detail: `this agent does not execute "${String(command.kind).slice(0, 40)}" commands`,
        };
    }
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    return failure(err);
  }
}

/** A thrown failure as the outcome to report, cut to the contract's limits (the gateway refuses longer). */
export function failure(err: unknown): CommandOutcome {
  const outcome = (code: string, detail: string): CommandOutcome => ({
    ok: false,
    code: code.slice(0, OUTCOME_CODE_MAX),
    detail: detail.slice(0, OUTCOME_DETAIL_MAX),
  });
  if (err instanceof DeviceError) return outcome(err.code, err.detail);
  if (err instanceof DigestAuthError) return outcome(AGENT_CODES.authFailed, err.message);
  if (err instanceof TransportError) return outcome(AGENT_CODES.unreachable, err.message);
  if (err instanceof GatewayError) return outcome(AGENT_CODES.uploadFailed, err.message);
  return outcome(AGENT_CODES.badReply, describe(err));
}
