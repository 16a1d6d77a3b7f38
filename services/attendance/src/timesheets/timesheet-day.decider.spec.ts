import { deciderSpec } from '@realname/eventstore';
import {
  DayFacts,
  NO_APPROVAL_REQUIRED,
  timesheetDay,
  TimesheetDayCommand,
  TimesheetDayEvent,
} from './timesheet-day.decider';

const spec = deciderSpec(timesheetDay);
const ref = { projectId: 'p1', enrolmentId: 'e1', day: '2026-11-20' };

const facts = (over: Partial<DayFacts> = {}): DayFacts => ({
  ...ref,
  region: '330106',
  workerId: 'w1',
  teamId: 't1',
  participantId: 'u1',
  keyPosts: [],
  status: 'present',
  calendar: { working: true, kind: 'workday', version: 'cn-2026' },
  intervals: [
    {
      in: {
        at: '2026-11-20T00:00:00.000Z',
        punchEventId: '00000000-0000-4000-8000-000000000001',
        direction: 'in',
        inferred: false,
      },
      out: {
        at: '2026-11-20T09:00:00.000Z',
        punchEventId: '00000000-0000-4000-8000-000000000002',
        direction: 'out',
        inferred: false,
      },
      minutes: 540,
    },
  ],
  firstIn: '2026-11-20T00:00:00.000Z',
  lastOut: '2026-11-20T09:00:00.000Z',
  workedMinutes: 540,
  punches: 2,
  rules: { timeZone: 'Asia/Shanghai', dayBoundary: '04:00', version: 'example' },
  ...over,
});

const finalised = (over: Partial<DayFacts> = {}): TimesheetDayEvent => ({
  type: 'realname.attendance.AttendanceDayFinalised',
  data: { ...facts(over), corrections: [], revision: 1, cause: 'finalised' },
});

const window = { from: '2026-11-19T20:00:00.000Z', to: '2026-11-21T12:00:00.000Z' };
const request = (
  over: Partial<Extract<TimesheetDayCommand, { kind: 'RequestCorrection' }>> = {},
): TimesheetDayCommand => ({
  kind: 'RequestCorrection',
  correctionId: 'c1',
  ...ref,
  workerId: 'w1',
  request: { kind: 'add-out', at: '2026-11-20T10:00:00.000Z', reason: 'gate 2 broke at 18:00' },
  requestedBy: 'manager-1',
  now: '2026-11-21T02:00:00.000Z',
  approvalRequired: true,
  window,
  ...over,
});
const requested: TimesheetDayEvent = {
  type: 'realname.attendance.TimesheetCorrectionRequested',
  data: {
    correctionId: 'c1',
    ...ref,
    workerId: 'w1',
    kind: 'add-out',
    at: '2026-11-20T10:00:00.000Z',
    reason: 'gate 2 broke at 18:00',
    requestedBy: 'manager-1',
    requestedAt: '2026-11-21T02:00:00.000Z',
  },
};
const approved: TimesheetDayEvent = {
  type: 'realname.attendance.TimesheetCorrectionApproved',
  data: { correctionId: 'c1', ...ref, decidedBy: 'supervisor-1', decidedAt: '2026-11-21T03:00:00.000Z' },
};

