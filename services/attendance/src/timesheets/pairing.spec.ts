import { WorkInterval } from '@realname/contracts';
import { DayRules, punchWindow } from './attendance-day';
import { AddedEnd, assignToDays, dayStatus, pairDay, TimesheetPunch } from './pairing';

const rules: DayRules = {
  timeZone: 'Asia/Shanghai',
  dayBoundary: '04:00',
  maxShiftHours: 16,
  duplicateWithinSeconds: 120,
};

/** The UTC instant of a Shanghai local time 'YYYY-MM-DD HH:MM[:SS]'. */
function local(text: string): string {
  const [day, time] = text.split(' ');
  const [h, m, s = '0'] = time.split(':');
  const [y, mo, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d, Number(h) - 8, Number(m), Number(s)))
    .toISOString()
    .replace('.000', '');
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
let next = 0;
function punch(
  at: string,
  direction: TimesheetPunch['direction'] = 'unknown',
  punchEventId = id(++next),
): TimesheetPunch {
  return { punchEventId, at: local(at), direction };
}
const added = (correctionId: string, at: string, direction: 'in' | 'out'): AddedEnd => ({
  correctionId,
  at: local(at),
  direction,
});

/** Each interval as 'in-out/minutes' with local times, '?' for a missing end and '~' for an inferred one. */
function shape(intervals: WorkInterval[]): string[] {
  const t = (e?: { at: string; inferred: boolean }) =>
    e
      ? new Date(Date.parse(e.at) + 8 * 3_600_000).toISOString().slice(11, 16) + (e.inferred ? '~' : '')
      : '?';
  return intervals.map((i) => `${t(i.in)}-${t(i.out)}/${i.minutes}`);
}

const pair = (punches: TimesheetPunch[], ends: AddedEnd[] = []) => pairDay(punches, ends, rules);

describe('given a gate that tells in from out', () => {
  it('when a worker goes in and out twice then two complete intervals are paired and summed', () => {
    const day = pair([
      punch('2026-03-10 13:00', 'in'),
      punch('2026-03-10 08:00', 'in'),
      punch('2026-03-10 17:30', 'out'),
      punch('2026-03-10 12:00', 'out'),
    ]);
    expect(shape(day.intervals)).toEqual(['08:00-12:00/240', '13:00-17:30/270']);
    expect(day.workedMinutes).toBe(510);
    expect(day.firstIn).toBe(local('2026-03-10 08:00'));
    expect(day.lastOut).toBe(local('2026-03-10 17:30'));
    expect(day.punches).toBe(4);
  });

  it('when an interval has 59 seconds beyond whole minutes then the seconds are dropped', () => {
    const day = pair([punch('2026-03-10 08:00:00', 'in'), punch('2026-03-10 09:00:59', 'out')]);
    expect(day.workedMinutes).toBe(60);
  });

  it('when the intervals are returned then they satisfy the WorkInterval contract', () => {
    const day = pair([
      punch('2026-03-10 08:00', 'in'),
      punch('2026-03-10 17:00', 'out'),
      punch('2026-03-10 18:00', 'in'),
    ]);
    for (const i of day.intervals) expect(WorkInterval.safeParse(i).success).toBe(true);
    expect(day.intervals[0]).toEqual({
      in: {
        at: local('2026-03-10 08:00'),
        punchEventId: expect.any(String),
        direction: 'in',
        inferred: false,
      },
      out: {
        at: local('2026-03-10 17:00'),
        punchEventId: expect.any(String),
        direction: 'out',
        inferred: false,
      },
      minutes: 540,
    });
  });
});

