import { Counter, Gauge, Registry } from 'prom-client';
import { PunchResolution, UnresolvedReason } from '@realname/contracts';
import { identifier, Sql } from '@realname/eventstore';

/**
 * `attendance_punches_total{resolution, reason}`: punches recorded, by how they resolved when recorded.
 * `attendance_punches_reresolved_total{resolution, reason}`: punches whose resolution changed later.
 * `attendance_unresolved_punches{reason}`: unresolved punches in the read model now (all replicas agree).
 */
export class ResolutionMetrics {
  private readonly recordedTotal: Counter<'resolution' | 'reason'>;
  private readonly reresolvedTotal: Counter<'resolution' | 'reason'>;

  /** `refreshMs`: the gauge queries the read model at most this often (default 10 s). */
  constructor(registry: Registry, db: Sql, schema: string, refreshMs = 10_000) {
    identifier(schema);
    this.recordedTotal = new Counter({
      name: 'attendance_punches_total',
      help: 'Punches recorded, by resolution when recorded (reason empty when resolved)',
      labelNames: ['resolution', 'reason'],
      registers: [registry],
    });
    this.reresolvedTotal = new Counter({
      name: 'attendance_punches_reresolved_total',
      help: 'Punches resolved again after a registry change, by their new resolution',
      labelNames: ['resolution', 'reason'],
      registers: [registry],
    });
    let last: { at: number; rows: { reason: string; n: string }[] } | undefined;
    new Gauge({
      name: 'attendance_unresolved_punches',
      help: 'Punches currently unresolved in the read model, by reason (refreshed at most every 10 s)',
      labelNames: ['reason'],
      registers: [registry],
      async collect() {
        try {
          if (!last || Date.now() - last.at >= refreshMs) {
            const rows = await db.query<{ reason: string; n: string }>(
              `SELECT unresolved_reason AS reason, count(*)::text AS n FROM ${schema}.punches
               WHERE resolution_status = 'unresolved' GROUP BY unresolved_reason`,
            );
            last = { at: Date.now(), rows };
          }
          this.reset();
          for (const reason of UnresolvedReason.options) this.set({ reason }, 0);
          for (const r of last.rows) this.set({ reason: r.reason ?? '' }, Number(r.n));
        } catch {
          // The database is away for a moment: keep the last values (readiness reports the outage).
        }
      },
    });
  }

  recorded(r: PunchResolution): void {
    this.recordedTotal.inc({ resolution: r.status, reason: r.reason ?? '' });
  }

  reresolved(r: PunchResolution): void {
    this.reresolvedTotal.inc({ resolution: r.status, reason: r.reason ?? '' });
  }
}
