/**
 * The open device protocol v1 on the wire: routes, bodies, replies and error codes, shared by the gateway
 * (services/device-gateway/src/open-protocol) and the reference client (libs/device-simulator). The
 * published description is docs/device-protocol.md; this file and that page must agree.
 */

/** The prefix of every open-v1 route, below the gateway's base URL. */
export const OPEN_V1_PREFIX = '/open/v1';

/** The routes of the open protocol v1, below the gateway's base URL. Every one is signed. */
export const OPEN_V1_PATHS = {
  punches: `${OPEN_V1_PREFIX}/punches`,
  heartbeat: `${OPEN_V1_PREFIX}/heartbeat`,
  claim: `${OPEN_V1_PREFIX}/commands/claim`,
  results: `${OPEN_V1_PREFIX}/commands/results`,
  /** `GET`, followed by `/<sha256 hex>`. */
  photos: `${OPEN_V1_PREFIX}/photos`,
} as const;

/** The path a device posts its punches to, below the gateway's base URL. */
export const OPEN_V1_PUNCHES_PATH = OPEN_V1_PATHS.punches;

/** The path of one issued photo, by the lower-case hex SHA-256 of its bytes. */
export function openV1PhotoPath(sha256: string): string {
  return `${OPEN_V1_PATHS.photos}/${sha256}`;
}

/** A lower-case hex SHA-256, as photos are named. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const OPEN_V1_VERIFY_MODES = [
  'face',
  'card',
  'fingerprint',
  'password',
  'qr',
  'idcard',
  'iris',
  'other',
] as const;
export type OpenV1VerifyMode = (typeof OPEN_V1_VERIFY_MODES)[number];

/** Limits a device can rely on (the gateway's defaults; a gateway may be configured otherwise). */
export const OPEN_V1_LIMITS = {
  /** Punches in one upload (OPEN_PROTOCOL_MAX_BATCH). */
  maxBatch: 500,
  /** Bytes of one punch photo after base64 decoding (the gateway's PHOTO_MAX_BYTES). */
  maxPhotoBytes: 200 * 1024,
  /** Commands in one claim. */
  maxClaim: 50,
  /** Commands claimed when `limit` is absent. */
  defaultClaim: 10,
  /** Results in one report. */
  maxResults: 100,
  /** Seconds a signed request's X-Timestamp may be from the gateway clock (OPEN_PROTOCOL_TIMESTAMP_WINDOW_S). */
  timestampWindowS: 300,
  /** Bytes of one request body; larger bodies get 413. */
  maxBodyBytes: 10 * 1024 * 1024,
} as const;

// ---------------------------------------------------------------------------------------------------
// Punches

/** One punch record of a device (see docs/device-protocol.md). */
export interface OpenV1Punch {
  recordId: string;
  personId: string;
  /** RFC 3339 with offset, or local `YYYY-MM-DD HH:mm:ss` in the device's zone. */
  time: string;
  direction?: 'in' | 'out' | 'unknown';
  verifyMode?: OpenV1VerifyMode;
}

/** A punch as it travels in an upload: the record, and optionally the capture taken at the punch. */
export interface OpenV1WirePunch extends OpenV1Punch {
  /** A JPEG, standard base64 (RFC 4648 section 4, padded), at most maxPhotoBytes once decoded. */
  photo?: string;
}

export interface OpenV1PunchUpload {
  punches: OpenV1WirePunch[];
  /** Set when this upload answers a `records.query` command: that command's `backfillId`. */
  backfillId?: string;
}

/**
 * `accepted`: first time seen, recorded now. `duplicate`: that record id was seen before (the first
 * event id is given). `collapsed`: the same person at the same device moments after a recorded punch
 * (a double scan); kept, but counted as the earlier punch. All three mean: stored, delete it.
 */
export type OpenV1PunchStatus = 'accepted' | 'duplicate' | 'collapsed';

export interface OpenV1PunchResult {
  recordId: string;
  status: OpenV1PunchStatus;
  eventId?: string;
}

export interface OpenV1UploadReply {
  requestId: string;
  serverTime: string;
  results: OpenV1PunchResult[];
}

// ---------------------------------------------------------------------------------------------------
// Heartbeat

export interface OpenV1Heartbeat {
  /** The device's clock now, RFC 3339 with an offset (2026-11-21T07:41:02+08:00). */
  deviceTime: string;
  firmware?: string;
  /** People stored on the device. */
  personCount?: number;
  /** Punch records stored on the device and not yet acknowledged. */
  storedRecords?: number;
}

export interface OpenV1PendingWork {
  personUpserts: number;
  personDeletes: number;
  recordQueries: number;
}