describe('given a device without direction', () => {
  it('when it reads four times then the reads alternate in, out, in, out and are marked inferred', () => {
    const day = pair([
      punch('2026-03-10 08:00'),
      punch('2026-03-10 12:00'),
      punch('2026-03-10 13:00'),
      punch('2026-03-10 17:00'),
    ]);
    expect(shape(day.intervals)).toEqual(['08:00~-12:00~/240', '13:00~-17:00~/240']);
    expect(day.workedMinutes).toBe(480);
  });

  it('when it reads an odd number of times then the last in stays open', () => {
    const day = pair([punch('2026-03-10 08:00'), punch('2026-03-10 12:00'), punch('2026-03-10 13:00')]);
    expect(shape(day.intervals)).toEqual(['08:00~-12:00~/240', '13:00~-?/0']);
  });

  it('when a card is read twice within the window then the second read counts once, not as an out', () => {
    const day = pair([punch('2026-03-10 08:00:00'), punch('2026-03-10 08:00:05'), punch('2026-03-10 17:00')]);
    expect(shape(day.intervals)).toEqual(['08:00~-17:00~/540']);
    expect(day.punches).toBe(2);
  });

  it('when a gate with direction and one without are mixed then alternation follows the open interval', () => {
    const day = pair([
      punch('2026-03-10 08:00', 'in'),
      punch('2026-03-10 12:00'),
      punch('2026-03-10 13:00', 'in'),
    ]);
    expect(shape(day.intervals)).toEqual(['08:00-12:00~/240', '13:00-?/0']);
  });
});

describe('given a face terminal without direction read four times a day all week', () => {
  const week = ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06'].flatMap((d) =>
    ['08:00', '12:00', '13:00', '17:30'].map((t) => punch(`${d} ${t}`)),
  );

  it.each(['2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06'])(
    'when %s is paired from its punch window then it is two intervals of 510 minutes',
    (day) => {
      const { from, to } = punchWindow(day, rules);
      const inWindow = week.filter(
        (p) => Date.parse(p.at) >= from.getTime() && Date.parse(p.at) <= to.getTime(),
      );
      const paired = pair(assignToDays(inWindow, rules).get(day) ?? []);
      expect(shape(paired.intervals)).toEqual(['08:00~-12:00~/240', '13:00~-17:30~/270']);
      expect(paired.workedMinutes).toBe(510);
    },
  );
});

describe('given repeated reads at a gate', () => {
  it('when the same direction repeats within duplicateWithinSeconds of the kept punch then it counts once', () => {
    const day = pair([
      punch('2026-03-10 08:00:00', 'in'),
      punch('2026-03-10 08:01:00', 'in'),
      punch('2026-03-10 17:00:00', 'out'),
      punch('2026-03-10 17:02:00', 'out'), // exactly 120 s: still a repeat
    ]);
    expect(shape(day.intervals)).toEqual(['08:00-17:00/540']);
    expect(day.punches).toBe(2); // kept punches only
  });

  it('when the same direction comes later than the window then it is a punch of its own', () => {
    const day = pair([
      punch('2026-03-10 08:00:00', 'in'),
      punch('2026-03-10 17:00:00', 'out'),
      punch('2026-03-10 17:02:01', 'out'),
    ]);
    expect(shape(day.intervals)).toEqual(['08:00-17:00/540', '?-17:02/0']);
  });

  it('when the same punch event arrives twice then it counts once', () => {
    const twice = punch('2026-03-10 08:00', 'in');
    const day = pair([twice, { ...twice }, punch('2026-03-10 17:00', 'out')]);
    expect(day.intervals).toHaveLength(1);
    expect(day.punches).toBe(2);
  });
});

describe('given a missing punch', () => {
  it('when an in has no out then the interval is incomplete with 0 minutes and the day incomplete', () => {
    const day = pair([punch('2026-03-10 08:00', 'in')]);
    expect(shape(day.intervals)).toEqual(['08:00-?/0']);
    expect(day.workedMinutes).toBe(0);
    expect(day.lastOut).toBeUndefined();
    expect(
      dayStatus({ intervals: day.intervals, calendarWorking: true, onLeave: false, entered: true }),
    ).toBe('incomplete');
  });

  it('when an in follows an open in then the first stays without out and the second opens', () => {
    const day = pair([
      punch('2026-03-10 08:00', 'in'),
      punch('2026-03-10 13:00', 'in'),
      punch('2026-03-10 17:00', 'out'),
    ]);
    expect(shape(day.intervals)).toEqual(['08:00-?/0', '13:00-17:00/240']);
    expect(day.workedMinutes).toBe(240);
    expect(day.firstIn).toBe(local('2026-03-10 08:00'));
  });

  it('when an out has no in then the interval has a missing in', () => {
    const day = pair([punch('2026-03-10 17:00', 'out')]);
    expect(shape(day.intervals)).toEqual(['?-17:00/0']);
    expect(day.firstIn).toBeUndefined();
  });
});

