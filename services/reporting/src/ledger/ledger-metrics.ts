import { Gauge, Registry } from 'prom-client';
import { Database, identifier } from '@realname/eventstore';

/**
 * The ledger's backlog as the dashboards read it, computed at scrape time from one indexed query:
 * `uplink_backlog_records{target,status}` (pending, sent) and
 * `uplink_oldest_pending_seconds{target}` (age of the oldest record not yet accepted).
 */
export function registerLedgerMetrics(registry: Registry, db: Database, schema: string): void {
  const table = `${identifier(schema)}.upload_ledger`;
  let last: Promise<{ target: string; status: string; n: string; oldest: string }[]> | undefined;
  // One query serves both gauges of a scrape; the second collect reuses the first one's answer.
  const snapshot = () =>
    (last ??= db
      .query<{ target: string; status: string; n: string; oldest: string }>(
        `SELECT target, status, count(*) AS n, extract(epoch FROM now() - min(created_at)) AS oldest
           FROM ${table} WHERE status IN ('pending', 'sent') GROUP BY target, status`,
      )
      .finally(() => setTimeout(() => (last = undefined), 1_000).unref()));
  new Gauge({
    name: 'uplink_backlog_records',
    help: 'Ledger records not yet settled, per target and status (pending, sent)',
    labelNames: ['target', 'status'],
    registers: [registry],
    async collect() {
      const rows = await snapshot();
      this.reset();
      for (const r of rows) this.set({ target: r.target, status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'uplink_oldest_pending_seconds',
    help: 'Age of the oldest ledger record of a target that is not yet accepted',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      const rows = await snapshot();
      this.reset();
      const oldest = new Map<string, number>();
      for (const r of rows) oldest.set(r.target, Math.max(oldest.get(r.target) ?? 0, Number(r.oldest)));
      for (const [target, seconds] of oldest) this.set({ target }, seconds);
    },
  });
}
