/**
 * Attendance goes up as it happens, not in a night batch: a punch attendance accepted and resolved to an
 * enrolled worker, passing a gate that says which way (in or out), becomes its own ledger record at
 * once, so the day's attendance is upstream long before the 24:00 deadline. The attendance day, which
 * is finalised only after its boundary (04:00 and a grace period, the next morning), then sends only
 * what the live records did not: punches of devices without a direction (their direction is inferred
 * when the day is paired), punches resolved later, approved corrections.
 *
 * The record key names the punch (`project/enrolment/punch/<punch event id>`), so a redelivered
 * AttendanceRecorded makes no second record; the platform keys a punch by worker, second and
 * direction, so a day item equal to a live one is the same punch upstream.
 */
import type { AttendanceRecordedData } from '@realname/contracts';
import { dependencyKey, NewLedgerRecord } from '../ledger/ledger.repository';
import { platformLocalTime, teamKey, workerKey } from './national-records';

/** Live punches are written in Beijing time, as the platform reads them and as attendance days are. */
export const PUNCH_TIME_ZONE = 'Asia/Shanghai';

export const punchKey = (projectId: string, enrolmentId: string, punchEventId: string) =>
  `${projectId}/${enrolmentId}/punch/${punchEventId}`;

/** The record key prefix of an enrolment's live punches. */
export const punchKeyPrefix = (projectId: string, enrolmentId: string) =>
  `${projectId}/${enrolmentId}/punch/`;

/**
 * The live record of a punch, or undefined when it waits for its day: an unresolved punch (nobody
 * enrolled, not entered) or one without a direction.
 */
export function attendancePunchRecord(
  p: AttendanceRecordedData,
  region: string,
): NewLedgerRecord | undefined {
  const r = p.resolution;
  if (r.status !== 'resolved' || !r.enrolmentId || !r.teamId) return undefined;
  if (p.direction === 'unknown') return undefined;
  const date = platformLocalTime(p.punchedAt, PUNCH_TIME_ZONE);
  return {
    kind: 'attendance',
    recordKey: punchKey(p.projectId, r.enrolmentId, p.punchEventId),
    revision: 1,
    projectId: p.projectId,
    region,
    workerId: r.workerId,
    // The day's deadline (24:00 Beijing time) is measured on the punch's calendar day.
    deadlineDay: date.slice(0, 10),
    dependsOn: [
      dependencyKey('team', teamKey(p.projectId, r.teamId)),
      dependencyKey('project-worker', workerKey(p.projectId, r.enrolmentId)),
    ],
    payload: {
      header: { projectCode: p.projectId },
      items: [
        {
          date,
          direction: p.direction === 'in' ? '01' : '02',
        },
      ],
    },
  };
}
