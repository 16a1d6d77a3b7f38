import type { Sql } from '@realname/eventstore';
import type { WorkerIdentitiesRepository, WorkerIdentity } from './worker-identities.repository';

/** What a source of identities answers for one worker. */
export type IdentityAnswer =
  | { outcome: 'found'; identity: WorkerIdentity }
  /** The source does not know the worker, or may not show it to reporting (outside its scope). */
  | { outcome: 'unknown' }
  /** The source, or the issuer of its tokens, cannot answer now: the worker is asked about again later. */
  | { outcome: 'unavailable'; detail: string };

/**
 * Where workers' ID numbers and head images come from when reporting has none stored (the worker
 * registry, through an audited reveal). Answers never throw and never carry an ID number in a detail.
 */
export interface IdentitySource {
  identityOf(workerId: string): Promise<IdentityAnswer>;
}

export interface HandedOver {
  /** Identities the source gave, now stored. */
  readonly found: Map<string, WorkerIdentity>;
  /** Workers the source does not know (or may not show reporting). */
  readonly unknown: Set<string>;
  /** Set when the source was unavailable: the workers not asked yet are asked next time. */
  readonly unavailable?: string;
}

/**
 * Asks the source for each worker's identity, at most `concurrency` at a time, and stores what it gives
 * (encrypted, `worker_identities`), so no later round asks again. Once the source is unavailable, or
 * `budgetMs` has passed, the remaining workers are not asked this time: a registry that is away or slow
 * must not hold a round (and its claimed rows' lease) for every worker's timeout.
 */
export async function handOverIdentities(
  sql: Sql,
  repository: WorkerIdentitiesRepository,
  source: IdentitySource,
  workerIds: readonly string[],
  concurrency = 4,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<HandedOver> {
  const until = Date.now() + budgetMs;
  const found = new Map<string, WorkerIdentity>();
  const unknown = new Set<string>();
  let unavailable: string | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (unavailable === undefined && next < workerIds.length && Date.now() < until) {
      const workerId = workerIds[next++];
      const answer = await source
        .identityOf(workerId)
        .catch((err: unknown): IdentityAnswer => ({ outcome: 'unavailable', detail: String(err) }));
      if (answer.outcome === 'found') {
        await repository.put(sql, workerId, answer.identity);
        found.set(workerId, answer.identity);
      } else if (answer.outcome === 'unknown') unknown.add(workerId);
      else unavailable ??= answer.detail;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, workerIds.length)) }, lane));
  return { found, unknown, ...(unavailable === undefined ? {} : { unavailable }) };
}
