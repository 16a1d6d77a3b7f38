import {
  createEvent,
  PayrollFindingCleared,
  PayrollFindingRaised,
  type EventActor,
  type EventEnvelope,
} from '@realname/contracts';
import { attendanceProfileFor, minimumWageOn } from '@realname/domain-rules';
import { Database, EventStore, retryOnConflict } from '@realname/eventstore';
import { periodicJob, type JsonLogger, type ServiceComponent } from '@realname/platform';
import { monthDays } from '../sheets/month-sheet';
import { amountDue, termsFor } from './amount-due';
import { PayrollRepository } from './payroll.repository';
import { addMonths, fingerprint, payrollDeadline, reconcile } from './reconciliation';

export const PAYROLL_SOURCE = '/realname/attendance';

/** The stream of a team-month's findings. */
export function payrollStreamId(projectId: string, teamId: string, month: string): string {
  return `payroll-${projectId}-${teamId}-${month}`;
}

export interface TeamMonthKey {
  projectId: string;
  teamId: string;
  month: string;
}

/**
 * Applies the reconciliation rules to a team's month and records what changed: PayrollFindingRaised /
 * Cleared in the team-month's stream (published by the outbox relay) and the findings table, in one
 * transaction, serialised per stream so that two runs at once decide once.
 */
export class PayrollReconciler {
  private readonly store: EventStore;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.store = new EventStore(db, schema);
  }

  async reconcileTeamMonth(
    key: TeamMonthKey,
    opts: { actor?: EventActor; correlationId?: string } = {},
  ): Promise<{ raised: number; cleared: number }> {
    const streamId = payrollStreamId(key.projectId, key.teamId, key.month);
    return retryOnConflict(() =>
      this.db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`stream:${streamId}`]);
        const repo = new PayrollRepository(tx, this.schema);
        const context = await repo.teamContext(key.projectId, key.teamId);
        // Without a region there is neither a zone nor a minimum wage, nor a valid event: nothing to decide yet.
        if (!context.region || !/^\d{6}$/.test(context.region)) return { raised: 0, cleared: 0 };
        const profile = attendanceProfileFor(context.region);
        const days = monthDays(key.month);
        // One after the other: a transaction's client runs one query at a time.
        const attendance = await repo.teamAttendance(
          key.projectId,
          key.teamId,
          days[0],
          days[days.length - 1],
        );
        const payments = await repo.teamPayments(key.projectId, key.teamId, key.month);
        const terms = await repo.teamTerms(key.projectId, key.teamId);
        const pieces = await repo.piecework(key.projectId, key.teamId, key.month);
        const open = await repo.openFindings(tx, key.projectId, key.teamId, key.month);
        const now = this.now();
        const minimum = minimumWageOn(profile, days[0]);
        const decision = reconcile(
          {
            ...key,
            region: context.region,
            participantId: context.participantId ?? attendance[0]?.participantId ?? '-',
            attendance: attendance.map((a) => ({
              ...a,
              amountDueFen: amountDue(termsFor(terms, a.workerId, key.month), {
                ...a,
                piecesHundredths: pieces.get(a.workerId),
              }).amountDueFen,
            })),
            payments,
            ...(minimum ? { minimumWage: { monthlyFen: minimum.monthlyFen } } : {}),
            deadline: payrollDeadline(key.month, profile.timeZone),
            now,
          },
          open,
        );
        if (decision.raise.length === 0 && decision.clear.length === 0) return { raised: 0, cleared: 0 };
        const opts2 = {
          source: PAYROLL_SOURCE,
          subject: streamId,
          region: context.region,
          time: now,
          ...(opts.correlationId ? { correlationId: opts.correlationId } : {}),
          ...(opts.actor ? { actor: opts.actor } : {}),
        };
        const events: EventEnvelope[] = [
          ...decision.raise.map((f) => createEvent(PayrollFindingRaised, f, opts2)),
          ...decision.clear.map((c) =>
            createEvent(
              PayrollFindingCleared,
              {
                findingId: c.findingId,
                kind: c.kind,
                projectId: key.projectId,
                region: context.region!,
                teamId: key.teamId,
                participantId: c.participantId,
                month: key.month,
                ...(c.enrolmentId ? { enrolmentId: c.enrolmentId } : {}),
                ...(c.workerId ? { workerId: c.workerId } : {}),
                detail: c.detail,
              },
              opts2,
            ),
          ),
        ];
        const version = await this.store.streamVersion(streamId, tx);
        await this.store.append(streamId, events, version, tx);
        for (const f of decision.raise) await repo.saveRaised(tx, f, fingerprint(f), now);
        for (const c of decision.clear) await repo.saveCleared(tx, c.findingId, c.detail, now);
        return { raised: decision.raise.length, cleared: decision.clear.length };
      }),
    );
  }

  /**
   * What the timer does: team-months whose attendance was revised since the last look (a few minutes
   * of overlap for transactions that committed late), those whose payroll deadline passed since, and
   * on the first run every team-month of the last three months.
   */
  async reconcileDue(): Promise<{ teamMonths: number; raised: number; cleared: number }> {
    const repo = new PayrollRepository(this.db, this.schema);
    const now = this.now();
    const last = await repo.mark(TIMER_MARK);
    const thisMonth = monthIn(now);
    const keys: TeamMonthKey[] = [];
    if (!last) {
      keys.push(...(await repo.teamMonthsOf([0, 1, 2].map((n) => addMonths(thisMonth, -n)))));
    } else {
      keys.push(...(await repo.revisedTeamMonths(new Date(last.getTime() - OVERLAP_MS))));
      // The deadline of M is the start of M+2 (in the project's zone, within a day of China's): the
      // months whose deadline fell around the time since the last run are looked at again.
      const passed: string[] = [];
      for (let m = addMonths(monthIn(last), -2); m <= addMonths(thisMonth, -2); m = addMonths(m, 1)) {
        const due = payrollDeadline(m, 'Asia/Shanghai').getTime();
        if (due > last.getTime() - DAY_MS && due <= now.getTime() + DAY_MS) passed.push(m);
      }
      keys.push(...(await repo.teamMonthsOf(passed)));
    }
    const unique = [
      ...new Map(keys.map((k) => [`${k.projectId}\u001f${k.teamId}\u001f${k.month}`, k])).values(),
    ];
    let raised = 0;
    let cleared = 0;
    for (const k of unique) {
      const r = await this.reconcileTeamMonth(k);
      raised += r.raised;
      cleared += r.cleared;
    }
    await repo.setMark(TIMER_MARK, now);
    return { teamMonths: unique.length, raised, cleared };
  }
}

const TIMER_MARK = 'timer';
/** Days revised by a transaction that committed after the last look but stamped before it. */
const OVERLAP_MS = 5 * 60_000;
const DAY_MS = 24 * 3_600_000;

/** The month of an instant in China Standard Time (the platform's zone for scheduling). */
function monthIn(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

/** The timer, as a component the service's runtime starts and stops. */
export function payrollReconciliationJob(opts: {
  reconciler: PayrollReconciler;
  intervalMs: number;
  logger: JsonLogger;
}): ServiceComponent {
  return periodicJob({
    name: 'payroll reconciliation',
    intervalMs: opts.intervalMs,
    logger: opts.logger,
    run: async () => {
      const r = await opts.reconciler.reconcileDue();
      if (r.raised || r.cleared) opts.logger.event('info', 'payroll reconciliation', r);
    },
  });
}
