import { compareExactness, AcknowledgedPunch, gatewayClientEnv, resourceServerEnv } from '@realname/bench';
import { FaultStack } from './stack';
import { metricSum } from './observe';
import { renderResults, RESULTS_END, RESULTS_START } from './report';
import type { ScenarioResult } from './run-scenario';

const acked = (ids: string[]) =>
  new Map<string, AcknowledgedPunch>(
    ids.map((personId) => [
      personId,
      { deviceId: 'd1', family: 'uface', projectId: 'p', personId, at: new Date(0), ackedAt: 0 },
    ]),
  );

describe('compareExactness', () => {
  it('counts acknowledged punches found, lost and found twice; found but unacknowledged is no error', () => {
    const r = compareExactness(
      acked(['1', '2', '3']),
      new Map([
        ['1', 1],
        ['2', 2],
        ['9', 1],
      ]),
    );
    expect(r.acknowledged).toBe(3);
    expect(r.found).toBe(2);
    expect(r.lost.map((p) => p.personId)).toEqual(['3']);
    expect(r.doubled).toEqual([{ personId: '2', times: 2 }]);
    expect(r.unacknowledged).toBe(1);
  });
});

describe('metricSum', () => {
  it('adds the samples of one metric, with or without labels, and ignores similar names', () => {
    const text = [
      '# HELP outbox_backlog_events x',
      'outbox_backlog_events 3',
      'outbox_backlog_events{relay="a"} 2',
      'outbox_backlog_events_total 100',
    ].join('\n');
    expect(metricSum(text, 'outbox_backlog_events')).toBe(5);
    expect(metricSum(text, 'clickhouse_sink_backlog_events')).toBeUndefined();
  });
});

describe('renderResults', () => {
  it('writes one table row per scenario and marks a failure with its evidence', () => {
    const exact = compareExactness(acked(['1']), new Map([['1', 1]]));
    const lost = compareExactness(acked(['1']), new Map());
    const base: ScenarioResult = {
      id: 'kill-gateway',
      title: 'SIGKILL device gateway',
      rate: 150,
      acknowledged: 1,
      trafficS: 1,
      attendance: exact,
      clickhouse: exact,
      lost: 0,
      doubled: 0,
      dlq: 0,
      dlqReasons: new Map(),
      recoverS: 4.2,
      quiesced: true,
      quiescenceS: 2,
      refused: 0,
      errors: 0,
      notes: [],
      pass: true,
      tookS: 30,
      logs: [],
    };
    const text = renderResults({
      results: [
        base,
        {
          ...base,
          id: 'postgres-stop-30s',
          attendance: lost,
          lost: 1,
          dlq: 1,
          dlqReasons: new Map([['dlq.attendance.v1: connection terminated', 1]]),
          recoverS: null,
          pass: false,
        },
      ],
      machine: '2 x cpu',
      commit: 'abc',
      totalS: 60,
      options: {
        rate: 150,
        durationS: 20,
        devices: 60,
        mix: { 'hikvision-isapi': 1, uface: 0, httpv2: 0, 'zkteco-push': 0, 'open-v1': 0 },
        quiescenceTimeoutS: 240,
        recoveryTimeoutS: 240,
      },
      date: new Date('2026-12-03T00:00:00Z'),
    });
    expect(text.startsWith(RESULTS_START) && text.endsWith(RESULTS_END)).toBe(true);
    expect(text).toContain('| 4.2 s | pass |');
    expect(text).toContain('| not recovered | **FAIL** |');
    expect(text).toContain('lost in attendance (1): 1 (uface d1');
    expect(text).toContain('DLQ ×1: `dlq.attendance.v1: connection terminated`');
  });
});

describe('FaultStack', () => {
  it("runs its own identity provider on its own ports: the services under fault check that issuer's tokens", () => {
    const stack = new FaultStack('/tmp/x');
    expect(stack.env).toMatchObject({ REALNAME_OIDC_PORT: '59180', REALNAME_OIDC_MANAGEMENT_PORT: '59190' });
    expect(stack.env).not.toHaveProperty('REALNAME_OIDC');
    expect(stack.issuer).toBe('http://127.0.0.1:59180/realms/realname');
    expect(resourceServerEnv(stack.issuer)).toEqual({
      OIDC_ISSUER_URL: 'http://127.0.0.1:59180/realms/realname',
      OIDC_AUDIENCE: 'realname-api',
    });
    expect(gatewayClientEnv()).toEqual({
      OIDC_CLIENT_ID: 'svc-device-gateway',
      OIDC_CLIENT_SECRET: expect.any(String),
    });
  });
});