describe('timesheet day', () => {
  describe('given a day never finalised', () => {
    it('when it is finalised, then revision 1 is published with the facts', () => {
      spec.given([]).when({ kind: 'FinaliseDay', facts: facts(), cause: 'late-punch' }).then([finalised()]);
    });
  });

  describe('given a finalised day', () => {
    it('when it is decided again with the same facts, then nothing is published', () => {
      spec.given([finalised()]).when({ kind: 'FinaliseDay', facts: facts(), cause: 'late-punch' }).then([]);
    });

    it('when a late punch changes it, then revision 2 says what it was before and why it changed', () => {
      const later = facts({ status: 'incomplete', punches: 3 });
      spec
        .given([finalised()])
        .when({ kind: 'FinaliseDay', facts: later, cause: 'late-punch' })
        .then([
          {
            type: 'realname.attendance.AttendanceDayRevised',
            data: {
              ...later,
              corrections: [],
              revision: 2,
              cause: 'late-punch',
              previous: { revision: 1, status: 'present', workedMinutes: 540 },
            },
          },
        ]);
    });

    it('when fields come in another order but say the same, then nothing is published', () => {
      const { punches, workedMinutes, ...rest } = facts();
      spec
        .given([finalised()])
        .when({ kind: 'FinaliseDay', facts: { workedMinutes, punches, ...rest }, cause: 'finalised' })
        .then([]);
    });
  });

  describe('given a region that asks for approval', () => {
    it('when a site manager adds a missing out, then the correction is pending', () => {
      spec.given([finalised()]).when(request()).then([requested]);
    });

    it('when the same request arrives again, then nothing more is recorded', () => {
      spec.given([finalised(), requested]).when(request()).then([]);
    });

    it('when an add-out has no instant, then it is refused naming `at`', () => {
      spec
        .given([])
        .when(request({ request: { kind: 'add-out', reason: 'x' } }))
        .thenRejects('invalid-correction', /^at: add-out needs the instant/);
    });

    it('when the instant is outside the day, then it is refused', () => {
      spec
        .given([])
        .when(request({ request: { kind: 'add-in', at: '2026-11-22T01:00:00.000Z', reason: 'x' } }))
        .thenRejects('invalid-correction', /cannot belong to the attendance day 2026-11-20/);
    });

    it('when the instant is in the future, then it is refused', () => {
      spec
        .given([])
        .when(request({ now: '2026-11-20T05:00:00.000Z' }))
        .thenRejects('invalid-correction', /in the future/);
    });

    it('when a supervisor approves, then the approval is recorded', () => {
      spec
        .given([finalised(), requested])
        .when({
          kind: 'DecideCorrection',
          correctionId: 'c1',
          approve: true,
          decidedBy: 'supervisor-1',
          now: '2026-11-21T03:00:00.000Z',
        })
        .then([approved]);
    });

    it('when the one who asked approves it, then it is refused', () => {
      spec
        .given([requested])
        .when({
          kind: 'DecideCorrection',
          correctionId: 'c1',
          approve: true,
          decidedBy: 'manager-1',
          now: '2026-11-21T03:00:00.000Z',
        })
        .thenRejects('same-person');
    });

    it('when a rejection gives no reason, then it is refused', () => {
      spec
        .given([requested])
        .when({
          kind: 'DecideCorrection',
          correctionId: 'c1',
          approve: false,
          decidedBy: 'supervisor-1',
          now: '2026-11-21T03:00:00.000Z',
        })
        .thenRejects('invalid-correction', /note/);
    });

    it('when an approved correction is rejected afterwards, then it is refused', () => {
      spec
        .given([requested, approved])
        .when({
          kind: 'DecideCorrection',
          correctionId: 'c1',
          approve: false,
          decidedBy: 'supervisor-2',
          note: 'no',
          now: '2026-11-21T04:00:00.000Z',
        })
        .thenRejects('already-decided');
    });

    it('when the correction is unknown, then it is refused', () => {
      spec
        .given([])
        .when({
          kind: 'DecideCorrection',
          correctionId: 'c9',
          approve: true,
          decidedBy: 'supervisor-1',
          now: '2026-11-21T04:00:00.000Z',
        })
        .thenRejects('unknown-correction');
    });
  });

  describe('given a region that does not ask for approval', () => {
    it('when leave is asked for, then it is approved at once by the regional rule', () => {
      const leave: TimesheetDayCommand = request({
        approvalRequired: false,
        request: { kind: 'leave', reason: 'sick, certificate on file' },
      });
      spec
        .given([])
        .when(leave)
        .then([
          {
            type: 'realname.attendance.TimesheetCorrectionRequested',
            data: {
              correctionId: 'c1',
              ...ref,
              workerId: 'w1',
              kind: 'leave',
              reason: 'sick, certificate on file',
              requestedBy: 'manager-1',
              requestedAt: '2026-11-21T02:00:00.000Z',
            },
          },
          {
            type: 'realname.attendance.TimesheetCorrectionApproved',
            data: {
              correctionId: 'c1',
              ...ref,
              decidedBy: NO_APPROVAL_REQUIRED,
              decidedAt: '2026-11-21T02:00:00.000Z',
            },
          },
        ]);
    });

    it('when leave is asked for twice, then the second is refused', () => {
      const leaveRequested: TimesheetDayEvent = {
        type: 'realname.attendance.TimesheetCorrectionRequested',
        data: { ...(requested.data as object), kind: 'leave', at: undefined } as never,
      };
      spec
        .given([leaveRequested])
        .when(request({ correctionId: 'c2', request: { kind: 'leave', reason: 'again' } }))
        .thenRejects('leave-exists');
    });
  });

  describe('given an approved correction', () => {
    it('when the day is decided again, then the revision shows the correction, who asked, why and who approved', () => {
      const corrected = facts({ workedMinutes: 600 });
      const result = timesheetDay.decide(
        { kind: 'FinaliseDay', facts: corrected, cause: 'correction' },
        [finalised(), requested, approved].reduce(timesheetDay.evolve, timesheetDay.initialState()),
      );
      expect(result).toEqual([
        expect.objectContaining({
          type: 'realname.attendance.AttendanceDayRevised',
          data: expect.objectContaining({
            revision: 2,
            cause: 'correction',
            workedMinutes: 600,
            corrections: [
              expect.objectContaining({
                correctionId: 'c1',
                kind: 'add-out',
                reason: 'gate 2 broke at 18:00',
                requestedBy: 'manager-1',
                status: 'approved',
                decidedBy: 'supervisor-1',
              }),
            ],
          }),
        }),
      ]);
    });
  });
});
