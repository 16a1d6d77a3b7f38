import type { z } from 'zod';
import { createEvent, EventDefinition, parseEvent } from '@realname/contracts';
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
  /** Read-model changes for each new event, in the same transaction. */
  project?: (tx: Sql, event: E) => Promise<void>;
}

/**
 * The shell around a pure decider: read the stream, fold, decide, append at the version read (retrying
 * the whole decision when another writer got there first), and update read models in the same
 * transaction.
 */
export async function runCommand<S, E extends DomainEvent, R extends Rejection>(
  run: CommandRun<S, E, R>,
): Promise<E[] | R> {
  for (let attempt = 1; ; attempt++) {
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
      }),
    );
    try {
      await run.store.append(run.streamId, envelopes, history.length, run.tx);
    } catch (err) {
      if (err instanceof ConcurrencyConflict && attempt < 5) continue;
      throw err;
    }
    if (run.project) for (const e of decision) await run.project(run.tx, e);
    return decision;
  }
}
