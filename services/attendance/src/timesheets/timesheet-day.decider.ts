import type {
  AttendanceDay,
  AttendanceDayFinalisedData,
  AttendanceDayRevisedData,
  DayCorrection,
  RevisionCause,
} from '@realname/contracts';
import { Decider, reject, Rejection } from '@realname/eventstore';

/** Everything the finaliser computed for the day, except what the stream itself knows. */
export type DayFacts = Omit<AttendanceDay, 'revision' | 'cause' | 'corrections'>;

export interface TimesheetDayState {
  revision: number;
  /** The latest revision published. */
  last?: AttendanceDay;
  /** Every correction and leave asked for the day, in the order asked, with its decision. */
  corrections: Map<string, DayCorrection & { ref: DayRef }>;
}

/** Which day a stream is about. */
export interface DayRef {
  projectId: string;
  enrolmentId: string;
  day: string;
}

export interface CorrectionRequest {
  kind: DayCorrection['kind'];
  /** The instant of the missing punch (add-in, add-out). */
  at?: string;
  reason: string;
}

export type TimesheetDayCommand =
  | { kind: 'FinaliseDay'; facts: DayFacts; cause: RevisionCause }
  | {
      kind: 'RequestCorrection';
      correctionId: string;
      projectId: string;
      enrolmentId: string;
      workerId: string;
      day: string;
      request: CorrectionRequest;
      requestedBy: string;
      now: string;
      /** The region wants a supervisor to approve corrections and leave. */
      approvalRequired: boolean;
      /** The instants a punch of this day may have (the day plus the night-shift carry-over). */
      window: { from: string; to: string };
    }
  | {
      kind: 'DecideCorrection';
      correctionId: string;
      approve: boolean;
      decidedBy: string;
      now: string;
      note?: string;
    };

export type TimesheetDayEvent =
  | { type: 'realname.attendance.AttendanceDayFinalised'; data: AttendanceDayFinalisedData }
  | { type: 'realname.attendance.AttendanceDayRevised'; data: AttendanceDayRevisedData }
  | {
      type: 'realname.attendance.TimesheetCorrectionRequested';
      data: {
        correctionId: string;
        projectId: string;
        enrolmentId: string;
        workerId: string;
        day: string;
        kind: DayCorrection['kind'];
        at?: string;
        reason: string;
        requestedBy: string;
        requestedAt: string;
      };
    }
  | {
      type: 'realname.attendance.TimesheetCorrectionApproved';
      data: CorrectionDecision & { note?: string };
    }
  | {
      type: 'realname.attendance.TimesheetCorrectionRejected';
      data: CorrectionDecision & { note: string };
    };

interface CorrectionDecision {
  correctionId: string;
  projectId: string;
  enrolmentId: string;
  day: string;
  decidedBy: string;
  decidedAt: string;
}

export type TimesheetRejection = Rejection<
  'invalid-correction' | 'unknown-correction' | 'already-decided' | 'same-person' | 'leave-exists'
>;

/** Who "decides" a correction in a region that does not ask for approval. */
export const NO_APPROVAL_REQUIRED = 'regional-rule:no-approval-required';

export function timesheetStreamId(projectId: string, enrolmentId: string, day: string): string {
  return `timesheet-${projectId}-${enrolmentId}-${day}`;
}

export const timesheetDay: Decider<
  TimesheetDayState,
  TimesheetDayCommand,
  TimesheetDayEvent,
  TimesheetRejection
> = {
  initialState: () => ({ revision: 0, corrections: new Map() }),

  decide(command, state) {
    switch (command.kind) {
      case 'FinaliseDay':
        return finalise(command.facts, command.cause, state);
      case 'RequestCorrection':
        return requestCorrection(command, state);
      case 'DecideCorrection':
        return decideCorrection(command, state);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'realname.attendance.AttendanceDayFinalised':
      case 'realname.attendance.AttendanceDayRevised': {
        const { previous: _previous, ...day } = event.data as AttendanceDayRevisedData;
        return { ...state, revision: day.revision, last: day };
      }
      case 'realname.attendance.TimesheetCorrectionRequested': {
        const d = event.data;
        const correction: DayCorrection & { ref: DayRef } = {
          ref: { projectId: d.projectId, enrolmentId: d.enrolmentId, day: d.day },
          correctionId: d.correctionId,
          kind: d.kind,
          ...(d.at ? { at: d.at } : {}),
          reason: d.reason,
          requestedBy: d.requestedBy,
          requestedAt: d.requestedAt,
          status: 'pending',
        };
        return { ...state, corrections: new Map(state.corrections).set(d.correctionId, correction) };
      }
      case 'realname.attendance.TimesheetCorrectionApproved':
      case 'realname.attendance.TimesheetCorrectionRejected': {
        const d = event.data;
        const before = state.corrections.get(d.correctionId);
        if (!before) return state;
        const decided: DayCorrection & { ref: DayRef } = {
          ...before,
          status: event.type === 'realname.attendance.TimesheetCorrectionApproved' ? 'approved' : 'rejected',
          decidedBy: d.decidedBy,
          decidedAt: d.decidedAt,
          ...(d.note !== undefined ? { decisionNote: d.note } : {}),
        };
        return { ...state, corrections: new Map(state.corrections).set(d.correctionId, decided) };
      }
    }
  },
};

/** The corrections of the day as the timesheet shows them (every one, with its decision). */
export function correctionsOf(state: TimesheetDayState): DayCorrection[] {
  return [...state.corrections.values()].map(({ ref: _ref, ...c }) => c);
}