export interface OpenV1HeartbeatReply {
  serverTime: string;
  pending: OpenV1PendingWork;
  /** Seconds until the next heartbeat. */
  pollAfterS: number;
}

// ---------------------------------------------------------------------------------------------------
// Commands

export const OPEN_V1_COMMAND_KINDS = ['person.upsert', 'person.delete', 'records.query'] as const;
export type OpenV1CommandKind = (typeof OPEN_V1_COMMAND_KINDS)[number];

export interface OpenV1Person {
  /** The PIN the device reports in punches as `personId`. */
  personId: string;
  name: string;
  cardNumber?: string;
  /** Where to fetch the face photo (a signed GET): absolute, or relative to the claim URL. */
  photoUrl?: string;
  /** Lower-case hex SHA-256 of the photo bytes: check it, and skip the download when already held. */
  photoSha256?: string;
}

export interface OpenV1RecordsRange {
  /** RFC 3339 instants; the records with from <= time <= to (both ends included). */
  from: string;
  to: string;
}

/** A command as a claim hands it out; `kind` says which of the other fields is present. */
export type OpenV1Command =
  | { commandId: string; kind: 'person.upsert'; person: OpenV1Person }
  | { commandId: string; kind: 'person.delete'; person: { personId: string } }
  | {
      commandId: string;
      kind: 'records.query';
      /** The range to upload again. */
      range: OpenV1RecordsRange;
      /** Put it in every upload answering this command. */
      backfillId?: string;
    };

export interface OpenV1Claim {
  limit?: number;
}

export interface OpenV1ClaimReply {
  commands: OpenV1Command[];
}

/** Codes a device reports for a failed command (any other short code is accepted and kept). */
export const OPEN_V1_RESULT_CODES = {
  'photo-unusable': 'the photo could not be fetched, or no face was found in it',
  'photo-rejected': 'the face is too similar to another person on the device, or of too low quality',
  'storage-full': 'the device holds no more people (or records)',
  'invalid-person': 'a field of the person is not acceptable to the device (name too long, card in use)',
  busy: 'the device could not do it now; the gateway sends the command again later',
  unsupported: 'the device cannot do this kind of command',
  internal: 'the device failed unexpectedly',
} as const;

export interface OpenV1CommandResult {
  commandId: string;
  ok: boolean;
  /** When ok is false: why (see OPEN_V1_RESULT_CODES). */
  code?: string;
  message?: string;
  /** records.query: how many records were uploaded for the range. */
  count?: number;
}

export interface OpenV1CommandResults {
  results: OpenV1CommandResult[];
}

/**
 * `recorded`: the result is taken; `commandStatus` says what the command is now (`queued`: it failed and
 * will be sent again). `unknown`: no command with that id was sent to this device (or it already has a
 * result and this one came late): nothing to do.
 */
export interface OpenV1ResultStatus {
  commandId: string;
  status: 'recorded' | 'unknown';
  commandStatus?: 'queued' | 'sent' | 'succeeded' | 'failed';
}

export interface OpenV1ResultsReply {
  results: OpenV1ResultStatus[];
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** Every problem `type` of v1 ends with `urn:realname:problem:<slug>`; `code` is `open-v1/<slug>`. */
export const OPEN_V1_PROBLEM_TYPE_BASE = 'urn:realname:problem:';
export const OPEN_V1_CODE_PREFIX = 'open-v1/';

/** The error codes of v1, fixed for the version: a device may switch on them. */
export const OPEN_V1_ERRORS = {
  'unknown-device': { status: 401, meaning: 'X-Device-Id missing, not registered or disabled' },
  'missing-headers': { status: 401, meaning: 'X-Timestamp or X-Signature missing' },
  'bad-timestamp': { status: 401, meaning: 'X-Timestamp is not Unix time in whole seconds' },
  'stale-timestamp': {
    status: 401,
    meaning: 'X-Timestamp is further from the gateway clock than the window',
  },
  'bad-signature': { status: 401, meaning: 'X-Signature does not match the body under the device secret' },
  'invalid-request': { status: 400, meaning: 'the body is not valid: `errors` names every bad field' },
  'photo-not-found': { status: 404, meaning: 'no photo with that SHA-256 is held for issuance' },
  'payload-too-large': {
    status: 413,
    meaning: 'the body is over the route limit (named in `detail`): send smaller batches',
  },
  'rate-limited': {
    status: 429,
    meaning: 'the device sends more requests than its limit: wait `Retry-After` seconds, then resend',
  },
} as const;
export type OpenV1ErrorSlug = keyof typeof OPEN_V1_ERRORS;

export function openV1Code(slug: OpenV1ErrorSlug): string {
  return OPEN_V1_CODE_PREFIX + slug;
}
