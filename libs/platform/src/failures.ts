/**
 * Every loop that talks to a dependency (Kafka consumers, outbox relay, ClickHouse sink, registry sync,
 * device commands) classifies a failure here, once: a dependency that is briefly away is waited for,
 * for as long as it takes; only input that can never succeed is given up on.
 */
import { ExponentialBackoff, handleWhen, retry, TaskCancelledError } from 'cockatiel';

/** A failure that no retry can fix: the input itself is wrong (undecodable, invalid, refused by a rule). */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

/**
 * A dependency cannot serve now: unreachable for longer than the caller waited, or refusing the
 * platform's own configuration (credentials, an issuer without a token endpoint). Never the message's
 * fault: transient, so a consumer waits for it (and for the operator) instead of dead-lettering.
 */
export class DependencyUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyUnavailable';
  }
}

/**
 * - `transient`: the dependency is unavailable or busy (connection refused/reset, server shutting down,
 *   serialization failure, deadlock, timeout); the same call succeeds later. Retry without limit.
 * - `permanent`: the input can never succeed (decode, contract, domain rejection). Give up at once.
 * - `unknown`: anything else (a bug, a constraint the input breaks): a few attempts, then give up.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

/** Node/libuv error codes of a connection that failed or went away. */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * PostgreSQL SQLSTATEs that say "not now": connection exceptions (08), shutdown and start-up (57P01-03),
 * statement timeout / cancel (57014), insufficient resources (53), lock not available (55P03),
 * serialization failure (40001), deadlock (40P01), system/IO error (58).
 */
function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('58') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '57014' ||
    code === '55P03' ||
    code === '40001' ||
    code === '40P01'
  );
}

/** Message fragments of pg / TypeORM / ClickHouse client failures that carry no code. */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection (?:is )?(?:closed|ended|lost|refused|reset)/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /client was closed and is not queryable/i,
  /connection is not established/i,
  /terminating connection/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
  /socket hang up/i,
  /read ECONNRESET/i,
  /timeout error/i,
  /timed out/i,
  /server selection|no living connections/i,
];

/** kafkajs errors that a later attempt (another broker, a re-elected leader) can cure. */
const TRANSIENT_KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'KafkaJSMetadataNotLoaded',
]);

/** Errors that say the input is wrong, whoever runs it and whenever. */
const PERMANENT_NAMES = new Set(['PermanentFailure', 'ContractViolation', 'ZodError', 'SyntaxError']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

function kindOf(err: unknown, depth: number): FailureKind {
  if (depth > 5 || err === null || typeof err !== 'object') return 'unknown';
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  if (PERMANENT_NAMES.has(name)) return 'permanent';
  // A version conflict is another writer that got there first: reading again and retrying succeeds.
  if (name === 'ConcurrencyConflict') return 'transient';
  if (name === 'DependencyUnavailable') return 'transient';
  // TypeORM: a query runner whose connection was lost, or a data source not (re)connected.
  if (name === 'QueryRunnerAlreadyReleasedError' || name === 'CannotExecuteNotConnectedError')
    return 'transient';
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_SYSTEM_CODES.has(code)) return 'transient';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (isTransientSqlState(code)) return 'transient';
    // 22xxx: a value the statement can never accept.
    if (code.startsWith('22')) return 'permanent';
  }
  if (name.startsWith('KafkaJS') && (TRANSIENT_KAFKA_ERRORS.has(name) || e.retriable === true))
    return 'transient';
  // Wrapped causes: TypeORM's driverError, kafkajs's originalError, Error.cause, AggregateError.errors.
  for (const inner of [e.driverError, e.originalError, e.cause]) {
    const k = kindOf(inner, depth + 1);
    if (k !== 'unknown') return k;
  }
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) if (kindOf(inner, depth + 1) === 'transient') return 'transient';
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (TRANSIENT_MESSAGES.some((re) => re.test(message))) return 'transient';
  return 'unknown';
}

/** How a failure should be treated: see {@link FailureKind}. */
export function classifyFailure(err: unknown): FailureKind {
  return kindOf(err, 0);
}

export function isTransient(err: unknown): boolean {
  return classifyFailure(err) === 'transient';
}

export interface RetryTransientOptions {
  /** What is being retried, for the log line (`outbox relay`, `consumer attendance`). */
  name: string;
  /** First pause (default 200 ms); doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest pause between attempts (default 5 s). */
  maxDelayMs?: number;
  /** Stops retrying (the pending attempt's failure, or a cancellation, is thrown). */
  signal?: AbortSignal;
  /** Called before each pause, e.g. to log a warning. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, waiting out transient failures without limit (capped exponential
 * backoff with jitter); a permanent or unknown failure is thrown at once for the caller to judge.
 */
export async function retryTransient<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryTransientOptions,
): Promise<T> {
  const policy = retry(handleWhen(isTransient), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({
      initialDelay: opts.initialDelayMs ?? 200,
      maxDelay: opts.maxDelayMs ?? 5_000,
    }),
  });
  const listener = policy.onRetry((r) => {
    if ('error' in r) opts.onRetry?.(r.error, r.attempt, r.delay);
  });
  try {
    return await policy.execute(({ attempt }) => fn(attempt + 1), opts.signal);
  } catch (err) {
    if (err instanceof TaskCancelledError && opts.signal?.reason !== undefined) throw opts.signal.reason;
    throw err;
  } finally {
    listener.dispose();
  }
}

/** Capped exponential delay for loops that pause themselves (pollers): 200 ms, 400 ms ... `maxMs`. */
export function backoffDelay(attempt: number, initialMs = 200, maxMs = 5_000): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
