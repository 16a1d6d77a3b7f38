import { PunchRecordedData, PunchResolution } from '@realname/contracts';
import { fold, isRejection } from '@realname/eventstore';
import {
  dayOfPunch,
  personDay,
  PersonDayCommand,
  PersonDayEvent,
  RecordPunch,
  ResolvePunches,
} from './person-day';
import { EnrolmentFacts, resolvePunch } from './resolution';

const punch = (over: Partial<PunchRecordedData> = {}): PunchRecordedData => ({
  deviceId: 'gate-1',
  projectId: 'P1',
  region: '330106',
  deviceRecordId: '000001',
  personId: '10001',
  deviceTime: '2026-11-21 07:30:00',
  punchedAt: '2026-11-20T23:30:00.000Z',
  timeZone: 'Asia/Shanghai',
  receivedAt: '2026-11-20T23:30:01.000Z',
  skewMs: 1000,
  direction: 'in',
  verifyMode: 'face',
  protocol: 'open-v1',
  rawRequestId: '0190a8c4-8f6e-7cc1-a1b2-3c4d5e6f7a8b',
  ...over,
});

/** Wang, enrolled on P1 with person id 10001 and card C-77, in team T1 of unit PA1. */
const wang = (over: Partial<EnrolmentFacts> = {}): EnrolmentFacts => ({
  enrolmentId: 'en-1',
  workerId: 'w-1',
  workerName: '王小明',
  maskedIdNumber: '3301**********1234',
  teamId: 'T1',
  teamName: '钢筋班',
  participantId: 'PA1',
  corpName: '杭州某劳务有限公司',
  workType: '钢筋工',
  personId: '10001',
  cardNumber: 'C-77',
  enteredOn: '2026-11-01',
  ...over,
});
const WANG_RESOLVED: PunchResolution = {
  status: 'resolved',
  enrolmentId: 'en-1',
  workerId: 'w-1',
  workerName: '王小明',
  maskedIdNumber: '3301**********1234',
  teamId: 'T1',
  teamName: '钢筋班',
  participantId: 'PA1',
  corpName: '杭州某劳务有限公司',
  workType: '钢筋工',
};

const record = (punchEventId: string, p = punch(), enrolments: EnrolmentFacts[] = []): RecordPunch => ({
  kind: 'RecordPunch',
  punchEventId,
  punch: p,
  enrolments,
});
const resolveWith = (...enrolments: EnrolmentFacts[]): ResolvePunches => ({
  kind: 'ResolvePunches',
  enrolments,
});

/** Given past events, when a command, then new events. */
function given(events: PersonDayEvent[]) {
  return {
    when: (c: PersonDayCommand) => personDay.decide(c, fold(personDay, events)),
    /** Several commands in turn, each seeing the events of the ones before; all new events. */
    whenAll: (...cs: PersonDayCommand[]) => {
      const all = [...events];
      const out: PersonDayEvent[] = [];
      for (const c of cs) {
        const e = personDay.decide(c, fold(personDay, all)) as PersonDayEvent[];
        all.push(...e);
        out.push(...e);
      }
      return out;
    },
  };
}
const recorded = (c: RecordPunch) => given([]).when(c) as PersonDayEvent[];
const resolutionOf = (events: PersonDayEvent[] | unknown) => (events as PersonDayEvent[])[0].data.resolution;

describe('a person-day on a project', () => {
  it('records the first punch on the local (Beijing) day, not the UTC day', () => {
    const result = given([]).when(record('e-1'));
    expect(result).toEqual([
      {
        type: 'realname.attendance.AttendanceRecorded',
        data: expect.objectContaining({
          punchEventId: 'e-1',
          day: '2026-11-21',
          personId: '10001',
          direction: 'in',
        }),
      },
    ]);
  });

  it('records nothing for a punch event it already holds', () => {
    const first = given([]).when(record('e-1'));
    expect(isRejection(first)).toBe(false);
    expect(given(first as PersonDayEvent[]).when(record('e-1'))).toEqual([]);
  });

  it('records nothing for the same device record arriving under another event id', () => {
    const first = given([]).when(record('e-1')) as PersonDayEvent[];
    expect(given(first).when(record('e-2'))).toEqual([]);
  });

  it('records a later punch of the same day', () => {
    const first = given([]).when(record('e-1')) as PersonDayEvent[];
    const out = given(first).when(
      record(
        'e-2',
        punch({ deviceRecordId: '000002', punchedAt: '2026-11-21T09:30:00.000Z', direction: 'out' }),
      ),
    );
    expect(out).toHaveLength(1);
  });

  it('derives the day in the device zone', () => {
    expect(dayOfPunch({ punchedAt: '2026-11-20T23:30:00.000Z', timeZone: 'Asia/Shanghai' })).toBe(
      '2026-11-21',
    );
    expect(dayOfPunch({ punchedAt: '2026-11-20T23:30:00.000Z', timeZone: 'UTC' })).toBe('2026-11-20');
  });
});

