import {
  decideAnswer,
  decideNoReply,
  decideSend,
  decideSupersede,
  LifecycleRules,
} from './command-lifecycle.decider';
import type { DeviceCommand } from './command-queue';

const rules: LifecycleRules = { ackTimeoutMs: 120_000, maxAttempts: 3, retryDelayMs: 30_000 };
const now = new Date('2026-11-21T08:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const command = (c: Partial<DeviceCommand> = {}): DeviceCommand => ({
  commandId: '018f0000-0000-7000-8000-000000000001',
  seq: 7,
  deviceId: 'gate-1',
  kind: 'person.upsert',
  payload: { personId: '10001', name: 'Zhang San' },
  status: 'queued',
  attempts: 0,
  createdAt: ago(600_000),
  ...c,
});
const sent = (attempts: number, sentAt = ago(1000)) => command({ status: 'sent', attempts, sentAt });

describe('the device-command lifecycle', () => {
  it('given a queued command, when it is sent, then it is sent with one attempt more', () => {
    expect(decideSend(command({ attempts: 1 }), now)).toEqual({
      command: command({ status: 'sent', attempts: 2, sentAt: now }),
      counted: 'sent',
    });
  });

  it('given a command already sent, when it is sent again, then it is rejected as not outstanding', () => {
    expect(decideSend(sent(1), now)).toEqual({ rejected: 'not-outstanding' });
  });

  it('given a sent command, when the device succeeds, then it succeeded with the device code and result', () => {
    const t = decideAnswer(sent(1), { ok: true, code: '0', result: { count: 3 } }, now, rules);
    expect(t).toMatchObject({
      command: { status: 'succeeded', deviceCode: '0', result: { count: 3 }, completedAt: now },
      counted: 'succeeded',
    });
  });

  it('given a sent command with attempts left, when the device refuses, then it is queued again after the delay times the attempts', () => {
    const t = decideAnswer(sent(2), { ok: false, code: '-1002', detail: 'busy' }, now, rules);
    expect(t).toEqual({
      command: expect.objectContaining({
        status: 'queued',
        attempts: 2,
        deviceCode: '-1002',
        detail: 'busy',
      }),
      nextAttemptAt: new Date(now.getTime() + 60_000),
      counted: 'retried',
    });
    expect(t).not.toHaveProperty('command.completedAt');
  });

  it('given a sent command on its last attempt, when the device refuses, then it failed with the device code', () => {
    expect(decideAnswer(sent(3), { ok: false, code: '-1' }, now, rules)).toMatchObject({
      command: { status: 'failed', deviceCode: '-1', completedAt: now },
      counted: 'failed',
    });
  });

  it('given a command not sent (or answered before), when an answer comes, then it is rejected', () => {
    expect(decideAnswer(command(), { ok: true }, now, rules)).toEqual({ rejected: 'not-outstanding' });
    expect(decideAnswer(command({ status: 'succeeded' }), { ok: true }, now, rules)).toEqual({
      rejected: 'not-outstanding',
    });
  });

  it('given a sent command unanswered past the timeout, when time is checked, then it is queued again, or fails as no-reply on the last attempt', () => {
    expect(decideNoReply(sent(1, ago(120_000)), now, rules)).toBeUndefined();
    expect(decideNoReply(sent(1, ago(120_001)), now, rules)).toEqual({
      command: { ...sent(1, ago(120_001)), status: 'queued' },
      counted: 'retried',
    });
    expect(decideNoReply(sent(3, ago(120_001)), now, rules)).toMatchObject({
      command: {
        status: 'failed',
        deviceCode: 'no-reply',
        detail: 'the device never answered',
        completedAt: now,
      },
      counted: 'failed',
    });
  });

  it("given a person's queued commands, when a newer command for them comes, then those are superseded; others stay", () => {
    const upsert = command();
    const otherPerson = command({ commandId: 'b', payload: { personId: '10002' } });
    const query = command({
      commandId: 'c',
      kind: 'records.query',
      payload: { from: 'a', to: 'b', backfillId: 'x' },
    });
    const t = decideSupersede(
      [upsert, otherPerson, query, { ...upsert, commandId: 'd', status: 'sent' }],
      '10001',
      now,
    );
    expect(t).toEqual([
      {
        command: {
          ...upsert,
          status: 'failed',
          deviceCode: 'superseded',
          detail: 'a later command for this person replaced it',
          completedAt: now,
        },
        counted: 'superseded',
      },
    ]);
  });
});
