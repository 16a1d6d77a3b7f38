import { AttendanceApi } from '@realname/contracts';
import { workingDays } from '@realname/domain-rules';
import {
  absenceStreak,
  attendanceDayOf,
  countWorkingDays,
  KeyPersonFacts,
  keyPersonPresence,
  latestStreakStart,
} from './presence';

const XIHU = '330106';
/** November 2026 in Hangzhou: no holiday, 21 working days (Monday to Friday). */
const NOVEMBER = workingDays(XIHU, '2026-11-01', '2026-11-30');
const ENTERED = [{ enteredOn: '2026-01-05', exitedOn: null }];

function days(list: string[], status: KeyPersonFacts['days'][number]['status']) {
  return list.map((day) => ({ day, status }));
}

describe('key-personnel presence', () => {
  it('Given November has 21 working days, When present on 17 of them, Then the rate is 17/21 (not below 80%), and with 16 it is below', () => {
    expect(NOVEMBER).toHaveLength(21);
    const r = keyPersonPresence(
      { sinceDay: '2026-03-01', enrolments: ENTERED, days: days(NOVEMBER.slice(0, 17), 'present') },
      NOVEMBER,
      0.8,
    );
    expect(r).toEqual({
      enrolled: true,
      entered: true,
      workingDays: 21,
      daysPresent: 17,
      leaveDays: 0,
      presenceRate: 0.8095,
      belowMinimum: false,
    });
    const fewer = keyPersonPresence(
      { sinceDay: '2026-03-01', enrolments: ENTERED, days: days(NOVEMBER.slice(0, 16), 'present') },
      NOVEMBER,
      0.8,
    );
    expect([fewer.presenceRate, fewer.belowMinimum]).toEqual([0.7619, true]);
  });

  it('Given 4 days of approved leave, When present 14 days, Then the rate is 14/(21-4) and not below 80%', () => {
    const r = keyPersonPresence(
      {
        sinceDay: '2026-03-01',
        enrolments: ENTERED,
        days: [...days(NOVEMBER.slice(0, 14), 'present'), ...days(NOVEMBER.slice(14, 18), 'leave')],
      },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({
      workingDays: 21,
      daysPresent: 14,
      leaveDays: 4,
      presenceRate: 0.8235,
      belowMinimum: false,
    });
  });

  it('Given an incomplete day (a missing out), Then it counts as present; absent and rest days do not', () => {
    const r = keyPersonPresence(
      {
        sinceDay: '2026-03-01',
        enrolments: ENTERED,
        days: [
          { day: '2026-11-02', status: 'incomplete' },
          { day: '2026-11-03', status: 'present' },
          { day: '2026-11-04', status: 'absent' },
          { day: '2026-11-07', status: 'present' }, // a Saturday worked: not a working day, not counted
        ],
      },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({ workingDays: 21, daysPresent: 2, leaveDays: 0 });
  });

  it('Given the post was taken on 16 November, Then only the working days from then count', () => {
    const r = keyPersonPresence(
      {
        sinceDay: '2026-11-16',
        enrolments: ENTERED,
        days: days(['2026-11-13', '2026-11-16', '2026-11-17'], 'present'),
      },
      NOVEMBER,
      0.8,
    );
    // 16-20, 23-27, 30: 11 working days; the 13th was before the post.
    expect(r).toMatchObject({ workingDays: 11, daysPresent: 2, presenceRate: 0.1818, belowMinimum: true });
  });

  it('Given the person was entered on 23 November and exited on the 27th, Then only those working days count', () => {
    const r = keyPersonPresence(
      {
        sinceDay: '2026-03-01',
        enrolments: [{ enteredOn: '2026-11-23', exitedOn: '2026-11-27' }],
        days: days(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'], 'present'),
      },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({
      entered: true,
      workingDays: 5,
      daysPresent: 4,
      presenceRate: 0.8,
      belowMinimum: false,
    });
  });

  it('Given a key person with no enrolment on the project, Then every working day since the post counts and none is present', () => {
    const r = keyPersonPresence({ sinceDay: '2026-03-01', enrolments: [], days: [] }, NOVEMBER, 0.8);
    expect(r).toEqual({
      enrolled: false,
      entered: false,
      workingDays: 21,
      daysPresent: 0,
      leaveDays: 0,
      presenceRate: 0,
      belowMinimum: true,
    });
  });

  it('Given an enrolment never entered, Then it counts like no enrolment but says enrolled', () => {
    const r = keyPersonPresence(
      { sinceDay: '2026-03-01', enrolments: [{ enteredOn: null, exitedOn: null }], days: [] },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({
      enrolled: true,
      entered: false,
      workingDays: 21,
      presenceRate: 0,
      belowMinimum: true,
    });
  });

  it('Given leave on every counted day, Then there is no rate and it is not below the minimum', () => {
    const r = keyPersonPresence(
      { sinceDay: '2026-11-30', enrolments: ENTERED, days: [{ day: '2026-11-30', status: 'leave' }] },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({ workingDays: 1, leaveDays: 1, presenceRate: null, belowMinimum: false });
  });

  it('Given two enrolments on one day, one present and one on leave, Then the day is present', () => {
    const r = keyPersonPresence(
      {
        sinceDay: '2026-11-30',
        enrolments: [...ENTERED, { enteredOn: '2026-11-01', exitedOn: null }],
        days: [
          { day: '2026-11-30', status: 'leave' },
          { day: '2026-11-30', status: 'present' },
        ],
      },
      NOVEMBER,
      0.8,
    );
    expect(r).toMatchObject({ workingDays: 1, daysPresent: 1, leaveDays: 0, presenceRate: 1 });
  });

  it('Given the National Day week, Then its holidays are not working days and the adjusted Saturday is', () => {
    const october = workingDays(XIHU, '2026-10-01', '2026-10-11');
    // 1-7 holiday, 8-9 Thursday-Friday, 10 Saturday adjusted, 11 Sunday.
    expect(october).toEqual(['2026-10-08', '2026-10-09', '2026-10-10']);
    const r = keyPersonPresence(
      {
        sinceDay: '2026-03-01',
        enrolments: ENTERED,
        days: days(['2026-10-05', '2026-10-08', '2026-10-10'], 'present'),
      },
      october,
      0.8,
    );
    expect(r).toMatchObject({ workingDays: 3, daysPresent: 2, presenceRate: 0.6667, belowMinimum: true });
  });
});

describe('attendance day of an instant', () => {
  it('Given a 04:00 boundary in Shanghai, When the post is taken at 03:30 local time, Then it belongs to the day before', () => {
    expect(attendanceDayOf(new Date('2026-11-15T19:30:00Z'), 'Asia/Shanghai', '04:00')).toBe('2026-11-15');
    expect(attendanceDayOf(new Date('2026-11-15T20:30:00Z'), 'Asia/Shanghai', '04:00')).toBe('2026-11-16');
    expect(attendanceDayOf(new Date('2026-11-15T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-11-16');
  });
});

describe('consecutive absence', () => {
  const working = (from: string, to: string) => workingDays(XIHU, from, to);

  it('Given the last day present was a Friday, When asked on the Tuesday after, Then the weekend does not count: 2 days', () => {
    const r = absenceStreak(
      { enteredOn: '2026-11-02', lastPresent: '2026-11-13', leaveDays: [] },
      '2026-11-17',
      working('2026-11-02', '2026-11-17'),
    );
    expect(r).toEqual({ from: '2026-11-14', absentWorkingDays: 2, leaveDays: 0 });
  });

  it('Given the Mid-Autumn holiday (Friday 25 to Sunday 27 September), When last present on Thursday 24th, Then on Tuesday 29th the streak is 2', () => {
    const r = absenceStreak(
      { enteredOn: '2026-09-01', lastPresent: '2026-09-24', leaveDays: [] },
      '2026-09-29',
      working('2026-09-01', '2026-09-29'),
    );
    expect(r).toEqual({ from: '2026-09-25', absentWorkingDays: 2, leaveDays: 0 });
  });

  it('Given the National Day holiday, When last present on 30 September, Then on Saturday 10 October (adjusted working day) the streak is 3', () => {
    const r = absenceStreak(
      { enteredOn: '2026-09-01', lastPresent: '2026-09-30', leaveDays: [] },
      '2026-10-10',
      working('2026-09-01', '2026-10-10'),
    );
    expect(r.absentWorkingDays).toBe(3);
  });

  it('Given never present, Then the streak counts from the entry day, which is included', () => {
    const r = absenceStreak(
      { enteredOn: '2026-11-16', lastPresent: null, leaveDays: [] },
      '2026-11-18',
      working('2026-11-16', '2026-11-18'),
    );
    expect(r).toEqual({ from: '2026-11-16', absentWorkingDays: 3, leaveDays: 0 });
  });

  it('Given approved leave inside the streak, Then the leave days are not counted but do not end it', () => {
    const r = absenceStreak(
      {
        enteredOn: '2026-11-02',
        lastPresent: '2026-11-06',
        leaveDays: ['2026-11-10', '2026-11-11', '2026-11-14'],
      },
      '2026-11-13',
      working('2026-11-02', '2026-11-13'),
    );
    // 9-13 is 5 working days, 10 and 11 on leave (the 14th is after the day asked about).
    expect(r).toEqual({ from: '2026-11-07', absentWorkingDays: 3, leaveDays: 2 });
  });

  it('Given present on the day asked about, Then there is no streak', () => {
    const r = absenceStreak(
      { enteredOn: '2026-11-02', lastPresent: '2026-11-13', leaveDays: [] },
      '2026-11-13',
      working('2026-11-02', '2026-11-13'),
    );
    expect(r.absentWorkingDays).toBe(0);
  });

  it('Given a minimum of N days, Then a streak starting after asOf − (N − 1) cannot reach it', () => {
    expect(latestStreakStart('2026-11-20', 3)).toBe('2026-11-18');
    expect(latestStreakStart('2026-11-20', 1)).toBe('2026-11-20');
    expect(countWorkingDays(working('2026-11-01', '2026-11-30'), '2026-11-18', '2026-11-20')).toBe(3);
    expect(countWorkingDays(working('2026-11-01', '2026-11-30'), '2026-11-21', '2026-11-20')).toBe(0);
  });
});

describe('the documented examples', () => {
  it('Given the OpenAPI examples, Then each is a valid answer of its schema', () => {
    expect(
      AttendanceApi.ProjectKeyPersonnelPresence.parse(AttendanceApi.PROJECT_PRESENCE_EXAMPLE),
    ).toBeTruthy();
    expect(
      AttendanceApi.RegionKeyPersonnelPresence.parse(AttendanceApi.REGION_PRESENCE_EXAMPLE),
    ).toBeTruthy();
    expect(AttendanceApi.ProjectAbsences.parse(AttendanceApi.PROJECT_ABSENCES_EXAMPLE)).toBeTruthy();
    expect(AttendanceApi.RegionAbsences.parse(AttendanceApi.REGION_ABSENCES_EXAMPLE)).toBeTruthy();
  });

  it('Given the example project manager, Then its figures are those the rules give (15 of 21 − 2 days)', () => {
    const [pm] = AttendanceApi.PROJECT_PRESENCE_EXAMPLE.persons;
    const r = keyPersonPresence(
      {
        sinceDay: pm.since,
        enrolments: ENTERED,
        days: [...days(NOVEMBER.slice(0, 15), 'present'), ...days(NOVEMBER.slice(15, 17), 'leave')],
      },
      NOVEMBER,
      AttendanceApi.PROJECT_PRESENCE_EXAMPLE.presenceMinimum,
    );
    expect(r).toMatchObject({
      workingDays: pm.workingDays,
      daysPresent: pm.daysPresent,
      leaveDays: pm.leaveDays,
      presenceRate: pm.presenceRate,
      belowMinimum: pm.belowMinimum,
    });
  });
});