describe('who punched: resolution when a punch is recorded', () => {
  it('resolves a punch of an enrolled worker who has entered to the worker, team and unit', () => {
    expect(resolutionOf(given([]).when(record('e-1', punch(), [wang()])))).toEqual(WANG_RESOLVED);
  });

  it('resolves by card number when the device reports the card', () => {
    const byCard = given([]).when(record('e-1', punch({ personId: 'C-77' }), [wang()]));
    expect(resolutionOf(byCard)).toEqual(WANG_RESOLVED);
  });

  it('resolves on the entry day and on the exit day (both inclusive)', () => {
    const onEntry = wang({ enteredOn: '2026-11-21' });
    const onExit = wang({ exitedOn: '2026-11-21' });
    expect(resolutionOf(given([]).when(record('e-1', punch(), [onEntry]))).status).toBe('resolved');
    expect(resolutionOf(given([]).when(record('e-1', punch(), [onExit]))).status).toBe('resolved');
  });

  it('keeps a punch of an unknown person, unresolved with reason unknown-person', () => {
    expect(resolutionOf(given([]).when(record('e-1', punch(), [])))).toEqual({
      status: 'unresolved',
      reason: 'unknown-person',
    });
  });

  it('does not resolve to an enrolment whose credentials are someone else’s', () => {
    const other = wang({ personId: '20002', cardNumber: undefined });
    expect(resolutionOf(given([]).when(record('e-1', punch(), [other])))).toMatchObject({
      reason: 'unknown-person',
    });
  });

  it('keeps a punch of an enrolled worker who has not entered, unresolved not-entered, naming the enrolment', () => {
    const r = resolutionOf(given([]).when(record('e-1', punch(), [wang({ enteredOn: undefined })])));
    expect(r).toEqual({ ...WANG_RESOLVED, status: 'unresolved', reason: 'not-entered' });
  });

  it('keeps a punch from before the entry date, unresolved not-entered', () => {
    const r = resolutionOf(given([]).when(record('e-1', punch(), [wang({ enteredOn: '2026-11-22' })])));
    expect(r).toMatchObject({ status: 'unresolved', reason: 'not-entered' });
  });

  it('keeps a punch after the exit date, unresolved exited', () => {
    const r = resolutionOf(given([]).when(record('e-1', punch(), [wang({ exitedOn: '2026-11-20' })])));
    expect(r).toMatchObject({ status: 'unresolved', reason: 'exited', enrolmentId: 'en-1' });
  });

  it('prefers the enrolment on site that day when a credential was reused', () => {
    const before = wang({ exitedOn: '2026-11-10' });
    const now = wang({ enrolmentId: 'en-2', workerId: 'w-2', workerName: '李四', enteredOn: '2026-11-15' });
    for (const order of [
      [before, now],
      [now, before],
    ]) {
      expect(resolutionOf(given([]).when(record('e-1', punch(), order)))).toMatchObject({
        status: 'resolved',
        enrolmentId: 'en-2',
        workerName: '李四',
      });
    }
  });
});

