import { z } from 'zod';
import {
  FieldProblem,
  OPEN_V1_COMMAND_KINDS,
  OPEN_V1_LIMITS,
  OpenV1Command,
  OpenV1CommandKind,
  OpenV1CommandResult,
  OpenV1Person,
  openV1PhotoPath,
  OpenV1ResultStatus,
  Result,
  SHA256_HEX,
} from '@realname/contracts';
import { wireProblems } from './wire';

/** The command kinds an open-v1 device is sent (records.verify is not part of v1). */
export const OPEN_V1_KINDS: readonly OpenV1CommandKind[] = OPEN_V1_COMMAND_KINDS;

// ---------------------------------------------------------------------------------------------------
// Claim

export const ClaimBody = z
  .object({
    limit: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(OPEN_V1_LIMITS.maxClaim, `must be at most ${OPEN_V1_LIMITS.maxClaim}`)
      .optional(),
  })
  .strict();

/** `POST /open/v1/commands/claim`: how many commands the device takes now. Never throws. */
export function parseClaim(body: unknown): Result<{ limit: number }> {
  const parsed = ClaimBody.safeParse(body);
  if (!parsed.success) return { ok: false, problems: wireProblems(parsed.error) };
  return { ok: true, value: { limit: parsed.data.limit ?? OPEN_V1_LIMITS.defaultClaim } };
}

// ---------------------------------------------------------------------------------------------------
// Results

const RESULT_CODE = /^[A-Za-z0-9._:-]{1,64}$/;

export const CommandResultBody = z
  .object({
    commandId: z.string().uuid('must be the commandId of a claimed command (a UUID)'),
    ok: z.boolean(),
    code: z
      .string()
      .regex(RESULT_CODE, 'must be 1-64 letters, digits, dot, colon, underscore or hyphen')
      .optional(),
    message: z.string().max(500, 'must be at most 500 characters').optional(),
    count: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(10_000_000, 'must be at most 10000000')
      .optional(),
  })
  .strict();

export const CommandResultsBody = z
  .object({
    results: z
      .array(CommandResultBody)
      .min(1, 'must hold at least one result')
      .max(OPEN_V1_LIMITS.maxResults, `must hold at most ${OPEN_V1_LIMITS.maxResults} results`),
  })
  .strict();

/**
 * `POST /open/v1/commands/results`: every bad field named; a result that failed must say why (`code`);
 * a command may be answered once per report. All results are taken, or none. Never throws.
 */
export function parseCommandResults(body: unknown): Result<OpenV1CommandResult[]> {
  const parsed = CommandResultsBody.safeParse(body);
  if (!parsed.success) return { ok: false, problems: wireProblems(parsed.error) };
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  parsed.data.results.forEach((r, i) => {
    if (!r.ok && r.code === undefined) {
      problems.push({
        field: `results[${i}].code`,
        message: 'is required when ok is false: say why the command failed (see the result codes)',
      });
    }
    const id = r.commandId.toLowerCase();
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({
        field: `results[${i}].commandId`,
        message: `answers the same command as results[${first}]: send one result per command`,
      });
    } else seen.set(id, i);
  });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: parsed.data.results.map((r) => ({ ...r, commandId: r.commandId.toLowerCase() })),
  };
}

/** The outcome handed to CommandQueue.complete for one device result. */
export function completionOf(r: OpenV1CommandResult): {
  ok: boolean;
  code?: string;
  detail?: string;
  result?: Record<string, unknown>;
} {
  return {
    ok: r.ok,
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.message !== undefined ? { detail: r.message } : {}),
    ...(r.count !== undefined ? { result: { count: r.count } } : {}),
  };
}

/** What the device is told about one of its results, from what CommandQueue.complete returned. */
export function resultStatus(
  commandId: string,
  command: { status: 'queued' | 'sent' | 'succeeded' | 'failed' } | undefined,
): OpenV1ResultStatus {
  return command
    ? { commandId, status: 'recorded', commandStatus: command.status }
    : { commandId, status: 'unknown' };
}

// ---------------------------------------------------------------------------------------------------
// Rendering queued commands for the device

/** The part of a queued command the open protocol renders (see CommandQueue's DeviceCommand). */
export interface QueuedCommand {
  commandId: string;
  kind: string;
  payload: unknown;
}

export interface RenderOptions {
  /**
   * The gateway's public base URL, when configured (`https://gw.example.org`): photo URLs are then
   * absolute. Otherwise they are paths (`/open/v1/photos/<sha256>`), resolved against the claim URL.
   */
  publicBaseUrl?: string;
}

/** The hex SHA-256 of a photo reference (`sha256:<hex>`), or undefined when it is not one. */
export function photoSha256(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const hex = ref.startsWith('sha256:') ? ref.slice('sha256:'.length) : ref;
  return SHA256_HEX.test(hex) ? hex : undefined;
}

/**
 * A queued command as the device receives it, or a reason it cannot be rendered (a kind open-v1 does
 * not carry, a payload missing what the device needs): such a command is completed as failed by the
 * caller rather than sent.
 */
export function renderCommand(
  cmd: QueuedCommand,
  options: RenderOptions = {},
): { ok: true; command: OpenV1Command } | { ok: false; reason: string } {
  const p = (cmd.payload ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  switch (cmd.kind) {
    case 'person.upsert': {
      const personId = text(p.personId);
      const name = text(p.name);
      if (!personId || !name) return { ok: false, reason: 'person.upsert without personId or name' };
      const person: OpenV1Person = { personId, name };
      const cardNumber = text(p.cardNumber);
      if (cardNumber) person.cardNumber = cardNumber;
      if (p.photoRef !== undefined) {
        const sha = photoSha256(p.photoRef);
        if (!sha) return { ok: false, reason: `person.upsert with an unusable photoRef` };
        const path = openV1PhotoPath(sha);
        person.photoUrl = options.publicBaseUrl ? options.publicBaseUrl.replace(/\/+$/, '') + path : path;
        person.photoSha256 = sha;
      }
      return { ok: true, command: { commandId: cmd.commandId, kind: 'person.upsert', person } };
    }
    case 'person.delete': {
      const personId = text(p.personId);
      if (!personId) return { ok: false, reason: 'person.delete without personId' };
      return {
        ok: true,
        command: { commandId: cmd.commandId, kind: 'person.delete', person: { personId } },
      };
    }
    case 'records.query': {
      const from = text(p.from);
      const to = text(p.to);
      const backfillId = text(p.backfillId);
      if (!from || !to || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to)))
        return { ok: false, reason: 'records.query without a valid from/to' };
      return {
        ok: true,
        command: {
          commandId: cmd.commandId,
          kind: 'records.query',
          range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
          ...(backfillId ? { backfillId } : {}),
        },
      };
    }
    default:
      return { ok: false, reason: `${cmd.kind} is not a command of the open protocol v1` };
  }
}