/** The approved corrections that add a missing in or out. */
export function addedEnds(
  state: TimesheetDayState,
): { correctionId: string; at: string; direction: 'in' | 'out' }[] {
  return correctionsOf(state)
    .filter((c) => c.status === 'approved' && c.kind !== 'leave' && c.at)
    .map((c) => ({ correctionId: c.correctionId, at: c.at!, direction: c.kind === 'add-in' ? 'in' : 'out' }));
}

/** Approved leave for the day. */
export function onLeave(state: TimesheetDayState): boolean {
  return correctionsOf(state).some((c) => c.kind === 'leave' && c.status === 'approved');
}

/**
 * The first finalisation publishes revision 1; afterwards a new revision only when something a reader
 * sees changed (a recomputation that comes out the same publishes nothing).
 */
function finalise(facts: DayFacts, cause: RevisionCause, state: TimesheetDayState): TimesheetDayEvent[] {
  const corrections = correctionsOf(state);
  if (!state.last) {
    return [
      {
        type: 'realname.attendance.AttendanceDayFinalised',
        data: { ...facts, corrections, revision: 1, cause: 'finalised' },
      },
    ];
  }
  const { revision: _r, cause: _c, ...before } = state.last;
  const after = { ...facts, corrections };
  if (sameDay(before, after)) return [];
  return [
    {
      type: 'realname.attendance.AttendanceDayRevised',
      data: {
        ...after,
        revision: state.revision + 1,
        cause: cause === 'finalised' ? 'late-punch' : cause,
        previous: {
          revision: state.last.revision,
          status: state.last.status,
          workedMinutes: state.last.workedMinutes,
        },
      },
    },
  ];
}

function sameDay(a: object, b: object): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with keys sorted, so that two equal days compare equal whatever order their fields were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

function requestCorrection(
  c: Extract<TimesheetDayCommand, { kind: 'RequestCorrection' }>,
  state: TimesheetDayState,
): TimesheetDayEvent[] | TimesheetRejection {
  // The same request sent again (a retried POST with the same id) changes nothing.
  if (state.corrections.has(c.correctionId)) return [];
  const r = c.request;
  const problems: string[] = [];
  if (r.kind === 'leave') {
    if (r.at !== undefined) problems.push('at: leave is for the whole day; leave out `at`');
    if (correctionsOf(state).some((x) => x.kind === 'leave' && x.status !== 'rejected'))
      return reject('leave-exists', `leave for ${c.day} is already asked for or approved`);
  } else if (r.at === undefined) {
    problems.push(
      `at: ${r.kind} needs the instant of the missing punch (RFC 3339, e.g. 2026-11-20T18:00:00+08:00)`,
    );
  } else if (Date.parse(r.at) < Date.parse(c.window.from) || Date.parse(r.at) >= Date.parse(c.window.to)) {
    problems.push(
      `at: ${r.at} cannot belong to the attendance day ${c.day}; it must be from ${c.window.from} to before ${c.window.to}`,
    );
  } else if (Date.parse(r.at) > Date.parse(c.now)) {
    problems.push(`at: ${r.at} is in the future; a correction adds a punch that was missed`);
  }
  if (problems.length > 0) return reject('invalid-correction', ...problems);
  const ref = {
    correctionId: c.correctionId,
    projectId: c.projectId,
    enrolmentId: c.enrolmentId,
    day: c.day,
  };
  const events: TimesheetDayEvent[] = [
    {
      type: 'realname.attendance.TimesheetCorrectionRequested',
      data: {
        ...ref,
        workerId: c.workerId,
        kind: r.kind,
        ...(r.at !== undefined ? { at: r.at } : {}),
        reason: r.reason,
        requestedBy: c.requestedBy,
        requestedAt: c.now,
      },
    },
  ];
  if (!c.approvalRequired)
    events.push({
      type: 'realname.attendance.TimesheetCorrectionApproved',
      data: { ...ref, decidedBy: NO_APPROVAL_REQUIRED, decidedAt: c.now },
    });
  return events;
}

function decideCorrection(
  c: Extract<TimesheetDayCommand, { kind: 'DecideCorrection' }>,
  state: TimesheetDayState,
): TimesheetDayEvent[] | TimesheetRejection {
  const correction = state.corrections.get(c.correctionId);
  if (!correction) return reject('unknown-correction', `there is no correction ${c.correctionId}`);
  if (correction.status !== 'pending') {
    const same = (correction.status === 'approved') === c.approve && correction.decidedBy === c.decidedBy;
    // The same decision sent again changes nothing; a different one is refused.
    if (same) return [];
    return reject(
      'already-decided',
      `correction ${c.correctionId} was already ${correction.status} by ${correction.decidedBy}`,
    );
  }
  if (correction.requestedBy === c.decidedBy)
    return reject(
      'same-person',
      'a correction is approved or rejected by someone other than who asked for it',
    );
  if (!c.approve && !c.note?.trim())
    return reject('invalid-correction', 'note: say why the correction is rejected');
  const ref = { correctionId: c.correctionId, ...correction.ref };
  return [
    c.approve
      ? {
          type: 'realname.attendance.TimesheetCorrectionApproved',
          data: { ...ref, decidedBy: c.decidedBy, decidedAt: c.now, ...(c.note ? { note: c.note } : {}) },
        }
      : {
          type: 'realname.attendance.TimesheetCorrectionRejected',
          data: { ...ref, decidedBy: c.decidedBy, decidedAt: c.now, note: c.note!.trim() },
        },
  ];
}
