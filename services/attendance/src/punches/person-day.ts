import { AttendanceRecordedData, PunchRecordedData } from '@realname/contracts';
import { Decider, reject, Rejection } from '@realname/eventstore';
import { localDay } from '@realname/contracts';

/** A person's day on a project: the punches attendance has accepted into it. */
export interface PersonDayState {
  punchEventIds: Set<string>;
  deviceRecords: Set<string>;
}

export interface RecordPunch {
  kind: 'RecordPunch';
  punchEventId: string;
  punch: PunchRecordedData;
}

export type PersonDayEvent = { type: 'realname.attendance.AttendanceRecorded'; data: AttendanceRecordedData };

export function personDayStreamId(projectId: string, personId: string, day: string): string {
  return `attendance-${projectId}-${personId}-${day}`;
}

/** The calendar day a punch counts for: its instant, read in the device's zone. */
export function dayOfPunch(punch: Pick<PunchRecordedData, 'punchedAt' | 'timeZone'>): string {
  return localDay(new Date(punch.punchedAt), punch.timeZone);
}

export const personDay: Decider<PersonDayState, RecordPunch, PersonDayEvent, Rejection<'wrong-day'>> = {
  initialState: () => ({ punchEventIds: new Set(), deviceRecords: new Set() }),

  decide(command, state) {
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
        },
      },
    ];
  },

  evolve(state, event) {
    return {
      punchEventIds: new Set(state.punchEventIds).add(event.data.punchEventId),
      deviceRecords: new Set(state.deviceRecords).add(`${event.data.deviceId}/${event.data.deviceRecordId}`),
    };
  },
};
