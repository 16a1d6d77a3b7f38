import { backoffDelay } from '@realname/platform';
import { Database, identifier, Sql } from './database';
import { EVENT_COLUMNS, rowToEvent, StoredEvent } from './event-store';

export interface PollerOptions {
  /** The checkpoint's name; one per independent reader (`outbox:kafka`, `sink:clickhouse`). */
  name: string;
  batchSize?: number;
  /** Pause when there was nothing to read. */
  idleMs?: number;
  /** Only these event types (others are passed over and never revisited). */
  eventTypes?: string[];
  /**
   * Called when a batch fails (the first failure of a run of them, then every tenth); the same batch is
   * retried after a pause that grows to a few seconds while the failures last. Nothing is skipped.
   */
  onError?: (err: unknown, consecutiveFailures: number) => void;
}

interface Checkpoint {
  transactionId: string;
  globalPosition: string;
}

/**
 * Reads the events of one schema in commit-safe order and hands them to `handle` in batches, moving a
 * checkpoint only after the batch was handled (at least once).
 *
 * Safety: a row is read only when its transaction id is below the xmin of the current snapshot, i.e.
 * every transaction that could still commit with a smaller id has finished. Rows are ordered by
 * (transaction_id, global_position) and the checkpoint is that pair, so a transaction that started
 * early and committed late is read after it commits, never skipped.
 *
 * Only one poller per checkpoint runs at a time across replicas (a session advisory lock); the others
 * wait as hot standbys.
 */
export class CommittedEventPoller {
  private readonly schema: string;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private inFlight = false;
  private drainUntil = 0;
  private failures = 0;
  /** Whether this replica holds the poller's lock. */
  leader = false;

  constructor(
    private readonly db: Database,
    schema: string,
    private readonly opts: PollerOptions,
    private readonly handle: (events: StoredEvent[]) => Promise<void>,
  ) {
    this.schema = identifier(schema);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.superviseRun();
  }

  /**
   * Stops after the batch in hand is handled and checkpointed. With `drainMs`, a leader first keeps
   * handling batches until nothing is left or the time is up (graceful shutdown publishes what the
   * service has already acknowledged).
   */
  async stop(drainMs = 0): Promise<void> {
    this.drainUntil = Date.now() + drainMs;
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Reads one batch now (used by tests and by the loop). Returns how many events were handled. */
  async pollOnce(): Promise<number> {
    const cp = await this.readCheckpoint(this.db);
    const events = await this.readBatch(cp);
    if (events.length === 0) return 0;
    this.inFlight = true;
    try {
      await this.handle(events);
      const last = events[events.length - 1];
      await this.writeCheckpoint(cp, {
        transactionId: String(last.transactionId),
        globalPosition: String(last.globalPosition),
      });
    } finally {
      this.inFlight = false;
    }
    return events.length;
  }

  /** Events committed but not yet handled (counted up to `cap`). */
  async backlog(cap = 100_000): Promise<number> {
    const cp = await this.readCheckpoint(this.db);
    const typeFilter = this.opts.eventTypes ? `AND event_type = ANY($4::text[])` : '';
    const params: unknown[] = [cp.transactionId, cp.globalPosition, cap];
    if (this.opts.eventTypes) params.push(this.opts.eventTypes);
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${this.schema}.events
         WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) ${typeFilter} LIMIT $3) b`,
      params,
    );
    return Number(row.n);
  }

  get busy(): boolean {
    return this.inFlight;
  }

  /** Keeps the loop alive through database outages (a lost session, a failed lock query). */
  private async superviseRun(): Promise<void> {
    do {
      try {
        await this.run();
      } catch (err) {
        if (this.running) await this.sleep(this.failed(err));
      }
    } while (this.running);
  }

  private async run(): Promise<void> {
    const session = await this.db.session();
    const lockKey = `poller:${this.schema}:${this.opts.name}`;
    try {
      for (;;) {
        const draining = !this.running;
        if (draining && (!this.leader || Date.now() >= this.drainUntil)) break;
        if (!this.leader) {
          const [row] = await session.sql.query<{ ok: boolean }>(
            `SELECT pg_try_advisory_lock(hashtext($1)) AS ok`,
            [lockKey],
          );
          this.leader = row.ok;
          if (!this.leader) {
            await this.sleep(1000);
            continue;
          }
        }
        let handled = 0;
        try {
          handled = await this.pollOnce();
          this.failures = 0;
        } catch (err) {
          const pause = this.failed(err);
          await this.sleep(draining ? 100 : pause);
          continue;
        }
        if (draining) {
          // Nothing readable now is not nothing left: a row can be invisible for a moment while an older
          // transaction elsewhere is still open. Stop only when the backlog is really empty.
          if (handled === 0) {
            if ((await this.backlog(1).catch(() => 0)) === 0) break;
            await this.sleep(50);
          }
        } else if (handled < (this.opts.batchSize ?? 500)) {
          await this.sleep(this.opts.idleMs ?? 100);
        }
      }
    } finally {
      if (this.leader) {
        await session.sql.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lockKey]).catch(() => undefined);
        this.leader = false;
      }
      await session.release();
    }
  }

  /** Counts a failure, reports it (not every one: an outage must not flood the logs), returns the pause. */
  private failed(err: unknown): number {
    this.failures++;
    if (this.failures === 1 || this.failures % 10 === 0) this.opts.onError?.(err, this.failures);
    return backoffDelay(this.failures, Math.max(200, this.opts.idleMs ?? 100), 5_000);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async readCheckpoint(sql: Sql): Promise<Checkpoint> {
    const [row] = await sql.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
       FROM ${this.schema}.checkpoints WHERE name = $1`,
      [this.opts.name],
    );
    return row
      ? { transactionId: row.transaction_id, globalPosition: row.global_position }
      : { transactionId: '0', globalPosition: '0' };
  }

  private async readBatch(cp: Checkpoint): Promise<StoredEvent[]> {
    const typeFilter = this.opts.eventTypes ? `AND event_type = ANY($4::text[])` : '';
    const params: unknown[] = [cp.transactionId, cp.globalPosition, this.opts.batchSize ?? 500];
    if (this.opts.eventTypes) params.push(this.opts.eventTypes);
    const rows = await this.db.query<Parameters<typeof rowToEvent>[0]>(
      // ORDER BY names the table's column: a bare `transaction_id` would mean the output column, which
      // EVENT_COLUMNS casts to text, and '1000' sorts before '999'.
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events e
       WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
         AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ${typeFilter}
       ORDER BY e.transaction_id, e.global_position
       LIMIT $3`,
      params,
    );
    return rows.map(rowToEvent);
  }

  /** Compare-and-set: if another replica moved the checkpoint meanwhile, this write fails loudly. */
  private async writeCheckpoint(prev: Checkpoint, next: Checkpoint): Promise<void> {
    const n = await this.db.execute(
      `INSERT INTO ${this.schema}.checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $4::xid8, $5, now())
       ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id,
         global_position = EXCLUDED.global_position, updated_at = now()
       WHERE checkpoints.transaction_id = $2::xid8 AND checkpoints.global_position = $3`,
      [this.opts.name, prev.transactionId, prev.globalPosition, next.transactionId, next.globalPosition],
    );
    if (n !== 1) throw new Error(`checkpoint ${this.opts.name} was moved by another poller`);
  }
}
