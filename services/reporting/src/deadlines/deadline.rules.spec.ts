import { z } from 'zod';
import { uploadDeadlines } from './deadline.config';
import {
  decideDeadline,
  DeadlinePolicy,
  deadlineInstant,
  deadlineOf,
  localDay,
  ProjectDayCounts,
  transitionOf,
  UplinkHealth,
} from './deadline.rules';

const policy: DeadlinePolicy = { atRiskMinutes: 60, failuresAtRisk: 3, pendingAtRiskSeconds: 1_800 };
const healthy: UplinkHealth = { consecutiveFailures: 0, oldestPendingSeconds: 0 };
// 2026-12-03 24:00 in Asia/Shanghai.
const deadline = new Date('2026-12-03T16:00:00Z');
const at = (shanghai: string) => new Date(`${shanghai}+08:00`);
const counts = (c: Partial<ProjectDayCounts>): ProjectDayCounts => ({
  expected: 10,
  accepted: 0,
  pending: 10,
  rejected: 0,
  lastAcceptedAt: null,
  ...c,
});

describe('deadline rules: where a project-day stands', () => {
  it('given records going up hours before 24:00, then on track', () => {
    const d = decideDeadline({
      counts: counts({ accepted: 4, pending: 6 }),
      deadline,
      now: at('2026-12-03T20:00:00'),
      health: healthy,
      policy,
    });
    expect(d).toEqual({ state: 'on-track', reason: 'in-progress', minutesLeft: 240 });
  });

  it('given records still pending within the margin, then at risk because the deadline is near', () => {
    const d = decideDeadline({
      counts: counts({}),
      deadline,
      now: at('2026-12-03T23:00:00'),
      health: healthy,
      policy,
    });
    expect(d).toEqual({ state: 'at-risk', reason: 'deadline-near', minutesLeft: 60 });
    const before = decideDeadline({
      counts: counts({}),
      deadline,
      now: at('2026-12-03T22:59:00'),
      health: healthy,
      policy,
    });
    expect(before.state).toBe('on-track');
  });

  it('given the uplink failing again and again, then at risk however much time is left', () => {
    const d = decideDeadline({
      counts: counts({}),
      deadline,
      now: at('2026-12-03T09:00:00'),
      health: { consecutiveFailures: 3, oldestPendingSeconds: 60 },
      policy,
    });
    expect(d).toMatchObject({ state: 'at-risk', reason: 'uplink-failing' });
    expect(
      decideDeadline({
        counts: counts({}),
        deadline,
        now: at('2026-12-03T09:00:00'),
        health: { consecutiveFailures: 2, oldestPendingSeconds: 60 },
        policy,
      }).state,
    ).toBe('on-track');
  });

  it('given a record waiting longer than the threshold, then at risk as a stale backlog', () => {
    const d = decideDeadline({
      counts: counts({}),
      deadline,
      now: at('2026-12-03T09:00:00'),
      health: { consecutiveFailures: 0, oldestPendingSeconds: 1_800 },
      policy,
    });
    expect(d).toMatchObject({ state: 'at-risk', reason: 'backlog-stale' });
  });

  it('given a rejected record before the deadline, then at risk: only the site can mend it', () => {
    const d = decideDeadline({
      counts: counts({ accepted: 9, pending: 0, rejected: 1 }),
      deadline,
      now: at('2026-12-03T09:00:00'),
      health: healthy,
      policy,
    });
    expect(d).toMatchObject({ state: 'at-risk', reason: 'records-rejected' });
  });

  it('given every record accepted before 24:00, then met', () => {
    const d = decideDeadline({
      counts: counts({ accepted: 10, pending: 0, lastAcceptedAt: at('2026-12-03T23:59:00') }),
      deadline,
      now: at('2026-12-03T23:59:30'),
      health: healthy,
      policy,
    });
    expect(d).toMatchObject({ state: 'met', reason: 'all-accepted' });
  });

  it('given records not all accepted at 24:00, then missed', () => {
    const d = decideDeadline({
      counts: counts({ accepted: 9, pending: 1 }),
      deadline,
      now: at('2026-12-04T00:00:00'),
      health: healthy,
      policy,
    });
    expect(d).toEqual({ state: 'missed', reason: 'records-not-accepted', minutesLeft: 0 });
  });

  it('given the last record accepted after 24:00, then missed even though all are upstream now', () => {
    const d = decideDeadline({
      counts: counts({ accepted: 10, pending: 0, lastAcceptedAt: at('2026-12-04T00:00:01') }),
      deadline,
      now: at('2026-12-04T00:05:00'),
      health: healthy,
      policy,
    });
    expect(d).toMatchObject({ state: 'missed', reason: 'accepted-late' });
  });

  it('given nothing to send, then on track before the deadline and met at it', () => {
    const none = counts({ expected: 0, pending: 0 });
    expect(
      decideDeadline({ counts: none, deadline, now: at('2026-12-03T23:30:00'), health: healthy, policy })
        .state,
    ).toBe('on-track');
    expect(
      decideDeadline({ counts: none, deadline, now: at('2026-12-04T00:00:00'), health: healthy, policy }),
    ).toMatchObject({
      state: 'met',
      reason: 'nothing-expected',
    });
  });
});

