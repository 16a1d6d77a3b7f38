import { Gauge, Registry } from 'prom-client';
import {
  createEvent,
  EventDefinition,
  EventEnvelope,
  ProjectDayAgainstDeadline,
  UploadDeadlineAtRisk,
  UploadDeadlineMet,
  UploadDeadlineMissed,
  UploadDeadlineRecovered,
} from '@realname/contracts';
import { ANY, Database, EventStore } from '@realname/eventstore';
import type { DailyDeadline } from '@realname/uplinks';
import { DeadlineRepository, ProjectDay } from './deadline.repository';
import {
  DeadlineDecision,
  DeadlinePolicy,
  DeadlineState,
  DEADLINE_STATES,
  deadlineInstant,
  deadlineOf,
  decideDeadline,
  DeadlineTransition,
  isSettled,
  localDay,
  transitionOf,
} from './deadline.rules';

export const REPORTING_SOURCE = '/realname/reporting';
const DAY_MS = 86_400_000;

const EVENT_OF: Record<DeadlineTransition, EventDefinition<string, typeof ProjectDayAgainstDeadline>> = {
  'at-risk': UploadDeadlineAtRisk,
  recovered: UploadDeadlineRecovered,
  missed: UploadDeadlineMissed,
  met: UploadDeadlineMet,
};

/** The stream of a project-day's deadline events (the Kafka key, so its events stay in order). */
export const deadlineStream = (target: string, projectId: string, day: string) =>
  `upload-deadline-${target}-${projectId}-${day}`;

export interface DeadlineTrackerOptions {
  readonly schema: string;
  /** The switched-on targets. */
  readonly targets: readonly string[];
  /** `UPLOAD_DEADLINES`: configured deadlines by target. */
  readonly deadlines: ReadonlyMap<string, DailyDeadline>;
  readonly policy: DeadlinePolicy;
  /** How many days back days not yet settled are still looked at. */
  readonly lookbackDays: number;
  readonly registry?: Registry;
  readonly now?: () => Date;
}

export interface TrackerRound {
  readonly looked: number;
  readonly published: { type: string; target: string; projectId: string; day: string }[];
}

/**
 * The 24:00 deadline tracker: every round it decides each open project-day of each target from the
 * ledger (pure rules in deadline.rules.ts), remembers the state in `deadline_states` and appends the
 * transition's event to the event store in the same transaction; the outbox relay publishes it on
 * `reporting.deadlines.v1`. A day once missed or met is settled and not looked at again.
 */
export class DeadlineTracker {
  private readonly repo: DeadlineRepository;
  private readonly store: EventStore;
  private readonly now: () => Date;
  private readonly margin?: Gauge<'target'>;
  private readonly days?: Gauge<'target' | 'state'>;

  constructor(
    private readonly db: Database,
    private readonly opts: DeadlineTrackerOptions,
  ) {
    this.repo = new DeadlineRepository(opts.schema);
    this.store = new EventStore(db, opts.schema);
    this.now = opts.now ?? (() => new Date());
    if (opts.registry) {
      this.margin = new Gauge({
        name: 'uplink_deadline_margin_seconds',
        help: "Seconds left before the deadline of today's open project-day closest to it (not yet all accepted), per target",
        labelNames: ['target'],
        registers: [opts.registry],
      });
      this.days = new Gauge({
        name: 'uplink_project_days',
        help: 'Project-days of the tracked window by deadline state (on-track, at-risk, missed, met), per target',
        labelNames: ['target', 'state'],
        registers: [opts.registry],
      });
    }
  }

  async runOnce(): Promise<TrackerRound> {
    const now = this.now();
    const published: TrackerRound['published'] = [];
    let looked = 0;
    for (const target of this.opts.targets) {
      const zone = deadlineOf(target, this.opts.deadlines).timeZone;
      const today = localDay(now, zone);
      const sinceDay = localDay(new Date(now.getTime() - this.opts.lookbackDays * DAY_MS), zone);
      // Records of a day are made once the day has begun: this bounds the scan of the ledger.
      const createdSince = new Date(now.getTime() - (this.opts.lookbackDays + 2) * DAY_MS);
      const open = await this.repo.openProjectDays(this.db, target, sinceDay, createdSince, now);
      looked += open.length;
      let smallestMargin: number | undefined;
      for (const day of open) {
        const deadline = deadlineInstant(target, day.day, this.opts.deadlines);
        const decision = decideDeadline({
          counts: day.counts,
          deadline,
          now,
          health: day.health,
          policy: this.opts.policy,
        });
        const event = await this.record(day, deadline, decision, now);
        if (event) published.push({ type: event, target, projectId: day.projectId, day: day.day });
        if (day.day === today && (decision.state === 'on-track' || decision.state === 'at-risk')) {
          const margin = Math.floor((deadline.getTime() - now.getTime()) / 1000);
          smallestMargin = Math.min(smallestMargin ?? margin, margin);
        }
      }
      this.margin?.remove({ target });
      if (smallestMargin !== undefined) this.margin?.set({ target }, smallestMargin);
      if (this.days) {
        const counts = await this.repo.stateCounts(this.db, target, sinceDay);
        for (const state of DEADLINE_STATES) this.days.set({ target, state }, counts.get(state) ?? 0);
      }
    }
    return { looked, published };
  }

  /** Records the decision and appends the transition's event, in one transaction; the event's type, if any. */
  private async record(
    day: ProjectDay,
    deadline: Date,
    decision: DeadlineDecision,
    now: Date,
  ): Promise<string | undefined> {
    if (day.recorded && sameAsRecorded(day, decision.state)) return undefined;
    return this.db.transaction(async (tx) => {
      // Read again under the lock: another replica may have settled the day since the scan.
      const previous = await this.repo.lockState(tx, day.target, day.projectId, day.day);
      if (previous !== undefined && isSettled(previous)) return undefined;
      const transition = transitionOf(previous, decision.state);
      let type: string | undefined;
      if (transition) {
        const stream = deadlineStream(day.target, day.projectId, day.day);
        const definition = EVENT_OF[transition];
        const event: EventEnvelope = createEvent(
          definition,
          {
            target: day.target,
            projectId: day.projectId,
            region: day.region,
            day: day.day,
            deadline: deadline.toISOString(),
            minutesLeft: decision.minutesLeft,
            counts: {
              expected: day.counts.expected,
              accepted: day.counts.accepted,
              pending: day.counts.pending,
              rejected: day.counts.rejected,
            },
            reason: decision.reason,
          },
          { source: REPORTING_SOURCE, subject: stream, region: day.region, time: now },
        );
        await this.store.append(stream, [event], ANY, tx);
        type = definition.type;
      }
      await this.repo.saveState(tx, {
        target: day.target,
        projectId: day.projectId,
        region: day.region,
        day: day.day,
        state: decision.state,
        reason: decision.reason,
        deadline,
        counts: day.counts,
        decidedAt: now,
      });
      return type;
    });
  }
}

/** Nothing to write: the state is as recorded (counts are refreshed with the next change of state). */
function sameAsRecorded(day: ProjectDay, state: DeadlineState): boolean {
  return day.recorded?.state === state;
}
