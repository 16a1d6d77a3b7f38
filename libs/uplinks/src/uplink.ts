/**
 * The uplink adapter interface: what every target (the national platform, a province, a city clone)
 * accepts, in which order, in which batches, how it signs and encrypts, how it answers and how its
 * failures are classified. A new target is one implementation of `UplinkAdapter` plus its mapping.
 */

/** JSON as it travels to a platform. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * The kinds of record an uplink carries, in the national dependency order (the references agree on it):
 * a record of a later kind may only be sent once the records it depends on are accepted. Entry and exit
 * share one platform method but sit at opposite ends of the order, so they are two kinds.
 */
export const UPLINK_DEPENDENCY_ORDER = [
  'enterprise',
  'project',
  'participating-unit',
  'team',
  'project-worker',
  'worker-contract',
  'training',
  'entry',
  'attendance',
  'payroll',
  'exit',
] as const;
export type RecordKind = (typeof UPLINK_DEPENDENCY_ORDER)[number];

/** Maximum records of one kind in one call; a kind absent from the map is not accepted by the target. */
export type BatchLimits = Readonly<Partial<Record<RecordKind, number>>>;

/** How a target authenticates a call; data, so the reporting service can show and audit it. */
export type UplinkSigning =
  | {
      /** Sorted form fields + secret, whole string lower-cased, SHA-256 hex (national v1.1.x and clones). */
      scheme: 'sorted-form-sha256-lowercase';
      fields: readonly string[];
      /** Accepted clock difference; undefined when the target does not publish one. */
      clockWindowSeconds?: number;
    }
  | { scheme: 'sorted-form-md5-uppercase'; fields: readonly string[]; clockWindowSeconds?: number }
  | { scheme: 'session-token'; loginMethod: string; tokenLifetimeSeconds?: number };

/** Field-level encryption inside the payload, or none. */
export type UplinkEncryption =
  | { cipher: 'aes-256-cbc-pkcs7-base64'; key: 'secret'; iv: 'secret-first-16'; fields: readonly string[] }
  | { cipher: 'none' };

/** Sync targets answer a write with its outcome; async ones with a ticket to poll. */
export type UplinkAnswerMode = 'synchronous' | 'asynchronous-serial-code';

/** Everything the reporting service needs to know about a target without calling it. */
export interface UplinkProfile {
  /** Stable id of the target, e.g. `national`, `zhejiang-v2`. */
  readonly target: string;
  /** Kinds accepted, in the order the target requires them. */
  readonly dependencyOrder: readonly RecordKind[];
  readonly batchLimits: BatchLimits;
  readonly signing: UplinkSigning;
  readonly encryption: UplinkEncryption;
  readonly answers: UplinkAnswerMode;
  /** Calls per second the target is known to tolerate; undefined when it only tells by rate-limit replies. */
  readonly callsPerSecond?: number;
}

/** One record to upload, already mapped to the target's field names. */
export interface UplinkRecord {
  readonly kind: RecordKind;
  /** Our own stable id of the record (the ledger's key), never sent. */
  readonly key: string;
  /** Keys of the records that must be accepted before this one may be sent. */
  readonly dependsOn: readonly string[];
  /** Fields shared by every record of one call (e.g. projectCode, teamSysNo); records batch together only when equal. */
  readonly header: JsonObject;
  /** The record's own fields (one element of the call's list, or the whole payload for single-record kinds). */
  readonly item: JsonObject;
}

/** Records of one kind and one header, within the target's limit: exactly one call. */
export interface UplinkBatch {
  readonly kind: RecordKind;
  readonly header: JsonObject;
  readonly records: readonly UplinkRecord[];
}

/** Keys the platform generated or confirmed (e.g. `teamSysNo`), adopted by the ledger. */
export type PlatformKeys = Readonly<Record<string, string | number>>;

/** Why a call may succeed if tried again later, unchanged. */
export type RetriableReason = 'network' | 'timeout' | 'server-error' | 'rate-limited' | 'busy' | 'bad-reply';

export interface RetriableFailure {
  readonly outcome: 'retriable';
  readonly reason: RetriableReason;
  readonly detail: string;
  /** HTTP status or platform code when there was one. */
  readonly code?: number;
}

/**
 * The target refused. `record`: the data must be corrected; `credentials`: the signature, permission or
 * network allow-list is wrong, so every record of the project waits until the credentials are fixed.
 */
export interface RejectedFailure {
  readonly outcome: 'rejected';
  readonly scope: 'record' | 'credentials';
  readonly code?: number;
  /** The platform's own message, verbatim, for the site to read. */
  readonly message: string;
}

/** The record is already there: query it and adopt the platform's keys instead of failing. */
export interface AlreadyExistsFailure {
  readonly outcome: 'already-exists';
  readonly code?: number;
  readonly message: string;
}

export type UplinkFailure = RetriableFailure | RejectedFailure | AlreadyExistsFailure;

export type SendOutcome =
  | { readonly outcome: 'submitted'; readonly ticket: string }
  | { readonly outcome: 'accepted'; readonly keys: PlatformKeys }
  | UplinkFailure;

export type PollOutcome =
  | { readonly outcome: 'pending' }
  | { readonly outcome: 'accepted'; readonly keys: PlatformKeys }
  | UplinkFailure;

export type ReconcileOutcome =
  | { readonly outcome: 'found'; readonly keys: PlatformKeys }
  | { readonly outcome: 'not-found' }
  | RetriableFailure
  | RejectedFailure;

/** One target, for one project's credentials. */
export interface UplinkAdapter {
  readonly profile: UplinkProfile;
  /** Sends one batch (one call); never throws for the platform's or the network's failures. */
  send(batch: UplinkBatch): Promise<SendOutcome>;
  /** Asks for the outcome of a submitted batch; synchronous targets never hand out tickets. */
  poll(ticket: string): Promise<PollOutcome>;
  /** Looks a record up on the platform, after an "already exists" answer, to adopt its keys. */
  reconcile(record: UplinkRecord): Promise<ReconcileOutcome>;
}

export function isFailure(outcome: SendOutcome | PollOutcome | ReconcileOutcome): outcome is UplinkFailure {
  return (
    outcome.outcome === 'retriable' || outcome.outcome === 'rejected' || outcome.outcome === 'already-exists'
  );
}