describe('deadline transitions: what is published', () => {
  it('publishes entering at risk once, not again while it stays at risk', () => {
    expect(transitionOf(undefined, 'at-risk')).toBe('at-risk');
    expect(transitionOf('on-track', 'at-risk')).toBe('at-risk');
    expect(transitionOf('at-risk', 'at-risk')).toBeUndefined();
  });

  it('publishes a recovery when an at-risk day is back on track, nothing for a day first seen on track', () => {
    expect(transitionOf('at-risk', 'on-track')).toBe('recovered');
    expect(transitionOf(undefined, 'on-track')).toBeUndefined();
  });

  it('publishes missed and met once: a settled day changes no more', () => {
    expect(transitionOf('at-risk', 'missed')).toBe('missed');
    expect(transitionOf('missed', 'missed')).toBeUndefined();
    expect(transitionOf('missed', 'met')).toBeUndefined();
    expect(transitionOf('on-track', 'met')).toBe('met');
    expect(transitionOf('met', 'missed')).toBeUndefined();
  });
});

describe('per-target deadlines', () => {
  const parse = (text: string) => z.object({ D: uploadDeadlines() }).safeParse({ D: text });

  it('takes the configured deadline first, then the profile, then 24:00 Asia/Shanghai', () => {
    const configured = new Map([['national', { localTime: '22:00', timeZone: 'Asia/Shanghai' }]]);
    expect(deadlineInstant('national', '2026-12-03', configured).toISOString()).toBe(
      '2026-12-03T14:00:00.000Z',
    );
    expect(deadlineOf('zhejiang', new Map())).toEqual({ localTime: '24:00', timeZone: 'Asia/Shanghai' });
    expect(deadlineInstant('some-target', '2026-12-03', new Map()).toISOString()).toBe(
      '2026-12-03T16:00:00.000Z',
    );
  });

  it('reads UPLOAD_DEADLINES and names what is wrong', () => {
    const ok = parse('zhejiang=24:00, national=23:30@Asia/Urumqi');
    expect(ok.success && [...ok.data.D]).toEqual([
      ['zhejiang', { localTime: '24:00', timeZone: 'Asia/Shanghai' }],
      ['national', { localTime: '23:30', timeZone: 'Asia/Urumqi' }],
    ]);
    for (const bad of ['zhejiang=25:00', 'zhejiang', 'zhejiang=24:00@Mars/Base', 'a=10:00,a=11:00']) {
      const r = parse(bad);
      expect(r.success).toBe(false);
    }
  });

  it('reads the local day in the zone', () => {
    expect(localDay(new Date('2026-12-03T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-12-04');
  });
});
