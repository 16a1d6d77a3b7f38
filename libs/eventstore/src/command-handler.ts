import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { createEvent, EventActor, EventDefinition, parseEvent } from '@realname/contracts';
import type { Sql } from './database';
import { isRejection, Rejection } from './decider';
import { ConcurrencyConflict, EventStore } from './event-store';

export interface DomainEvent {
  type: string;
  data: unknown;
}

export interface CommandRun<S, E extends DomainEvent, R extends Rejection> {
  store: EventStore;
  tx: Sql;
  streamId: string;
  /** Every event type of the stream and its contract. */
  definitions: Record<string, EventDefinition<string, z.ZodTypeAny>>;
  initial: () => S;
  evolve: (state: S, event: E) => S;
  decide: (state: S) => E[] | R;
  source: string;
  region: (state: S) => string;
  correlationId?: string;
  causationId?: string;
  /** Who asked for the command (an authenticated caller); recorded on every event it produces. */
  actor?: EventActor;
  /** Read-model changes for each new event, in the same transaction. */
  project?: (tx: Sql, event: E) => Promise<void>;
}

/** How many times a decision is taken again after another writer appended to the same stream first. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * The one retry on version conflict: runs `attempt` again (it re-reads and decides again) while the
 * append loses a race to another writer, up to `attempts` times; any other error is thrown at once.
 * Inside a transaction the failed append was undone to its savepoint, so the retry sees the winner.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  attempts = CONFLICT_ATTEMPTS,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (err instanceof ConcurrencyConflict && n < attempts) continue;
      throw err;
    }
  }
}

/**
 * The shell around a pure decider: read the stream, fold, decide, append at the version read (retrying
 * the whole decision when another writer got there first), and update read models in the same
 * transaction.
 */
export async function runCommand<S, E extends DomainEvent, R extends Rejection>(
  run: CommandRun<S, E, R>,
): Promise<E[] | R> {
  return retryOnConflict(async () => {
    const history = await run.store.readStream(run.streamId, 1n, run.tx);
    const state = history
      .map((e) => ({ type: e.type, data: parseEvent(run.definitions[e.type], e).data }) as E)
      .reduce(run.evolve, run.initial());
    const decision = run.decide(state);
    if (isRejection(decision) || decision.length === 0) return decision;
    const region = run.region(state);
    const envelopes = decision.map((e) =>
      createEvent(run.definitions[e.type], e.data, {
        source: run.source,
        subject: run.streamId,
        region,
        correlationId: run.correlationId,
        causationId: run.causationId,
        actor: run.actor,
      }),
    );
    await run.store.append(run.streamId, envelopes, history.length, run.tx);
    if (run.project) for (const e of decision) await run.project(run.tx, e);
    return decision;
  });
}

const KEY_SEPARATOR = '\u001f';

/**
 * A stream id that carries a uniqueness rule: the same key always names the same stream, so a second
 * "create" reads the first one's events and its decider refuses it (instead of a SQL constraint).
 * `<category>-<UUIDv8>`, the UUID being the first 128 bits of SHA-256(category, key parts) with the
 * version and variant bits set (RFC 9562, name-based v8). Pass keys that are already keyed hashes
 * when they are personal (an ID number never goes in as it is).
 */
export function keyedStreamId(category: string, ...key: string[]): string {
  const h = createHash('sha256')
    .update([category, ...key].join(KEY_SEPARATOR), 'utf8')
    .digest()
    .subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${category}-${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The same derivation in SQL, for migrations that move old streams to their keyed ids:
 * `SELECT <expression>` with $category and $key (the key parts joined by chr(31)).
 */
export function keyedStreamIdSql(category: string, key: string): string {
  const digest = `substring(sha256(convert_to(${category} || chr(31) || ${key}, 'UTF8')) from 1 for 16)`;
  const versioned = `set_byte(set_byte(${digest}, 6, (get_byte(${digest}, 6) & 15) | 128), 8, (get_byte(${digest}, 8) & 63) | 128)`;
  return `(${category} || '-' || encode(${versioned}, 'hex')::uuid::text)`;
}