describe('late resolution: the registry learns who it was', () => {
  const unknown = recorded(record('e-1'));

  it('resolves an earlier unknown-person punch once the worker is enrolled and entered', () => {
    expect(given(unknown).when(resolveWith(wang()))).toEqual([
      {
        type: 'realname.attendance.PunchResolved',
        data: {
          punchEventId: 'e-1',
          projectId: 'P1',
          personId: '10001',
          day: '2026-11-21',
          resolution: WANG_RESOLVED,
          previous: { status: 'unresolved', reason: 'unknown-person' },
        },
      },
    ]);
  });

  it('tells a late enrolment without entry apart: unknown-person becomes not-entered, then resolved on entry', () => {
    const enrolled = given(unknown).when(resolveWith(wang({ enteredOn: undefined }))) as PersonDayEvent[];
    expect(resolutionOf(enrolled)).toMatchObject({ status: 'unresolved', reason: 'not-entered' });
    const entered = given([...unknown, ...enrolled]).when(resolveWith(wang()));
    expect(resolutionOf(entered)).toEqual(WANG_RESOLVED);
    expect((entered as PersonDayEvent[])[0].data).toMatchObject({
      previous: { status: 'unresolved', reason: 'not-entered' },
    });
  });

  it('records nothing when asked again with the same knowledge (a redelivered registry event)', () => {
    const once = given(unknown).when(resolveWith(wang())) as PersonDayEvent[];
    expect(given([...unknown, ...once]).when(resolveWith(wang()))).toEqual([]);
    expect(given(unknown).when(resolveWith())).toEqual([]);
  });

  it('keeps it unresolved when the entry date is after the punch (the reason gets more precise)', () => {
    expect(resolutionOf(given(unknown).when(resolveWith(wang({ enteredOn: '2026-11-22' }))))).toMatchObject({
      status: 'unresolved',
      reason: 'not-entered',
    });
    const notEntered = recorded(record('e-1', punch(), [wang({ enteredOn: undefined })]));
    expect(given(notEntered).when(resolveWith(wang({ enteredOn: '2026-11-22' })))).toEqual([]);
  });

  it('keeps a resolved punch resolved when its worker exits later', () => {
    const resolved = recorded(record('e-1', punch(), [wang()]));
    expect(given(resolved).when(resolveWith(wang({ exitedOn: '2026-11-21' })))).toEqual([]);
    expect(given(resolved).when(resolveWith(wang({ exitedOn: '2026-12-31' })))).toEqual([]);
  });

  it('keeps a resolved punch when the worker’s credentials change (history is not rewritten)', () => {
    const resolved = recorded(record('e-1', punch(), [wang()]));
    expect(given(resolved).when(resolveWith())).toEqual([]);
    expect(given(resolved).when(resolveWith(wang({ personId: '99999', cardNumber: undefined })))).toEqual([]);
  });

  it('marks a resolved punch exited when an exit registered late has an earlier date', () => {
    const resolved = recorded(record('e-1', punch(), [wang()]));
    const out = given(resolved).when(resolveWith(wang({ exitedOn: '2026-11-20' })));
    expect(resolutionOf(out)).toMatchObject({ status: 'unresolved', reason: 'exited', enrolmentId: 'en-1' });
    expect((out as PersonDayEvent[])[0].data).toMatchObject({ previous: { status: 'resolved' } });
  });

  it('resolves only the punches whose answer changed, each once', () => {
    const two = given([]).whenAll(
      record('e-1', punch(), [wang({ enteredOn: undefined })]),
      record('e-2', punch({ deviceRecordId: '000002', punchedAt: '2026-11-21T10:00:00.000Z' }), [wang()]),
    );
    expect(two.map((e) => e.data.resolution.status)).toEqual(['unresolved', 'resolved']);
    const out = given(two).when(resolveWith(wang())) as PersonDayEvent[];
    expect(out.map((e) => e.data.punchEventId)).toEqual(['e-1']);
    // And a punch that arrives after the resolution resolves at once.
    expect(
      resolutionOf(given([...two, ...out]).when(record('e-3', punch({ deviceRecordId: '3' }), [wang()]))),
    ).toEqual(WANG_RESOLVED);
  });
});

describe('resolvePunch', () => {
  it('answers the same whatever order the enrolments come in', () => {
    const a = wang({ enrolmentId: 'en-a', enteredOn: '2026-11-01' });
    const b = wang({ enrolmentId: 'en-b', enteredOn: '2026-11-05' });
    expect(resolvePunch('10001', '2026-11-21', [a, b]).enrolmentId).toBe('en-b');
    expect(resolvePunch('10001', '2026-11-21', [b, a]).enrolmentId).toBe('en-b');
  });

  it('prefers an enrolment not yet entered over one that has exited', () => {
    const exited = wang({ enrolmentId: 'en-old', exitedOn: '2026-11-10' });
    const pending = wang({ enrolmentId: 'en-new', enteredOn: undefined });
    expect(resolvePunch('10001', '2026-11-21', [exited, pending])).toMatchObject({
      reason: 'not-entered',
      enrolmentId: 'en-new',
    });
  });
});
