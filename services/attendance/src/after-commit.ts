import type { Database, Sql } from '@realname/eventstore';

const hooks = new WeakMap<Sql, (() => void)[]>();

/**
 * Runs fn once the transaction `tx` has committed; never if it rolls back (the consumer then retries the
 * message and the work, with its hooks, happens again). Used for in-process metrics, which must count a
 * punch once although its transaction may be tried twice. Outside a transaction opened through
 * `trackCommits`, fn runs at once.
 */
export function afterCommit(tx: Sql, fn: () => void): void {
  const list = hooks.get(tx);
  if (list) list.push(fn);
  else fn();
}

/** The same database, whose transactions run the `afterCommit` hooks registered inside them on commit. */
export function trackCommits(db: Database): Database {
  const tracked = Object.create(db) as Database;
  tracked.transaction = async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> => {
    let pending: (() => void)[] = [];
    const result = await db.transaction((tx) => {
      pending = [];
      hooks.set(tx, pending);
      return fn(tx);
    });
    for (const hook of pending) hook();
    return result;
  };
  return tracked;
}
