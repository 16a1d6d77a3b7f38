import type { CommandOutcome, DeviceCommand } from './command-queue';

/**
 * The device-command lifecycle as a pure decider: queued -> sent -> succeeded, or back to queued when
 * the device refused or did not answer (with a delay growing with the attempts), until the attempts run
 * out -> failed with the device's code (`no-reply` when it never answered); a newer command for the
 * same person supersedes a queued one. The repository reads commands under row locks, the handler
 * (command-queue.ts) calls these, and the repository stores the commands they return.
 */

export interface LifecycleRules {
  /** A sent command without an answer for this long is sent again. */
  ackTimeoutMs: number;
  /** After this many attempts a command fails for good. */
  maxAttempts: number;
  /** Wait before retrying a command the device refused: this times the attempt number. */
  retryDelayMs: number;
}

/** What the metrics count a transition as. */
export type Counted = 'sent' | 'succeeded' | 'retried' | 'failed' | 'superseded';

export interface Transition {
  command: DeviceCommand;
  /** When a command back in the queue is due again (unchanged when absent). */
  nextAttemptAt?: Date;
  counted: Counted;
}

export type Rejection = { rejected: 'not-outstanding' };

/** Sending: a queued command the claim found due goes out, one attempt more. */
export function decideSend(c: DeviceCommand, now: Date): Transition | Rejection {
  if (c.status !== 'queued') return { rejected: 'not-outstanding' };
  return { command: { ...c, status: 'sent', attempts: c.attempts + 1, sentAt: now }, counted: 'sent' };
}

/**
 * The device answered. Success ends the command; a refusal puts it back in the queue after
 * `retryDelayMs` times the attempts, or fails it with the device's code once the attempts run out. An
 * answer to a command that is not outstanding (a device reporting twice) is rejected.
 */
export function decideAnswer(
  c: DeviceCommand,
  outcome: CommandOutcome,
  now: Date,
  rules: LifecycleRules,
): Transition | Rejection {
  if (c.status !== 'sent') return { rejected: 'not-outstanding' };
  const exhausted = c.attempts >= rules.maxAttempts;
  const status = outcome.ok ? 'succeeded' : exhausted ? 'failed' : 'queued';
  const { deviceCode: _c, detail: _d, result: _r, completedAt: _t, ...rest } = c;
  const command: DeviceCommand = {
    ...rest,
    status,
    ...(outcome.code ? { deviceCode: outcome.code.slice(0, 64) } : {}),
    ...(outcome.detail ? { detail: outcome.detail.slice(0, 1000) } : {}),
    ...(outcome.result ? { result: outcome.result } : {}),
    ...(status === 'queued' ? {} : { completedAt: now }),
  };
  return {
    command,
    ...(status === 'queued'
      ? { nextAttemptAt: new Date(now.getTime() + c.attempts * rules.retryDelayMs) }
      : {}),
    counted: status === 'queued' ? 'retried' : status,
  };
}

/** Time passed: a sent command unanswered for the timeout is sent again, or fails as `no-reply` after the last attempt. */
export function decideNoReply(c: DeviceCommand, now: Date, rules: LifecycleRules): Transition | undefined {
  if (c.status !== 'sent' || !c.sentAt || now.getTime() - c.sentAt.getTime() <= rules.ackTimeoutMs)
    return undefined;
  if (c.attempts < rules.maxAttempts) return { command: { ...c, status: 'queued' }, counted: 'retried' };
  return {
    command: {
      ...c,
      status: 'failed',
      deviceCode: 'no-reply',
      detail: 'the device never answered',
      completedAt: now,
    },
    counted: 'failed',
  };
}

export const PERSON_KINDS = ['person.upsert', 'person.delete'] as const;

/** A newer command for a person: the person's commands still queued are superseded (a worker who entered and left before the device polled gets only the delete). */
export function decideSupersede(queued: DeviceCommand[], personId: string, now: Date): Transition[] {
  return queued
    .filter(
      (c) =>
        c.status === 'queued' &&
        (PERSON_KINDS as readonly string[]).includes(c.kind) &&
        (c.payload as { personId?: string }).personId === personId,
    )
    .map((c) => ({
      command: {
        ...c,
        status: 'failed',
        deviceCode: 'superseded',
        detail: 'a later command for this person replaced it',
        completedAt: now,
      },
      counted: 'superseded',
    }));
}

export function isRejection(t: Transition | Rejection): t is Rejection {
  return 'rejected' in t;
}