describe('given approved corrections', () => {
  it('when an out is added for a missing out then the interval is complete and shows the correction', () => {
    const day = pair([punch('2026-03-10 08:00', 'in')], [added('corr-1', '2026-03-10 17:00', 'out')]);
    expect(shape(day.intervals)).toEqual(['08:00-17:00/540']);
    expect(day.intervals[0].out).toEqual({
      at: local('2026-03-10 17:00'),
      correctionId: 'corr-1',
      direction: 'out',
      inferred: false,
    });
    expect(day.punches).toBe(1); // corrections are not punches
    expect(
      dayStatus({ intervals: day.intervals, calendarWorking: true, onLeave: false, entered: true }),
    ).toBe('present');
  });

  it('when an in is added for a missing in then the out closes it', () => {
    const day = pair([punch('2026-03-10 17:00', 'out')], [added('corr-2', '2026-03-10 08:00', 'in')]);
    expect(shape(day.intervals)).toEqual(['08:00-17:00/540']);
    expect(day.intervals[0].in?.correctionId).toBe('corr-2');
  });

  it('when the real punch arrives later at the corrected time then it counts once', () => {
    const day = pair(
      [punch('2026-03-10 08:00', 'in'), punch('2026-03-10 17:00:30', 'out')],
      [added('corr-3', '2026-03-10 17:00', 'out')],
    );
    expect(shape(day.intervals)).toEqual(['08:00-17:00/540']);
    expect(day.punches).toBe(1);
  });
});

