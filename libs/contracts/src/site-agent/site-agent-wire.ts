/**
 * The site-agent interface on the wire (docs/site-agent.md): what the gateway hands out
 * (services/device-gateway/src/site-agent) and what the agent sends back (libs/site-agent). Both sides
 * import these types and schemas, so a change to one side that the other does not follow breaks the
 * compile instead of a site. Routes are below `<gateway>/agent/v1/devices/<deviceId>/`.
 */
import { z } from 'zod';

export const SITE_AGENT_PREFIX = '/agent/v1/devices';

/** The families whose devices an agent drives (they must be called on the site's network). */
export const AGENT_FAMILIES = ['hikvision-isapi', 'uface'] as const;
export type AgentFamily = (typeof AGENT_FAMILIES)[number];

export const AGENT_COMMAND_KINDS = [
  'person.upsert',
  'person.delete',
  'records.query',
  'records.verify',
] as const;
export type AgentCommandKind = (typeof AGENT_COMMAND_KINDS)[number];

/** `person.upsert`: put the person on the device (add or replace), with face and card. */
export interface PersonUpsertPayload {
  /** The employee number the device reports in every record (1-32 printable characters). */
  personId: string;
  name: string;
  cardNumber?: string;
  /** `sha256:<hex>` of the face photo (`GET photos/<ref>`). */
  photoRef?: string;
}
/** `person.delete`: remove the person (and their face and card). */
export interface PersonDeletePayload {
  personId: string;
}
/** `records.query` (fetch and upload) and `records.verify` (count only): a range of the device's records. */
export interface RecordsRangePayload {
  /** RFC 3339. */
  from: string;
  to: string;
  backfillId: string;
}
export type AgentCommandPayload = PersonUpsertPayload | PersonDeletePayload | RecordsRangePayload;

/** A claimed command. The agent validates `payload` before a driver touches a device. */
export interface AgentCommand {
  commandId: string;
  /** Positive integer unique in the gateway. */
  seq: number;
  kind: AgentCommandKind;
  payload: AgentCommandPayload;
  /** 1 on the first delivery. */
  attempts: number;
  /** RFC 3339. */
  createdAt: string;
}

/** The most commands one claim may take. */
export const MAX_CLAIM_LIMIT = 50;

/** `POST commands/claim` (an empty body claims up to 10 of every kind). */
export const ClaimRequestSchema = z
  .object({
    limit: z.number().int().min(1).max(MAX_CLAIM_LIMIT).default(10),
    kinds: z.array(z.enum(AGENT_COMMAND_KINDS)).min(1).optional(),
  })
  .strict();
export type ClaimRequest = z.input<typeof ClaimRequestSchema>;

export interface ClaimReply {
  device: { deviceId: string; family: AgentFamily; timeZone: string };
  commands: AgentCommand[];
  /** RFC 3339. */
  serverTime: string;
}

/** Limits of a reported outcome; the agent cuts its texts to them, the gateway refuses longer ones. */
export const OUTCOME_CODE_MAX = 64;
export const OUTCOME_DETAIL_MAX = 1000;

/** `POST commands/<commandId>/result`: the command's outcome. */
export const CommandOutcomeSchema = z
  .object({
    ok: z.boolean(),
    /** The device's own code (ISAPI subStatusCode, Uface msg) or one of `AGENT_CODES`. */
    code: z.string().min(1).max(OUTCOME_CODE_MAX).optional(),
    detail: z.string().max(OUTCOME_DETAIL_MAX).optional(),
    /** For records.query / records.verify: `count` and the upload totals. */
    result: z.record(z.unknown()).optional(),
  })
  .strict();
export type CommandOutcome = z.infer<typeof CommandOutcomeSchema>;

/** The reply to a result: where the command stands now. */
export interface CommandResultReply {
  commandId: string;
  kind: AgentCommandKind;
  /** `queued`: refused this time, sent again later; `failed`: attempts exhausted. */
  status: 'queued' | 'sent' | 'succeeded' | 'failed';
  attempts: number;
  deviceCode?: string;
}

/** Codes the agent reports itself (device codes are passed through as the device sent them). */
export const AGENT_CODES = {
  /** No reply from the device (connection refused, reset, timeout): nothing known. */
  unreachable: 'unreachable',
  /** The device refused the configured user name / password. */
  authFailed: 'auth-failed',
  /** The command's payload is not usable (a gateway bug; resending will not help). */
  invalidPayload: 'invalid-payload',
  /** The gateway sent a kind this agent does not know. */
  unsupportedKind: 'unsupported-kind',
  /** The photo of a person.upsert could not be had from the gateway. */
  photoUnavailable: 'photo-unavailable',
  /** Records were fetched but could not be uploaded to the gateway. */
  uploadFailed: 'upload-failed',
  /** The device's reply could not be read. */
  badReply: 'bad-reply',
} as const;

/** The most records one upload may carry (an AcsEvent page holds at most a few dozen). */
export const MAX_RECORDS_PER_UPLOAD = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `POST records`: one page of records fetched for a backfill, each as the device sent it. */
export const RecordsUploadSchema = z.object({
  backfillId: z.string().regex(UUID, 'must be the backfillId of the records.query command (a UUID)'),
  commandId: z.string().regex(UUID, 'must be the commandId of the records.query command (a UUID)').optional(),
  records: z
    .array(z.unknown())
    .max(
      MAX_RECORDS_PER_UPLOAD,
      `must hold at most ${MAX_RECORDS_PER_UPLOAD} records: upload pages separately`,
    ),
});
export type RecordsUpload = z.infer<typeof RecordsUploadSchema>;

export interface RecordsUploadReply {
  requestId: string;
  received: number;
  /** Records that were passes, and what became of them. */
  punches: number;
  accepted: number;
  duplicate: number;
  collapsed: number;
  /** Records that are not passes (door events, strangers): counted, not stored. */
  ignored: number;
  /** Records that cannot be read; `field` names the record (`records[3].time`). */
  invalid: { field: string; message: string }[];
}

/** A command id or backfill id as the gateway issues them. */
export function isAgentUuid(value: string): boolean {
  return UUID.test(value);
}
