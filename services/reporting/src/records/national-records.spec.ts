import type { AttendanceDay } from '@realname/contracts';
import {
  attendanceDayRecord,
  entryExitRecord,
  platformLocalTime,
  projectWorkerRecord,
} from './national-records';

const day = (intervals: AttendanceDay['intervals'], revision = 1): AttendanceDay => ({
  projectId: 'P1',
  region: '330106',
  enrolmentId: 'en-1',
  workerId: 'w-1',
  teamId: 'team-1',
  participantId: 'pa-1',
  keyPosts: [],
  day: '2026-12-01',
  revision,
  status: 'present',
  calendar: { working: true, kind: 'workday', version: '2026' },
  intervals,
  workedMinutes: 0,
  punches: 0,
  corrections: [],
  rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: '1' },
  cause: 'finalised',
});
const end = (at: string, direction: 'in' | 'out') => ({ at, direction, inferred: false });

describe('attendance days as national attendance records', () => {
  it('sends each end of an interval as a punch in Beijing time, in 01 and out 02, after its team and worker', () => {
    const record = attendanceDayRecord(
      day([{ in: end('2026-12-01T00:05:00Z', 'in'), out: end('2026-12-01T09:30:59Z', 'out'), minutes: 565 }]),
    )!;
    expect(record.payload.items).toEqual([
      { date: '2026-12-01 08:05:00', direction: '01' },
      { date: '2026-12-01 17:30:59', direction: '02' },
    ]);
    expect(record.recordKey).toBe('P1/en-1/2026-12-01');
    expect(record.dependsOn).toEqual(['team:P1/team-1', 'project-worker:P1/en-1']);
    // Personal numbers are filled in at send time, never kept in the ledger.
    expect(JSON.stringify(record.payload)).not.toMatch(/idCardNumber/);
  });

  it('keeps a night shift on its attendance day and drops an end repeated in two intervals', () => {
    const record = attendanceDayRecord(
      day([
        { in: end('2026-12-01T13:00:00Z', 'in'), out: end('2026-12-01T17:00:00Z', 'out'), minutes: 240 },
        { in: end('2026-12-01T13:00:00Z', 'in'), minutes: 0 },
      ]),
    )!;
    expect(record.payload.items).toEqual([
      { date: '2026-12-01 21:00:00', direction: '01' },
      { date: '2026-12-02 01:00:00', direction: '02' },
    ]);
  });

  it('makes no record of a day without punches (absent, rest), which the platform does not take', () => {
    expect(attendanceDayRecord(day([]))).toBeUndefined();
  });

  it('carries the revision, so a reopened day supersedes the earlier row', () => {
    const record = attendanceDayRecord(day([{ in: end('2026-12-01T00:00:00Z', 'in'), minutes: 0 }], 3))!;
    expect(record.revision).toBe(3);
  });
});

describe('registry facts as national records', () => {
  const enrolment = {
    enrolmentId: 'en-1',
    projectId: 'P1',
    workerId: 'w-1',
    teamId: 'team-1',
    creditCode: '91330100MA27XY1A2A',
    corpName: '杭州示例劳务有限公司',
  };

  it('puts a worker into its team, with the protocol flags as numbers', () => {
    const record = projectWorkerRecord(
      { ...enrolment, name: '张三', teamName: '钢筋班', workType: '010', workRole: '20', isTeamLeader: true },
      '330106',
    );
    expect(record.dependsOn).toEqual(['team:P1/team-1']);
    expect(record.workerId).toBe('w-1');
    expect(record.payload.items).toEqual([
      { workerName: '张三', isTeamLeader: 1, workType: '010', workRole: 20 },
    ]);
  });

  it('tells entry (type 1) from exit (type 0) and keys each by its date', () => {
    expect(entryExitRecord(enrolment, 'entry', '2026-11-02', '330106').payload.items).toEqual([
      { date: '2026-11-02', type: 1 },
    ]);
    const exit = entryExitRecord(enrolment, 'exit', '2026-11-30', '330106');
    expect(exit.kind).toBe('exit');
    expect(exit.recordKey).toBe('P1/en-1/2026-11-30');
    expect(exit.payload.items).toEqual([{ date: '2026-11-30', type: 0 }]);
  });
});

describe('platform times', () => {
  it('writes an instant as yyyy-MM-dd HH:mm:ss in the given zone, midnight as 00', () => {
    expect(platformLocalTime('2026-11-30T16:00:00Z', 'Asia/Shanghai')).toBe('2026-12-01 00:00:00');
  });
});
