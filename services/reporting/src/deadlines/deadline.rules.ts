/**
 * Where a project's attendance day stands against an uplink target's daily deadline (Zhejiang: the
 * day's attendance upstream before 24:00 that day), decided from the ledger's counts, the clock and the
 * uplink's health. Pure: no clock, no database; the tracker hands in everything.
 */
import type { UploadDeadlineCounts, UploadDeadlineReason } from '@realname/contracts';
import { attendanceDeadline, DailyDeadline } from '@realname/uplinks';
import { UPLINK_TARGETS, UplinkTarget } from '../uplinks/targets';

export type DeadlineState = 'on-track' | 'at-risk' | 'missed' | 'met';
export const DEADLINE_STATES: readonly DeadlineState[] = ['on-track', 'at-risk', 'missed', 'met'];

/** A day past its deadline is settled: missed stays missed, met stays met (a later revision changes neither). */
export const isSettled = (state: DeadlineState): boolean => state === 'missed' || state === 'met';

/** The project-day's records for the target, as the ledger holds them (latest revision of each record). */
export interface ProjectDayCounts extends UploadDeadlineCounts {
  /** When the last of the accepted records was accepted; null when none is. */
  readonly lastAcceptedAt: Date | null;
}

/** How the uplink fares for the day's records that are not yet accepted. */
export interface UplinkHealth {
  /** Retriable failures in a row of the day's most-failing record (network, 5xx, rate limit, busy). */
  readonly consecutiveFailures: number;
  /** Seconds since the oldest record of the day not yet accepted entered the ledger; 0 when none. */
  readonly oldestPendingSeconds: number;
}

export interface DeadlinePolicy {
  /** Not yet all accepted this close to the deadline: at risk (`DEADLINE_AT_RISK_MINUTES`). */
  readonly atRiskMinutes: number;
  /** This many retriable failures in a row: the uplink is failing, at risk. */
  readonly failuresAtRisk: number;
  /** A record pending this long: at risk, whatever the time left. */
  readonly pendingAtRiskSeconds: number;
}

export interface DeadlineDecision {
  readonly state: DeadlineState;
  readonly reason: UploadDeadlineReason;
  /** Whole minutes left (rounded down); negative once the deadline has passed. */
  readonly minutesLeft: number;
}

/**
 * The rules, first that applies:
 * 1. every record accepted: met when the last was accepted by the deadline, otherwise missed
 *    (`accepted-late`); a day with nothing to send is met once its deadline is reached;
 * 2. the deadline reached with records pending or rejected: missed (`records-not-accepted`);
 * 3. before it: at risk when a record was rejected (only the site can mend it), when the uplink keeps
 *    failing, when a record has waited too long, or within the at-risk margin;
 * 4. otherwise on track.
 */
export function decideDeadline(input: {
  counts: ProjectDayCounts;
  deadline: Date;
  now: Date;
  health: UplinkHealth;
  policy: DeadlinePolicy;
}): DeadlineDecision {
  const { counts, deadline, now, health, policy } = input;
  const msLeft = deadline.getTime() - now.getTime();
  const minutesLeft = Math.floor(msLeft / 60_000);
  const decided = (state: DeadlineState, reason: UploadDeadlineReason): DeadlineDecision => ({
    state,
    reason,
    minutesLeft,
  });
  const passed = msLeft <= 0;
  if (counts.expected === 0)
    return passed ? decided('met', 'nothing-expected') : decided('on-track', 'in-progress');
  if (counts.accepted >= counts.expected) {
    return counts.lastAcceptedAt && counts.lastAcceptedAt.getTime() > deadline.getTime()
      ? decided('missed', 'accepted-late')
      : decided('met', 'all-accepted');
  }
  if (passed) return decided('missed', 'records-not-accepted');
  if (counts.rejected > 0) return decided('at-risk', 'records-rejected');
  if (health.consecutiveFailures >= policy.failuresAtRisk) return decided('at-risk', 'uplink-failing');
  if (health.oldestPendingSeconds >= policy.pendingAtRiskSeconds) return decided('at-risk', 'backlog-stale');
  if (msLeft <= policy.atRiskMinutes * 60_000) return decided('at-risk', 'deadline-near');
  return decided('on-track', 'in-progress');
}

/** What the tracker publishes on a change of state, if anything. */
export type DeadlineTransition = 'at-risk' | 'recovered' | 'missed' | 'met';

/**
 * The event a change from `previous` (undefined: never decided) to `next` calls for. Settled days change
 * no more, so a missed day is published once however often the tracker looks; at-risk is published on
 * entering it (a new reason alone is no new warning); leaving it for on-track is a recovery; a day first
 * seen on track publishes nothing.
 */
export function transitionOf(
  previous: DeadlineState | undefined,
  next: DeadlineState,
): DeadlineTransition | undefined {
  if (previous !== undefined && isSettled(previous)) return undefined;
  if (previous === next) return undefined;
  switch (next) {
    case 'at-risk':
      return 'at-risk';
    case 'missed':
      return 'missed';
    case 'met':
      return 'met';
    case 'on-track':
      return previous === 'at-risk' ? 'recovered' : undefined;
  }
}

/** The daily deadline when a target says nothing else: 24:00 in Asia/Shanghai. */
export const DEFAULT_DAILY_DEADLINE: DailyDeadline = { localTime: '24:00', timeZone: 'Asia/Shanghai' };

/**
 * A target's daily deadline: configured (`UPLOAD_DEADLINES`), else its profile's, else 24:00 Asia/Shanghai.
 */
export function deadlineOf(target: string, configured: ReadonlyMap<string, DailyDeadline>): DailyDeadline {
  const known = (UPLINK_TARGETS as Readonly<Record<string, UplinkTarget | undefined>>)[target];
  return configured.get(target) ?? known?.profile.dailyAttendanceDeadline ?? DEFAULT_DAILY_DEADLINE;
}

/** The instant of a day's deadline for the target. */
export function deadlineInstant(
  target: string,
  day: string,
  configured: ReadonlyMap<string, DailyDeadline>,
): Date {
  return attendanceDeadline(day, deadlineOf(target, configured));
}

/** Today in the deadline's zone (`yyyy-MM-dd`): the day whose deadline is the next one to come. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
}
