import { PunchRecordedData } from '@realname/contracts';
import { fold, isRejection } from '@realname/eventstore';
import { dayOfPunch, personDay, PersonDayEvent, RecordPunch } from './person-day';

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
const record = (punchEventId: string, p = punch()): RecordPunch => ({
  kind: 'RecordPunch',
  punchEventId,
  punch: p,
});

/** Given past events, when a command, then new events. */
function given(events: PersonDayEvent[]) {
  return { when: (c: RecordPunch) => personDay.decide(c, fold(personDay, events)) };
}

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
