/**
 * Registry and attendance facts as national-platform records for the ledger: the reference's field
 * names, our own record keys, and what each depends on. Personal numbers (`idCardNumber`) and platform
 * keys (`teamSysNo`) are not stored here: the sender fills them in at send time.
 *
 * The platform's `projectCode` is our project id (the code the integrity platform gave the project).
 */
import type { AttendanceDay } from '@realname/contracts';
import type { JsonObject } from '@realname/uplinks';
import { dependencyKey, NewLedgerRecord } from '../ledger/ledger.repository';

export const unitKey = (projectId: string, participantId: string) => `${projectId}/${participantId}`;
export const teamKey = (projectId: string, teamId: string) => `${projectId}/${teamId}`;
export const workerKey = (projectId: string, enrolmentId: string) => `${projectId}/${enrolmentId}`;
export const dayKey = (projectId: string, enrolmentId: string, day: string) =>
  `${projectId}/${enrolmentId}/${day}`;

export interface Participant {
  readonly projectId: string;
  readonly participantId: string;
  readonly creditCode: string;
  readonly corpName: string;
}

/** `yyyy-MM-dd HH:mm:ss` in the day's zone, as the platform writes times. */
export function platformLocalTime(instant: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

export function participatingUnitRecord(
  p: Participant & { unitType: string; entryDate?: string; exitDate?: string },
  region: string,
): NewLedgerRecord {
  const item: JsonObject = { corpCode: p.creditCode, corpName: p.corpName, corpType: p.unitType };
  if (p.entryDate) item['entryTime'] = `${p.entryDate} 00:00:00`;
  if (p.exitDate) item['exitTime'] = `${p.exitDate} 00:00:00`;
  return {
    kind: 'participating-unit',
    recordKey: unitKey(p.projectId, p.participantId),
    revision: 1,
    projectId: p.projectId,
    region,
    dependsOn: [],
    payload: { header: { projectCode: p.projectId }, items: [item] },
  };
}

export function teamRecord(
  team: { teamId: string; name: string },
  unit: Participant,
  region: string,
): NewLedgerRecord {
  return {
    kind: 'team',
    recordKey: teamKey(unit.projectId, team.teamId),
    revision: 1,
    projectId: unit.projectId,
    region,
    dependsOn: [dependencyKey('participating-unit', unitKey(unit.projectId, unit.participantId))],
    payload: {
      header: { projectCode: unit.projectId },
      items: [{ corpCode: unit.creditCode, corpName: unit.corpName, teamName: team.name }],
    },
  };
}

export interface Enrolment {
  readonly enrolmentId: string;
  readonly projectId: string;
  readonly workerId: string;
  readonly teamId: string;
  readonly creditCode: string;
  readonly corpName: string;
}

export function projectWorkerRecord(
  e: Enrolment & {
    name: string;
    teamName: string;
    workType: string;
    workRole: string;
    isTeamLeader: boolean;
  },
  region: string,
): NewLedgerRecord {
  return {
    kind: 'project-worker',
    recordKey: workerKey(e.projectId, e.enrolmentId),
    revision: 1,
    projectId: e.projectId,
    region,
    workerId: e.workerId,
    dependsOn: [dependencyKey('team', teamKey(e.projectId, e.teamId))],
    payload: {
      header: {
        projectCode: e.projectId,
        corpCode: e.creditCode,
        corpName: e.corpName,
        teamName: e.teamName,
      },
      items: [
        {
          workerName: e.name,
          isTeamLeader: e.isTeamLeader ? 1 : 0,
          workType: e.workType,
          workRole: Number(e.workRole),
        },
      ],
    },
  };
}

export function entryExitRecord(
  e: Enrolment,
  kind: 'entry' | 'exit',
  date: string,
  region: string,
): NewLedgerRecord {
  return {
    kind,
    recordKey: `${workerKey(e.projectId, e.enrolmentId)}/${date}`,
    revision: 1,
    projectId: e.projectId,
    region,
    workerId: e.workerId,
    dependsOn: [
      dependencyKey('team', teamKey(e.projectId, e.teamId)),
      dependencyKey('project-worker', workerKey(e.projectId, e.enrolmentId)),
    ],
    payload: {
      header: { projectCode: e.projectId, corpCode: e.creditCode, corpName: e.corpName },
      items: [{ date, type: kind === 'entry' ? 1 : 0 }],
    },
  };
}

/**
 * A finalised or revised attendance day: one national attendance item per punch (or correction) that
 * ends an interval, `01` in and `02` out, in the day's zone. A day without such ends (absent, rest,
 * leave without punches) has nothing the national platform takes, so it yields no record.
 */
export function attendanceDayRecord(day: AttendanceDay): NewLedgerRecord | undefined {
  const items: JsonObject[] = [];
  const seen = new Set<string>();
  for (const interval of day.intervals) {
    for (const end of [interval.in, interval.out]) {
      if (!end) continue;
      const item = {
        date: platformLocalTime(end.at, day.rules.timeZone),
        direction: end.direction === 'in' ? '01' : '02',
      };
      // The platform keys a punch by worker, second and direction: the same one twice is refused.
      const key = `${item.date}|${item.direction}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(item);
    }
  }
  if (items.length === 0) return undefined;
  return {
    kind: 'attendance',
    recordKey: dayKey(day.projectId, day.enrolmentId, day.day),
    revision: day.revision,
    projectId: day.projectId,
    region: day.region,
    workerId: day.workerId,
    dependsOn: [
      dependencyKey('team', teamKey(day.projectId, day.teamId)),
      dependencyKey('project-worker', workerKey(day.projectId, day.enrolmentId)),
    ],
    payload: { header: { projectCode: day.projectId }, items },
  };
}
