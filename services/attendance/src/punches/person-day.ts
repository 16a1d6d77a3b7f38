import {
  AttendanceRecordedData,
  localDay,
  PunchRecordedData,
  PunchResolution,
  PunchResolvedData,
} from '@realname/contracts';
import { Decider, reject, Rejection } from '@realname/eventstore';
import { EnrolmentFacts, resolvePunch, sameResolution, standingOn } from './resolution';

/** One punch of the day as the person-day knows it. */
export interface PunchInDay {
  punchEventId: string;
  projectId: string;
  personId: string;
  day: string;
  resolution: PunchResolution;
}

/** A person's day on a project: the punches attendance has accepted into it, and who each belongs to. */
export interface PersonDayState {
  punchEventIds: Set<string>;
  deviceRecords: Set<string>;
  /** By punch event id, in the order recorded. */
  punches: Map<string, PunchInDay>;
}

/**
 * Record a device's punch. `enrolments` are the project's enrolments whose credentials match the
 * device's person id (the handler looks them up; the decider decides with them).
 */
export interface RecordPunch {
  kind: 'RecordPunch';
  punchEventId: string;
  punch: PunchRecordedData;
  enrolments: EnrolmentFacts[];
}

/**
 * The registry learnt something about the enrolments matching this person id: resolve the day's punches
 * again with what is known now.
 */
export interface ResolvePunches {
  kind: 'ResolvePunches';
  enrolments: EnrolmentFacts[];
}

export type PersonDayCommand = RecordPunch | ResolvePunches;

export type PersonDayEvent =
  | { type: 'realname.attendance.AttendanceRecorded'; data: AttendanceRecordedData }
  | { type: 'realname.attendance.PunchResolved'; data: PunchResolvedData };

export function personDayStreamId(projectId: string, personId: string, day: string): string {
  return `attendance-${projectId}-${personId}-${day}`;
}

/** The calendar day a punch counts for: its instant, read in the device's zone. */
export function dayOfPunch(punch: Pick<PunchRecordedData, 'punchedAt' | 'timeZone'>): string {
  const instant = new Date(punch.punchedAt);
  const second = Math.floor(instant.getTime() / 1000);
  if (!Number.isFinite(second)) return localDay(instant, punch.timeZone);
  // The day depends only on the zone and the whole second (zone offsets are whole seconds), so it is
  // remembered: formatting in a zone costs microseconds, and a batch asks for the same second often
  // (many devices punch at once; the handler and the decider both ask for each punch).
  const key = `${punch.timeZone}|${second}`;
  let day = recentDays.get(key);
  if (day === undefined) {
    day = localDay(instant, punch.timeZone);
    if (recentDays.size >= RECENT_DAYS_MAX) recentDays.clear();
    recentDays.set(key, day);
  }
  return day;
}

const recentDays = new Map<string, string>();
const RECENT_DAYS_MAX = 20_000;

export const personDay: Decider<PersonDayState, PersonDayCommand, PersonDayEvent, Rejection<'wrong-day'>> = {
  initialState: () => ({ punchEventIds: new Set(), deviceRecords: new Set(), punches: new Map() }),

  decide(command, state) {
    return command.kind === 'RecordPunch' ? record(command, state) : reResolve(command, state);
  },

  evolve(state, event) {
    const d = event.data;
    if (event.type === 'realname.attendance.PunchResolved') {
      const before = state.punches.get(d.punchEventId);
      if (!before) return state;
      return {
        ...state,
        punches: new Map(state.punches).set(d.punchEventId, { ...before, resolution: d.resolution }),
      };
    }
    const r = event.data;
    return {
      punchEventIds: new Set(state.punchEventIds).add(r.punchEventId),
      deviceRecords: new Set(state.deviceRecords).add(`${r.deviceId}/${r.deviceRecordId}`),
      punches: new Map(state.punches).set(r.punchEventId, {
        punchEventId: r.punchEventId,
        projectId: r.projectId,
        personId: r.personId,
        day: r.day,
        resolution: r.resolution,
      }),
    };
  },
};

function record(command: RecordPunch, state: PersonDayState): PersonDayEvent[] | Rejection<'wrong-day'> {
  const p = command.punch;
  // The same punch (by its event, or by its device record) counts once, however often it arrives.
  if (
    state.punchEventIds.has(command.punchEventId) ||
    state.deviceRecords.has(`${p.deviceId}/${p.deviceRecordId}`)
  ) {
    return [];
  }
  const day = dayOfPunch(p);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return reject('wrong-day', `cannot tell the day of ${p.punchedAt}`);
  return [
    {
      type: 'realname.attendance.AttendanceRecorded',
      data: {
        punchEventId: command.punchEventId,
        projectId: p.projectId,
        personId: p.personId,
        day,
        punchedAt: p.punchedAt,
        direction: p.direction,
        deviceId: p.deviceId,
        deviceRecordId: p.deviceRecordId,
        verifyMode: p.verifyMode,
        receivedAt: p.receivedAt,
        resolution: resolvePunch(p.personId, day, command.enrolments),
      },
    },
  ];
}

/**
 * An unresolved punch takes whatever it resolves to now, when that differs. A resolved punch keeps its
 * resolution, also when its worker exits later or its credentials change (history is not rewritten),
 * with one exception: its own enrolment now says the worker had exited before that day (an exit
 * registered late, with an earlier date); then it is resolved again and usually becomes `exited`.
 */
function reResolve(command: ResolvePunches, state: PersonDayState): PersonDayEvent[] {
  const events: PersonDayEvent[] = [];
  for (const p of state.punches.values()) {
    const current = p.resolution;
    if (current.status === 'resolved') {
      const own = command.enrolments.find(
        (e) =>
          e.enrolmentId === current.enrolmentId && (e.personId === p.personId || e.cardNumber === p.personId),
      );
      if (!own || standingOn(own, p.day) !== 'exited') continue;
    }
    const next = resolvePunch(p.personId, p.day, command.enrolments);
    if (sameResolution(next, current)) continue;
    events.push({
      type: 'realname.attendance.PunchResolved',
      data: {
        punchEventId: p.punchEventId,
        projectId: p.projectId,
        personId: p.personId,
        day: p.day,
        resolution: next,
        previous: current.reason
          ? { status: current.status, reason: current.reason }
          : { status: current.status },
      },
    });
  }
  return events;
}
