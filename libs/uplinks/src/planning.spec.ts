import { NATIONAL_PROFILE } from './national/national-uplink';
import { canonicalJson, orderByDependencies, planBatches, splitReady, UplinkPlanError } from './planning';
import { JsonObject, RecordKind, UplinkRecord } from './uplink';

function record(
  kind: RecordKind,
  key: string,
  header: JsonObject = {},
  dependsOn: string[] = [],
): UplinkRecord {
  return { kind, key, dependsOn, header, item: { key } };
}

describe('orderByDependencies', () => {
  it('puts kinds in the national order and keeps the given order within a kind', () => {
    const records = [
      record('exit', 'x1'),
      record('attendance', 'a1'),
      record('project-worker', 'w1'),
      record('attendance', 'a2'),
      record('team', 't1'),
      record('payroll', 'p1'),
      record('entry', 'e1'),
    ];
    expect(orderByDependencies(records).map((r) => r.key)).toEqual([
      't1',
      'w1',
      'e1',
      'a1',
      'a2',
      'p1',
      'x1',
    ]);
  });

  it('refuses a kind the target order does not hold', () => {
    expect(() => orderByDependencies([record('payroll', 'p1')], ['team', 'project-worker'])).toThrow(
      UplinkPlanError,
    );
  });
});

describe('splitReady', () => {
  it('lets through records whose dependencies are accepted and says what the others wait for', () => {
    const accepted = new Set(['t1']);
    const { ready, waiting } = splitReady(
      [record('project-worker', 'w1', {}, ['t1']), record('attendance', 'a1', {}, ['w1', 't1', 'e1'])],
      (key) => accepted.has(key),
    );
    expect(ready.map((r) => r.key)).toEqual(['w1']);
    expect(waiting).toEqual([{ record: expect.objectContaining({ key: 'a1' }), waitingFor: ['w1', 'e1'] }]);
  });
});

describe('planBatches', () => {
  const team = { projectCode: 'P1', teamSysNo: 100001 };

  it('cuts workers into calls of 5, attendance into 20 and payroll into 20 detail lines', () => {
    const records = [
      ...Array.from({ length: 12 }, (_, i) => record('project-worker', `w${i}`, team)),
      ...Array.from({ length: 41 }, (_, i) => record('attendance', `a${i}`, team)),
      ...Array.from({ length: 45 }, (_, i) => record('payroll', `p${i}`, { ...team, payMonth: '2026-11' })),
      ...Array.from({ length: 51 }, (_, i) => record('entry', `e${i}`, team)),
    ];
    const sizes = planBatches(records, NATIONAL_PROFILE).map(
      (batch) => `${batch.kind}:${batch.records.length}`,
    );
    expect(sizes).toEqual([
      'project-worker:5',
      'project-worker:5',
      'project-worker:2',
      'entry:50',
      'entry:1',
      'attendance:20',
      'attendance:20',
      'attendance:1',
      'payroll:20',
      'payroll:20',
      'payroll:5',
    ]);
  });

  it('never mixes records of different headers in one call, whatever their key order', () => {
    const records = [
      record('attendance', 'a1', { projectCode: 'P1', teamSysNo: 1 }),
      record('attendance', 'a2', { projectCode: 'P1', teamSysNo: 2 }),
      record('attendance', 'a3', { teamSysNo: 1, projectCode: 'P1' }),
    ];
    const batches = planBatches(records, NATIONAL_PROFILE);
    expect(batches.map((batch) => batch.records.map((r) => r.key))).toEqual([['a1', 'a3'], ['a2']]);
    expect(batches[1].header).toEqual({ projectCode: 'P1', teamSysNo: 2 });
  });

  it('sends single-record kinds one per call', () => {
    const batches = planBatches([record('team', 't1', team), record('team', 't2', team)], NATIONAL_PROFILE);
    expect(batches.map((batch) => batch.records.length)).toEqual([1, 1]);
  });

  it('refuses a dependency on a record the order does not put earlier', () => {
    const records = [record('entry', 'e1', team, ['a1']), record('attendance', 'a1', team)];
    expect(() => planBatches(records, NATIONAL_PROFILE)).toThrow(/"e1" \(entry\) depends on "a1"/);
    // A dependency outside the plan is the ledger's business (already accepted or waiting), not the plan's.
    expect(() => planBatches([record('attendance', 'a1', team, ['w9'])], NATIONAL_PROFILE)).not.toThrow();
  });

  it('refuses duplicate keys and kinds without a limit', () => {
    expect(() => planBatches([record('team', 't1'), record('team', 't1')], NATIONAL_PROFILE)).toThrow(
      /twice/,
    );
    const noPayroll = {
      ...NATIONAL_PROFILE,
      batchLimits: { ...NATIONAL_PROFILE.batchLimits, payroll: undefined },
    };
    expect(() => planBatches([record('payroll', 'p1')], noPayroll)).toThrow(/no batch limit for "payroll"/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' })).toBe('{"a":"x","b":[2,{"c":0,"d":1}]}');
  });
});
