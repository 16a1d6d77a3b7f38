import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCreditCode, isResidentId } from '@realname/domain-rules';
import {
  renderUplinkResults,
  RESULTS_END,
  RESULTS_START,
  UPLINK_END,
  UPLINK_START,
  writeReport,
} from './report';
import type { ScenarioResult } from './run-scenario';
import {
  compareUpstream,
  dayEvents,
  expectedDayRecords,
  expectedRegistryRecords,
  planUplinkSite,
  registryEvents,
  upstreamKey,
} from './uplink-site';

const size = { projects: 2, unitsPerProject: 2, teamsPerUnit: 2, workersPerTeam: 3 };
const site = planUplinkSite('faults_9_abc', size, (p) => `secret-${p}`);

describe('the uplink site', () => {
  it('has valid credit codes and ID numbers, distinct team names per project and distinct workers', () => {
    const units = site.flatMap((p) => p.units);
    const workers = site.flatMap((p) => p.workers);
    expect(units.every((u) => isCreditCode(u.creditCode))).toBe(true);
    expect(workers.every((w) => isResidentId(w.idCardNumber))).toBe(true);
    expect(new Set(workers.map((w) => w.idCardNumber)).size).toBe(24);
    for (const p of site) expect(new Set(p.teams.map((t) => t.name)).size).toBe(p.teams.length);
  });

  it("gives the registry's events in stream order (units before their teams) and a day per worker", () => {
    const events = registryEvents(site);
    const of = (subject: string) =>
      events.filter((e) => e.event.subject === subject).map((e) => e.event.type.split('.').pop());
    expect(of(site[0].projectId)).toEqual([
      'ParticipantJoined',
      'ParticipantJoined',
      'TeamFormed',
      'TeamFormed',
      'TeamFormed',
      'TeamFormed',
    ]);
    expect(events.filter((e) => e.topic.name === 'registry.enrolments.v1')).toHaveLength(24);
    const days = dayEvents(site, '2026-12-01');
    expect(days).toHaveLength(24);
    expect(days[0].topic.name).toBe('attendance.days.v1');
  });

  it('expects each unit, team and worker once and four punches per worker-day, in local time', () => {
    const registry = expectedRegistryRecords(site);
    expect(registry.get('ProjectSubContractor.Add')).toHaveLength(4);
    expect(registry.get('Team.Add')).toHaveLength(8);
    expect(registry.get('ProjectWorker.Add')).toHaveLength(24);
    const punches = expectedDayRecords(site, '2026-12-01');
    expect(punches).toHaveLength(96);
    const w = site[0].workers[0];
    expect(punches[0]).toBe(
      `${site[0].projectId}|${w.idCardNumber}|2026-12-01 07:30:${String(w.second).padStart(2, '0')}|01`,
    );
  });
});

describe('compareUpstream', () => {
  it('counts expected records held, missing, held twice and held without being expected', () => {
    const rec = (idCardNumber: string, date: string, direction = '01') => ({
      method: 'WorkerAttendance.Add',
      record: { projectCode: 'p', idCardNumber, date, direction, teamSysNo: '1' },
    });
    const expected = new Map([['WorkerAttendance.Add', ['p|A|d1|01', 'p|A|d2|01', 'p|B|d1|01']]]);
    const [c] = compareUpstream(expected, [
      rec('A', 'd1'),
      rec('A', 'd1'),
      rec('B', 'd1'),
      rec('C', 'd1'),
      { method: 'Corp.Upload', record: { corpCode: 'x' } },
    ]);
    expect(c).toEqual({
      method: 'WorkerAttendance.Add',
      expected: 3,
      accepted: 2,
      missing: ['p|A|d2|01'],
      doubled: [{ key: 'p|A|d1|01', times: 2 }],
      unexpected: 1,
    });
  });

  it('keys records as the platform refuses a second copy: teams by name, workers by ID number', () => {
    expect(upstreamKey('Team.Add', { projectCode: 'p', teamName: '1班', teamSysNo: 7 })).toBe('p|1班');
    expect(upstreamKey('ProjectWorker.Add', { projectCode: 'p', idCardNumber: 'X', teamSysNo: 7 })).toBe(
      'p|X',
    );
    expect(upstreamKey('Corp.Upload', { corpCode: 'x' })).toBeUndefined();
  });
});

describe('the uplink report', () => {
  const result: ScenarioResult = {
    id: 'uplink',
    title: 'reporting uplink',
    rate: 0,
    acknowledged: 10,
    trafficS: 0,
    attendance: { acknowledged: 0, found: 0, lost: [], doubled: [], unacknowledged: 0 },
    clickhouse: { acknowledged: 0, found: 0, lost: [], doubled: [], unacknowledged: 0 },
    lost: 0,
    doubled: 0,
    dlq: 0,
    dlqReasons: new Map(),
    recoverS: 7.5,
    quiesced: true,
    quiescenceS: 0,
    refused: 0,
    errors: 0,
    notes: [],
    pass: true,
    tookS: 700,
    logs: [],
    uplink: {
      expected: 10,
      accepted: 10,
      missing: 0,
      doubled: 0,
      byMethod: [],
      ledger: { accepted: 6 },
      phases: [
        { id: 'kill', fault: 'SIGKILL reporting', records: 6, acceptedAtFault: 3, recoverS: 7.5 },
        { id: 'down', fault: 'platform down 600 s', records: 4, acceptedAtFault: 1, recoverS: null },
      ],
      calls: { writes: 1, polls: 1, lookups: 0, refused: 0, failed: 0 },
    },
  };
  const report = {
    results: [result],
    machine: 'm',
    commit: 'c',
    totalS: 700,
    options: {
      rate: 150,
      durationS: 20,
      devices: 60,
      mix: { 'hikvision-isapi': 1, uface: 0, httpv2: 0, 'zkteco-push': 0, 'open-v1': 0 },
      quiescenceTimeoutS: 240,
      recoveryTimeoutS: 240,
    },
    date: new Date('2026-12-03T00:00:00Z'),
  };

  it('shows each fault with its time to recover, and the totals with the ledger', () => {
    const text = renderUplinkResults(report);
    expect(text).toContain('| `uplink` | SIGKILL reporting | 6 | 3 | 7.5 s |');
    expect(text).toContain('| `uplink` | platform down 600 s | 4 | 1 | not recovered |');
    expect(text).toContain('| `uplink` | 10 | 10 | 0 | 0 | 6 accepted | 0 | pass |');
  });

  it('replaces only the uplink block when the uplink scenario runs alone (the punch results stay)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'faults-')), 'reliability.md');
    writeFileSync(path, `# Reliability\n\n${RESULTS_START}\n\npunch table\n\n${RESULTS_END}\n`);
    await writeReport(path, report);
    await writeReport(path, report);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('punch table');
    expect(text.split(UPLINK_START)).toHaveLength(2);
    expect(text).toContain(UPLINK_END);
  });
});