describe('given the day boundary at 04:00', () => {
  it('when a worker punches at 03:30 then the punch belongs to the previous day', () => {
    const late = punch('2026-03-11 03:30', 'out');
    const days = assignToDays(
      [punch('2026-03-10 18:00', 'in'), late, punch('2026-03-11 08:00', 'in')],
      rules,
    );
    expect([...days.keys()]).toEqual(['2026-03-10', '2026-03-11']);
    expect(days.get('2026-03-10')?.map((p) => p.at)).toEqual([local('2026-03-10 18:00'), late.at]);
  });

  it('when a night shift runs from 20:00 to 06:00 then it is one day of 600 minutes', () => {
    const punches = [punch('2026-03-11 06:00', 'out'), punch('2026-03-10 20:00', 'in')];
    const days = assignToDays(punches, rules);
    expect([...days.keys()]).toEqual(['2026-03-10']);
    const day = pair(days.get('2026-03-10')!);
    expect(shape(day.intervals)).toEqual(['20:00-06:00/600']);
    expect(day.workedMinutes).toBe(600);
  });

  it('when the night shift is read by a device without direction then the morning read is carried over too', () => {
    const days = assignToDays(
      [punch('2026-03-10 20:00'), punch('2026-03-11 06:00'), punch('2026-03-11 20:00')],
      rules,
    );
    expect(days.get('2026-03-10')).toHaveLength(2);
    expect(days.get('2026-03-11')).toHaveLength(1);
  });

  it('when a night shift is followed by a day shift then the morning out goes back and the next in stays', () => {
    const days = assignToDays(
      [
        punch('2026-03-10 20:00', 'in'),
        punch('2026-03-11 06:00', 'out'),
        punch('2026-03-11 08:00', 'in'),
        punch('2026-03-11 17:00', 'out'),
      ],
      rules,
    );
    expect(shape(pair(days.get('2026-03-10')!).intervals)).toEqual(['20:00-06:00/600']);
    expect(shape(pair(days.get('2026-03-11')!).intervals)).toEqual(['08:00-17:00/540']);
  });

  it('when a shift is longer than maxShiftHours then it is not carried over and both days are incomplete', () => {
    const days = assignToDays([punch('2026-03-10 20:00', 'in'), punch('2026-03-11 12:01', 'out')], rules);
    const d1 = pair(days.get('2026-03-10')!);
    const d2 = pair(days.get('2026-03-11')!);
    expect(shape(d1.intervals)).toEqual(['20:00-?/0']);
    expect(shape(d2.intervals)).toEqual(['?-12:01/0']);
    for (const d of [d1, d2]) {
      expect(
        dayStatus({ intervals: d.intervals, calendarWorking: true, onLeave: false, entered: true }),
      ).toBe('incomplete');
    }
  });

  it('when the shift is exactly maxShiftHours long then it is carried over', () => {
    const days = assignToDays([punch('2026-03-10 20:00', 'in'), punch('2026-03-11 12:00', 'out')], rules);
    expect([...days.keys()]).toEqual(['2026-03-10']);
  });

  it('when another punch comes between the night in and the morning out then nothing is carried over', () => {
    const days = assignToDays(
      [punch('2026-03-10 20:00', 'in'), punch('2026-03-11 05:00', 'in'), punch('2026-03-11 06:00', 'out')],
      rules,
    );
    expect(shape(pair(days.get('2026-03-10')!).intervals)).toEqual(['20:00-?/0']);
    expect(shape(pair(days.get('2026-03-11')!).intervals)).toEqual(['05:00-06:00/60']);
  });

  it('when the previous day ended with an out then a morning out is not carried over', () => {
    const days = assignToDays([punch('2026-03-10 20:00', 'out'), punch('2026-03-11 06:00', 'out')], rules);
    expect([...days.keys()]).toEqual(['2026-03-10', '2026-03-11']);
  });

  it('when a gate reads an out twice across the boundary then the repeat stays with the first', () => {
    const days = assignToDays(
      [
        punch('2026-03-10 08:00', 'in'),
        punch('2026-03-11 03:59:30', 'out'),
        punch('2026-03-11 04:00:10', 'out'),
        punch('2026-03-11 08:00', 'in'),
      ],
      rules,
    );
    expect(days.get('2026-03-10')).toHaveLength(3);
    expect(shape(pair(days.get('2026-03-10')!).intervals)).toEqual(['08:00-03:59/1199']);
    expect(days.get('2026-03-11')).toHaveLength(1);
  });

  it('when an approved in was added for the evening then the morning out closes it in that day', () => {
    const morning = punch('2026-03-11 06:00', 'out');
    const days = assignToDays([morning], rules, [
      { ...added('corr-4', '2026-03-10 20:00', 'in'), day: '2026-03-10' },
    ]);
    expect(days.get('2026-03-10')).toEqual([morning]);
    expect(days.has('2026-03-11')).toBe(false);
  });

  it('when the same punch event is given twice then it is assigned once', () => {
    const p = punch('2026-03-10 08:00', 'in');
    expect(assignToDays([p, p], rules).get('2026-03-10')).toEqual([p]);
  });
});

describe('given the status rules', () => {
  const complete = pair([punch('2026-03-10 08:00', 'in'), punch('2026-03-10 17:00', 'out')]).intervals;
  const open = pair([punch('2026-03-10 08:00', 'in')]).intervals;

  it.each([
    [
      'leave, even with punches',
      { intervals: complete, calendarWorking: true, onLeave: true, entered: true },
      'leave',
    ],
    [
      'leave on a day without punches',
      { intervals: [], calendarWorking: true, onLeave: true, entered: true },
      'leave',
    ],
    [
      'present with complete intervals',
      { intervals: complete, calendarWorking: false, onLeave: false, entered: true },
      'present',
    ],
    [
      'incomplete with an open interval',
      { intervals: [...complete, ...open], calendarWorking: true, onLeave: false, entered: true },
      'incomplete',
    ],
    [
      'absent on a working day while entered',
      { intervals: [], calendarWorking: true, onLeave: false, entered: true },
      'absent',
    ],
    [
      'rest on a working day before entry',
      { intervals: [], calendarWorking: true, onLeave: false, entered: false },
      'rest',
    ],
    ['rest on a rest day', { intervals: [], calendarWorking: false, onLeave: false, entered: true }, 'rest'],
  ] as const)('when %s then the status follows', (_what, input, expected) => {
    expect(dayStatus({ ...input, intervals: [...input.intervals] })).toBe(expected);
  });
});
