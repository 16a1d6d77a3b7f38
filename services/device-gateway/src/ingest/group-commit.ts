/** How requests are grouped into transactions. */
export interface GroupCommitOptions {
  /** Transactions in flight at once. */
  concurrency: number;
  maxRequests: number;
  maxPunches: number;
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: items submitted in the same turn of the event loop (and while a transaction is in
 * flight) are committed together by one call of `commit`, up to the limits. When that call fails, each
 * item is committed alone, so one bad request fails only itself.
 */
export class GroupCommit<T, R> {
  private readonly pending: Pending<T, R>[] = [];
  private flushing = 0;

  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly opts: GroupCommitOptions,
    /** How many punches an item weighs against `maxPunches`. */
    private readonly weight: (item: T) => number,
    private readonly onBatch?: (size: number) => void,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    while (this.flushing < this.opts.concurrency && this.pending.length > 0) {
      this.flushing++;
      // Let the requests that arrived in the same turn of the event loop join the first transaction.
      setImmediate(() => void this.flushLoop());
    }
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.flush(this.takeBatch());
    } finally {
      this.flushing--;
    }
  }

  private takeBatch(): Pending<T, R>[] {
    let weight = 0;
    let n = 0;
    while (
      n < this.pending.length &&
      n < this.opts.maxRequests &&
      (n === 0 || weight + this.weight(this.pending[n].item) <= this.opts.maxPunches)
    ) {
      weight += this.weight(this.pending[n].item);
      n++;
    }
    return this.pending.splice(0, n);
  }

  private async flush(batch: Pending<T, R>[]): Promise<void> {
    this.onBatch?.(batch.length);
    try {
      const results = await this.commit(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
      for (const p of batch) {
        try {
          const [result] = await this.commit([p.item]);
          p.resolve(result);
        } catch (alone) {
          p.reject(alone);
        }
      }
    }
  }
}
